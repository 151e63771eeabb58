// Package mailtest provides a fake mail.Mailer for tests of code that
// sends through a mail.Queue.
package mailtest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gamend-go/gamend/auth/mail"
)

// Gate is a mail.Mailer whose Send blocks until Release (or until its
// context ends), like an SMTP relay that hangs. Each call is announced
// before it blocks, so a test can tell "handed to the relay" from
// "delivered".
type Gate struct {
	started chan mail.Message
	release chan struct{}
	once    sync.Once

	mu        sync.Mutex
	delivered []mail.Message
}

// NewGate returns a closed gate.
func NewGate() *Gate {
	return &Gate{started: make(chan mail.Message, 64), release: make(chan struct{})}
}

// Send implements mail.Mailer.
func (g *Gate) Send(ctx context.Context, m mail.Message) error {
	g.started <- m
	select {
	case <-g.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.mu.Lock()
	g.delivered = append(g.delivered, m)
	g.mu.Unlock()
	return nil
}

// Release lets every blocked and future Send return. It is idempotent.
func (g *Gate) Release() { g.once.Do(func() { close(g.release) }) }

// Delivered returns the messages whose Send returned nil, in order.
func (g *Gate) Delivered() []mail.Message {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]mail.Message(nil), g.delivered...)
}

// WaitStarted returns the message of the next Send that started, failing
// t when none starts within 10 s.
func (g *Gate) WaitStarted(t testing.TB) mail.Message {
	t.Helper()
	select {
	case m := <-g.started:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("mailtest: no Send started")
		return mail.Message{}
	}
}
