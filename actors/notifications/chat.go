package notifications

import (
	"context"
	"encoding/json"
)

// Chat notification builders (API.md §8): one row per chat and recipient,
// sender = recipient, message_count grows with each message (CreateCounting).

// ChatFriend is the consolidated "New messages from friends" notification.
func ChatFriend(recipientID string) Create {
	return sys(TypeChatFriend, recipientID, recipientID, "New messages from friends", map[string]any{"chat_type": "friend"})
}

// ChatGroup is the per-group chat notification of one member.
func ChatGroup(recipientID, groupID, groupName string) Create {
	return sys(TypeChatGroup, recipientID, recipientID, "New messages from "+groupName, map[string]any{"chat_type": "group", "group_id": groupID})
}

// ChatLobby is the per-lobby chat notification of one member.
func ChatLobby(recipientID, lobbyID, lobbyName string) Create {
	return sys(TypeChatLobby, recipientID, recipientID, "New messages from "+lobbyName, map[string]any{"chat_type": "lobby", "lobby_id": lobbyID})
}

// ChatParty is the party chat notification of one member.
func ChatParty(recipientID, partyID string) Create {
	return sys(TypeChatParty, recipientID, recipientID, "New message in party", map[string]any{"chat_type": "party", "party_id": partyID})
}

// CreateCounting upserts c like Create but sets metadata.message_count to 1
// on the first notification and increments it on each later one (the row
// is marked unread again), atomically, then pushes it.
func (s *Service) CreateCounting(ctx context.Context, c Create) (Notification, error) {
	if err := s.validate(&c); err != nil {
		return Notification{}, err
	}
	return s.upsert(ctx, c, true)
}

func withCount(meta map[string]any, old []byte) map[string]any {
	count := 1
	var m map[string]any
	if len(old) > 0 && json.Unmarshal(old, &m) == nil {
		if n, ok := m["message_count"].(float64); ok {
			count = int(n) + 1
		}
	}
	out := make(map[string]any, len(meta)+1)
	for k, v := range meta {
		out[k] = v
	}
	out["message_count"] = count
	return out
}
