package phoenix

import "errors"

// WebSocket close codes sent by the server.
const (
	// CloseNormal: DisconnectUser. phoenix.js does not reconnect.
	CloseNormal = 1000
	// CloseGoingAway: the server is shutting down; clients reconnect
	// (to another node behind the load balancer).
	CloseGoingAway = 1001
	// CloseProtocolError: a text frame that is not a Phoenix V2 frame
	// (invalid JSON, not an array, not 5 elements, wrong element types),
	// or a WebSocket protocol violation detected by the library.
	CloseProtocolError = 1002
	// CloseUnsupportedData: a binary frame.
	CloseUnsupportedData = 1003
	// CloseInvalidPayload: a text frame that is not valid UTF-8, or a
	// compressed frame that does not inflate.
	CloseInvalidPayload = 1007
	// ClosePolicyViolation: the per-user socket cap was exceeded by a
	// connect that raced past the upgrade-time check.
	ClosePolicyViolation = 1008
	// CloseMessageTooBig: a message longer than Config.MaxFrameBytes.
	CloseMessageTooBig = 1009
	// CloseInternalError: a server bug.
	CloseInternalError = 1011
	// CloseSlowConsumer (1013, "try again later"): the client does not
	// read: its writer stalled with the queue over a soft limit, the
	// queue reached its hard cap, or a write timed out (see the package
	// documentation, Back-pressure).
	CloseSlowConsumer = 1013
	// CloseIdleTimeout: no inbound frame for Config.IdleTimeout.
	// (Phoenix/cowboy sends 1000 here, which stops phoenix.js from
	// reconnecting; an application code makes the client come back.)
	CloseIdleTimeout = 4000
)

var (
	// ErrClosed is returned by pushes to a channel that has left or whose
	// socket is closing. A subscriber holding the Conn should drop it.
	ErrClosed = errors.New("phoenix: channel closed")
	// ErrSlowConsumer is returned by the push that found the socket a slow
	// consumer; the socket is being disconnected.
	ErrSlowConsumer = errors.New("phoenix: slow consumer disconnected")
	// ErrNotInHandleIn is the panic value of Conn.Defer outside HandleIn.
	ErrNotInHandleIn = errors.New("phoenix: Defer called outside HandleIn")
)

// ReplyError is returned by Channel.Join or Channel.HandleIn (or given to
// Deferred.Reply) to answer {"status":"error","response":Response}. With
// Close set, the channel is closed right after the reply (phx_close, then
// Leave with LeaveClosed); Close is ignored on Join, whose errors never
// create a channel.
type ReplyError struct {
	Response any
	Close    bool
}

func (e *ReplyError) Error() string { return "phoenix: error reply" }

// JoinError is the join refusal {"reason": reason} (API.md §5.3).
func JoinError(reason string) error {
	return &ReplyError{Response: reasonBody{Reason: reason}}
}

// PushError answers a client push with {"error": code}; closeChannel
// closes the channel afterwards (API.md §5.5: unknown events on non-user
// topics).
func PushError(code string, closeChannel bool) error {
	return &ReplyError{Response: errorBody{Error: code}, Close: closeChannel}
}

type reasonBody struct {
	Reason string `json:"reason"`
}

type errorBody struct {
	Error string `json:"error"`
}

// Pre-encoded bodies the session sends itself. Never modify them: error
// replies to a push get a copy with the push's _request_id (withRequestID).
var (
	bodyUnmatchedTopic = []byte(`{"reason":"unmatched topic"}`)
	bodyJoinCrashed    = []byte(`{"reason":"join crashed"}`)
	bodyRateLimited    = []byte(`{"error":"rate_limited"}`)
	// bodyJoinRateLimited refuses a join over the push budget: the
	// join-refusal key of API.md §5.2 (reason) and the rate-limit reply of
	// §7 (error), so a client reading either sees rate_limited.
	bodyJoinRateLimited = []byte(`{"reason":"rate_limited","error":"rate_limited"}`)
	bodyInternal        = []byte(`{"error":"internal_error"}`)
)
