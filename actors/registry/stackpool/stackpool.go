// Package stackpool runs functions on goroutines that outlive them, so a
// deep call pays for growing a goroutine's stack once per worker instead of
// once per call.
//
// A new goroutine starts with a small stack; a call that goes deep (an
// SQLite query through the pure-Go driver, JSON encoding, a channel join)
// grows it by copying it, frame by frame, and the grown stack is freed when
// the goroutine ends. Two places start such calls on short-lived or
// long-idle goroutines:
//   - the actor registry: hollywood starts a new goroutine each time an
//     idle actor's mailbox gets a message. Stack growth there was 6% of the
//     server's CPU while 10,000 sockets joined and 3% at 5,000
//     notifications/s; pooled, the server spends 2–5% less CPU on both
//     (docs/BENCHMARKS.md);
//   - a socket's reader, which must keep the few KiB its reads need for the
//     life of the socket (transport/phoenix).
//
// Run hands the function to a worker and waits for it, so the caller's
// order of work is unchanged. The pool grows with the calls that run at
// once (a call waiting on the database holds its worker) and keeps at most
// maxIdle workers between bursts; the collector shrinks the stacks of
// workers that stay idle.
package stackpool

import (
	"fmt"
	"runtime/debug"
	"sync"
)

// Pool is a set of workers. The zero value is not usable; call New.
type Pool struct {
	mu      sync.Mutex
	idle    []*worker
	maxIdle int
	closed  bool
}

type worker struct {
	work chan func()
	done chan any // nil, or what the function panicked with
}

// Panic carries a function's panic, with the stack it happened on, back to
// the caller of Run.
type Panic struct {
	Value any
	Stack []byte
}

func (p Panic) String() string { return fmt.Sprintf("%v\n\n%s", p.Value, p.Stack) }

// New returns a pool that keeps at most maxIdle idle workers.
func New(maxIdle int) *Pool { return &Pool{maxIdle: maxIdle} }

// Run calls fn on a pooled worker and returns when fn has returned. A panic
// in fn is raised again on the caller's goroutine, as a Panic.
func (p *Pool) Run(fn func()) {
	w := p.get()
	w.work <- fn
	r := <-w.done
	p.put(w)
	if r != nil {
		panic(r)
	}
}

func (p *Pool) get() *worker {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return w
	}
	p.mu.Unlock()
	w := &worker{work: make(chan func()), done: make(chan any)}
	go w.loop()
	return w
}

func (p *Pool) put(w *worker) {
	p.mu.Lock()
	if !p.closed && len(p.idle) < p.maxIdle {
		p.idle = append(p.idle, w)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	close(w.work)
}

// Close ends the idle workers; workers in use end when their function
// returns, and calls that start later get a worker of their own.
func (p *Pool) Close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, w := range idle {
		close(w.work)
	}
}

// Idle is how many workers wait for a function.
func (p *Pool) Idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

func (w *worker) loop() {
	for fn := range w.work {
		w.done <- call(fn)
	}
}

func call(fn func()) (panicked any) {
	defer func() {
		if r := recover(); r != nil {
			panicked = Panic{Value: r, Stack: debug.Stack()}
		}
	}()
	fn()
	return nil
}
