package stackpool

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

func TestReusesItsWorkers(t *testing.T) {
	p := New(2)
	defer p.Close()
	caller := goroutineID()
	var first, second string
	p.Run(func() { first = goroutineID(); deep(32) })
	p.Run(func() { second = goroutineID() })
	if first == caller {
		t.Fatal("the handler ran on the caller's goroutine")
	}
	if second != first {
		t.Fatalf("the second handler ran on goroutine %s, not on the worker %s that grew its stack", second, first)
	}
}

func TestKeepsAtMostMaxIdle(t *testing.T) {
	p := New(2)
	defer p.Close()
	// Five handlers at once: five workers, of which two stay.
	var started, release sync.WaitGroup
	started.Add(5)
	release.Add(1)
	var done sync.WaitGroup
	for range 5 {
		done.Add(1)
		go func() {
			defer done.Done()
			p.Run(func() { started.Done(); release.Wait() })
		}()
	}
	started.Wait()
	if n := p.Idle(); n != 0 {
		t.Fatalf("%d idle workers while every worker is busy", n)
	}
	release.Done()
	done.Wait()
	if n := p.Idle(); n != 2 {
		t.Fatalf("%d idle workers after the burst, want 2", n)
	}
}

func TestRaisesPanicsOnTheCaller(t *testing.T) {
	p := New(2)
	defer p.Close()
	var got any
	func() {
		defer func() { got = recover() }()
		p.Run(func() { panic("boom") })
	}()
	hp, ok := got.(Panic)
	if !ok {
		t.Fatalf("recovered %#v, want a Panic", got)
	}
	if hp.Value != "boom" || !strings.Contains(hp.String(), "TestRaisesPanicsOnTheCaller") {
		t.Fatalf("panic %q does not carry the value and the handler's stack", hp.String())
	}
	// The worker survived and serves the next handler.
	if n := p.Idle(); n != 1 {
		t.Fatalf("%d idle workers after a panic, want 1", n)
	}
	ran := false
	p.Run(func() { ran = true })
	if !ran {
		t.Fatal("the next handler did not run")
	}
}

func TestAfterClose(t *testing.T) {
	p := New(2)
	p.Run(func() {})
	if p.Idle() != 1 {
		t.Fatalf("%d idle workers, want 1", p.Idle())
	}
	w := p.idle[0]
	p.Close()
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
	p.Run(func() { ran = true })
	if !ran || p.Idle() != 0 {
		t.Fatalf("after close: ran %v, %d idle workers", ran, p.Idle())
	}
}

// BenchmarkPool is a handler that needs 32 KB of stack, the depth of
// an SQLite query, on a new goroutine per call (what hollywood's mailbox
// gives a handler when it is called directly) and through the pool.
func BenchmarkPool(b *testing.B) {
	b.Run("fresh-goroutine", func(b *testing.B) {
		done := make(chan struct{})
		for b.Loop() {
			go func() { deep(32); done <- struct{}{} }()
			<-done
		}
	})
	b.Run("pooled", func(b *testing.B) {
		p := New(64)
		defer p.Close()
		done := make(chan struct{})
		for b.Loop() {
			go func() { p.Run(func() { deep(32) }); done <- struct{}{} }()
			<-done
		}
	})
}
