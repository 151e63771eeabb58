package registry

import (
	"bytes"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// goroutineID is the number runtime.Stack prints for the calling goroutine.
func goroutineID() string {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	return string(bytes.Fields(buf[:n])[1])
}

// deep uses about n KB of stack.
//
//go:noinline
func deep(n int) byte {
	var pad [1024]byte
	pad[n%1024] = byte(n)
	if n <= 1 {
		return pad[0]
	}
	return deep(n-1) + pad[n%1024]
}

func TestStackPoolReusesItsWorkers(t *testing.T) {
	p := newStackPool(2)
	defer p.close()
	caller := goroutineID()
	var first, second string
	p.run(func() { first = goroutineID(); deep(32) })
	p.run(func() { second = goroutineID() })
	if first == caller {
		t.Fatal("the handler ran on the caller's goroutine")
	}
	if second != first {
		t.Fatalf("the second handler ran on goroutine %s, not on the worker %s that grew its stack", second, first)
	}
}

func TestStackPoolKeepsAtMostMaxIdle(t *testing.T) {
	p := newStackPool(2)
	defer p.close()
	// Five handlers at once: five workers, of which two stay.
	var started, release sync.WaitGroup
	started.Add(5)
	release.Add(1)
	var done sync.WaitGroup
	for range 5 {
		done.Add(1)
		go func() {
			defer done.Done()
			p.run(func() { started.Done(); release.Wait() })
		}()
	}
	started.Wait()
	if n := p.idleCount(); n != 0 {
		t.Fatalf("%d idle workers while every worker is busy", n)
	}
	release.Done()
	done.Wait()
	if n := p.idleCount(); n != 2 {
		t.Fatalf("%d idle workers after the burst, want 2", n)
	}
}

func TestStackPoolRaisesPanicsOnTheCaller(t *testing.T) {
	p := newStackPool(2)
	defer p.close()
	var got any
	func() {
		defer func() { got = recover() }()
		p.run(func() { panic("boom") })
	}()
	hp, ok := got.(handlerPanic)
	if !ok {
		t.Fatalf("recovered %#v, want a handlerPanic", got)
	}
	if hp.value != "boom" || !strings.Contains(hp.String(), "TestStackPoolRaisesPanicsOnTheCaller") {
		t.Fatalf("panic %q does not carry the value and the handler's stack", hp.String())
	}
	// The worker survived and serves the next handler.
	if n := p.idleCount(); n != 1 {
		t.Fatalf("%d idle workers after a panic, want 1", n)
	}
	ran := false
	p.run(func() { ran = true })
	if !ran {
		t.Fatal("the next handler did not run")
	}
}

func TestStackPoolAfterClose(t *testing.T) {
	p := newStackPool(2)
	p.run(func() {})
	if p.idleCount() != 1 {
		t.Fatalf("%d idle workers, want 1", p.idleCount())
	}
	w := p.idle[0]
	p.close()
	// The idle worker's channel is closed, which ends its loop.
	select {
	case _, ok := <-w.work:
		if ok {
			t.Fatal("the idle worker got work after close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("close left the idle worker waiting for work")
	}
	// Handlers still run after close, and their workers are not kept.
	ran := false
	p.run(func() { ran = true })
	if !ran || p.idleCount() != 0 {
		t.Fatalf("after close: ran %v, %d idle workers", ran, p.idleCount())
	}
}

// BenchmarkStackPool is a handler that needs 32 KB of stack, the depth of
// an SQLite query, on a new goroutine per call (what hollywood's mailbox
// gives a handler when it is called directly) and through the pool.
func BenchmarkStackPool(b *testing.B) {
	b.Run("fresh-goroutine", func(b *testing.B) {
		done := make(chan struct{})
		for b.Loop() {
			go func() { deep(32); done <- struct{}{} }()
			<-done
		}
	})
	b.Run("pooled", func(b *testing.B) {
		p := newStackPool(maxIdleHandlers)
		defer p.close()
		done := make(chan struct{})
		for b.Loop() {
			go func() { p.run(func() { deep(32) }); done <- struct{}{} }()
			<-done
		}
	})
}
