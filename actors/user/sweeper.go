package user

import (
	"context"
	"log/slog"
	"time"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

// SweeperOptions configure the stale-presence sweeper (API.md §5.3).
type SweeperOptions struct {
	// Every is the sweep interval (default 120 s).
	Every time.Duration
	// Stale marks users offline whose last_seen_at is older (default
	// 300 s); connected users refresh it every 3 minutes.
	Stale time.Duration
	// Presence, when set, announces every user the sweep wrote offline as
	// a user going offline: friends get friend_updated, presence hooks
	// WentOffline (an actor that is in fact still online writes its user
	// back instead).
	Presence *Presence
	Logger   *slog.Logger
}

// Sweeper marks users offline whose presence went stale: a node that
// crashed left them online and nobody refreshes them.
type Sweeper struct {
	q    *writebehind.Queue
	opts SweeperOptions
	stop chan struct{}
	done chan struct{}
}

// StartSweeper runs the sweeper until Stop.
func StartSweeper(q *writebehind.Queue, opts SweeperOptions) *Sweeper {
	if opts.Every <= 0 {
		opts.Every = 120 * time.Second
	}
	if opts.Stale <= 0 {
		opts.Stale = 300 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Sweeper{q: q, opts: opts, stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *Sweeper) loop() {
	defer close(s.done)
	t := time.NewTicker(s.opts.Every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if n, err := s.Sweep(context.Background()); err != nil {
				s.opts.Logger.Warn("presence sweep failed", "err", err)
			} else if n > 0 {
				s.opts.Logger.Info("marked stale users offline", "users", n)
			}
		}
	}
}

// Sweep marks stale users offline now, announces each (see
// SweeperOptions.Presence) and returns how many it marked. When several
// nodes sweep at once, each user is marked, and announced, by one.
func (s *Sweeper) Sweep(ctx context.Context) (int64, error) {
	var ids []string
	cutoff := persistence.Now().Add(-s.opts.Stale)
	err := s.q.Do(ctx, "presence-sweep", func(ctx context.Context, tx *persistence.Tx) error {
		ids = ids[:0] // the queue may run the op again
		rows, err := tx.Query(ctx, `UPDATE users SET is_online = ? WHERE is_online = ? AND (last_seen_at IS NULL OR last_seen_at < ?) RETURNING id`,
			false, true, cutoff)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, err
	}
	if s.opts.Presence != nil {
		for _, id := range ids {
			s.opts.Presence.sweptOffline(ctx, id)
		}
	}
	return int64(len(ids)), nil
}

// Stop ends the sweeper.
func (s *Sweeper) Stop() {
	close(s.stop)
	<-s.done
}
