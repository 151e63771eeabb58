package notifications

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/gamend-go/gamend/persistence"
)

const selectCols = `n.id, n.sender_id, COALESCE(u.display_name, ''), n.recipient_id, n.title, n.content, n.metadata, n.read, n.inserted_at, n.updated_at`
const fromJoin = ` FROM notifications n LEFT JOIN users u ON u.id = n.sender_id `

func scanRows(rows *sql.Rows) ([]Notification, error) {
	defer rows.Close()
	out := []Notification{}
	for rows.Next() {
		var n Notification
		var meta []byte
		if err := rows.Scan(&n.ID, &n.SenderID, &n.SenderName, &n.RecipientID, &n.Title, &n.Content, &meta, &n.Read, &n.InsertedAt, &n.UpdatedAt); err != nil {
			return nil, err
		}
		n.Metadata = map[string]any{}
		_ = json.Unmarshal(meta, &n.Metadata)
		n.InsertedAt, n.UpdatedAt = n.InsertedAt.UTC(), n.UpdatedAt.UTC()
		out = append(out, n)
	}
	return out, rows.Err()
}

// List returns one page of the recipient's notifications, oldest first, and
// the total count.
func (s *Service) List(ctx context.Context, recipientID string, limit, offset int) ([]Notification, int, error) {
	var total int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE recipient_id = ?`, recipientID).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Query(ctx, `SELECT `+selectCols+fromJoin+`WHERE n.recipient_id = ? ORDER BY n.inserted_at, n.id LIMIT ? OFFSET ?`,
		recipientID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	list, err := scanRows(rows)
	return list, total, err
}

// Latest returns the recipient's n most recent notifications, oldest first
// (what a socket receives when it joins user:{id}).
func (s *Service) Latest(ctx context.Context, recipientID string, n int) ([]Notification, error) {
	rows, err := s.db.Query(ctx, `SELECT `+selectCols+fromJoin+`WHERE n.recipient_id = ? ORDER BY n.inserted_at DESC, n.id DESC LIMIT ?`, recipientID, n)
	if err != nil {
		return nil, err
	}
	list, err := scanRows(rows)
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list, nil
}

// Get returns one notification of the recipient.
func (s *Service) Get(ctx context.Context, recipientID, id string) (Notification, error) {
	if !persistence.ValidID(id) {
		return Notification{}, ErrNotFound
	}
	rows, err := s.db.Query(ctx, `SELECT `+selectCols+fromJoin+`WHERE n.id = ? AND n.recipient_id = ?`, id, recipientID)
	if err != nil {
		return Notification{}, err
	}
	list, err := scanRows(rows)
	if err != nil {
		return Notification{}, err
	}
	if len(list) == 0 {
		return Notification{}, ErrNotFound
	}
	return list[0], nil
}

// MaxDeleteIDs is the most ids one Delete considers; the rest are ignored.
const MaxDeleteIDs = 1000

// Delete removes the recipient's notifications with the given ids
// (unparseable ids are skipped, ids beyond the first MaxDeleteIDs ignored;
// others' notifications are untouched) and returns how many were deleted.
func (s *Service) Delete(ctx context.Context, recipientID string, ids []string) (int, error) {
	if len(ids) > MaxDeleteIDs {
		ids = ids[:MaxDeleteIDs]
	}
	valid := make([]any, 0, len(ids)+1)
	valid = append(valid, recipientID)
	for _, id := range ids {
		if persistence.ValidID(id) {
			valid = append(valid, id)
		}
	}
	if len(valid) == 1 {
		return 0, nil
	}
	q := `DELETE FROM notifications WHERE recipient_id = ? AND id IN (?` + strings.Repeat(", ?", len(valid)-2) + `)`
	n, err := s.store.ExecAffected(ctx, "notifications:"+recipientID, q, valid...)
	return int(n), err
}

// MarkRead marks one of the recipient's notifications read.
func (s *Service) MarkRead(ctx context.Context, recipientID, id string) error {
	if !persistence.ValidID(id) {
		return ErrNotFound
	}
	n, err := s.store.ExecAffected(ctx, "notifications:"+recipientID,
		`UPDATE notifications SET read = ? WHERE id = ? AND recipient_id = ?`, true, id, recipientID)
	if err == nil && n == 0 {
		return ErrNotFound
	}
	return err
}

// Retract deletes the notification keyed (sender, recipient, title), if
// any (for example when a friend request is cancelled).
func (s *Service) Retract(ctx context.Context, senderID, recipientID, title string) error {
	_, err := s.store.ExecAffected(ctx, "notifications:"+recipientID,
		`DELETE FROM notifications WHERE sender_id = ? AND recipient_id = ? AND title = ?`, senderID, recipientID, title)
	return err
}

// RetractType deletes the recipient's notifications of a metadata type
// whose metadata[key] equals value (e.g. type friend_request with the
// friendship_id of a cancelled request).
func (s *Service) RetractType(ctx context.Context, recipientID, typ, key, value string) error {
	f := s.db.Dialect().JSONField("metadata")
	_, err := s.store.ExecAffected(ctx, "notifications:"+recipientID,
		`DELETE FROM notifications WHERE recipient_id = ? AND `+f+` = ? AND `+f+` = ?`, recipientID, "type", typ, key, value)
	return err
}

// AdminFilter selects notifications in the admin list.
type AdminFilter struct {
	RecipientID, SenderID, Title string
}

// AdminList returns notifications matching f, newest first, and the total.
func (s *Service) AdminList(ctx context.Context, f AdminFilter, limit, offset int) ([]Notification, int, error) {
	where, args := []string{"1 = 1"}, []any{}
	if persistence.ValidID(f.RecipientID) {
		where, args = append(where, "n.recipient_id = ?"), append(args, f.RecipientID)
	}
	if persistence.ValidID(f.SenderID) {
		where, args = append(where, "n.sender_id = ?"), append(args, f.SenderID)
	}
	if f.Title != "" {
		where, args = append(where, `lower(n.title) LIKE ? ESCAPE '\'`), append(args, persistence.ContainsPattern(f.Title))
	}
	w := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM notifications n WHERE `+w, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Query(ctx, `SELECT `+selectCols+fromJoin+`WHERE `+w+` ORDER BY n.inserted_at DESC, n.id DESC LIMIT ? OFFSET ?`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	list, err := scanRows(rows)
	return list, total, err
}

// AdminDelete deletes any notification by id.
func (s *Service) AdminDelete(ctx context.Context, id string) error {
	if !persistence.ValidID(id) {
		return ErrNotFound
	}
	n, err := s.store.ExecAffected(ctx, "notifications:admin", `DELETE FROM notifications WHERE id = ?`, id)
	if err == nil && n == 0 {
		return ErrNotFound
	}
	return err
}
