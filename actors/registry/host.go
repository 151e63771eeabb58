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
)

// call is a message for an entity: a request when reply is set, a one-way
// message otherwise.
type call struct {
	kind, id string
	msg      any
	reply    ReplyFunc
	timer    bool // from Context.After: not activity, not re-routed
	ifActive bool // deliver only to an existing activation
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
// panic replies, deferred replies, passivation.
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
	stopRequested bool
	passivating   bool
	stopWG        *sync.WaitGroup
}

func (h *host) Receive(ac *actor.Context) {
	if h.pid == nil {
		h.pid = ac.PID()
	}
	switch m := ac.Message().(type) {
	case actor.Initialized, actor.Started, actor.Stopped:
		// Activation is lazy (first message) so a restart reloads state
		// before the redelivered messages are handled.
	case *call:
		h.onCall(m)
	case *committed:
		h.inflight--
		h.run(nil, func() (any, error) { return m.then(m.err) }, m.reply)
	case idleCheck:
		h.onIdle()
	case stopNow:
		h.stopWG = m.done
		h.stopRequested = true
	}
	if h.stopRequested && !h.passivating {
		h.passivate()
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
	if err := h.ent.Activate(ctx, &h.ctx); err != nil {
		h.activateErr = fmt.Errorf("registry: activate %s: %w", h.key, err)
		h.log.Warn("entity activation failed", "err", err)
		h.stopRequested = true
	}
	return h.activateErr
}

func (h *host) onCall(c *call) {
	if !c.timer {
		h.entry.touch()
	}
	if h.passivating {
		if !c.timer {
			h.reg.route(c) // to the next activation
		}
		return
	}
	if err := h.ensureActive(); err != nil {
		if c.reply != nil {
			c.reply(nil, err)
		}
		return
	}
	h.run(c, func() (any, error) { return h.ent.Handle(&h.ctx, c.msg) }, c.reply)
}

// run calls fn as the handling of c (nil for continuations) and answers
// reply unless the entity deferred it. A panic answers ErrPanic and is
// re-raised so hollywood restarts the actor from the store.
func (h *host) run(c *call, fn func() (any, error), reply ReplyFunc) {
	h.cur, h.detached = c, false
	defer func() {
		h.cur = nil
		if r := recover(); r != nil {
			h.log.Error("entity panicked; restarting from the store", "panic", r, "stack", string(debug.Stack()))
			if reply != nil && !h.detached {
				reply(nil, ErrPanic)
			}
			panic(r)
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
	if h.passivating || h.inflight > 0 {
		return
	}
	idle := time.Since(time.Unix(0, h.entry.lastActive.Load()))
	if idle < h.reg.idleTimeout(h.kind) {
		return
	}
	if ka, ok := h.ent.(KeepAliver); ok && h.activated && h.activateErr == nil && ka.KeepAlive() {
		return
	}
	h.passivate()
}

// passivate removes the entity from the table (so new messages activate a
// fresh instance), runs its Passivate hook and stops the actor; messages
// already in the mailbox are re-routed to the next activation.
func (h *host) passivate() {
	if h.passivating {
		return
	}
	if h.inflight > 0 {
		h.stopRequested = true // retried once the pending commits are answered
		return
	}
	if h.stopWG != nil {
		defer h.stopWG.Done()
	}
	if p, ok := h.ent.(Passivator); ok && h.activated && h.activateErr == nil {
		ctx, cancel := context.WithTimeout(context.Background(), h.reg.cfg.RequestTimeout)
		func() {
			defer func() {
				if r := recover(); r != nil {
					h.log.Error("entity Passivate panicked", "panic", r)
				}
			}()
			p.Passivate(ctx, &h.ctx)
		}()
		cancel()
	}
	h.reg.remove(h.key, h.entry)
	h.passivating = true
	h.reg.engine.Poison(h.pid)
}
