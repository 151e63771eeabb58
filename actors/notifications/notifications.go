package notifications

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

// Notification is one stored notification.
type Notification struct {
	ID          string
	SenderID    string
	SenderName  string
	RecipientID string
	Title       string
	Content     string
	Metadata    map[string]any
	Read        bool
	InsertedAt  time.Time
	UpdatedAt   time.Time
}

// Pusher delivers a created or updated notification to its recipient's
// live sockets (notification_created on user:{id}).
type Pusher interface {
	NotificationCreated(n Notification)
}

// Limits are the notification limits of API.md §11.
type Limits struct {
	MaxTitle, MaxContent, MaxPerUser, MaxMetadataSize int
}

func (l *Limits) defaults() {
	if l.MaxTitle <= 0 {
		l.MaxTitle = 255
	}
	if l.MaxContent <= 0 {
		l.MaxContent = 10000
	}
	if l.MaxPerUser <= 0 {
		l.MaxPerUser = 500
	}
	if l.MaxMetadataSize <= 0 {
		l.MaxMetadataSize = 16384
	}
}

// Service creates, lists and deletes notifications.
type Service struct {
	db     *persistence.DB
	store  *writebehind.Queue
	limits Limits
	types  *Types
	pusher Pusher
	names  func(ctx context.Context, userID string) string
}

// New returns the service. pusher may be set later with SetPusher.
func New(store *writebehind.Queue, limits Limits) *Service {
	limits.defaults()
	s := &Service{db: store.DB(), store: store, limits: limits, types: NewTypes()}
	s.names = s.senderName
	return s
}

// SetPusher installs the live delivery of created notifications.
func (s *Service) SetPusher(p Pusher) { s.pusher = p }

// Types is the registry of notification types (system + plugin-declared).
func (s *Service) Types() *Types { return s.types }

// Limits returns the configured limits.
func (s *Service) Limits() Limits { return s.limits }

// Create is a notification to create or upsert.
type Create struct {
	SenderID    string
	RecipientID string
	Title       string
	Content     string
	Metadata    map[string]any
}

// validate checks lengths, metadata size and the metadata.type registry.
func (s *Service) validate(c *Create) error {
	fields := map[string][]string{}
	c.Title = strings.TrimSpace(c.Title)
	switch {
	case c.Title == "":
		fields["title"] = append(fields["title"], "can't be blank")
	case len([]rune(c.Title)) > s.limits.MaxTitle:
		fields["title"] = append(fields["title"], fmt.Sprintf("should be at most %d character(s)", s.limits.MaxTitle))
	}
	if len([]rune(c.Content)) > s.limits.MaxContent {
		fields["content"] = append(fields["content"], fmt.Sprintf("should be at most %d character(s)", s.limits.MaxContent))
	}
	if c.Metadata == nil {
		c.Metadata = map[string]any{}
	}
	if b, err := json.Marshal(c.Metadata); err != nil || len(b) > s.limits.MaxMetadataSize {
		fields["metadata"] = append(fields["metadata"], fmt.Sprintf("is too large (max %d bytes)", s.limits.MaxMetadataSize))
	}
	if t, ok := c.Metadata["type"]; ok {
		ts, isStr := t.(string)
		if !isStr || !s.types.Known(ts) {
			fields["metadata"] = append(fields["metadata"], "has an unknown notification type")
		}
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}

// Send is the player-facing send (POST /notifications): the recipient must
// be an accepted friend of the sender.
func (s *Service) Send(ctx context.Context, c Create) (Notification, error) {
	if c.RecipientID == "" {
		return Notification{}, ErrMissingRecipient
	}
	if c.RecipientID == c.SenderID {
		return Notification{}, ErrSelf
	}
	if err := s.validate(&c); err != nil {
		return Notification{}, err
	}
	if !persistence.ValidID(c.RecipientID) {
		return Notification{}, ErrNotFriends
	}
	friends, err := s.areFriends(ctx, c.SenderID, c.RecipientID)
	if err != nil {
		return Notification{}, err
	}
	if !friends {
		return Notification{}, ErrNotFriends
	}
	return s.create(ctx, c)
}

// Create is the internal API for system and admin notifications: no
// friendship requirement, upsert on (sender, recipient, title), pushed live
// after it is durable. Sender may equal recipient (self notifications).
func (s *Service) Create(ctx context.Context, c Create) (Notification, error) {
	if c.RecipientID == "" || c.SenderID == "" {
		return Notification{}, ErrMissingRecipient
	}
	if err := s.validate(&c); err != nil {
		return Notification{}, err
	}
	return s.create(ctx, c)
}

func (s *Service) areFriends(ctx context.Context, a, b string) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM friendships WHERE status = 'accepted'
		AND ((requester_id = ? AND target_id = ?) OR (requester_id = ? AND target_id = ?))`, a, b, b, a).Scan(&n)
	return n > 0, err
}

func (s *Service) create(ctx context.Context, c Create) (Notification, error) {
	return s.upsert(ctx, c, false)
}

// upsert writes c keyed by (sender, recipient, title) in one transaction;
// counting makes metadata.message_count 1 for a new row and the previous
// count + 1 for an existing one. It pushes the result once durable.
func (s *Service) upsert(ctx context.Context, c Create, counting bool) (Notification, error) {
	now := persistence.Now()
	n := Notification{SenderID: c.SenderID, RecipientID: c.RecipientID, Title: c.Title, Content: c.Content, UpdatedAt: now}
	err := s.store.Do(ctx, "notifications:"+c.RecipientID, func(ctx context.Context, tx *persistence.Tx) error {
		n.Metadata = c.Metadata
		if counting {
			var oldMeta []byte
			err := tx.QueryRow(ctx, `SELECT metadata FROM notifications WHERE sender_id = ? AND recipient_id = ? AND title = ?`,
				c.SenderID, c.RecipientID, c.Title).Scan(&oldMeta)
			if err != nil && !errors.Is(persistence.NotFound(err), persistence.ErrNotFound) {
				return err
			}
			n.Metadata = withCount(c.Metadata, oldMeta)
		}
		meta, err := persistence.JSON(n.Metadata)
		if err != nil {
			return err
		}
		// One statement inserts the row if the recipient holds fewer than
		// MaxPerUser, or updates the existing row of this (sender,
		// recipient, title), which keeps its id and inserted_at; it
		// returns nothing only for a new row over the cap, or an update
		// while the recipient is at the cap.
		var wasRead bool
		err = tx.QueryRowFast(ctx, upsertCapped(tx.Dialect().Name()),
			persistence.NewID(), c.SenderID, c.RecipientID, c.Title, c.Content, meta, now, now, c.RecipientID, s.limits.MaxPerUser).Scan(&n.ID, &n.InsertedAt, &wasRead)
		if err == nil && wasRead {
			// A resent notification is unread again. The upsert leaves
			// read out of its SET: SQLite rewrites the entry of every index
			// holding a column the SET names, even with an unchanged value,
			// and (recipient_id, read, inserted_at) would then cost each
			// resend a second dirty page.
			_, err = tx.Exec(ctx, `UPDATE notifications SET read = ? WHERE id = ?`, false, n.ID)
		}
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.QueryRowFast(ctx, `UPDATE notifications SET content = ?, metadata = ?, read = ?, updated_at = ?
				WHERE sender_id = ? AND recipient_id = ? AND title = ? RETURNING id, inserted_at`,
				c.Content, meta, false, now, c.SenderID, c.RecipientID, c.Title).Scan(&n.ID, &n.InsertedAt)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrTooMany
			}
		}
		return err
	})
	if s.db.Dialect().ForeignKeyViolation(err) {
		return Notification{}, s.unknownUsers(ctx, c)
	}
	if err != nil {
		return Notification{}, err
	}
	n.InsertedAt = n.InsertedAt.UTC()
	n.SenderName = s.names(ctx, c.SenderID)
	if s.pusher != nil {
		s.pusher.NotificationCreated(n)
	}
	return n, nil
}

// unknownUsers names which of c's users do not exist after a foreign-key
// violation (neither dialect's error says which key failed):
// ErrSenderUnknown, ErrRecipientUnknown, or both joined. A lookup that
// fails, or finds both (one was deleted and is back, or the violation had
// another cause), blames the recipient, the only party a player chooses.
func (s *Service) unknownUsers(ctx context.Context, c Create) error {
	var errs []error
	for _, u := range []struct {
		id  string
		err error
	}{{c.SenderID, ErrSenderUnknown}, {c.RecipientID, ErrRecipientUnknown}} {
		var n int
		if err := s.db.QueryRow(ctx, `SELECT count(*) FROM users WHERE id = ?`, u.id).Scan(&n); err == nil && n == 0 {
			errs = append(errs, u.err)
		}
	}
	if len(errs) == 0 {
		return ErrRecipientUnknown
	}
	return errors.Join(errs...)
}

// upsertCapped is the insert-or-update of a notification, inserting only
// while the recipient holds fewer than the cap (the last parameter).
// PostgreSQL needs the column types of a SELECT's parameters spelled out.
func upsertCapped(dialect string) string {
	if dialect == "postgres" {
		return upsertCappedPostgres
	}
	return upsertCappedSQLite
}

const upsertCappedSQLite = `INSERT INTO notifications (id, sender_id, recipient_id, title, content, metadata, read, inserted_at, updated_at)
	SELECT ?, ?, ?, ?, ?, ?, 0, ?, ?
	WHERE (SELECT count(*) FROM notifications WHERE recipient_id = ?) < ?
	ON CONFLICT (sender_id, recipient_id, title) DO UPDATE SET content = excluded.content, metadata = excluded.metadata,
		updated_at = excluded.updated_at
	RETURNING id, inserted_at, read`

const upsertCappedPostgres = `INSERT INTO notifications (id, sender_id, recipient_id, title, content, metadata, read, inserted_at, updated_at)
	SELECT ?::uuid, ?::uuid, ?::uuid, ?::text, ?::text, ?::jsonb, false, ?::timestamptz, ?::timestamptz
	WHERE (SELECT count(*) FROM notifications WHERE recipient_id = ?::uuid) < ?::bigint
	ON CONFLICT (sender_id, recipient_id, title) DO UPDATE SET content = excluded.content, metadata = excluded.metadata,
		updated_at = excluded.updated_at
	RETURNING id, inserted_at, read`

// SetNameLookup makes sender names come from fn (a cached user lookup)
// instead of a query per notification.
func (s *Service) SetNameLookup(fn func(ctx context.Context, userID string) string) { s.names = fn }

func (s *Service) senderName(ctx context.Context, id string) string {
	var name string
	_ = s.db.QueryRow(ctx, `SELECT display_name FROM users WHERE id = ?`, id).Scan(&name)
	return name
}
