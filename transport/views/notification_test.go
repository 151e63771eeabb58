package views_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gamend-go/gamend/actors/notifications"
	"github.com/gamend-go/gamend/transport/views"
)

// A notification without metadata says "metadata":{} (views.Map), never
// null; its time is UTC with the contract's layout.
func TestNewNotificationMetadata(t *testing.T) {
	at := time.Date(2026, 1, 15, 11, 30, 0, 0, time.FixedZone("CET", 3600))
	for _, tt := range []struct {
		meta map[string]any
		want string
	}{
		{nil, `{}`},
		{map[string]any{"k": "v"}, `{"k":"v"}`},
	} {
		v := views.NewNotification(notifications.Notification{ID: "n1", Title: "t", Metadata: tt.meta, InsertedAt: at})
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Metadata   json.RawMessage `json:"metadata"`
			InsertedAt string          `json:"inserted_at"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if string(got.Metadata) != tt.want || got.InsertedAt != "2026-01-15T10:30:00Z" {
			t.Fatalf("metadata %s, inserted_at %s (want %s)", got.Metadata, got.InsertedAt, tt.want)
		}
	}
}
