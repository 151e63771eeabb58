package phoenix

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
)

// Channel is the server side of one topic pattern. One Channel value
// serves every socket that joins a matching topic; per-join state lives on
// the *Conn (or in the domain, keyed by it).
//
// Join and HandleIn run one at a time per socket, in frame order, on a
// short-lived goroutine while the socket's reader waits, so the socket
// processes nothing else meanwhile: keep them short and bounded by ctx
// (cancelled when the socket closes), or answer a slow push through
// Conn.Defer. Leave runs there too, or on the goroutine that called
// Conn.Close or Deferred.Reply, or on the reader when the socket closes:
// it must not block, and must not wait on an actor that may itself be
// calling Conn.Close (send to it instead). A panic is recovered: in Join
// it answers {"reason":"join crashed"}, in HandleIn it crashes the
// channel (phx_error, Leave with LeaveCrashed), in Leave it is logged.
type Channel interface {
	// Join authorises c.Topic() for c.UserID() and subscribes c where
	// the domain publishes. The response becomes the ok reply (nil = {});
	// return JoinError(reason) to refuse (no channel is created and Leave
	// is not called, so undo any subscription made before failing).
	// Pushes made on c during Join are delivered right after the reply,
	// as one join burst bounded by Config.MaxJoinBurstBytes (see Conn).
	Join(ctx context.Context, c *Conn, payload json.RawMessage) (response any, err error)
	// HandleIn answers a client push (after the per-user budget check):
	// the reply becomes {"status":"ok","response":reply} (nil = {}); a
	// *ReplyError gives an error reply (PushError("unknown_event", true)
	// for §5.5); any other error answers {"error":"internal_error"}. To
	// answer later, call c.Defer() and return (nil, nil).
	HandleIn(ctx context.Context, c *Conn, event string, payload json.RawMessage) (reply any, err error)
	// Leave is called exactly once per successful Join when the channel
	// ends, for the given reason. c.Push returns ErrClosed from then on.
	Leave(c *Conn, reason LeaveReason)
}

// LeaveReason says why a channel ended.
type LeaveReason int

// Leave reasons.
const (
	// LeaveClient: the client sent phx_leave.
	LeaveClient LeaveReason = iota + 1
	// LeaveReplaced: the client joined the same topic again.
	LeaveReplaced
	// LeaveClosed: the server closed it (Conn.Close, a ReplyError with
	// Close, the push budget).
	LeaveClosed
	// LeaveCrashed: HandleIn panicked.
	LeaveCrashed
	// LeaveDisconnect: the socket closed.
	LeaveDisconnect
)

func (r LeaveReason) String() string {
	switch r {
	case LeaveClient:
		return "client"
	case LeaveReplaced:
		return "replaced"
	case LeaveClosed:
		return "closed"
	case LeaveCrashed:
		return "crashed"
	case LeaveDisconnect:
		return "disconnect"
	}
	return "unknown"
}

// Router maps topics to Channels with Phoenix's patterns: "lobbies"
// matches that topic exactly, "user:*" every topic starting with "user:".
// Register all patterns before Mount; the router is read-only afterwards.
type Router struct {
	exact    map[string]Channel
	prefixes []prefixRoute // longest first
}

type prefixRoute struct {
	prefix string
	ch     Channel
}

// NewRouter returns an empty router.
func NewRouter() *Router { return &Router{exact: map[string]Channel{}} }

// Handle registers ch for pattern (a topic, or a prefix ending in "*").
// A later registration of the same pattern replaces the earlier one.
func (r *Router) Handle(pattern string, ch Channel) *Router {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		for i := range r.prefixes {
			if r.prefixes[i].prefix == prefix {
				r.prefixes[i].ch = ch
				return r
			}
		}
		r.prefixes = append(r.prefixes, prefixRoute{prefix, ch})
		sort.SliceStable(r.prefixes, func(i, j int) bool { return len(r.prefixes[i].prefix) > len(r.prefixes[j].prefix) })
		return r
	}
	r.exact[pattern] = ch
	return r
}

// Match returns the channel serving topic.
func (r *Router) Match(topic string) (Channel, bool) {
	if ch, ok := r.exact[topic]; ok {
		return ch, true
	}
	for _, p := range r.prefixes {
		if strings.HasPrefix(topic, p.prefix) {
			return p.ch, true
		}
	}
	return nil, false
}
