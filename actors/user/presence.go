package user

import (
	"context"
	"errors"
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

// PresenceHook is told about a user's changes after they are durable, so
// lobby/party/group actors can broadcast user_online/member_offline/
// member_updated. u is Sanitized.
type PresenceHook func(ctx context.Context, u users.Row, change Change)

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
}

// Sanitize returns a copy of r safe to hand around and send across nodes:
// the password hash is replaced by a marker (views only need HasPassword).
func Sanitize(r users.Row) users.Row {
	if r.HashedPassword != "" {
		r.HashedPassword = "(set)"
	}
	return r
}

// PresenceOptions configure user actors.
type PresenceOptions struct {
	Deliverer Deliverer
	// Grace keeps a user online this long after the last channel closed
	// (reconnects do not flap presence). Default 5 s.
	Grace time.Duration
	// RefreshEvery refreshes last_seen_at while online. Default 3 min.
	RefreshEvery time.Duration
	// Resync, when set, is called when a user actor (re)activates, so the
	// nodes re-send Subscribe for channels they still hold (after a panic
	// restart or a placement change the subscriber set is rebuilt).
	Resync func(userID string)
	Hooks  []PresenceHook
	// Cache, when set, serves activation reads (a socket connect has just
	// loaded the user to check its token).
	Cache *users.Cache
}

// Presence configures and creates user actors.
type Presence struct {
	opts PresenceOptions
	reg  *registry.Registry
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

// AddHook registers a presence hook (call during start-up).
func (p *Presence) AddHook(h PresenceHook) { p.opts.Hooks = append(p.opts.Hooks, h) }

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

// announce tells friends and hooks about a change of u (after it is
// durable). friends, when not nil, is u's friend list already loaded.
func (p *Presence) announce(ctx context.Context, db *persistence.DB, u users.Row, change Change, friends []FriendRef) {
	if friends == nil {
		friends, _ = FriendIDs(ctx, db, u.ID)
	}
	for _, f := range friends {
		_ = p.reg.SendIfActive(Kind, f.UserID, FriendChanged{Friend: Friend{User: u, FriendshipID: f.FriendshipID}})
	}
	for _, h := range p.opts.Hooks {
		h(ctx, u, change)
	}
}
