package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

type options struct {
	URL, API                     string
	Token, TokensFile            string
	DeviceLogin                  bool
	Users                        int
	DevicePrefix                 string
	N, Concurrency               int
	Duration, Heartbeat, Timeout time.Duration
	Topic                        string
	Deflate                      bool
	ProbeRate                    float64
	ProbeEvent, ProbePayload     string
	// NotifyRate notifications per second are created over REST (as the
	// admin AdminToken) while holding, to measure push latency.
	NotifyRate    float64
	NotifyWorkers int
	// Settle is the pause between the last join and the first
	// notification, after the notifier's connections are open: the
	// measurement is of pushes to joined sockets, not of the join ramp's
	// after-effects (its garbage, the REST connections' set-up).
	Settle time.Duration
	// PushGCPercent is the load client's GOGC while it measures pushes.
	PushGCPercent int
	// NotifyUsers limits the recipients to the first sockets.
	NotifyUsers int
	AdminToken  string
}

func (o *options) validate() error {
	if o.NotifyRate > 0 && o.AdminToken == "" {
		return errors.New("-notify-rate needs -admin-token (an administrator's access token)")
	}
	if o.NotifyUsers <= 0 {
		o.NotifyUsers = math.MaxInt
	}
	if o.NotifyWorkers <= 0 {
		o.NotifyWorkers = 64
	}
	sources := 0
	for _, set := range []bool{o.Token != "", o.TokensFile != "", o.DeviceLogin} {
		if set {
			sources++
		}
	}
	switch {
	case sources != 1:
		return errors.New("give exactly one of -token, -tokens, -device-login")
	case o.N <= 0 || o.Concurrency <= 0:
		return errors.New("-n and -c must be positive")
	case o.ProbeEvent != "" && !json.Valid([]byte(o.ProbePayload)):
		return errors.New("-probe-payload is not JSON")
	}
	if _, err := url.Parse(o.URL); err != nil {
		return fmt.Errorf("-url: %w", err)
	}
	if o.Users <= 0 {
		o.Users = o.N
	}
	return nil
}

// credential is one token and the user id it carries.
type credential struct {
	token, userID string
}

func (o *options) credentials(ctx context.Context) ([]credential, error) {
	switch {
	case o.Token != "":
		return []credential{{o.Token, subject(o.Token)}}, nil
	case o.TokensFile != "":
		f, err := os.Open(o.TokensFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		var out []credential
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if t := strings.TrimSpace(sc.Text()); t != "" && !strings.HasPrefix(t, "#") {
				out = append(out, credential{t, subject(t)})
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s holds no tokens", o.TokensFile)
		}
		return out, sc.Err()
	}
	return o.deviceLogins(ctx)
}

// subject reads the JWT's sub claim without verifying it (the server
// does that); "" if the token is not a JWT.
func subject(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	json.Unmarshal(raw, &claims)
	return claims.Sub
}

func (o *options) apiBase() string {
	if o.API != "" {
		return strings.TrimRight(o.API, "/")
	}
	u, _ := url.Parse(o.URL)
	scheme := "http"
	if u.Scheme == "wss" {
		scheme = "https"
	}
	return scheme + "://" + u.Host
}

// deviceLogins signs in o.Users device users, 8 at a time.
func (o *options) deviceLogins(ctx context.Context) ([]credential, error) {
	out := make([]credential, o.Users)
	errs := make([]error, o.Users)
	client := &http.Client{Timeout: o.Timeout}
	endpoint := o.apiBase() + "/api/v1/login/device"
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range o.Users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			body, _ := json.Marshal(map[string]string{"device_id": fmt.Sprintf("%s-%d", o.DevicePrefix, i)})
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			res, err := client.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
			if res.StatusCode != http.StatusOK {
				errs[i] = fmt.Errorf("device login: HTTP %d %s", res.StatusCode, bytes.TrimSpace(b))
				return
			}
			var tp struct {
				Data struct {
					AccessToken string `json:"access_token"`
					UserID      string `json:"user_id"`
				} `json:"data"`
			}
			if err := json.Unmarshal(b, &tp); err != nil || tp.Data.AccessToken == "" {
				errs[i] = fmt.Errorf("device login: unexpected body %.200s", b)
				return
			}
			out[i] = credential{tp.Data.AccessToken, tp.Data.UserID}
		}()
	}
	wg.Wait()
	failed, first := 0, error(nil)
	for _, err := range errs {
		if err != nil {
			if failed++; first == nil {
				first = err
			}
		}
	}
	if failed > 0 {
		return nil, fmt.Errorf("%d of %d device logins failed; first: %w", failed, o.Users, first)
	}
	return out, nil
}
