package registry

import (
	"fmt"
	"runtime/debug"
	"sync"
)

// stackPool runs entity handlers on goroutines that outlive them.
//
// Hollywood starts a new goroutine each time an idle actor's mailbox gets a
// message, and such a goroutine starts with a small stack. An entity handler
// runs deep: an SQLite query through the pure-Go driver, or the JSON
// encoding of a push, needs tens of kilobytes. So nearly every delivery to
// an entity grew a fresh stack by copying it (each copy walks every frame),
// and freed it again when the goroutine ended: 6% of the server's CPU while
// 10,000 sockets joined, 3% at 5,000 notifications/s. A pooled worker
// keeps the stack it grew, so the copies happen once per worker instead of
// once per delivery; net of the hand-off the server spends 2–5% less CPU
// on both (docs/BENCHMARKS.md).
//
// The actor's own goroutine hands the handler over and waits for it, so a
// mailbox is still handled one message at a time, in order. The pool grows
// with the handlers that run at once (a handler waiting on the database
// holds its worker) and keeps at most maxIdle workers between bursts; the
// collector shrinks the stacks of workers that stay idle.
type stackPool struct {
	mu      sync.Mutex
	idle    []*stackWorker
	maxIdle int
	closed  bool
}

type stackWorker struct {
	work chan func()
	done chan any // nil, or what the handler panicked with
}

// handlerPanic carries a handler's panic, with the stack it happened on,
// back to the actor's goroutine.
type handlerPanic struct {
	value any
	stack []byte
}

func (p handlerPanic) String() string { return fmt.Sprintf("%v\n\n%s", p.value, p.stack) }

func newStackPool(maxIdle int) *stackPool { return &stackPool{maxIdle: maxIdle} }

// run calls fn on a pooled worker and returns when fn has returned. A panic
// in fn is raised again on the caller's goroutine.
func (p *stackPool) run(fn func()) {
	w := p.get()
	w.work <- fn
	r := <-w.done
	p.put(w)
	if r != nil {
		panic(r)
	}
}

func (p *stackPool) get() *stackWorker {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return w
	}
	p.mu.Unlock()
	w := &stackWorker{work: make(chan func()), done: make(chan any)}
	go w.loop()
	return w
}

func (p *stackPool) put(w *stackWorker) {
	p.mu.Lock()
	if !p.closed && len(p.idle) < p.maxIdle {
		p.idle = append(p.idle, w)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	close(w.work)
}

// close ends the idle workers; workers in use end when their handler
// returns, and handlers that start later get a worker of their own.
func (p *stackPool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, w := range idle {
		close(w.work)
	}
}

// idleCount is how many workers wait for a handler.
func (p *stackPool) idleCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

func (w *stackWorker) loop() {
	for fn := range w.work {
		w.done <- runHandler(fn)
	}
}

func runHandler(fn func()) (panicked any) {
	defer func() {
		if r := recover(); r != nil {
			panicked = handlerPanic{value: r, stack: debug.Stack()}
		}
	}()
	fn()
	return nil
}
