package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/gamend-go/gamend/persistence/persistencetest"
)

// TestRevokedTokenRefusedDespiteRacingFill (regression): a request that
// was loading the user into the node's user cache when the user's tokens
// were revoked used to store the row from before the revocation, so the
// revoked token kept passing on this node for the cache's TTL (2 s). The
// old token must be refused on the very next request and socket connect.
func TestRevokedTokenRefusedDespiteRacingFill(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		ta := newTestApp(t, dialect)
		_, adminTok := ta.deviceUser(t, "racing-admin") // the first account is an admin
		id, tok := ta.deviceUser(t, "racing-fill")
		ta.userCache.Invalidate(id) // the next request loads the user
		loaded, resume := persistencetest.PauseNextUserLoad(t, ta.userCache, id)
		inFlight := make(chan apiResponse, 1)
		go func() {
			r, err := call(context.Background(), "GET", ta.base+"/api/v1/me", tok, nil)
			if err != nil {
				t.Errorf("request in flight: %v", err)
			}
			inFlight <- r
		}()
		<-loaded // its fill has read the user and not stored it yet

		r, err := call(context.Background(), "POST", ta.base+"/api/v1/admin/users/"+id+"/revoke_tokens", adminTok, nil)
		if err != nil || r.Status != 200 {
			t.Fatalf("revoke: %v %d %s", err, r.Status, r.Raw)
		}
		resume()
		// Authenticated before the revocation, it may still succeed.
		if r := <-inFlight; r.Status != 200 {
			t.Fatalf("request in flight: %d %s", r.Status, r.Raw)
		}

		r, err = call(context.Background(), "GET", ta.base+"/api/v1/me", tok, nil)
		if err != nil || r.Status != 401 || r.Body["error"] != "Failed." {
			t.Fatalf("revoked token on the next request: %v %d %s", err, r.Status, r.Raw)
		}
		expectRefused(t, ta.base, tok, nil, http.StatusForbidden, "invalid_token")
	})
}
