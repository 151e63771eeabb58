package mail

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Queue defaults (QueueOptions zero values).
const (
	DefaultQueueSize   = 1000
	DefaultWorkers     = 2
	DefaultAttempts    = 5
	DefaultBackoff     = 2 * time.Second
	DefaultMaxBackoff  = time.Minute
	DefaultSendTimeout = time.Minute
)

// QueueOptions configures a Queue; zero values take the defaults above.
type QueueOptions struct {
	// Size is how many messages may wait; a message that finds the queue
	// full is dropped and counted, so a request never waits for mail.
	Size int
	// Workers deliver in parallel.
	Workers int
	// Attempts bounds the deliveries tried per message (the first one
	// included); only transient failures are retried (see Permanent).
	Attempts int
	// Backoff is the wait before the first retry; it doubles per retry up
	// to MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// SendTimeout bounds one delivery attempt (and one Compose).
	SendTimeout time.Duration
	Logger      *slog.Logger
}

// Compose builds a message inside a worker, off the request that asked
// for it: it may read the database and store the message's link token.
// ok = false sends nothing (the address has no account, for instance).
type Compose func(ctx context.Context) (m Message, ok bool, err error)

// Stats are the queue's counters since it started.
type Stats struct {
	Queued  uint64 `json:"queued"`  // accepted
	Sent    uint64 `json:"sent"`    // handed to the Mailer
	Skipped uint64 `json:"skipped"` // composed to nothing
	Retried uint64 `json:"retried"` // failed attempts that were retried
	Failed  uint64 `json:"failed"`  // given up: permanent failure, attempts used up, compose error, shutdown
	Dropped uint64 `json:"dropped"` // refused: queue full or closed
	Pending int64  `json:"pending"` // waiting or being delivered now
}

// Queue is the Mailer the server's code sends through: Send and Later only
// put the message in a bounded channel and return, and a fixed set of
// workers compose and deliver it to the underlying Mailer (SMTP or the
// development Mailbox), retrying transient failures with exponential
// backoff. So a request that mails a link takes the same time whether or
// not a mail goes out, and a slow or failing relay never holds a request.
//
// Failures and drops are counted (Stats) and logged with the message's
// subject, never its body or link. Stop drains the queue at shutdown.
// Safe for concurrent use.
type Queue struct {
	next Mailer
	opts QueueOptions
	log  *slog.Logger
	jobs chan job

	mu     sync.RWMutex // held for writing only to close jobs
	closed bool

	// ctx is cancelled when Stop's deadline passes: in-flight deliveries
	// and backoff waits end, and what is left is abandoned.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	idleMu  sync.Mutex
	pending int64
	idle    chan struct{} // closed when pending drops to 0

	queued, sent, skipped, retried, failed, dropped, abandoned atomic.Uint64
}

type job struct {
	label   string // the subject or kind of the message, for logs
	compose Compose
}

// NewQueue starts the workers delivering to next.
func NewQueue(next Mailer, opts QueueOptions) *Queue {
	if opts.Size <= 0 {
		opts.Size = DefaultQueueSize
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Attempts <= 0 {
		opts.Attempts = DefaultAttempts
	}
	if opts.Backoff <= 0 {
		opts.Backoff = DefaultBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = DefaultSendTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	q := &Queue{next: next, opts: opts, log: opts.Logger, jobs: make(chan job, opts.Size)}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	for range opts.Workers {
		q.wg.Add(1)
		go q.work()
	}
	return q
}

// Send queues m as it is and returns at once: nil when it was accepted,
// ErrQueueFull or ErrQueueClosed when it was dropped. ctx is not used: the
// delivery outlives the request that asked for it.
func (q *Queue) Send(_ context.Context, m Message) error {
	return q.enqueue(job{label: m.Subject, compose: func(context.Context) (Message, bool, error) { return m, true, nil }})
}

// Later queues a message that compose builds in a worker; label names it
// in logs (say "log-in link"). It returns like Send.
func (q *Queue) Later(label string, compose Compose) error {
	return q.enqueue(job{label: label, compose: compose})
}

func (q *Queue) enqueue(j job) error {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		q.dropped.Add(1)
		q.log.Warn("e-mail dropped: the mail queue is shut down", "mail", j.label)
		return ErrQueueClosed
	}
	q.begin()
	select {
	case q.jobs <- j:
		q.queued.Add(1)
		return nil
	default:
		q.end()
		q.dropped.Add(1)
		q.log.Warn("e-mail dropped: the mail queue is full", "mail", j.label, "capacity", q.opts.Size)
		return ErrQueueFull
	}
}

func (q *Queue) begin() {
	q.idleMu.Lock()
	if q.pending == 0 {
		q.idle = make(chan struct{})
	}
	q.pending++
	q.idleMu.Unlock()
}

func (q *Queue) end() {
	q.idleMu.Lock()
	q.pending--
	if q.pending == 0 {
		close(q.idle)
	}
	q.idleMu.Unlock()
}

func (q *Queue) work() {
	defer q.wg.Done()
	for j := range q.jobs {
		if q.ctx.Err() != nil {
			q.fail()
		} else {
			q.deliver(j)
		}
		q.end()
	}
}

// deliver composes j and hands the message to the Mailer, retrying
// transient failures.
func (q *Queue) deliver(j job) {
	cctx, cancel := context.WithTimeout(q.ctx, q.opts.SendTimeout)
	m, ok, err := j.compose(cctx)
	cancel()
	if err != nil {
		q.fail()
		q.log.Error("e-mail not sent: composing it failed", "mail", j.label, "err", err)
		return
	}
	if !ok {
		q.skipped.Add(1)
		return
	}
	delay := q.opts.Backoff
	for attempt := 1; ; attempt++ {
		sctx, cancel := context.WithTimeout(q.ctx, q.opts.SendTimeout)
		err := q.next.Send(sctx, m)
		cancel()
		if err == nil {
			q.sent.Add(1)
			return
		}
		msg := redact(err, m)
		if IsPermanent(err) || attempt >= q.opts.Attempts || q.ctx.Err() != nil {
			q.fail()
			q.log.Error("e-mail not delivered", "mail", j.label, "attempts", attempt, "permanent", IsPermanent(err), "err", msg)
			return
		}
		q.retried.Add(1)
		q.log.Warn("e-mail delivery failed, retrying", "mail", j.label, "attempt", attempt, "retry_in", delay, "err", msg)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-q.ctx.Done():
			t.Stop()
			q.fail()
			return
		}
		delay = min(2*delay, q.opts.MaxBackoff)
	}
}

// fail counts a message given up; past Stop's deadline it was abandoned.
func (q *Queue) fail() {
	q.failed.Add(1)
	if q.ctx.Err() != nil {
		q.abandoned.Add(1)
	}
}

// redact returns err's text without the link lines of m, should a relay
// quote the message back.
func redact(err error, m Message) string {
	s := err.Error()
	for _, line := range strings.Split(m.Text, "\n") {
		if line = strings.TrimSpace(line); strings.Contains(line, "://") {
			s = strings.ReplaceAll(s, line, "[link]")
		}
	}
	return s
}

// Flush waits until every message accepted so far (and any accepted
// meanwhile) was delivered, skipped or given up, or ctx ends. Tests use it
// to read the development mailbox without polling.
func (q *Queue) Flush(ctx context.Context) error {
	q.idleMu.Lock()
	if q.pending == 0 {
		q.idleMu.Unlock()
		return nil
	}
	idle := q.idle
	q.idleMu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop refuses new messages and delivers those queued until ctx ends;
// then in-flight deliveries are cancelled and the rest abandoned (counted
// as failed, and reported in the error). The Mailer must honour its
// context. Stop is idempotent.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	close(q.jobs)
	q.mu.Unlock()

	done := make(chan struct{})
	go func() {
		q.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		q.cancel()
		<-done
	}
	q.cancel()
	st := q.Stats()
	q.log.Info("mail queue stopped", "sent", st.Sent, "failed", st.Failed, "dropped", st.Dropped, "retried", st.Retried)
	if n := q.abandoned.Load(); n > 0 {
		return fmt.Errorf("mail: %d e-mail(s) abandoned at the shutdown deadline", n)
	}
	return nil
}

// Stats returns the counters.
func (q *Queue) Stats() Stats {
	q.idleMu.Lock()
	pending := q.pending
	q.idleMu.Unlock()
	return Stats{Queued: q.queued.Load(), Sent: q.sent.Load(), Skipped: q.skipped.Load(), Retried: q.retried.Load(),
		Failed: q.failed.Load(), Dropped: q.dropped.Load(), Pending: pending}
}
