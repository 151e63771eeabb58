package phoenix_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gamend-go/gamend/transport/phoenix"
)

func TestUpgradeRefused(t *testing.T) {
	s := startServer(t, phoenix.Config{CheckOrigin: phoenix.SameHost("game.example.com")})
	origin := func(o string) http.Header { return http.Header{"Origin": {o}} }
	tests := []struct {
		name   string
		opts   dialOpts
		status int // 0 = upgrade succeeds
	}{
		{"valid", dialOpts{user: "u1"}, 0},
		{"missing token", dialOpts{}, 403},
		{"invalid token", dialOpts{rawToken: "garbage"}, 403},
		{"empty user", dialOpts{rawToken: "tok-"}, 403},
		{"missing vsn (V1 not offered)", dialOpts{user: "u1", noVsn: true}, 403},
		{"vsn 1.0.0", dialOpts{user: "u1", query: "vsn=1.0.0"}, 403},
		{"protobuf format", dialOpts{user: "u1", query: "format=protobuf"}, 403},
		{"json format", dialOpts{user: "u1", query: "format=json"}, 0},
		{"allowed origin", dialOpts{user: "u1", header: origin("https://game.example.com")}, 0},
		{"allowed origin other port", dialOpts{user: "u1", header: origin("http://GAME.example.com:4000")}, 0},
		{"foreign origin", dialOpts{user: "u1", header: origin("https://evil.example.com")}, 403},
		{"garbage origin", dialOpts{user: "u1", header: origin("::::")}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, status, err := s.tryDial(t, tt.opts)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("dial failed: %v (status %d)", err, status)
				}
				c.ws.Close()
				return
			}
			if err == nil || status != tt.status {
				t.Fatalf("status %d, err %v; want %d", status, err, tt.status)
			}
		})
	}
	if st := s.ep.Stats(); st.Rejected != 8 {
		t.Fatalf("Rejected = %d", st.Rejected)
	}
}

func TestPlainGetAndLongpoll(t *testing.T) {
	s := startServer(t, phoenix.Config{})
	res, err := http.Get(s.base + "/socket/longpoll?vsn=2.0.0&token=tok-u1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("longpoll: %d", res.StatusCode)
	}
	res, err = http.Get(s.base + "/socket/websocket?vsn=2.0.0&token=tok-u1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("plain GET: %d", res.StatusCode)
	}
}

func TestSocketCap(t *testing.T) {
	s := startServer(t, phoenix.Config{MaxSocketsPerUser: 2})
	a := s.dial(t, "u1")
	s.dial(t, "u1")
	if _, status, err := s.tryDial(t, dialOpts{user: "u1"}); err == nil || status != 403 {
		t.Fatalf("third socket: status %d, err %v", status, err)
	}
	s.dial(t, "u2") // per user
	a.ws.Close()
	eventually(t, "a slot freed", func() bool { return s.ep.Stats().SocketsOpen == 2 })
	s.dial(t, "u1")
}

func TestNoSocketCap(t *testing.T) {
	s := startServer(t, phoenix.Config{MaxSocketsPerUser: 0})
	for range 25 {
		s.dial(t, "u1")
	}
	if got := s.ep.Stats().SocketsOpen; got != 25 {
		t.Fatalf("SocketsOpen = %d", got)
	}
}

func TestDisconnectUser(t *testing.T) {
	s := startServer(t, phoenix.Config{})
	a := s.dial(t, "u1")
	b := s.dial(t, "u1")
	keep := s.dial(t, "u2")
	a.send(`["1","1","room:a","phx_join",{}]`)
	a.recv()
	if n := s.ep.DisconnectUser("u1"); n != 2 {
		t.Fatalf("DisconnectUser = %d", n)
	}
	a.expectClose(phoenix.CloseNormal)
	b.expectClose(phoenix.CloseNormal)
	if l := s.ch.nextLeave(t); l.reason != phoenix.LeaveDisconnect {
		t.Fatalf("leave %+v", l)
	}
	keep.send(`[null,"1","phoenix","heartbeat",{}]`)
	keep.recv()
}

func TestShutdownClosesSockets(t *testing.T) {
	s := startServer(t, phoenix.Config{})
	a := s.dial(t, "u1")
	b := s.dial(t, "u2")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.ep.Shutdown(ctx) }()
	a.expectClose(phoenix.CloseGoingAway)
	b.expectClose(phoenix.CloseGoingAway)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, status, err := s.tryDial(t, dialOpts{user: "u3"}); err == nil || status != http.StatusServiceUnavailable {
		t.Fatalf("after shutdown: %d %v", status, err)
	}
}
