package web_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gamend-go/gamend/auth/mail"
	"github.com/gamend-go/gamend/auth/mail/mailtest"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/users"
)

// TestLinkRequestsDoNotWaitForMail: asking for a log-in link or a reset
// link for an existing address answers before the mail reaches the relay
// (a relay that hangs until released), exactly as for an unknown address;
// the mails go out once the relay answers.
func TestLinkRequestsDoNotWaitForMail(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		relay := mailtest.NewGate()
		e := startEnv(t, tg, envOptions{mailer: relay})
		t.Cleanup(relay.Release) // before the server stops
		const known = "known@example.com"
		if _, err := e.svc.CreateUser(context.Background(), users.New{Email: known}); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.get("/users/log-in")
		for _, addr := range []string{known, "unknown@example.com"} {
			expect(t, b.post("/users/log-in/link", form("email", addr)), 200, "/users/log-in", msgLinkSent)
			expect(t, b.post("/users/reset-password", form("email", addr)), 200, "/users/log-in", "instructions to reset your password")
		}
		if n := len(relay.Delivered()); n != 0 {
			t.Fatalf("%d mails were delivered before the requests returned", n)
		}
		relay.Release()
		e.flushMail()
		// Two workers deliver in parallel: the order of the two mails is free.
		got := relay.Delivered()
		subjects := map[string]bool{}
		for _, m := range got {
			if m.To != known {
				t.Fatalf("delivered to %s: %+v", m.To, got)
			}
			subjects[m.Subject] = true
		}
		if len(got) != 2 || !subjects["Your log-in link"] || !subjects["Reset your password"] {
			t.Fatalf("delivered %+v", got)
		}
		if st := e.mail.Stats(); st.Queued != 4 || st.Sent != 2 || st.Skipped != 2 || st.Dropped != 0 || st.Failed != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// TestFullMailQueueDrops: when the queue is full, a link request still
// answers at once, the same as always; the mail is dropped and counted,
// and the logs hold no link token.
func TestFullMailQueueDrops(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		relay := mailtest.NewGate()
		e := startEnv(t, tg, envOptions{mailer: relay, mailQueue: mail.QueueOptions{Size: 1, Workers: 1}})
		t.Cleanup(relay.Release)
		const known = "full@example.com"
		if _, err := e.svc.CreateUser(context.Background(), users.New{Email: known}); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.get("/users/log-in")
		expect(t, b.post("/users/log-in/link", form("email", known)), 200, "/users/log-in", msgLinkSent)
		relay.WaitStarted(t)                                                                                            // the only worker is held by the relay
		expect(t, b.post("/users/log-in/link", form("email", "nobody@example.com")), 200, "/users/log-in", msgLinkSent) // fills the queue
		expect(t, b.post("/users/reset-password", form("email", known)), 200, "/users/log-in", "instructions to reset your password")
		if st := e.mail.Stats(); st.Dropped != 1 || st.Queued != 2 {
			t.Fatalf("stats %+v", st)
		}
		if err := e.mail.Send(context.Background(), mail.Message{To: known}); !errors.Is(err, mail.ErrQueueFull) {
			t.Fatalf("send to the full queue: %v", err)
		}
		relay.Release()
		e.flushMail()
		got := relay.Delivered()
		if len(got) != 1 || got[0].Subject != "Your log-in link" {
			t.Fatalf("delivered %+v", got)
		}
		token := got[0].Text[strings.Index(got[0].Text, "/users/log-in/")+len("/users/log-in/"):]
		token = token[:strings.IndexAny(token, "\n ")]
		if len(token) != 43 || strings.Contains(e.logs.String(), token) {
			t.Fatalf("token %q, or it is in the logs:\n%s", token, e.logs.String())
		}
		if !strings.Contains(e.logs.String(), "the mail queue is full") {
			t.Fatalf("the drop was not logged:\n%s", e.logs.String())
		}
		if st := e.mail.Stats(); st.Dropped != 2 || st.Sent != 1 || st.Skipped != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}
