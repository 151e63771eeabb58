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
	rows, err := q.Query(ctx, `SELECT id, target_id FROM friendships WHERE requester_id = ? AND status = 'accepted'
		UNION ALL SELECT id, requester_id FROM friendships WHERE target_id = ? AND status = 'accepted'`, userID, userID)
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
	// Most players connecting have few or no friends: an index-only probe
	// first spares them the join with users.
	var any int
	err := q.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM friendships WHERE requester_id = ? AND status = 'accepted'
		UNION ALL SELECT 1 FROM friendships WHERE target_id = ? AND status = 'accepted' LIMIT 1) AS probe`, userID, userID).Scan(&any)
	if err != nil {
		return nil, err
	}
	if any == 0 {
		return []Friend{}, nil
	}
	rows, err := q.Query(ctx, friendsQuery, userID, userID, limit)
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

// friendsQuery lists accepted friends with their rows: one index search per
// direction (friendships_{requester,target}_id_status_index).
var friendsQuery = `SELECT f.id, ` + prefixed("u.") + ` FROM friendships f JOIN users u ON u.id = f.target_id
	WHERE f.requester_id = ? AND f.status = 'accepted'
	UNION ALL SELECT f.id, ` + prefixed("u.") + ` FROM friendships f JOIN users u ON u.id = f.requester_id
	WHERE f.target_id = ? AND f.status = 'accepted'
	ORDER BY 1 LIMIT ?`

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
