package registry

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/anthdm/hollywood/actor"

	"github.com/gamend-go/gamend/persistence/writebehind"
)

// Errors returned by the registry itself.
var (
	// ErrPanic answers a request whose handler panicked; the entity is
	// restarted from the store.
	ErrPanic = errors.New("registry: entity handler panicked")
	// ErrUnknownKind is returned for a kind no member hosts.
	ErrUnknownKind = errors.New("registry: unknown entity kind")
	// ErrStopped is returned after the registry was stopped.
	ErrStopped = errors.New("registry: stopped")
	// ErrNoReply is returned when an entity dropped a deferred reply.
	ErrNoReply = errors.New("registry: entity did not reply")
	// ErrNotActive answers a request sent with if-active semantics to an
	// entity that is not active.
	ErrNotActive = errors.New("registry: entity not active")
	// ErrUnregisteredMessage is returned when a request, one-way message,
	// node message or reply has a Go type not registered with
	// RegisterMessage. It is enforced for local deliveries too: every
	// message must be able to cross nodes.
	ErrUnregisteredMessage = errors.New("registry: message type not registered")
)

func init() {
	RegisterError("registry.panic", ErrPanic)
	RegisterError("registry.unknown_kind", ErrUnknownKind)
	RegisterError("registry.stopped", ErrStopped)
	RegisterError("registry.not_active", ErrNotActive)
	RegisterError("registry.unregistered_message", ErrUnregisteredMessage)
}

// Entity is the behaviour of one entity actor. Its methods run on the
// actor's mailbox goroutine, one at a time, so an Entity needs no locks.
type Entity interface {
	// Activate loads the entity's state; it runs before the first message
	// of every activation, including after a restart.
	Activate(ctx context.Context, c *Context) error
	// Handle processes one message. Its result is the reply to Request (and
	// is ignored for Send). Return Deferred after taking the reply with
	// Context.Reply or Context.Commit to answer later.
	Handle(c *Context, msg any) (any, error)
}

// Passivator is implemented by entities that need to flush or announce
// something before they are passivated or the node stops.
type Passivator interface {
	Passivate(ctx context.Context, c *Context)
}

// KeepAliver is implemented by entities that must not be passivated while
// they hold live state (for example subscribed sockets).
type KeepAliver interface {
	KeepAlive() bool
}

// Kind describes one kind of entity.
type Kind struct {
	// Name is the kind, e.g. "lobby"; it is part of every address.
	Name string
	// New makes an empty entity for id; Activate fills it.
	New func(id string) Entity
	// IdleTimeout passivates an entity that got no message for this long
	// (default: the registry's IdleTimeout).
	IdleTimeout time.Duration
}

// deferredT marks a reply that will be sent later.
type deferredT struct{}

// Deferred is returned by Entity.Handle when the reply is sent later.
var Deferred any = deferredT{}

// ReplyFunc answers a request; calling it more than once has no effect.
type ReplyFunc func(v any, err error)

// Context is an entity's handle on its actor: identity, the registry, the
// write-behind store, timers and deferred replies.
type Context struct {
	h *host
}

// ID is the entity id.
func (c *Context) ID() string { return c.h.id }

// Kind is the entity kind.
func (c *Context) Kind() string { return c.h.kind.Name }

// Registry is the registry, for calling other entities.
func (c *Context) Registry() *Registry { return c.h.reg }

// Store is the write-behind queue.
func (c *Context) Store() *writebehind.Queue { return c.h.reg.store }

// Logger is a logger carrying the entity kind and id.
func (c *Context) Logger() *slog.Logger { return c.h.logger() }

// Reply detaches the reply of the message being handled, to be answered
// later from any goroutine; Handle must then return Deferred. For a Send the
// returned function does nothing.
func (c *Context) Reply() ReplyFunc {
	cur := c.h.cur
	if cur == nil || cur.reply == nil {
		return func(any, error) {}
	}
	c.h.detached = true
	return cur.once()
}

// Commit queues op on the write-behind store under this entity's key and
// returns Deferred. When op is acknowledged (committed or failed), then runs
// on the mailbox with its error, and then's result answers the request.
// Memory may be mutated before Commit; then should compensate on error and
// emit events on success.
func (c *Context) Commit(op writebehind.Op, then func(err error) (any, error)) (any, error) {
	reply := c.Reply()
	c.h.inflight++
	self := c.h.pid
	eng := c.h.reg.engine
	c.h.reg.store.SubmitFunc(c.h.key, op, func(err error) {
		eng.Send(self, &committed{err: err, then: then, reply: reply})
	})
	return Deferred, nil
}

// Tell sends msg to this entity's own mailbox (handled after the current
// message, as a Send).
func (c *Context) Tell(msg any) {
	c.h.reg.engine.Send(c.h.pid, &call{kind: c.h.kind.Name, id: c.h.id, msg: msg})
}

// After delivers msg to this entity's mailbox after d, unless the returned
// stop function is called first. A passivated entity's timers die with it.
func (c *Context) After(d time.Duration, msg any) (stop func() bool) {
	eng, pid := c.h.reg.engine, c.h.pid
	t := time.AfterFunc(d, func() { eng.Send(pid, &call{kind: c.h.kind.Name, id: c.h.id, msg: msg, timer: true}) })
	return t.Stop
}

// Stop passivates the entity after the current message and any commit it
// has in flight (for example when the lobby it holds was deleted).
func (c *Context) Stop() { c.h.stopRequested = true }

// PID is the actor's process id (for tests and diagnostics).
func (c *Context) PID() *actor.PID { return c.h.pid }
