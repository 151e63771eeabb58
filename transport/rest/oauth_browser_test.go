package rest_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/gamend-go/gamend/auth/oauth"
	"github.com/gamend-go/gamend/transport/rest/resttest"
)

// recordingBrowser is a BrowserLogin that records what it was handed.
type recordingBrowser struct {
	mu    sync.Mutex
	calls []browserCall
}

type browserCall struct {
	state   string
	profile oauth.Profile
	err     error
}

func (b *recordingBrowser) CompleteBrowserOAuth(c *fiber.Ctx, state string, profile oauth.Profile, err error) error {
	b.mu.Lock()
	b.calls = append(b.calls, browserCall{state, profile, err})
	b.mu.Unlock()
	return c.Status(http.StatusOK).SendString("web sign-in handled")
}

func (b *recordingBrowser) last() browserCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls[len(b.calls)-1]
}

// Callbacks whose state starts with "browser:" go to the web sign-in with
// a verified profile; they never touch a session.
func TestOAuthBrowserDelegation(t *testing.T) {
	b := &recordingBrowser{}
	oauthDialects(t, oauthEnvOptions{browser: b}, func(t *testing.T, e *oauthEnv) {
		for _, p := range oauth.Names {
			who := identities()[p]
			e.Fake.QueueLogin(p, who)
			authURL, err := e.OAuth.Providers().AuthCodeURL(p, "browser:nonce-"+p)
			if err != nil {
				t.Fatal(err)
			}
			r := e.follow(e.authorize(authURL))
			if r.Status != 200 || r.Body != "web sign-in handled" {
				t.Fatalf("%s: %d %s", p, r.Status, r.Body)
			}
			c := b.last()
			if c.err != nil || c.state != "browser:nonce-"+p || c.profile.ID != who.ID || c.profile.Provider != p {
				t.Fatalf("%s: handed %+v", p, c)
			}
			e.Fake.QueueDeny(p)
			authURL, _ = e.OAuth.Providers().AuthCodeURL(p, "browser:denied")
			e.follow(e.authorize(authURL))
			if c := b.last(); !errors.Is(c.err, oauth.ErrDenied) {
				t.Fatalf("%s denied: handed err %v", p, c.err)
			}
		}
		if e.countUsers() != 0 {
			t.Fatal("the delegated callbacks created accounts")
		}
	})
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		e.Fake.QueueLogin("discord", identities()["discord"])
		authURL, _ := e.OAuth.Providers().AuthCodeURL("discord", "browser:x")
		if r := e.follow(e.authorize(authURL)); r.Status != 400 || !strings.Contains(r.Body, "<html") {
			t.Fatalf("without a web sign-in: %d %s", r.Status, r.Body)
		}
	})
}

// Apple's form_post callback reads its form after decoding it once and
// within the body limit: a compressed form is read, a compressed bomb is a
// 413 page that costs next to nothing.
func TestOAuthAppleCallbackCompressed(t *testing.T) {
	b := &recordingBrowser{}
	oauthDialects(t, oauthEnvOptions{browser: b}, func(t *testing.T, e *oauthEnv) {
		post := func(body []byte) answer {
			req, err := http.NewRequest(http.MethodPost, e.URL+"/auth/apple/callback", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Content-Encoding", "gzip")
			return e.send(req)
		}
		form := url.Values{"state": {"browser:zipped"}, "error": {"user_cancelled_authorize"}}
		if a := post(resttest.Gzip(t, []byte(form.Encode()))); a.Status != 200 || a.Body != "web sign-in handled" {
			t.Fatalf("compressed form: %d %s", a.Status, a.Body)
		}
		if c := b.last(); c.state != "browser:zipped" || !errors.Is(c.err, oauth.ErrDenied) {
			t.Fatalf("handed %+v", c)
		}
		bomb := resttest.GzipBomb(t, 100)
		m := resttest.ReadMemory(t)
		a := post(bomb)
		m.CheckSince(t, 8<<20)
		if a.Status != 413 || !strings.Contains(a.Body, "<html") {
			t.Fatalf("compressed bomb: %d %s", a.Status, a.Body)
		}
	})
}

// Concurrent deliveries of one callback complete the session once.
func TestOAuthConcurrentCallbacks(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		e.Fake.QueueLogin("steam", identities()["steam"])
		id, authURL := e.start("steam", "")
		cb := e.authorize(authURL)
		const n = 8
		statuses := make(chan int, n)
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := e.client.Get(cb.URL)
				if err != nil {
					statuses <- 0
					return
				}
				res.Body.Close()
				statuses <- res.StatusCode
			}()
		}
		wg.Wait()
		close(statuses)
		got := map[int]int{}
		for s := range statuses {
			got[s]++
		}
		if got[http.StatusFound] != 1 || got[http.StatusBadRequest] != n-1 {
			t.Fatalf("statuses %v, want one 302 and %d 400", got, n-1)
		}
		if a := e.poll(id); a.JSON["status"] != "completed" || e.countUsers() != 1 {
			t.Fatalf("poll %s, %d users", a.Body, e.countUsers())
		}
	})
}
