package resttest

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// Scenario is one request and what its answer must look like.
type Scenario struct {
	Name   string
	Method string
	Path   string
	// Body: nil = none; string/[]byte = raw JSON; anything else is encoded.
	Body any
	// Token is sent as a bearer token when not empty.
	Token string
	// TokenFunc, when set, supplies the token at run time instead (for
	// tokens that earlier scenarios issue or invalidate).
	TokenFunc func() string
	// Headers are extra name/value pairs (they win over Token).
	Headers []string

	Status int
	// Want are fragments the body must contain; NotWant must not appear.
	Want, NotWant []string
	// ContentType, when set, is the expected Content-Type prefix.
	ContentType string
	// Events are the service hooks expected to fire during the request,
	// e.g. {"updated": 1}; every event not listed must not fire. nil skips
	// the check.
	Events map[string]int

	// Before runs just before the request (set up state it needs).
	Before func(t *testing.T, e *Env)
	// After runs on the answer (extra checks, or capturing values later
	// scenarios use through closures).
	After func(t *testing.T, e *Env, r Response)
}

// Run runs the scenarios in order, each as a subtest named after it.
func (e *Env) Run(t *testing.T, scenarios []Scenario) {
	t.Helper()
	for i, sc := range scenarios {
		name := sc.Name
		if name == "" {
			name = fmt.Sprintf("%d %s %s", i, sc.Method, sc.Path)
		}
		t.Run(name, func(t *testing.T) { e.run(t, sc) })
	}
}

func (e *Env) run(t *testing.T, sc Scenario) {
	t.Helper()
	if sc.Before != nil {
		sc.Before(t, e)
	}
	token := sc.Token
	if sc.TokenFunc != nil {
		token = sc.TokenFunc()
	}
	e.ResetEvents()
	r := e.Do(t, sc.Method, sc.Path, sc.Body, token, sc.Headers...)
	if r.Status != sc.Status {
		t.Fatalf("%s %s: status %d, want %d; body %s", sc.Method, sc.Path, r.Status, sc.Status, r.Body)
	}
	for _, w := range sc.Want {
		if !strings.Contains(r.Body, w) {
			t.Errorf("body %s\nlacks %s", r.Body, w)
		}
	}
	for _, w := range sc.NotWant {
		if strings.Contains(r.Body, w) {
			t.Errorf("body %s\nmust not contain %s", r.Body, w)
		}
	}
	if sc.ContentType != "" && !strings.HasPrefix(r.Header.Get("Content-Type"), sc.ContentType) {
		t.Errorf("Content-Type %q, want %q", r.Header.Get("Content-Type"), sc.ContentType)
	}
	if sc.Events != nil {
		if got := e.Events(); !sameCounts(got, sc.Events) {
			t.Errorf("events %s, want %s", fmtCounts(got), fmtCounts(sc.Events))
		}
	}
	if sc.After != nil {
		sc.After(t, e, r)
	}
}

func sameCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

func fmtCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v != 0 {
			keys = append(keys, fmt.Sprintf("%s=%d", k, v))
		}
	}
	sort.Strings(keys)
	return "{" + strings.Join(keys, " ") + "}"
}
