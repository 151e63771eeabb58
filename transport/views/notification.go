package views

import (
	"github.com/gamend-go/gamend/actors/notifications"
)

// Notification is the Notification object of API.md §3 (no read flag).
type Notification struct {
	ID          string         `json:"id"`
	SenderID    string         `json:"sender_id"`
	SenderName  string         `json:"sender_name"`
	RecipientID string         `json:"recipient_id"`
	Title       string         `json:"title"`
	Content     string         `json:"content"`
	Metadata    map[string]any `json:"metadata"`
	InsertedAt  string         `json:"inserted_at" example:"2026-01-15T10:30:00Z"`
}

// NewNotification renders a notification.
func NewNotification(n notifications.Notification) Notification {
	return Notification{ID: n.ID, SenderID: n.SenderID, SenderName: n.SenderName, RecipientID: n.RecipientID,
		Title: n.Title, Content: n.Content, Metadata: Map(n.Metadata), InsertedAt: Time(n.InsertedAt)}
}
