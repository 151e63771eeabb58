package registry

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anthdm/hollywood/actor"

	"github.com/gamend-go/gamend/persistence"
)

// call is a message for an entity: a request when reply is set, a one-way
// message otherwise.
type call struct {
	kind, id string
	msg      any
	reply    ReplyFunc
	timer    bool // from Context.After: not activity, not re-routed
	ifActive bool // deliver only to an existing activation
	checked  bool // reply already checks that its value can cross nodes
}

func (c *call) once() ReplyFunc {
	var done atomic.Bool
	r := c.reply
	return func(v any, err error) {
		if done.CompareAndSwap(false, true) {
			r(v, err)
		}
	}
}

// committed continues a Context.Commit on the mailbox.
type committed struct {
	err   error
	then  func(error) (any, error)
	reply ReplyFunc
}

// idleCheck is sent by the sweeper to entities idle past their timeout;
// stopNow is sent when the registry stops.
type (
	idleCheck struct{}
	stopNow   struct{ done *sync.WaitGroup }
)

// entry is a live activation in the local table.
type entry struct {
	pid        *actor.PID
	kind       *Kind
	lastActive atomic.Int64 // unix nanos
}

func (e *entry) touch() { e.lastActive.Store(time.Now().UnixNano()) }

// host adapts an Entity to a hollywood actor.Receiver: lazy activation,
// deferred replies, passivation, and panic containment.
//
// Lifecycle: an active host serves its mailbox. Retiring removes it from
// the table, so new messages activate a fresh instance; messages already in
// its mailbox are re-routed there. A retired host stays alive until the
// commits it started are answered, then stops. A panic retires the host at
// once (its state is suspect) and the next activation first waits for the
// panicked instance's writes (a write-behind barrier on the entity's key)
// before loading state from the store. Panics never reach hollywood, so
// its restart budget is never spent and a panic never takes the node down.
type host struct {
	reg   *Registry
	kind  *Kind
	id    string
	key   string
	entry *entry
	pid   *actor.PID
	log   *slog.Logger

	ent           Entity
	ctx           Context
	activated     bool
	activateErr   error
	cur           *call
	detached      bool
	inflight      int
	stopRequested bool // passivate once no commit is in flight
	retired       bool // removed from the table; re-routes new calls
	stopped       bool // poisoned
	stopWG        *sync.WaitGroup
}

// logger is the registry logger with the entity's kind and id, made on
// first use (most entities never log; a logger per actor costs memory).
func (h *host) logger() *slog.Logger {
	if h.log == nil {
		h.log = h.reg.log.With("kind", h.kind.Name, "id", h.id)
	}
	return h.log
}

func (h *host) Receive(ac *actor.Context) {
	h.reg.stacks.Run(func() { h.receive(ac) })
}

func (h *host) receive(ac *actor.Context) {
	if h.pid == nil {
		h.pid = ac.PID()
	}
	switch m := ac.Message().(type) {
	case *call:
		if !h.onCall(m) {
			// The actor context keeps its last message until the next
			// one arrives: drop what this call carried (a notification,
			// a reply closure), so an idle actor does not hold it.
			m.msg, m.reply = nil, nil
		}
	case *committed:
		h.inflight--
		h.run(&call{reply: m.reply}, func() (any, error) { return m.then(m.err) }, m.reply)
	case idleCheck:
		h.onIdle()
	case stopNow:
		if h.stopped { // already on its way out
			m.done.Done()
			return
		}
		if h.stopWG != nil {
			h.stopWG.Done() // a second stopNow: count it once
		}
		h.stopWG = m.done
		h.stopRequested = true
	}
	if h.stopRequested && !h.retired && h.inflight == 0 {
		h.retire(true)
	}
	if h.retired && !h.stopped && h.inflight == 0 {
		h.stopped = true
		h.reg.engine.Poison(h.pid)
		if h.stopWG != nil {
			h.stopWG.Done()
			h.stopWG = nil
		}
	}
}

func (h *host) ensureActive() error {
	if h.activated {
		return h.activateErr
	}
	h.activated = true
	h.ent = h.kind.New(h.id)
	h.ctx = Context{h: h}
	ctx, cancel := context.WithTimeout(context.Background(), h.reg.cfg.RequestTimeout)
	defer cancel()
	if _, ok := h.reg.barriers.LoadAndDelete(h.key); ok && h.reg.store != nil {
		// A panicked predecessor may still have writes queued: wait until
		// every op submitted under this key has been acknowledged.
		if err := h.reg.store.Do(ctx, h.key, func(context.Context, *persistence.Tx) error { return nil }); err != nil {
			h.logger().Warn("write-behind barrier before reactivation failed", "err", err)
		}
	}
	if err := h.ent.Activate(ctx, &h.ctx); err != nil {
		h.activateErr = fmt.Errorf("registry: activate %s: %w", h.key, err)
		h.logger().Warn("entity activation failed", "err", err)
		h.stopRequested = true
	}
	return h.activateErr
}

// onCall handles c, reporting whether it handed c on to another
// activation (which then owns it).
func (h *host) onCall(c *call) (handedOn bool) {
	if !c.timer {
		h.entry.touch()
	}
	if h.retired {
		if !c.timer {
			_, _ = h.reg.route(c) // to the next activation
			return true
		}
		return false
	}
	if err := h.ensureActive(); err != nil {
		if c.reply != nil {
			c.reply(nil, err)
		}
		return false
	}
	h.run(c, func() (any, error) { return h.ent.Handle(&h.ctx, c.msg) }, c.reply)
	return false
}

// run calls fn as the handling of c and answers reply unless the entity
// deferred it. A panic answers ErrPanic and retires the host.
func (h *host) run(c *call, fn func() (any, error), reply ReplyFunc) {
	h.cur, h.detached = c, false
	defer func() {
		h.cur = nil
		if r := recover(); r != nil {
			h.logger().Error("entity panicked; the next message reloads it from the store", "panic", r, "stack", string(debug.Stack()))
			if reply != nil && !h.detached {
				reply(nil, ErrPanic)
			}
			h.reg.barriers.Store(h.key, struct{}{})
			h.retire(false)
		}
	}()
	v, err := fn()
	if h.detached || reply == nil {
		return
	}
	if v == Deferred && err == nil {
		reply(nil, ErrNoReply) // Deferred without taking the reply
		return
	}
	reply(v, err)
}

func (h *host) onIdle() {
	if h.retired || h.inflight > 0 {
		return
	}
	idle := time.Since(time.Unix(0, h.entry.lastActive.Load()))
	if idle < h.reg.idleTimeout(h.kind) {
		return
	}
	if ka, ok := h.ent.(KeepAliver); ok && h.activated && h.activateErr == nil && ka.KeepAlive() {
		return
	}
	h.retire(true)
}

// retire removes the entity from the table so new messages activate a
// fresh instance, running its Passivate hook first when hook is set (not
// after a panic: the state is suspect). The actor stops once no commit of
// it is in flight.
func (h *host) retire(hook bool) {
	if h.retired {
		return
	}
	if p, ok := h.ent.(Passivator); hook && ok && h.activated && h.activateErr == nil {
		ctx, cancel := context.WithTimeout(context.Background(), h.reg.cfg.RequestTimeout)
		func() {
			defer func() {
				if r := recover(); r != nil {
					h.logger().Error("entity Passivate panicked", "panic", r)
				}
			}()
			p.Passivate(ctx, &h.ctx)
		}()
		cancel()
	}
	h.reg.remove(h.key, h.entry)
	h.retired = true
}
