package channels

import (
	"context"
	"encoding/json"
	"errors"
	"hash/maphash"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gamend-go/gamend/actors/notifications"
	"github.com/gamend-go/gamend/actors/registry"
	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
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

// disconnect asks every node to close the sockets of a user.
type disconnect struct {
	UserID string `json:"user_id"`
}

func init() {
	registry.RegisterMessage[remoteDelivery]("channels.remoteDelivery")
	registry.RegisterMessage[resync]("channels.resync")
	registry.RegisterMessage[disconnect]("channels.disconnect")
}

// joined is the per-channel state of a joined user:{id}.
type joined struct {
	conn *phoenix.Conn
	// joining is set while Join waits for the user actor: the channel's
	// own Subscribe is on its way, a resync must not send another.
	joining  atomic.Bool
	mu       sync.Mutex
	lastSelf uint64            // hash of the last updated payload (dedupe)
	friends  map[string]uint64 // friend id -> hash of its last entry, made on first use
}

// Users serves user:{id} topics and delivers user actor events to them.
type Users struct {
	reg    *registry.Registry
	db     *persistence.DB
	notifs *notifications.Service
	log    *slog.Logger

	// closeSockets closes every socket of a user on this node.
	closeSockets func(userID string) int

	mu     sync.RWMutex
	chans  map[string]*joined            // key -> channel
	byUser map[string]map[string]*joined // user id -> key -> channel
}

// NewUsers returns the user channel. Register its node handler before the
// registry starts (RegisterNode) and install it as the presence Deliverer.
func NewUsers(reg *registry.Registry, db *persistence.DB, log *slog.Logger) *Users {
	if log == nil {
		log = slog.Default()
	}
	return &Users{reg: reg, db: db, log: log, chans: map[string]*joined{}, byUser: map[string]map[string]*joined{}}
}

// SetNotifications gives the channel the notification service (for the
// notifications pushed on join).
func (u *Users) SetNotifications(n *notifications.Service) { u.notifs = n }

// SetSocketCloser installs the function that closes a user's sockets on
// this node (the socket endpoint's DisconnectUser).
func (u *Users) SetSocketCloser(fn func(userID string) int) { u.closeSockets = fn }

// DisconnectUser closes the user's sockets on every node (account deleted,
// tokens revoked): the client must authenticate again.
func (u *Users) DisconnectUser(userID string) {
	_ = u.reg.BroadcastNodes(nodeHandler, disconnect{UserID: userID})
}

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
	case disconnect:
		if u.closeSockets != nil {
			u.closeSockets(m.UserID)
		}
	case resync:
		u.mu.RLock()
		var subs []user.Subscriber
		for key, j := range u.byUser[m.UserID] {
			if !j.conn.Closed() && !j.joining.Load() {
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
	j := &joined{conn: c}
	j.joining.Store(true)
	defer j.joining.Store(false)
	u.mu.Lock()
	u.chans[key] = j
	if u.byUser[id] == nil {
		u.byUser[id] = map[string]*joined{}
	}
	u.byUser[id][key] = j
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
	u.pushSelf(j, &reply.User)
	u.pushFriends(j, reply.Friends, true)
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
	j, ok := u.chans[key]
	if !ok {
		return false
	}
	delete(u.chans, key)
	uid := j.conn.UserID()
	delete(u.byUser[uid], key)
	if len(u.byUser[uid]) == 0 {
		delete(u.byUser, uid)
	}
	return true
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
		u.pushSelf(j, ev.Self)
	case ev.Friends != nil:
		u.pushFriends(j, ev.Friends, false)
	case ev.Notification != nil:
		u.pushNotification(j, *ev.Notification)
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
// docs event names get friend_online/friend_offline per friend instead.
func (u *Users) pushFriends(j *joined, friends []user.Friend, snapshot bool) {
	entries := map[string]any{}
	for i := range friends {
		f := &friends[i]
		brief := views.NewMemberBrief(&f.User)
		entry := friendEntry{MemberBrief: brief, FriendshipID: f.FriendshipID}
		b, _ := phoenix.MarshalJSON(entry)
		h := payloadHash(b)
		j.mu.Lock()
		if j.friends == nil {
			j.friends = map[string]uint64{}
		}
		same := j.friends[f.User.ID] == h
		j.friends[f.User.ID] = h
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

// payloadHash fingerprints a rendered payload for deduplication.
func payloadHash(b []byte) uint64 { return maphash.Bytes(hashSeed, b) }

var hashSeed = maphash.MakeSeed()

// friendEntry is MemberBrief plus friendship_id (API.md §5.4).
type friendEntry struct {
	views.MemberBrief
	FriendshipID string `json:"friendship_id"`
}
