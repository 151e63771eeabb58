package channels

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/gamend-go/gamend/actors/notifications"
	"github.com/gamend-go/gamend/actors/registry"
	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/transport/phoenix"
	"github.com/gamend-go/gamend/transport/views"
)

// nodeHandler is the registry node handler that receives deliveries and
// resync requests for user:{id} channels held on this node.
const nodeHandler = "user-channels"

// remoteDelivery carries a user event to the node holding the channel.
type remoteDelivery struct {
	Key   string     `json:"key"`
	Event user.Event `json:"event"`
}

// resync asks every node to re-subscribe its channels of a user.
type resync struct {
	UserID string `json:"user_id"`
}

func init() {
	registry.RegisterMessage[remoteDelivery]("channels.remoteDelivery")
	registry.RegisterMessage[resync]("channels.resync")
}

// joined is the per-channel state of a joined user:{id}.
type joined struct {
	conn *phoenix.Conn
	mu   sync.Mutex
	last map[string]string // object key -> last payload sent (dedupe)
}

// Users serves user:{id} topics and delivers user actor events to them.
type Users struct {
	reg    *registry.Registry
	db     *persistence.DB
	notifs *notifications.Service
	log    *slog.Logger

	mu    sync.RWMutex
	chans map[string]*joined // key -> channel
}

// NewUsers returns the user channel. Register its node handler before the
// registry starts (RegisterNode) and install it as the presence Deliverer.
func NewUsers(reg *registry.Registry, db *persistence.DB, log *slog.Logger) *Users {
	if log == nil {
		log = slog.Default()
	}
	return &Users{reg: reg, db: db, log: log, chans: map[string]*joined{}}
}

// SetNotifications gives the channel the notification service (for the
// notifications pushed on join).
func (u *Users) SetNotifications(n *notifications.Service) { u.notifs = n }

// RegisterNode installs the node handler (call before registry.Start).
func (u *Users) RegisterNode() { u.reg.HandleNode(nodeHandler, u.onNode) }

// Resync asks every node to re-subscribe the channels it holds for userID
// (wired as the user actors' PresenceOptions.Resync).
func (u *Users) Resync(userID string) {
	_ = u.reg.BroadcastNodes(nodeHandler, resync{UserID: userID})
}

func (u *Users) onNode(msg any) {
	switch m := msg.(type) {
	case remoteDelivery:
		u.deliverLocal(m.Key, m.Event)
	case resync:
		u.mu.RLock()
		var subs []user.Subscriber
		for key, j := range u.chans {
			if j.conn.UserID() == m.UserID && !j.conn.Closed() {
				subs = append(subs, user.Subscriber{Node: u.reg.NodeID(), Key: key})
			}
		}
		u.mu.RUnlock()
		for _, s := range subs {
			_ = u.reg.Send(user.Kind, m.UserID, user.Subscribe{Sub: s})
		}
	}
}

func channelKey(c *phoenix.Conn) string {
	return strconv.FormatUint(c.Socket().ID(), 36) + "/" + c.JoinRef()
}

// Join implements phoenix.Channel for user:{id}.
func (u *Users) Join(ctx context.Context, c *phoenix.Conn, _ json.RawMessage) (any, error) {
	id := strings.TrimPrefix(c.Topic(), "user:")
	if !persistence.ValidID(id) {
		return nil, phoenix.JoinError("invalid topic")
	}
	if id != c.UserID() {
		return nil, phoenix.JoinError("unauthorized")
	}
	key := channelKey(c)
	j := &joined{conn: c, last: map[string]string{}}
	u.mu.Lock()
	u.chans[key] = j
	u.mu.Unlock()
	sub := user.Subscriber{Node: u.reg.NodeID(), Key: key}
	v, err := u.reg.Request(ctx, user.Kind, id, user.Subscribe{Sub: sub})
	reply, ok := v.(user.SubscribeReply)
	if err != nil || !ok {
		u.drop(key)
		_ = u.reg.Send(user.Kind, id, user.Unsubscribe{Sub: sub})
		if errors.Is(err, user.ErrNoSuchUser) {
			return nil, phoenix.JoinError("unauthorized")
		}
		u.log.Warn("user channel join failed", "user_id", id, "err", err)
		return nil, phoenix.JoinError("join failed")
	}
	u.push(j, "self", "updated", views.NewSelfUser(&reply.User))
	friends, err := user.Friends(ctx, u.db, id, 1000)
	if err != nil {
		u.log.Warn("loading friends for join failed", "user_id", id, "err", err)
	}
	u.pushFriends(j, friends, true)
	if u.notifs != nil {
		list, err := u.notifs.Latest(ctx, id, 50)
		if err != nil {
			u.log.Warn("loading notifications for join failed", "user_id", id, "err", err)
		}
		for _, n := range list {
			u.pushNotification(j, n)
		}
	}
	return nil, nil
}

// HandleIn implements phoenix.Channel: the pushes of API.md §5.5.
func (u *Users) HandleIn(_ context.Context, c *phoenix.Conn, event string, payload json.RawMessage) (any, error) {
	switch event {
	case "call_hook":
		// Server scripting arrives with the hooks feature; until then the
		// call is answered like a function no plugin implements.
		return nil, replyErr(payload, "not_implemented")
	case "webrtc:offer", "webrtc:ice", "webrtc:close":
		return nil, replyErr(payload, "webrtc_disabled")
	}
	return nil, replyErr(payload, "unknown_event")
}

// replyErr answers {"error":code}, echoing the Godot SDK's _request_id.
func replyErr(payload json.RawMessage, code string) error {
	resp := map[string]any{"error": code}
	var in struct {
		RequestID json.RawMessage `json:"_request_id"`
	}
	if json.Unmarshal(payload, &in) == nil && len(in.RequestID) > 0 {
		resp["_request_id"] = in.RequestID
	}
	return &phoenix.ReplyError{Response: resp}
}

// Leave implements phoenix.Channel.
func (u *Users) Leave(c *phoenix.Conn, _ phoenix.LeaveReason) {
	key := channelKey(c)
	if u.drop(key) {
		id := strings.TrimPrefix(c.Topic(), "user:")
		_ = u.reg.Send(user.Kind, id, user.Unsubscribe{Sub: user.Subscriber{Node: u.reg.NodeID(), Key: key}})
	}
}

func (u *Users) drop(key string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	_, ok := u.chans[key]
	delete(u.chans, key)
	return ok
}

// Deliver implements user.Deliverer: local channels are pushed to at once,
// others are sent to their node.
func (u *Users) Deliver(sub user.Subscriber, ev user.Event) {
	if sub.Node != u.reg.NodeID() {
		_ = u.reg.SendNode(sub.Node, nodeHandler, remoteDelivery{Key: sub.Key, Event: ev})
		return
	}
	u.deliverLocal(sub.Key, ev)
}

func (u *Users) deliverLocal(key string, ev user.Event) {
	u.mu.RLock()
	j := u.chans[key]
	u.mu.RUnlock()
	if j == nil {
		return
	}
	switch {
	case ev.Self != nil:
		u.push(j, "self", "updated", views.NewSelfUser(ev.Self))
	case ev.Friends != nil:
		u.pushFriends(j, ev.Friends, false)
	case ev.Notification != nil:
		u.pushNotification(j, *ev.Notification)
	}
}

// push sends event unless the same object's last payload was identical.
func (u *Users) push(j *joined, object, event string, payload any) {
	b, err := json.Marshal(payload)
	if err != nil {
		u.log.Error("rendering a user event failed", "event", event, "err", err)
		return
	}
	j.mu.Lock()
	if j.last[object] == string(b) {
		j.mu.Unlock()
		return
	}
	j.last[object] = string(b)
	j.mu.Unlock()
	_ = j.conn.PushJSON(event, b)
}

func (u *Users) pushNotification(j *joined, n notifications.Notification) {
	name := "notification_created"
	if j.conn.DocsEventNames() {
		name = "notification"
	}
	b, err := json.Marshal(views.NewNotification(n))
	if err == nil {
		_ = j.conn.PushJSON(name, b)
	}
}

// pushFriends sends one friend_updated with the entries that changed
// (deduplicated per friend); the join snapshot is sent whole. Sockets with
// docs event names get friend_online/friend_offline per friend instead.
func (u *Users) pushFriends(j *joined, friends []user.Friend, snapshot bool) {
	entries := map[string]any{}
	for i := range friends {
		f := &friends[i]
		brief := views.NewMemberBrief(&f.User)
		entry := friendEntry{MemberBrief: brief, FriendshipID: f.FriendshipID}
		b, _ := json.Marshal(entry)
		key := "friend:" + f.User.ID
		j.mu.Lock()
		same := j.last[key] == string(b)
		j.last[key] = string(b)
		j.mu.Unlock()
		if same && !snapshot {
			continue
		}
		if j.conn.DocsEventNames() {
			if !snapshot || f.User.IsOnline {
				ev := "friend_offline"
				if f.User.IsOnline {
					ev = "friend_online"
				}
				_ = j.conn.Push(ev, map[string]any{"user_id": f.User.ID, "is_online": f.User.IsOnline})
			}
			continue
		}
		entries[f.User.ID] = json.RawMessage(b)
	}
	if j.conn.DocsEventNames() || (len(entries) == 0 && !snapshot) {
		return
	}
	_ = j.conn.Push("friend_updated", map[string]any{"friends": entries})
}

// friendEntry is MemberBrief plus friendship_id (API.md §5.4).
type friendEntry struct {
	views.MemberBrief
	FriendshipID string `json:"friendship_id"`
}
