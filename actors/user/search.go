package user

import (
	"context"
	"strings"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
)

// Search is the public player search of API.md §4.4: a case-insensitive
// prefix match on display name or username (LIKE wildcards in q match
// literally; e-mail, device and provider ids are never searched), ordered
// by username. q is trimmed; an empty q finds nothing. When q is a UUID,
// the user with that id is put first on the first page (once) and counted
// once in total.
func (p *Profiles) Search(ctx context.Context, q string, limit, offset int) ([]*users.Row, int, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return []*users.Row{}, 0, nil
	}
	pat := persistence.PrefixPattern(q)
	// Usernames are stored lower-case: comparing the bare column with the
	// lower-cased pattern keeps it sargable (display names keep lower()).
	const where = `lower(display_name) LIKE ? ESCAPE '\' OR username LIKE ? ESCAPE '\'`
	var total int
	if err := p.db.QueryRow(ctx, `SELECT count(*) FROM users WHERE `+where, pat, pat).Scan(&total); err != nil {
		return nil, 0, err
	}
	list, err := p.query(ctx, `SELECT `+users.Columns+` FROM users WHERE `+where+` ORDER BY username LIMIT ? OFFSET ?`,
		pat, pat, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	if !persistence.ValidID(q) {
		return list, total, nil
	}
	byID, err := p.Get(ctx, strings.ToLower(q))
	if err == ErrNotFound {
		return list, total, nil
	}
	if err != nil {
		return nil, 0, err
	}
	if !MatchesPrefix(byID, q) {
		total++
	}
	if offset > 0 {
		return list, total, nil
	}
	out := make([]*users.Row, 0, len(list)+1)
	out = append(out, byID)
	for _, r := range list {
		if r.ID != byID.ID {
			out = append(out, r)
		}
	}
	return out, total, nil
}

// ListQuery selects users for the admin list.
type ListQuery struct {
	// Q matches, case-insensitively, a substring of e-mail, username,
	// display name, device id or any provider id; a UUID matches that id
	// exactly. Empty lists everyone.
	Q      string
	Limit  int
	Offset int
}

// List is the admin user list, newest accounts first. Unlike Search it
// matches identity fields (admin only).
func (p *Profiles) List(ctx context.Context, lq ListQuery) ([]*users.Row, int, error) {
	q := strings.TrimSpace(lq.Q)
	where, args := "1 = 1", []any{}
	switch {
	case q == "":
	case persistence.ValidID(q):
		where, args = "id = ?", []any{strings.ToLower(q)}
	default:
		pat := persistence.ContainsPattern(q)
		cols := []string{"email", "username", "display_name", "device_id", "discord_id", "google_id", "facebook_id", "apple_id", "steam_id"}
		ors := make([]string, len(cols))
		for i, c := range cols {
			ors[i] = `lower(coalesce(` + c + `, '')) LIKE ? ESCAPE '\'`
			args = append(args, pat)
		}
		where = strings.Join(ors, " OR ")
	}
	var total int
	if err := p.db.QueryRow(ctx, `SELECT count(*) FROM users WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	list, err := p.query(ctx, `SELECT `+users.Columns+` FROM users WHERE `+where+` ORDER BY inserted_at DESC, id DESC LIMIT ? OFFSET ?`,
		append(args, lq.Limit, lq.Offset)...)
	return list, total, err
}

func (p *Profiles) query(ctx context.Context, q string, args ...any) ([]*users.Row, error) {
	rows, err := p.db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*users.Row{}
	for rows.Next() {
		r, err := users.Scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
