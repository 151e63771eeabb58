package channels

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/gamend-go/gamend/hooks"
	"github.com/gamend-go/gamend/transport/phoenix"
)

// callHook answers call_hook {"plugin","fn","args"?} (API.md §5.5, §10.2)
// through the hooks package: {"data":<result>} or {"error":"<reason>"}
// (with "details" for exception/function_clause, "max"/"max_bytes" for
// the argument limits), always echoing _request_id. The call runs on its
// own goroutine (a plugin may take up to hooks.DefaultTimeout) and the
// reply is deferred, so the socket keeps serving heartbeats meanwhile.
func (u *Users) callHook(c *phoenix.Conn, payload json.RawMessage) (any, error) {
	var in struct {
		Plugin json.RawMessage `json:"plugin"`
		Fn     json.RawMessage `json:"fn"`
		Args   json.RawMessage `json:"args"`
	}
	var plugin, fn string
	if json.Unmarshal(payload, &in) != nil || json.Unmarshal(in.Plugin, &plugin) != nil || json.Unmarshal(in.Fn, &fn) != nil ||
		plugin == "" || fn == "" {
		return nil, u.hookError(payload, hooks.ErrInvalidRequest)
	}
	args, err := hooks.NormalizeArgs(in.Args, u.maxArgs, u.maxArgBytes)
	if err != nil {
		return nil, u.hookError(payload, err)
	}
	d := c.Defer()
	userID, h := c.UserID(), u.hooks
	go func() {
		ctx, cancel := context.WithTimeout(c.Context(), hooks.DefaultTimeout)
		defer cancel()
		out, err := h.Call(ctx, userID, plugin, fn, args)
		if err != nil {
			d.Reply(nil, u.hookError(payload, err))
			return
		}
		if out == nil {
			out = json.RawMessage("null")
		}
		d.Reply(withRequestID(payload, map[string]any{"data": out}), nil)
	}()
	return nil, nil
}

// hookError renders a failed call as the error reply.
func (u *Users) hookError(payload json.RawMessage, err error) error {
	reason := hooks.Reason(err)
	resp := map[string]any{"error": reason}
	var he *hooks.Error
	switch {
	case errors.Is(err, hooks.ErrTooManyArgs):
		resp["max"] = u.maxArgs
	case errors.Is(err, hooks.ErrArgsTooLarge):
		resp["max_bytes"] = u.maxArgBytes
	case errors.As(err, &he) && he.Details != "":
		resp["details"] = he.Details
	case reason == "exception":
		u.log.Error("hook call failed", "err", err)
	}
	return &phoenix.ReplyError{Response: withRequestID(payload, resp)}
}
