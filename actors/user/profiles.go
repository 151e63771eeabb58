package user

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

// BeforeUpdateFunc runs before a profile change is validated and written
// (the before_user_update pipeline of API.md §10.1): it gets the current
// row and the requested changes and returns the changes to apply, or an
// error to refuse the change (the caller gets a *RejectedError).
type BeforeUpdateFunc func(ctx context.Context, current *users.Row, ch Changes) (Changes, error)

// BeforeDeleteFunc runs before an account is deleted, in registration
// order, outside any transaction: the place where a feature that keeps
// live state (lobby, party, group actors) takes the user out of it. An
// error stops the deletion (ErrDeleteRefused); hooks that already ran are
// not undone, so they must leave consistent state on their own.
type BeforeDeleteFunc func(ctx context.Context, u *users.Row) error

// DeleteTxFunc runs inside the transaction that deletes the users row,
// before the DELETE: the place for plain SQL clean-up that no foreign key
// cascades (e.g. friend DMs addressed to the user). An error fails the
// whole deletion and nothing is written. It must be re-runnable (the
// write-behind queue may run a transaction again).
type DeleteTxFunc func(ctx context.Context, tx *persistence.Tx, u *users.Row) error

// Options configures Profiles.
type Options struct {
	Limits Limits
	Logger *slog.Logger
}

// Profiles is the store-backed profile service of the user domain. It is
// safe for concurrent use. Register hooks before serving requests.
type Profiles struct {
	db     *persistence.DB
	q      *writebehind.Queue
	limits Limits
	log    *slog.Logger

	mu           sync.RWMutex
	onUpdated    []func(userID string)
	onDeleted    []func(userID string)
	onActivated  []func(u *users.Row)
	beforeUpdate []BeforeUpdateFunc
	beforeDelete []BeforeDeleteFunc
	deleteInTx   []DeleteTxFunc
}

// NewProfiles builds the service on the write-behind queue (which also
// gives the database for reads).
func NewProfiles(q *writebehind.Queue, opts Options) *Profiles {
	opts.Limits.defaults()
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Profiles{db: q.DB(), q: q, limits: opts.Limits, log: opts.Logger}
}

// Limits returns the profile rules in force.
func (p *Profiles) Limits() Limits { return p.limits }

// OnUpdated registers fn to be told, after the write is acknowledged, that
// a user's profile or account data changed (the realtime layer pushes
// "updated" to the user and their lobby, party, groups and friends). fn runs
// on the writer's goroutine: it must not block.
func (p *Profiles) OnUpdated(fn func(userID string)) {
	p.mu.Lock()
	p.onUpdated = append(p.onUpdated, fn)
	p.mu.Unlock()
}

// OnDeleted registers fn to be told, after the deletion is acknowledged,
// that an account is gone (close its sockets, drop caches). It must not
// block.
func (p *Profiles) OnDeleted(fn func(userID string)) {
	p.mu.Lock()
	p.onDeleted = append(p.onDeleted, fn)
	p.mu.Unlock()
}

// OnActivated registers fn to be told, after the write is acknowledged,
// that an administrator activated an inactive account (upstream e-mails
// the user). It must not block.
func (p *Profiles) OnActivated(fn func(u *users.Row)) {
	p.mu.Lock()
	p.onActivated = append(p.onActivated, fn)
	p.mu.Unlock()
}

// BeforeUpdate adds a step to the before-update pipeline (run in
// registration order, each getting the previous one's output).
func (p *Profiles) BeforeUpdate(fn BeforeUpdateFunc) {
	p.mu.Lock()
	p.beforeUpdate = append(p.beforeUpdate, fn)
	p.mu.Unlock()
}

// BeforeDelete adds a clean-up step run before an account is deleted.
func (p *Profiles) BeforeDelete(fn BeforeDeleteFunc) {
	p.mu.Lock()
	p.beforeDelete = append(p.beforeDelete, fn)
	p.mu.Unlock()
}

// DeleteInTx adds a clean-up step run inside the deleting transaction.
func (p *Profiles) DeleteInTx(fn DeleteTxFunc) {
	p.mu.Lock()
	p.deleteInTx = append(p.deleteInTx, fn)
	p.mu.Unlock()
}

// NotifyUpdated tells the OnUpdated subscribers that userID changed. The
// service calls it after its own writes; auth's OnUserChanged is wired to
// it so password, device and provider changes take the same path. Call it
// only after the change was acknowledged.
func (p *Profiles) NotifyUpdated(userID string) {
	p.mu.RLock()
	fns := p.onUpdated
	p.mu.RUnlock()
	for _, fn := range fns {
		p.safely("updated", userID, func() { fn(userID) })
	}
}

func (p *Profiles) notifyDeleted(userID string) {
	p.mu.RLock()
	fns := p.onDeleted
	p.mu.RUnlock()
	for _, fn := range fns {
		p.safely("deleted", userID, func() { fn(userID) })
	}
}

func (p *Profiles) notifyActivated(u *users.Row) {
	p.mu.RLock()
	fns := p.onActivated
	p.mu.RUnlock()
	for _, fn := range fns {
		p.safely("activated", u.ID, func() { fn(u) })
	}
}

// safely runs a subscriber so that its panic cannot turn an acknowledged
// write into an error answer.
func (p *Profiles) safely(event, userID string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("user hook panicked", "event", event, "user_id", userID, "panic", r)
		}
	}()
	fn()
}

// Get loads a user (ErrNotFound when absent or id is not a UUID).
func (p *Profiles) Get(ctx context.Context, id string) (*users.Row, error) {
	u, err := users.Get(ctx, p.db, id)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, ErrNotFound
	}
	return u, err
}

// Update applies ch to the user: the before-update pipeline, then
// validation (a *ValidationError lists every problem), then one UPDATE
// through the write-behind queue. It returns the stored row. A taken
// username is a field error. Subscribers are told after the write is
// acknowledged; an empty change writes and tells nothing.
func (p *Profiles) Update(ctx context.Context, id string, ch Changes) (*users.Row, error) {
	cur, err := p.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	pipeline := p.beforeUpdate
	p.mu.RUnlock()
	for _, fn := range pipeline {
		if ch, err = fn(ctx, cur, ch); err != nil {
			return nil, &RejectedError{Reason: err.Error(), Err: err}
		}
	}
	ch = ch.Normalize()
	if err := ch.Validate(p.limits); err != nil {
		return nil, err
	}
	if ch.Empty() {
		return cur, nil
	}
	sets, args, err := updateSet(ch)
	if err != nil {
		return nil, err
	}
	args = append(args, persistence.Now(), id)
	query := `UPDATE users SET ` + strings.Join(sets, ", ") + `, updated_at = ? WHERE id = ?`
	var row *users.Row
	err = p.q.Do(ctx, "user:"+id, func(ctx context.Context, tx *persistence.Tx) error {
		res, err := tx.Exec(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		row, err = users.Get(ctx, tx, id)
		return err
	})
	if d, ok := persistence.IsUnique(err); ok && strings.Contains(d, "username") {
		return nil, &ValidationError{Fields: map[string][]string{"username": {msgTaken}}}
	}
	if err != nil {
		return nil, err
	}
	p.NotifyUpdated(id)
	if !cur.IsActivated && row.IsActivated {
		p.notifyActivated(row)
	}
	return row, nil
}

// updateSet turns the set fields of ch into SET clauses and arguments.
func updateSet(ch Changes) ([]string, []any, error) {
	var sets []string
	var args []any
	add := func(col string, v any) {
		sets = append(sets, col+" = ?")
		args = append(args, v)
	}
	if ch.DisplayName != nil {
		add("display_name", *ch.DisplayName)
	}
	if ch.Username != nil {
		add("username", *ch.Username)
	}
	if ch.IsAdmin != nil {
		add("is_admin", *ch.IsAdmin)
	}
	if ch.IsActivated != nil {
		add("is_activated", *ch.IsActivated)
	}
	if ch.Metadata != nil {
		m, err := persistence.JSON(ch.Metadata)
		if err != nil {
			return nil, nil, err
		}
		add("metadata", m)
	}
	return sets, args, nil
}

// Delete removes an account: the BeforeDelete hooks first, then one
// transaction that runs the DeleteInTx hooks and deletes the users row,
// which cascades to the user's own rows (tokens, notifications, memberships,
// friendships, messages, records, achievements, KV entries, a party the
// user leads) and clears references to it (lobby host, group creator).
// OnDeleted subscribers are told after the commit.
func (p *Profiles) Delete(ctx context.Context, id string) error {
	u, err := p.Get(ctx, id)
	if err != nil {
		return err
	}
	p.mu.RLock()
	before, inTx := p.beforeDelete, p.deleteInTx
	p.mu.RUnlock()
	for _, fn := range before {
		if err := fn(ctx, u); err != nil {
			return fmt.Errorf("%w: %w", ErrDeleteRefused, err)
		}
	}
	err = p.q.Do(ctx, "user:"+id, func(ctx context.Context, tx *persistence.Tx) error {
		for _, fn := range inTx {
			if err := fn(ctx, tx, u); err != nil {
				return err
			}
		}
		res, err := tx.Exec(ctx, `DELETE FROM users WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return err
	}
	p.log.Info("account deleted", "user_id", id)
	p.notifyDeleted(id)
	return nil
}
