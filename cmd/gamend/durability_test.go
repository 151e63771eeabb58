package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestKill9KeepsAcknowledgedWrites runs the server binary, creates accounts
// over HTTP from 16 concurrent clients, SIGKILLs the server mid-load,
// restarts it on the same database, and checks every acknowledged write is
// there: logging in again with each acknowledged device id must return the
// same user id (a lost row would silently create a new account).
func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: skips the kill -9 durability run")
	}
	dialects(t, func(t *testing.T, dialect string) {
		env := dbEnv(t, dialect)
		srv := startBinary(t, env)

		var (
			mu    sync.Mutex
			acked = map[string]string{} // device id -> user id
			stop  atomic.Bool
			wg    sync.WaitGroup
		)
		for w := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; !stop.Load(); n++ {
					dev := fmt.Sprintf("kill9-%s-%d-%d", dialect, w, n)
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					r, err := call(ctx, "POST", srv.base+"/api/v1/login/device", "", map[string]string{"device_id": dev})
					cancel()
					if err != nil {
						return // the server died under us: this write was never acknowledged
					}
					if r.Status == 200 {
						mu.Lock()
						acked[dev] = dataField(r, "user_id")
						mu.Unlock()
					}
				}
			}()
		}
		// Let the load run, then kill -9 while requests are in flight.
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			n := len(acked)
			mu.Unlock()
			if n >= 200 || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = srv.cmd.Wait()
		stop.Store(true)
		wg.Wait()
		if len(acked) < 50 {
			t.Fatalf("only %d writes acknowledged before the kill; load too small to mean anything", len(acked))
		}

		srv2 := startBinary(t, env)
		missing := 0
		for dev, uid := range acked {
			r, err := call(context.Background(), "POST", srv2.base+"/api/v1/login/device", "", map[string]string{"device_id": dev})
			if err != nil || r.Status != 200 {
				t.Fatalf("re-login %s: %v %d %s", dev, err, r.Status, r.Raw)
			}
			if got := dataField(r, "user_id"); got != uid {
				missing++
				t.Errorf("acknowledged account for %s lost: was %s, now %s", dev, uid, got)
			}
		}
		t.Logf("%s: %d acknowledged writes before SIGKILL, %d lost", dialect, len(acked), missing)
	})
}
