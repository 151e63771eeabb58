package channels

import (
	"encoding/json"
	"hash/maphash"
	"sort"
	"time"

	"github.com/gamend-go/gamend/actors/notifications"
	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/transport/phoenix"
	"github.com/gamend-go/gamend/transport/views"
)

// deliverLocal applies a user actor event to the channel key of this
// node: held while the channel is still joining, else rendered and
// pushed (through the debounce for profile and friend changes).
func (u *Users) deliverLocal(key string, ev user.Event) {
	u.mu.RLock()
	j := u.chans[key]
	u.mu.RUnlock()
	if j == nil {
		return
	}
	j.mu.Lock()
	if j.joining.Load() {
		j.held = append(j.held, ev)
		j.mu.Unlock()
		return
	}
	j.mu.Unlock()
	u.apply(j, ev, true)
}

// apply renders one event on j, through the debounce when debounce is
// set (live events; the events held during a join complete its snapshot
// and go out at once).
func (u *Users) apply(j *joined, ev user.Event, debounce bool) {
	switch {
	case ev.Self != nil:
		if !debounce || !u.debounced(j, ev.Self, nil) {
			u.pushSelf(j, ev.Self)
		}
	case ev.Friends != nil:
		if !debounce || !u.debounced(j, nil, ev.Friends) {
			u.pushFriends(j, ev.Friends, false)
		}
	case ev.Notification != nil:
		u.pushNotification(j, *ev.Notification)
	}
}

// debounced holds self or friends for the debounce window and reports
// whether it did (false when debouncing is off).
func (u *Users) debounced(j *joined, self *users.Row, friends []user.Friend) bool {
	if u.debounce <= 0 {
		return false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if self != nil {
		j.pendSelf = self
	}
	for _, f := range friends {
		if j.pendFriends == nil {
			j.pendFriends = map[string]user.Friend{}
		}
		j.pendFriends[f.User.ID] = f
	}
	if j.timer == nil {
		j.timer = time.AfterFunc(u.debounce, func() { u.flushDebounced(j) })
	}
	return true
}

// flushDebounced pushes the latest held state of every subject.
func (u *Users) flushDebounced(j *joined) {
	j.mu.Lock()
	self, pend := j.pendSelf, j.pendFriends
	j.pendSelf, j.pendFriends, j.timer = nil, nil, nil
	j.mu.Unlock()
	if self != nil {
		u.pushSelf(j, self)
	}
	if len(pend) > 0 {
		friends := make([]user.Friend, 0, len(pend))
		for _, f := range pend {
			friends = append(friends, f)
		}
		sort.Slice(friends, func(a, b int) bool { return friends[a].User.ID < friends[b].User.ID })
		u.pushFriends(j, friends, false)
	}
}

// pushSelf sends updated unless the last one sent was identical.
func (u *Users) pushSelf(j *joined, row *users.Row) {
	b, err := phoenix.MarshalJSON(views.NewSelfUser(row))
	if err != nil {
		u.log.Error("rendering updated failed", "err", err)
		return
	}
	h := payloadHash(b)
	j.mu.Lock()
	if j.lastSelf == h {
		j.mu.Unlock()
		return
	}
	j.lastSelf = h
	j.mu.Unlock()
	_ = j.conn.PushJSON("updated", b)
}

func (u *Users) pushNotification(j *joined, n notifications.Notification) {
	name := "notification_created"
	if j.conn.DocsEventNames() {
		name = "notification"
	}
	b, err := phoenix.MarshalJSON(views.NewNotification(n))
	if err == nil {
		_ = j.conn.PushJSON(name, b)
	}
}

// pushFriends sends one friend_updated with the entries that changed
// (deduplicated per friend); the join snapshot is sent whole. Sockets with
// the docs' event names get friend_online/friend_offline instead, only
// when a friend's online flag changed (the snapshot counts an unknown
// friend as offline, so it announces the friends who are online): the
// product docs have no event for a friend's profile change.
func (u *Users) pushFriends(j *joined, friends []user.Friend, snapshot bool) {
	docs := j.conn.DocsEventNames()
	entries := map[string]json.RawMessage{}
	type presence struct {
		UserID   string `json:"user_id"`
		IsOnline bool   `json:"is_online"`
	}
	var changed []presence
	j.mu.Lock()
	if j.friends == nil {
		j.friends = map[string]friendSeen{}
	}
	for i := range friends {
		f := &friends[i]
		b, err := phoenix.MarshalJSON(friendEntry{MemberBrief: views.NewMemberBrief(&f.User), FriendshipID: f.FriendshipID})
		if err != nil {
			u.log.Error("rendering friend_updated failed", "err", err)
			continue
		}
		h := payloadHash(b)
		prev, known := j.friends[f.User.ID]
		j.friends[f.User.ID] = friendSeen{hash: h, online: f.User.IsOnline}
		switch {
		case docs:
			if f.User.IsOnline != prev.online {
				changed = append(changed, presence{f.User.ID, f.User.IsOnline})
			}
		case snapshot || !known || prev.hash != h:
			entries[f.User.ID] = b
		}
	}
	j.mu.Unlock()
	for _, p := range changed {
		ev := "friend_offline"
		if p.IsOnline {
			ev = "friend_online"
		}
		_ = j.conn.Push(ev, p)
	}
	if !docs && (len(entries) > 0 || snapshot) {
		_ = j.conn.Push("friend_updated", map[string]any{"friends": entries})
	}
}

// payloadHash fingerprints a rendered payload for deduplication.
func payloadHash(b []byte) uint64 { return maphash.Bytes(hashSeed, b) }

var hashSeed = maphash.MakeSeed()

// friendEntry is MemberBrief plus friendship_id (API.md §5.4).
type friendEntry struct {
	views.MemberBrief
	FriendshipID string `json:"friendship_id"`
}
