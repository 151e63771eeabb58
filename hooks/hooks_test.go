package hooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gamend-go/gamend/hooks"
)

func TestNoneAnswersNotImplemented(t *testing.T) {
	var h hooks.Hooks = hooks.None{}
	out, err := h.Call(context.Background(), "user-1", "game", "add", json.RawMessage(`[1,2]`))
	if out != nil || !errors.Is(err, hooks.ErrNotImplemented) {
		t.Fatalf("Call = %s, %v; want ErrNotImplemented", out, err)
	}
	if got := hooks.Reason(err); got != "not_implemented" {
		t.Fatalf("Reason = %q, want not_implemented", got)
	}
	fns, err := h.Functions(context.Background())
	if err != nil || fns == nil || len(fns) != 0 {
		t.Fatalf("Functions = %v, %v; want an empty, non-nil list", fns, err)
	}
	b, _ := json.Marshal(fns)
	if string(b) != "[]" {
		t.Fatalf("empty list encodes as %s, want []", b)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Call(ctx, "user-1", "game", "add", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Call with an ended context = %v, want context.Canceled", err)
	}
}

func TestErrorsMatchByReason(t *testing.T) {
	// A runtime's own error with a well-known code matches the sentinel,
	// through wrapping too.
	own := fmt.Errorf("loading: %w", &hooks.Error{Code: "plugin_not_found", Details: "no plugin named x"})
	if !errors.Is(own, hooks.ErrNotFound) || errors.Is(own, hooks.ErrNotImplemented) {
		t.Fatalf("errors.Is by code is wrong for %v", own)
	}
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{hooks.ErrNotImplemented, "not_implemented"},
		{own, "plugin_not_found"},
		{&hooks.Error{Code: "not_enough_gold"}, "not_enough_gold"}, // a plugin's {error, e}
		{fmt.Errorf("call: %w", context.DeadlineExceeded), "timeout"},
		{errors.New("TypeError: x is undefined"), "exception"},
	}
	for _, tt := range tests {
		if got := hooks.Reason(tt.err); got != tt.want {
			t.Errorf("Reason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
	if got := (&hooks.Error{Code: "exception", Details: "boom"}).Error(); got != "hooks: exception: boom" {
		t.Errorf("Error() = %q", got)
	}
}

func TestNormalizeArgs(t *testing.T) {
	tests := []struct {
		in        string
		count, sz int
		want      string
		err       error
	}{
		{"", 32, 65536, "[]", nil},
		{"null", 32, 65536, "[]", nil},
		{` [1, "a"] `, 32, 65536, `[1, "a"]`, nil},
		{`{"a":1}`, 32, 65536, `[{"a":1}]`, nil},
		{`"solo"`, 32, 65536, `["solo"]`, nil},
		{`7`, 32, 65536, `[7]`, nil},
		{`[1,2,3]`, 2, 65536, "", hooks.ErrTooManyArgs},
		{`[1,2,3]`, 3, 65536, `[1,2,3]`, nil},
		{`["` + strings.Repeat("x", 100) + `"]`, 32, 64, "", hooks.ErrArgsTooLarge},
		{`[1,`, 32, 65536, "", hooks.ErrInvalidRequest},
		{`[1,2,3]`, 0, 0, `[1,2,3]`, nil}, // no limits
	}
	for _, tt := range tests {
		got, err := hooks.NormalizeArgs(json.RawMessage(tt.in), tt.count, tt.sz)
		if !errors.Is(err, tt.err) || (tt.err == nil && string(got) != tt.want) {
			t.Errorf("NormalizeArgs(%q, %d, %d) = %s, %v; want %s, %v", tt.in, tt.count, tt.sz, got, err, tt.want, tt.err)
		}
	}
}
