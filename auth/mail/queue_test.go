package mail_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamend-go/gamend/auth/mail"
	"github.com/gamend-go/gamend/auth/mail/mailtest"
)

// scripted is a Mailer that answers each call with the next error of its
// script (nil once the script is used up) and records what it was given.
type scripted struct {
	mu     sync.Mutex
	script []error
	calls  int
	got    []mail.Message
}

func (s *scripted) Send(_ context.Context, m mail.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if len(s.script) > 0 {
		err := s.script[0]
		s.script = s.script[1:]
		return err
	}
	s.got = append(s.got, m)
	return nil
}

func (s *scripted) counts() (calls, delivered int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls, len(s.got)
}

func flush(t *testing.T, q *mail.Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := q.Flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
}

func stop(t *testing.T, q *mail.Queue) {
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
}

var transient = errors.New("451 4.3.0 try again later")

func TestQueueRetries(t *testing.T) {
	msg := mail.MagicLink("ann@example.com", "http://localhost/users/log-in/SECRET-TOKEN")
	tests := []struct {
		name                  string
		script                []error
		calls, delivered      int
		sent, retried, failed uint64
	}{
		{name: "transient failures are retried", script: []error{transient, transient}, calls: 3, delivered: 1, sent: 1, retried: 2},
		{name: "a permanent failure is not", script: []error{mail.Permanent(errors.New("550 5.1.1 no such user"))}, calls: 1, failed: 1},
		{name: "attempts are bounded", script: []error{transient, transient, transient, transient}, calls: 3, failed: 1, retried: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &scripted{script: tt.script}
			q := mail.NewQueue(m, mail.QueueOptions{Attempts: 3, Backoff: time.Millisecond})
			stop(t, q)
			if err := q.Send(context.Background(), msg); err != nil {
				t.Fatal(err)
			}
			flush(t, q)
			calls, delivered := m.counts()
			st := q.Stats()
			if calls != tt.calls || delivered != tt.delivered || st.Sent != tt.sent || st.Retried != tt.retried || st.Failed != tt.failed || st.Queued != 1 || st.Pending != 0 {
				t.Fatalf("calls %d delivered %d stats %+v; want calls %d delivered %d sent %d retried %d failed %d",
					calls, delivered, st, tt.calls, tt.delivered, tt.sent, tt.retried, tt.failed)
			}
		})
	}
}

// A failure is logged with the subject, never with the link, even when the
// relay quotes the message back.
func TestQueueLogsNoLink(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil))
	msg := mail.ResetPassword("ann@example.com", "http://localhost/users/reset-password/SECRET-TOKEN")
	echo := errors.New("554 rejected: " + msg.Text)
	q := mail.NewQueue(&scripted{script: []error{echo, mail.Permanent(echo)}}, mail.QueueOptions{Backoff: time.Millisecond, Logger: log})
	stop(t, q)
	if err := q.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	flush(t, q)
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if strings.Contains(out, "SECRET-TOKEN") || !strings.Contains(out, "Reset your password") || !strings.Contains(out, "e-mail not delivered") {
		t.Fatalf("log:\n%s", out)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// A full queue drops the message and counts it; Send never waits.
func TestQueueFullDrops(t *testing.T) {
	g := mailtest.NewGate()
	q := mail.NewQueue(g, mail.QueueOptions{Size: 1, Workers: 1})
	stop(t, q)
	ctx := context.Background()
	if err := q.Send(ctx, mail.Message{To: "a@example.com", Subject: "first"}); err != nil {
		t.Fatal(err)
	}
	g.WaitStarted(t) // the worker holds the first message
	if err := q.Send(ctx, mail.Message{To: "a@example.com", Subject: "second"}); err != nil {
		t.Fatal(err)
	}
	if err := q.Send(ctx, mail.Message{To: "a@example.com", Subject: "third"}); !errors.Is(err, mail.ErrQueueFull) {
		t.Fatalf("third send: %v, want ErrQueueFull", err)
	}
	if err := q.Later("fourth", func(context.Context) (mail.Message, bool, error) { return mail.Message{}, true, nil }); !errors.Is(err, mail.ErrQueueFull) {
		t.Fatalf("fourth: %v, want ErrQueueFull", err)
	}
	if st := q.Stats(); st.Dropped != 2 || st.Queued != 2 || st.Pending != 2 {
		t.Fatalf("stats %+v", st)
	}
	g.Release()
	flush(t, q)
	if n, st := len(g.Delivered()), q.Stats(); n != 2 || st.Sent != 2 || st.Pending != 0 {
		t.Fatalf("delivered %d, stats %+v", n, st)
	}
}

// Later composes in the worker: nothing to send is skipped, a compose
// error is a failure.
func TestQueueLater(t *testing.T) {
	m := &scripted{}
	q := mail.NewQueue(m, mail.QueueOptions{})
	stop(t, q)
	_ = q.Later("none", func(context.Context) (mail.Message, bool, error) { return mail.Message{}, false, nil })
	_ = q.Later("broken", func(context.Context) (mail.Message, bool, error) { return mail.Message{}, false, errors.New("db down") })
	_ = q.Later("link", func(context.Context) (mail.Message, bool, error) {
		return mail.MagicLink("bo@example.com", "http://x/users/log-in/t"), true, nil
	})
	flush(t, q)
	if _, n := m.counts(); n != 1 {
		t.Fatalf("delivered %d", n)
	}
	if st := q.Stats(); st.Skipped != 1 || st.Failed != 1 || st.Sent != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// Stop delivers what is queued, then refuses new messages.
func TestQueueStopDrains(t *testing.T) {
	box := mail.NewMailbox(0, "", nil)
	q := mail.NewQueue(box, mail.QueueOptions{Workers: 1})
	for range 20 {
		if err := q.Send(context.Background(), mail.Message{To: "c@example.com", Subject: "s"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(box.List()); n != 20 {
		t.Fatalf("%d delivered, want 20", n)
	}
	if err := q.Send(context.Background(), mail.Message{}); !errors.Is(err, mail.ErrQueueClosed) {
		t.Fatalf("send after stop: %v", err)
	}
	if st := q.Stats(); st.Dropped != 1 || st.Sent != 20 {
		t.Fatalf("stats %+v", st)
	}
	if err := q.Stop(context.Background()); err != nil {
		t.Fatalf("second stop: %v", err)
	}
}

// Past Stop's deadline the delivery in flight is cancelled and the rest
// abandoned, counted and reported.
func TestQueueStopDeadline(t *testing.T) {
	g := mailtest.NewGate()
	q := mail.NewQueue(g, mail.QueueOptions{Workers: 1})
	_ = q.Send(context.Background(), mail.Message{Subject: "in flight"})
	g.WaitStarted(t)
	_ = q.Send(context.Background(), mail.Message{Subject: "waiting"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := q.Stop(ctx)
	if err == nil || !strings.Contains(err.Error(), "2 e-mail(s) abandoned") {
		t.Fatalf("stop: %v", err)
	}
	if st := q.Stats(); st.Failed != 2 || st.Sent != 0 || st.Pending != 0 {
		t.Fatalf("stats %+v", st)
	}
}
