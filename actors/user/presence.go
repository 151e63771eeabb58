package user

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/gamend-go/gamend/actors/notifications"
	"github.com/gamend-go/gamend/actors/registry"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
)

// Kind is the registry kind of user actors.
const Kind = "user"

// Subscriber is one joined user:{id} channel somewhere in the cluster: the
// node holding the socket and a key the node's realtime layer resolves.
type Subscriber struct {
	Node string `json:"node"`
	Key  string `json:"key"`
}

// Friend is an accepted friend with the friendship's id.
type Friend struct {
	User         users.Row `json:"user"`
	FriendshipID string    `json:"friendship_id"`
}

// Event is what a user actor delivers to its subscribers; exactly one field
// is set. Rows are Sanitized (no password hash).
type Event struct {
	// Self is the user's own profile ("updated").
	Self *users.Row `json:"self,omitempty"`
	// Friends are friend entries whose profile or presence changed
	// ("friend_updated").
	Friends []Friend `json:"friends,omitempty"`
	// Notification was created or updated for the user
	// ("notification_created").
	Notification *notifications.Notification `json:"notification,omitempty"`
}

// Deliverer hands events to subscribers; the realtime transport implements
// it (rendering the wire payload, deduplicating, routing across nodes). It
// must not block.
type Deliverer interface {
	Deliver(sub Subscriber, ev Event)
}

// Change is a presence or profile change announced to the features that
// show the user (friends are built in; lobby, party and groups plug in).
type Change int

// Changes.
const (
	WentOnline Change = iota + 1
	WentOffline
	ProfileUpdated
)

// PresenceChange is one change of a user, as presence hooks see it.
type PresenceChange struct {
	// User is the user's row after the change (Sanitized). Its LobbyID
	// and PartyID name the lobby and party that show the user ("" for
	// none).
	User   users.Row
	Change Change
	// GroupIDs are the groups the user is a member of (group_members),
	// read when the change is announced; sorted, nil for none.
	GroupIDs []string
}

// PresenceHook is told about a user's changes after they are durable, so
// lobby/party/group actors can broadcast user_online/member_offline/
// member_updated to their members: each feature routes the change to the
// entity the user belongs to (ch.User.LobbyID, ch.User.PartyID, each of
// ch.GroupIDs), whose actor holds its member set and subscribers. Hooks
// run on the announcing goroutine (a user actor, the sweeper or a REST
// handler's write completion): they must not block (send to an actor,
// never wait on one).
type PresenceHook func(ctx context.Context, ch PresenceChange)

// Messages of the user actor (they cross nodes).
type (
	// Subscribe adds a joined user:{id} channel; the first one brings the
	// user online. The reply is a SubscribeReply.
	Subscribe struct{ Sub Subscriber }
	// SubscribeReply carries the user's current row and accepted friends
	// (Sanitized), for the pushes that follow a join.
	SubscribeReply struct {
		User    users.Row
		Friends []Friend
	}
	// Unsubscribe removes a channel; when the last one goes, the user goes
	// offline after the grace period.
	Unsubscribe struct{ Sub Subscriber }
	// ProfileChanged makes the actor reload the profile and announce it.
	ProfileChanged struct{}
	// Deliver forwards an event to every subscriber (sent with
	// SendIfActive: offline users have no actor and need none).
	Deliver struct{ Event Event }
	// FriendChanged tells the actor one of its friends changed.
	FriendChanged struct{ Friend Friend }
	// Swept tells an active actor that the stale-presence sweeper wrote
	// its user offline; an actor still online writes the user back
	// online (its refresh fell behind), and nobody is told anything.
	Swept struct{}
)

type (
	goOffline struct{ Gen int }
	refresh   struct{}
)

func init() {
	registry.RegisterMessage[Subscribe]("user.Subscribe")
	registry.RegisterMessage[SubscribeReply]("user.SubscribeReply")
	registry.RegisterMessage[Unsubscribe]("user.Unsubscribe")
	registry.RegisterMessage[ProfileChanged]("user.ProfileChanged")
	registry.RegisterMessage[Deliver]("user.Deliver")
	registry.RegisterMessage[FriendChanged]("user.FriendChanged")
	registry.RegisterMessage[Swept]("user.Swept")
	// Timers normally reach the actor directly, but a Tell to a retired
	// activation is routed like any message and must be registered too.
	registry.RegisterMessage[goOffline]("user.goOffline")
	registry.RegisterMessage[refresh]("user.refresh")
}

// Sanitize returns a copy of r safe to hand around and send across nodes:
// without the password hash (views only need HasPassword, which
// PasswordSet keeps).
func Sanitize(r users.Row) users.Row {
	r.PasswordSet = r.HasPassword()
	r.HashedPassword = ""
	return r
}

// PresenceOptions configure user actors.
type PresenceOptions struct {
	Deliverer Deliverer
	// Grace keeps a user online this long after the last channel closed
	// (reconnects do not flap presence). Default 5 s.
	Grace time.Duration
	// RefreshEvery refreshes last_seen_at while online (API.md §5.3:
	// every 3 min, well inside the sweeper's 300 s). Default 3 min.
	RefreshEvery time.Duration
	// Resync, when set, is called when a user actor (re)activates, so the
	// nodes re-send Subscribe for channels they still hold (after a panic
	// restart or a placement change the subscriber set is rebuilt).
	Resync func(userID string)
	Hooks  []PresenceHook
	// Cache, when set, serves activation reads (a socket connect has just
	// loaded the user to check its token).
	Cache  *users.Cache
	Logger *slog.Logger
}

// Presence configures and creates user actors.
type Presence struct {
	opts PresenceOptions
	reg  *registry.Registry

	hooksMu sync.RWMutex // guards opts.Hooks (AddHook may run while actors announce)
}

// NewPresence returns the user actor factory; register its Kind with the
// registry before the registry starts, then call Attach.
func NewPresence(opts PresenceOptions) *Presence {
	if opts.Grace <= 0 {
		opts.Grace = 5 * time.Second
	}
	if opts.RefreshEvery <= 0 {
		opts.RefreshEvery = 3 * time.Minute
	}
	return &Presence{opts: opts}
}

// AddHook registers a presence hook (normally during start-up; it takes
// effect for changes announced after it returns).
func (p *Presence) AddHook(h PresenceHook) {
	p.hooksMu.Lock()
	defer p.hooksMu.Unlock()
	p.opts.Hooks = append(p.opts.Hooks[:len(p.opts.Hooks):len(p.opts.Hooks)], h)
}

func (p *Presence) hooks() []PresenceHook {
	p.hooksMu.RLock()
	defer p.hooksMu.RUnlock()
	return p.opts.Hooks
}

// SetDeliverer installs the transport (call during start-up).
func (p *Presence) SetDeliverer(d Deliverer) { p.opts.Deliverer = d }

// SetResync installs the resubscription callback (call during start-up).
func (p *Presence) SetResync(fn func(userID string)) { p.opts.Resync = fn }

// Kind returns the registry kind of user actors.
func (p *Presence) Kind() registry.Kind {
	return registry.Kind{Name: Kind, IdleTimeout: time.Minute, New: func(id string) registry.Entity {
		return &actor{id: id, p: p}
	}}
}

// Attach gives the factory its registry (after registry.New).
func (p *Presence) Attach(reg *registry.Registry) { p.reg = reg }

// ProfileChanged announces a profile change (wire it to
// Profiles.OnUpdated): a connected user's actor reloads and pushes updated
// to the user's channels and friend_updated to friends; for a user who is
// not connected the friends and hooks are told directly.
func (p *Presence) ProfileChanged(userID string) {
	if p.reg == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), registryTimeout)
	defer cancel()
	_, err := p.reg.RequestIfActive(ctx, Kind, userID, ProfileChanged{})
	if !errors.Is(err, registry.ErrNotActive) {
		return
	}
	db := p.reg.Store().DB()
	r, err := users.Get(ctx, db, userID)
	if err != nil {
		return // deleted meanwhile
	}
	p.announce(ctx, db, Sanitize(*r), ProfileUpdated, nil)
}

// NotificationCreated implements notifications.Pusher: the notification is
// delivered to the recipient's channels if they are connected.
func (p *Presence) NotificationCreated(n notifications.Notification) {
	if p.reg != nil {
		_ = p.reg.SendIfActive(Kind, n.RecipientID, Deliver{Event: Event{Notification: &n}})
	}
}

// sweptOffline announces that the sweeper wrote userID offline: an
// active actor is asked first (it may still be online, in which case it
// writes the user back and nothing is announced); otherwise friends get
// friend_updated with the user offline and hooks get WentOffline.
func (p *Presence) sweptOffline(ctx context.Context, userID string) {
	if p.reg == nil {
		return
	}
	if p.opts.Cache != nil {
		p.opts.Cache.Invalidate(userID)
	}
	ctx, cancel := context.WithTimeout(ctx, registryTimeout)
	defer cancel()
	_, err := p.reg.RequestIfActive(ctx, Kind, userID, Swept{})
	if !errors.Is(err, registry.ErrNotActive) {
		return // the actor knows best (or the user is gone)
	}
	db := p.reg.Store().DB()
	r, err := users.Get(ctx, db, userID)
	if err != nil || r.IsOnline {
		return // deleted, or online again meanwhile
	}
	p.announce(ctx, db, Sanitize(*r), WentOffline, nil)
}

// announce tells friends and hooks about a change of u (after it is
// durable). friends, when not nil, is u's friend list already loaded.
func (p *Presence) announce(ctx context.Context, db *persistence.DB, u users.Row, change Change, friends []FriendRef) {
	if friends == nil {
		friends, _ = FriendIDs(ctx, db, u.ID)
	}
	for _, f := range friends {
		_ = p.reg.SendIfActive(Kind, f.UserID, FriendChanged{Friend: Friend{User: u, FriendshipID: f.FriendshipID}})
	}
	hooks := p.hooks()
	if len(hooks) == 0 {
		return
	}
	ch := PresenceChange{User: u, Change: change}
	var err error
	if ch.GroupIDs, err = GroupIDs(ctx, db, u.ID); err != nil {
		p.logger().Warn("loading groups failed; presence hooks see none", "user_id", u.ID, "err", err)
	}
	for _, h := range hooks {
		h(ctx, ch)
	}
}

// GroupIDs lists the groups userID is a member of, sorted (nil for none).
func GroupIDs(ctx context.Context, q persistence.Querier, userID string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT group_id FROM group_members WHERE user_id = ? ORDER BY group_id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (p *Presence) logger() *slog.Logger {
	if p.opts.Logger != nil {
		return p.opts.Logger
	}
	return slog.Default()
}
