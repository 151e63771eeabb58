package mail

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// DefaultMailboxSize is how many messages a Mailbox keeps by default.
const DefaultMailboxSize = 200

// Stored is a message kept by a Mailbox.
type Stored struct {
	ID      string
	From    string
	To      string
	Subject string
	Text    string
	SentAt  time.Time
}

// Mailbox is the development Mailer: it keeps the last Size messages in
// memory (oldest dropped first) so they can be read on the /dev/mailbox
// page. It is per process and forgets everything on restart. Safe for
// concurrent use.
type Mailbox struct {
	from string
	size int
	log  *slog.Logger

	mu   sync.Mutex
	seq  int
	msgs []Stored // oldest first
}

// NewMailbox returns a mailbox keeping at most size messages (0 =
// DefaultMailboxSize); from is shown as the sender.
func NewMailbox(size int, from string, log *slog.Logger) *Mailbox {
	if size <= 0 {
		size = DefaultMailboxSize
	}
	if log == nil {
		log = slog.Default()
	}
	return &Mailbox{from: from, size: size, log: log}
}

// Send stores m. It never fails.
func (b *Mailbox) Send(_ context.Context, m Message) error {
	b.mu.Lock()
	b.seq++
	s := Stored{ID: strconv.Itoa(b.seq), From: b.from, To: m.To, Subject: m.Subject, Text: m.Text, SentAt: time.Now().UTC()}
	if len(b.msgs) >= b.size {
		b.msgs = append(b.msgs[:0], b.msgs[len(b.msgs)-b.size+1:]...)
	}
	b.msgs = append(b.msgs, s)
	b.mu.Unlock()
	b.log.Info("e-mail kept in the development mailbox (no SMTP configured)", "mail_id", s.ID, "subject", s.Subject)
	return nil
}

// List returns the kept messages, newest first.
func (b *Mailbox) List() []Stored {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Stored, len(b.msgs))
	for i, m := range b.msgs {
		out[len(b.msgs)-1-i] = m
	}
	return out
}

// Get returns the message with the given id.
func (b *Mailbox) Get(id string) (Stored, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.msgs {
		if m.ID == id {
			return m, true
		}
	}
	return Stored{}, false
}
