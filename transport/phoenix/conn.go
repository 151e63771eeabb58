package phoenix

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/gamend-go/gamend/transport/phoenix/internal/frame"
)

// Pusher is the part of *Conn that domain code needs to deliver events.
// Actors should declare their own equivalent interface (they must not
// import transport packages); *Conn satisfies any subset of these methods.
type Pusher interface {
	PushJSON(event string, payload []byte) error
	Push(event string, payload any) error
	UserID() string
	Closed() bool
}

var _ Pusher = (*Conn)(nil)

type connState uint8

const (
	stateJoining connState = iota
	stateJoined
	stateClosed
)

// Conn is one joined channel: a topic on one socket, identified by its
// join ref. It is the handle domain code keeps to push to that client
// later (a pointer, cheap to store in subscriber sets and safe to use from
// any goroutine); after the channel ends every push returns ErrClosed.
//
// Delivery: see the package documentation. Pushes are frames
// [join_ref, null, topic, event, payload].
//
// Join burst: pushes made on a Conn while its Join runs (and until the
// join reply is queued) are held and then queued right after the reply as
// one burst. The held burst is bounded by Config.MaxJoinBurstBytes; once
// queued it follows the queue rules of the package documentation, so a
// Join may replay megabytes (50 notifications of 60 KB) to a client that
// reads without the socket being dropped, and a client that does not read
// is cut off once its writer stalls. Per socket, memory for outbound
// frames is bounded by Config.MaxQueueBytes plus the burst of a Join in
// progress.
type Conn struct {
	sock    *Socket
	ch      Channel
	topic   string
	joinRef frame.Ref

	// Guarded by sock.mu.
	state          connState
	closeRequested bool      // Close called during Join
	pending        []outItem // pushes made during Join (the join burst)
	pendingBytes   int

	// Touched only by the reader goroutine during HandleIn.
	deferRef     frame.Ref
	deferPayload json.RawMessage // the push being handled (for _request_id)
	inHandle     bool
	deferred     bool
}

// Socket returns the connection this channel lives on.
func (c *Conn) Socket() *Socket { return c.sock }

// UserID is the authenticated user of the socket.
func (c *Conn) UserID() string { return c.sock.userID }

// Topic is the joined topic, e.g. "lobby:<id>".
func (c *Conn) Topic() string { return c.topic }

// JoinRef is the client's join ref for this channel ("" if it sent null).
func (c *Conn) JoinRef() string { return c.joinRef.Value }

// DocsEventNames reports whether the socket asked for the product docs'
// event names (connect param event_names=docs).
func (c *Conn) DocsEventNames() bool { return c.sock.docs }

// Context is cancelled when the socket closes.
func (c *Conn) Context() context.Context { return c.sock.ctx }

// Closed reports whether the channel has ended.
func (c *Conn) Closed() bool {
	c.sock.mu.Lock()
	defer c.sock.mu.Unlock()
	return c.state == stateClosed
}

// PushJSON queues event with an already encoded JSON payload (one valid
// JSON value, normally an object; nil means {}). The bytes are written as
// they are and must not be modified afterwards, so one encoding can be
// shared by every subscriber of a fan-out. It never blocks.
func (c *Conn) PushJSON(event string, payload []byte) error {
	return c.sock.push(c, outItem{kind: itemFrame, joinRef: c.joinRef, topic: c.topic, event: event, payload: payload})
}

// Push queues event with payload; []byte and json.RawMessage are taken as
// encoded JSON (see PushJSON), anything else is encoded with MarshalJSON
// (no HTML escaping) first.
func (c *Conn) Push(event string, payload any) error {
	b, err := marshal(payload)
	if err != nil {
		return err
	}
	return c.PushJSON(event, b)
}

// Close ends the channel from the server side: the client gets phx_close
// and the Channel's Leave runs (reason LeaveClosed) on the calling
// goroutine. Closing a closed channel is a no-op.
func (c *Conn) Close() error {
	c.sock.endChannel(c, LeaveClosed, "phx_close")
	return nil
}

// Defer lets HandleIn answer after it returns: call it inside HandleIn,
// return (nil, nil), and later call Reply on the result exactly once from
// any goroutine. Until then the socket keeps serving other frames, so a
// slow operation (a 60 s hook call) does not stall heartbeats.
func (c *Conn) Defer() *Deferred {
	if !c.inHandle {
		panic(ErrNotInHandleIn)
	}
	c.deferred = true
	return &Deferred{c: c, ref: c.deferRef, reqID: requestID(c.deferPayload)}
}

// Deferred is a reply owed to one client push.
type Deferred struct {
	c     *Conn
	ref   frame.Ref
	reqID json.RawMessage // the push's _request_id, for transport-made errors
	done  atomic.Bool
}

// Reply answers the push as HandleIn's return values would. Only the first
// call counts; a reply for a channel that has ended is dropped.
func (d *Deferred) Reply(reply any, err error) {
	if d.done.Swap(true) {
		return
	}
	d.c.sock.finishReply(d.c, d.ref, reply, err, func() json.RawMessage { return d.reqID })
}

// marshal encodes a payload or reply for the wire: nil is {} (nil bytes),
// []byte and json.RawMessage are taken as encoded JSON, anything else goes
// through MarshalJSON.
func marshal(v any) ([]byte, error) {
	switch p := v.(type) {
	case nil:
		return nil, nil
	case []byte:
		return p, nil
	case json.RawMessage:
		return p, nil
	}
	return MarshalJSON(v)
}

type jsonEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var jsonEncoders = sync.Pool{New: func() any {
	e := &jsonEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

// MarshalJSON encodes v like json.Marshal but without HTML escaping: <, >
// and & are written as they are, not as \u003c, \u003e, \u0026 (six
// times the size, and not what Phoenix sends). Use it for every payload
// rendered for the wire (Push uses it for non-[]byte payloads). U+2028
// and U+2029 are still escaped.
func MarshalJSON(v any) ([]byte, error) {
	e := jsonEncoders.Get().(*jsonEncoder)
	e.buf.Reset()
	err := e.enc.Encode(v)
	var out []byte
	if err == nil {
		out = bytes.Clone(bytes.TrimSuffix(e.buf.Bytes(), []byte{'\n'}))
	}
	if e.buf.Cap() <= 64<<10 {
		jsonEncoders.Put(e)
	}
	return out, err
}
