package user_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/persistence/users"
)

// TestCrossNodeMessagesCarryNoHash: the user actor's messages that hold a
// row cross nodes as JSON (the registry codec); none of them carries the
// password hash, whether or not the row was Sanitized, and the receiver
// still knows the account has a password.
func TestCrossNodeMessagesCarryNoHash(t *testing.T) {
	const hash = "$2a$04$4yuWXGw8Ri34Xmrb3nTv6eayQXjPGSUE50zv0b2BhYBS4RSDb3zB6"
	row := users.Row{ID: "0198c0de-0002-7000-8000-000000000002", Username: "owner", HashedPassword: hash, PasswordSet: true}
	friend := user.Friend{User: row, FriendshipID: "f"}
	for name, msg := range map[string]any{
		"SubscribeReply":     user.SubscribeReply{User: row, Friends: []user.Friend{friend}},
		"Deliver self":       user.Deliver{Event: user.Event{Self: &row}},
		"Deliver friends":    user.Deliver{Event: user.Event{Friends: []user.Friend{friend}}},
		"FriendChanged":      user.FriendChanged{Friend: friend},
		"Sanitized row":      user.Sanitize(row),
		"PresenceChange row": user.PresenceChange{User: row},
	} {
		b, err := json.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), hash[7:]) || strings.Contains(string(b), "HashedPassword") {
			t.Errorf("%s carries the hash: %s", name, b)
		}
	}
	var back user.SubscribeReply
	b, _ := json.Marshal(user.SubscribeReply{User: user.Sanitize(row)})
	if err := json.Unmarshal(b, &back); err != nil || !back.User.HasPassword() || back.User.HashedPassword != "" {
		t.Fatalf("received row: HasPassword %v, hash %q, err %v", back.User.HasPassword(), back.User.HashedPassword, err)
	}
	if s := user.Sanitize(row); s.HashedPassword != "" || !s.HasPassword() {
		t.Fatalf("Sanitize kept the hash or lost HasPassword: %+v", s)
	}
}
