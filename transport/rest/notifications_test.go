package rest_test

import (
	"testing"

	"github.com/gamend-go/gamend/actors/notifications"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/transport/rest/resttest"
)

// mountNotifications adds the notification routes to a resttest server.
func mountNotifications(e *resttest.Env) {
	e.Server.MountNotifications(notifications.New(e.Queue, notifications.Limits{}))
}

// TestAdminNotificationUnknownUser: an admin-created notification whose
// sender or recipient does not exist is refused with 422 naming the field
// that does not exist (both when neither does), and nothing is stored.
func TestAdminNotificationUnknownUser(t *testing.T) {
	resttest.Dialects(t, resttest.Options{Mount: mountNotifications}, func(t *testing.T, e *resttest.Env) {
		admin := e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "notif-admin"}})
		player := e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "notif-player"}})
		unknown, other := persistence.NewID(), persistence.NewID()
		path := "/api/v1/admin/notifications"
		body := func(sender, recipient string) map[string]any {
			return map[string]any{"sender_id": sender, "recipient_id": recipient, "title": "system"}
		}
		e.Run(t, []resttest.Scenario{
			{Name: "unknown sender", Method: "POST", Path: path, Token: admin.Token, Body: body(unknown, player.ID), Status: 422,
				Want:    []string{`{"error":"validation_failed","errors":{"sender_id":["does not exist"]}}`},
				NotWant: []string{"recipient_id"}},
			{Name: "unknown recipient", Method: "POST", Path: path, Token: admin.Token, Body: body(admin.ID, unknown), Status: 422,
				Want:    []string{`{"error":"validation_failed","errors":{"recipient_id":["does not exist"]}}`},
				NotWant: []string{"sender_id"}},
			{Name: "neither exists", Method: "POST", Path: path, Token: admin.Token, Body: body(unknown, other), Status: 422,
				Want: []string{`"sender_id":["does not exist"]`, `"recipient_id":["does not exist"]`}},
			{Name: "nothing was stored", Method: "GET", Path: path, Token: admin.Token, Status: 200, Want: []string{`"total_count":0`}},
			{Name: "both exist", Method: "POST", Path: path, Token: admin.Token, Body: body(admin.ID, player.ID), Status: 201,
				Want: []string{`"sender_id":"` + admin.ID + `"`, `"recipient_id":"` + player.ID + `"`}},
		})
	})
}
