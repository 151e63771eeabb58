package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestClientIPDefaults: with the shipped defaults (TRUSTED_PROXIES =
// loopback, CLIENT_IP_HEADER = X-Forwarded-For) a client cannot buy a
// fresh rate-limit bucket per request by rotating CF-Connecting-IP, even
// from a trusted peer; CLIENT_IP_HEADER=CF-Connecting-IP makes that header
// the client address instead.
func TestClientIPDefaults(t *testing.T) {
	dialects(t, func(t *testing.T, dialect string) {
		burst := func(p *serverProc, header string) []int {
			var statuses []int
			for i := range 6 {
				req, _ := http.NewRequest(http.MethodGet, p.base+"/api/v1/nope", nil)
				req.Header.Set(header, fmt.Sprintf("198.51.100.%d", i+1))
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				statuses = append(statuses, res.StatusCode)
			}
			return statuses
		}
		limited := func(s []int) bool { return s[0] == 404 && s[3] == 429 && s[4] == 429 && s[5] == 429 }

		p := startBinary(t, append(dbEnv(t, dialect), "RATE_LIMIT_HTTP_GENERAL_LIMIT=3"))
		if s := burst(p, "CF-Connecting-IP"); !limited(s) {
			t.Fatalf("rotating CF-Connecting-IP with the defaults: %v, want 429 from the fourth", s)
		}
		p = startBinary(t, append(dbEnv(t, dialect), "RATE_LIMIT_HTTP_GENERAL_LIMIT=3", "CLIENT_IP_HEADER=cf-connecting-ip"))
		if s := burst(p, "X-Forwarded-For"); !limited(s) {
			t.Fatalf("rotating X-Forwarded-For with CLIENT_IP_HEADER=CF-Connecting-IP: %v, want 429 from the fourth", s)
		}
		if s := burst(p, "CF-Connecting-IP"); limited(s) || s[5] != 404 {
			t.Fatalf("rotating CF-Connecting-IP with CLIENT_IP_HEADER=CF-Connecting-IP: %v, want a bucket each", s)
		}
	})
}

// TestBindAddress: BIND_ADDRESS=127.0.0.1 serves on that address only: the
// same port on another local address (127.0.0.2) refuses connections. Unset, the
// server listens on every interface, as upstream does. --help lists it.
func TestBindAddress(t *testing.T) {
	out, err := exec.Command(serverBinary(t), "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "BIND_ADDRESS") {
		t.Fatalf("--help: %v\n%s", err, out)
	}
	others := []string{"127.0.0.2"} // loopback too, but not the bound address
	dialects(t, func(t *testing.T, dialect string) {
		bound := startBinary(t, append(dbEnv(t, dialect), "BIND_ADDRESS=127.0.0.1"))
		u, _ := url.Parse(bound.base)
		for _, host := range others {
			addr := net.JoinHostPort(host, u.Port())
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err == nil {
				conn.Close()
				t.Fatalf("BIND_ADDRESS=127.0.0.1, yet %s accepts connections", addr)
			}
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("dial %s: %v, want connection refused", addr, err)
			}
		}

		all := startBinary(t, dbEnv(t, dialect))
		u, _ = url.Parse(all.base)
		for _, host := range others {
			res, err := http.Get("http://" + net.JoinHostPort(host, u.Port()) + "/api/v1/health")
			if err != nil {
				t.Fatalf("without BIND_ADDRESS, %s: %v", host, err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("without BIND_ADDRESS, %s: %d", host, res.StatusCode)
			}
		}
	})
}
