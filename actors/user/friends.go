package user

import (
	"context"
	"time"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
)

const registryTimeout = 5 * time.Second

// FriendRef is an accepted friend's id and the friendship's id.
type FriendRef struct {
	UserID       string
	FriendshipID string
}

// FriendIDs lists the accepted friends of userID.
func FriendIDs(ctx context.Context, q persistence.Querier, userID string) ([]FriendRef, error) {
	rows, err := q.Query(ctx, `SELECT id, CASE WHEN requester_id = ? THEN target_id ELSE requester_id END
		FROM friendships WHERE status = 'accepted' AND (requester_id = ? OR target_id = ?)`, userID, userID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FriendRef
	for rows.Next() {
		var f FriendRef
		if err := rows.Scan(&f.FriendshipID, &f.UserID); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Friends returns up to limit accepted friends of userID with their
// (Sanitized) rows, for the friend_updated push on join.
func Friends(ctx context.Context, q persistence.Querier, userID string, limit int) ([]Friend, error) {
	rows, err := q.Query(ctx, `SELECT f.id, `+prefixed("u.")+` FROM friendships f
		JOIN users u ON u.id = CASE WHEN f.requester_id = ? THEN f.target_id ELSE f.requester_id END
		WHERE f.status = 'accepted' AND (f.requester_id = ? OR f.target_id = ?)
		ORDER BY f.id LIMIT ?`, userID, userID, userID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Friend{}
	for rows.Next() {
		var fid string
		r, err := users.Scan(scanPrefix{rows: rows, first: &fid})
		if err != nil {
			return nil, err
		}
		out = append(out, Friend{User: Sanitize(*r), FriendshipID: fid})
	}
	return out, rows.Err()
}

// scanPrefix scans one extra leading column before a users row.
type scanPrefix struct {
	rows  interface{ Scan(...any) error }
	first *string
}

func (s scanPrefix) Scan(dest ...any) error {
	return s.rows.Scan(append([]any{s.first}, dest...)...)
}

// prefixed qualifies users.Columns with a table alias.
func prefixed(alias string) string {
	out := make([]byte, 0, len(users.Columns)+64)
	out = append(out, alias...)
	for i := 0; i < len(users.Columns); i++ {
		ch := users.Columns[i]
		out = append(out, ch)
		if ch == ',' {
			// skip whitespace after the comma, then add the alias
			for i+1 < len(users.Columns) && (users.Columns[i+1] == ' ' || users.Columns[i+1] == '\n' || users.Columns[i+1] == '\t') {
				i++
			}
			out = append(out, ' ')
			out = append(out, alias...)
		}
	}
	return string(out)
}
