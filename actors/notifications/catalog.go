package notifications

import (
	"sort"
	"sync"
)

// System notification types (API.md §8), including those upstream emits but
// forgot to register (achievement_unlocked, chat_*: §13-8).
const (
	TypeFriendRequest            = "friend_request"
	TypeFriendAccepted           = "friend_accepted"
	TypeFriendRejected           = "friend_rejected"
	TypeGroupInvite              = "group_invite"
	TypeGroupInviteAccepted      = "group_invite_accepted"
	TypeGroupInviteDeclined      = "group_invite_declined"
	TypeGroupJoinRequest         = "group_join_request"
	TypeGroupJoinRequestApproved = "group_join_request_approved"
	TypeGroupJoinRequestRejected = "group_join_request_rejected"
	TypeGroupKicked              = "group_kicked"
	TypeGroupPromoted            = "group_promoted"
	TypeGroupDemoted             = "group_demoted"
	TypePartyInvite              = "party_invite"
	TypePartyInviteAccepted      = "party_invite_accepted"
	TypePartyInviteDeclined      = "party_invite_declined"
	TypePartyKicked              = "party_kicked"
	TypeLobbyKicked              = "lobby_kicked"
	TypeAchievementUnlocked      = "achievement_unlocked"
	TypeChatFriend               = "chat_friend"
	TypeChatGroup                = "chat_group"
	TypeChatLobby                = "chat_lobby"
	TypeChatParty                = "chat_party"
)

var systemTypes = []string{
	TypeFriendRequest, TypeFriendAccepted, TypeFriendRejected,
	TypeGroupInvite, TypeGroupInviteAccepted, TypeGroupInviteDeclined, TypeGroupJoinRequest,
	TypeGroupJoinRequestApproved, TypeGroupJoinRequestRejected, TypeGroupKicked, TypeGroupPromoted, TypeGroupDemoted,
	TypePartyInvite, TypePartyInviteAccepted, TypePartyInviteDeclined, TypePartyKicked, TypeLobbyKicked,
	TypeAchievementUnlocked, TypeChatFriend, TypeChatGroup, TypeChatLobby, TypeChatParty,
}

// Types is the closed registry of notification types a client-sent
// metadata.type must belong to: the system types plus plugin-declared ones.
type Types struct {
	mu    sync.RWMutex
	known map[string]bool
}

// NewTypes returns a registry holding the system types.
func NewTypes() *Types {
	t := &Types{known: map[string]bool{}}
	for _, s := range systemTypes {
		t.known[s] = true
	}
	return t
}

// Register adds a (plugin-declared) type.
func (t *Types) Register(name string) {
	t.mu.Lock()
	t.known[name] = true
	t.mu.Unlock()
}

// Known reports whether name is registered.
func (t *Types) Known(name string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.known[name]
}

// All lists the registered types, sorted.
func (t *Types) All() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]string, 0, len(t.known))
	for k := range t.known {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Titles and metadata of the system notifications (API.md §8). Each builder
// returns the Create a feature passes to Service.Create; content is "".

func sys(typ, sender, recipient, title string, meta map[string]any) Create {
	if meta == nil {
		meta = map[string]any{}
	}
	meta["type"] = typ
	return Create{SenderID: sender, RecipientID: recipient, Title: title, Metadata: meta}
}

// FriendName renders a friend's name for titles: missing display names
// become "User #<id>".
func FriendName(displayName, userID string) string {
	if displayName != "" {
		return displayName
	}
	return "User #" + userID
}

// FriendRequest: requester → target.
func FriendRequest(requesterID, requesterName, targetID, friendshipID string) Create {
	return sys(TypeFriendRequest, requesterID, targetID, FriendName(requesterName, requesterID)+" sent you a friend request",
		map[string]any{"friendship_id": friendshipID})
}

// FriendAccepted: target → requester.
func FriendAccepted(targetID, targetName, requesterID, friendshipID string) Create {
	return sys(TypeFriendAccepted, targetID, requesterID, FriendName(targetName, targetID)+" accepted your friend request",
		map[string]any{"friendship_id": friendshipID})
}

// FriendRejected: target → requester.
func FriendRejected(targetID, targetName, requesterID, friendshipID string) Create {
	return sys(TypeFriendRejected, targetID, requesterID, FriendName(targetName, targetID)+" declined your friend request",
		map[string]any{"friendship_id": friendshipID})
}

// GroupRef names a group in group notifications.
type GroupRef struct{ ID, Name string }

func (g GroupRef) meta(extra map[string]any) map[string]any {
	m := map[string]any{"group_id": g.ID, "group_name": g.Name}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// GroupInvite: admin → invitee.
func GroupInvite(g GroupRef, senderID, senderName, recipientID, recipientName string) Create {
	return sys(TypeGroupInvite, senderID, recipientID, "Invited to "+g.Name,
		g.meta(map[string]any{"sender_name": senderName, "recipient_name": recipientName}))
}

// GroupInviteAccepted: invitee → inviter.
func GroupInviteAccepted(g GroupRef, userID, userName, inviterID string) Create {
	return sys(TypeGroupInviteAccepted, userID, inviterID, userName+" joined "+g.Name,
		g.meta(map[string]any{"user_id": userID, "user_name": userName}))
}

// GroupInviteDeclined: invitee → inviter; full marks a decline caused by
// a full group.
func GroupInviteDeclined(g GroupRef, userID, userName, inviterID string, full bool) Create {
	title, extra := userName+" declined "+g.Name+" invite", map[string]any{"user_id": userID, "user_name": userName}
	if full {
		title = userName + " couldn't join " + g.Name + " — full"
		extra["reason"] = "full"
	}
	return sys(TypeGroupInviteDeclined, userID, inviterID, title, g.meta(extra))
}

// GroupJoinRequest: requester → each admin.
func GroupJoinRequest(g GroupRef, userID, userName, adminID string) Create {
	return sys(TypeGroupJoinRequest, userID, adminID, userName+" wants to join "+g.Name,
		g.meta(map[string]any{"user_id": userID, "user_name": userName}))
}

// GroupJoinRequestApproved: admin → requester.
func GroupJoinRequestApproved(g GroupRef, adminID, adminName, requesterID string) Create {
	return sys(TypeGroupJoinRequestApproved, adminID, requesterID, "Approved to join "+g.Name,
		g.meta(map[string]any{"admin_id": adminID, "admin_name": adminName}))
}

// GroupJoinRequestRejected: admin → requester.
func GroupJoinRequestRejected(g GroupRef, adminID, requesterID string) Create {
	return sys(TypeGroupJoinRequestRejected, adminID, requesterID, "Declined from "+g.Name, g.meta(nil))
}

// GroupKicked, GroupPromoted, GroupDemoted: admin → target.
func GroupKicked(g GroupRef, adminID, targetID string) Create {
	return sys(TypeGroupKicked, adminID, targetID, "Removed from "+g.Name, g.meta(nil))
}

// GroupPromoted notifies a member promoted to admin.
func GroupPromoted(g GroupRef, adminID, targetID string) Create {
	return sys(TypeGroupPromoted, adminID, targetID, "Promoted to admin in "+g.Name, g.meta(nil))
}

// GroupDemoted notifies an admin demoted to member.
func GroupDemoted(g GroupRef, adminID, targetID string) Create {
	return sys(TypeGroupDemoted, adminID, targetID, "Demoted to member in "+g.Name, g.meta(nil))
}

// GroupNotify is POST /groups/:id/notify: member → other member, no type.
func GroupNotify(g GroupRef, senderID, recipientID, title, content string, meta map[string]any) Create {
	if title == "" {
		title = "Group Notification"
	}
	m := map[string]any{}
	for k, v := range meta {
		m[k] = v
	}
	m["group_id"], m["group_name"] = g.ID, g.Name
	return Create{SenderID: senderID, RecipientID: recipientID, Title: title, Content: content, Metadata: m}
}

// PartyInvite: leader → invitee.
func PartyInvite(partyID, leaderID, leaderName, recipientID, recipientName string) Create {
	return sys(TypePartyInvite, leaderID, recipientID, "Party invite from "+leaderName,
		map[string]any{"party_id": partyID, "sender_name": leaderName, "recipient_name": recipientName})
}

// PartyInviteAccepted: invitee → leader.
func PartyInviteAccepted(partyID, userID, userName, leaderID string) Create {
	return sys(TypePartyInviteAccepted, userID, leaderID, userName+" joined your party",
		map[string]any{"party_id": partyID, "user_id": userID, "user_name": userName})
}

// PartyInviteDeclined: invitee → leader; full when caused by a full party.
func PartyInviteDeclined(partyID, userID, userName, leaderID string, full bool) Create {
	title, meta := userName+" declined your party invite", map[string]any{"party_id": partyID, "user_id": userID, "user_name": userName}
	if full {
		title = userName + " couldn't join — party full"
		meta["reason"] = "party_full"
	}
	return sys(TypePartyInviteDeclined, userID, leaderID, title, meta)
}

// PartyKicked: leader → target.
func PartyKicked(partyID, leaderID, targetID string) Create {
	return sys(TypePartyKicked, leaderID, targetID, "Removed from party", map[string]any{"party_id": partyID})
}

// LobbyKicked: host → target.
func LobbyKicked(lobbyID, lobbyName, hostID, targetID string) Create {
	return sys(TypeLobbyKicked, hostID, targetID, "Removed from "+lobbyName, map[string]any{"lobby_id": lobbyID, "lobby_name": lobbyName})
}

// AchievementUnlocked: user → self.
func AchievementUnlocked(userID, achievementID, slug, title string, hidden bool) Create {
	t := "Achievement unlocked: " + title
	if hidden {
		t = "Secret achievement unlocked"
	}
	return sys(TypeAchievementUnlocked, userID, userID, t, map[string]any{"achievement_id": achievementID, "achievement_slug": slug})
}
