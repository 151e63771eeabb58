package channels

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gamend-go/gamend/actors/notifications"
	"github.com/gamend-go/gamend/actors/registry"
	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/hooks"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/transport/phoenix"
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
	// joining is set until Join has pushed its snapshot and the events
	// held meanwhile: deliveries are held in held.
	joining atomic.Bool
	// subscribing is set while the channel's own Subscribe is on its way:
	// a resync must not send another. Once the actor answered, a resync
	// (the actor restarted) re-subscribes even while the snapshot is
	// still being pushed.
	subscribing atomic.Bool
	mu          sync.Mutex
	held        []user.Event // deliveries that arrived while joining
	// Dedupe: the hash of the last updated payload, and per friend the
	// last friend_updated entry and online flag sent (made on first use).
	lastSelf uint64
	friends  map[string]friendSeen
	// Debounce (REALTIME_DEBOUNCE_MS): the latest state per subject not
	// yet pushed, and the timer that pushes it.
	pendSelf    *users.Row
	pendFriends map[string]user.Friend
	timer       *time.Timer
}

// friendSeen is what a channel last sent about one friend.
type friendSeen struct {
	hash   uint64 // of the friend_updated entry
	online bool   // is_online in it (docs names: friend_online/offline)
}

// Users serves user:{id} topics and delivers user actor events to them.
type Users struct {
	reg    *registry.Registry
	db     *persistence.DB
	notifs *notifications.Service
	log    *slog.Logger

	// call_hook (see SetHooks) and REALTIME_DEBOUNCE_MS (SetDebounce).
	hooks       hooks.Hooks
	maxArgs     int
	maxArgBytes int
	debounce    time.Duration

	// closeSockets closes every socket of a user on this node.
	closeSockets func(userID string) int

	// joinSeam, when set (tests only), runs inside Join at the named
	// stage ("before_replay", "after_replay") with the joining channel.
	joinSeam func(stage string, j *joined)

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
	return &Users{reg: reg, db: db, log: log, hooks: hooks.None{}, chans: map[string]*joined{}, byUser: map[string]map[string]*joined{}}
}

// SetHooks routes call_hook pushes to h (hooks.None, the default, answers
// not_implemented), with the argument limits LIMIT_MAX_HOOK_ARGS_COUNT
// and LIMIT_MAX_HOOK_ARGS_SIZE (<= 0: none). Call during start-up.
func (u *Users) SetHooks(h hooks.Hooks, maxArgs, maxArgBytes int) {
	u.hooks, u.maxArgs, u.maxArgBytes = h, maxArgs, maxArgBytes
}

// SetDebounce coalesces updated and friend_updated pushes
// (REALTIME_DEBOUNCE_MS, API.md §5.4): with d > 0, a change of the user or
// of a friend is pushed d after the first change of that subject since
// the last push, as the latest state then; changes in between are not
// sent. 0 (the default) pushes every change at once. Join snapshots (with
// the events held while joining) and notifications are never delayed.
// Call during start-up.
func (u *Users) SetDebounce(d time.Duration) { u.debounce = d }

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
			if !j.conn.Closed() && !j.subscribing.Load() {
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
	j.subscribing.Store(true)
	u.mu.Lock()
	u.chans[key] = j
	if u.byUser[id] == nil {
		u.byUser[id] = map[string]*joined{}
	}
	u.byUser[id][key] = j
	u.mu.Unlock()
	sub := user.Subscriber{Node: u.reg.NodeID(), Key: key}
	v, err := u.reg.Request(ctx, user.Kind, id, user.Subscribe{Sub: sub})
	j.subscribing.Store(false)
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
	// The snapshot: updated, friend_updated, the latest notifications.
	// Everything the actor delivers from the Subscribe on is held (j.held)
	// and applied after it, in order, so a change made meanwhile is never
	// overtaken by the older snapshot, and a notification created between
	// the Subscribe and the query below is sent once, after the replay.
	u.pushSelf(j, &reply.User)
	u.pushFriends(j, reply.Friends, true)
	if u.joinSeam != nil {
		u.joinSeam("before_replay", j)
	}
	var replayed map[string]time.Time
	if u.notifs != nil {
		list, err := u.notifs.Latest(ctx, id, joinNotifications)
		if err != nil {
			u.log.Warn("loading notifications for join failed", "user_id", id, "err", err)
		}
		replayed = make(map[string]time.Time, len(list))
		for _, n := range list {
			replayed[n.ID] = n.UpdatedAt
			u.pushNotification(j, n)
		}
	}
	if u.joinSeam != nil {
		u.joinSeam("after_replay", j)
	}
	for {
		j.mu.Lock()
		held := j.held
		j.held = nil
		if len(held) == 0 {
			j.joining.Store(false)
			j.mu.Unlock()
			return nil, nil
		}
		j.mu.Unlock()
		for _, ev := range held {
			if n := ev.Notification; n != nil {
				if at, ok := replayed[n.ID]; ok && !n.UpdatedAt.After(at) {
					continue // in the replay already, as recent
				}
			}
			u.apply(j, ev, false)
		}
	}
}

// joinNotifications is how many notifications a join replays (§5.3).
const joinNotifications = 50

// HandleIn implements phoenix.Channel: the pushes of API.md §5.5.
func (u *Users) HandleIn(_ context.Context, c *phoenix.Conn, event string, payload json.RawMessage) (any, error) {
	switch event {
	case "call_hook":
		return u.callHook(c, payload)
	case "webrtc:offer", "webrtc:ice", "webrtc:close":
		return nil, replyErr(payload, "webrtc_disabled")
	}
	return nil, replyErr(payload, "unknown_event")
}

// replyErr answers {"error":code}, echoing the Godot SDK's _request_id.
func replyErr(payload json.RawMessage, code string) error {
	return &phoenix.ReplyError{Response: withRequestID(payload, map[string]any{"error": code})}
}

// withRequestID adds the push's _request_id, if any, to resp.
func withRequestID(payload json.RawMessage, resp map[string]any) map[string]any {
	var in struct {
		RequestID json.RawMessage `json:"_request_id"`
	}
	if json.Unmarshal(payload, &in) == nil && len(in.RequestID) > 0 && string(in.RequestID) != "null" {
		resp["_request_id"] = in.RequestID
	}
	return resp
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
	j.mu.Lock()
	if j.timer != nil {
		j.timer.Stop()
		j.timer, j.pendSelf, j.pendFriends = nil, nil, nil
	}
	j.mu.Unlock()
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
