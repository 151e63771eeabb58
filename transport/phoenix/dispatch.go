package phoenix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"github.com/gamend-go/gamend/transport/phoenix/internal/frame"
)

// handleFrame applies the channel protocol of API.md §5.2 to one frame.
func (s *Socket) handleFrame(f frame.Frame) {
	switch {
	case f.Event == "heartbeat" && f.Topic == "phoenix":
		s.reply(f.JoinRef, f.Ref, f.Topic, "ok", nil)
	case f.Event == "phx_join":
		s.join(f)
	default:
		c := s.lookup(f.Topic)
		switch {
		case c == nil && f.Event == "phx_leave": // as Phoenix: leaving twice is fine
			s.reply(f.JoinRef, f.Ref, f.Topic, "ok", nil)
		case c == nil:
			s.reply(f.JoinRef, f.Ref, f.Topic, "error", withRequestID(bodyUnmatchedTopic, requestID(f.Payload)))
		case f.Event == "phx_leave":
			s.reply(c.joinRef, f.Ref, c.topic, "ok", nil)
			s.endChannel(c, LeaveClient, "phx_close")
		default:
			s.handleIn(c, f)
		}
	}
}

func (s *Socket) lookup(topic string) *Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.channels {
		if c.topic == topic {
			return c
		}
	}
	return nil
}

// reply queues a phx_reply; body is encoded JSON (nil = {}).
func (s *Socket) reply(joinRef, ref frame.Ref, topic, status string, body []byte) {
	s.mu.Lock()
	s.enqueueLocked(outItem{kind: itemReply, joinRef: joinRef, ref: ref, topic: topic, event: status, payload: body})
	s.mu.Unlock()
}

// push queues a server push on c. While c is joining the push is held in
// c.pending, bounded by MaxJoinBurstBytes, and queued with the join reply
// when Join returns (enqueueBurstLocked).
func (s *Socket) push(c *Conn, it outItem) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case c.state == stateClosed || s.closing:
		return ErrClosed
	case c.state == stateJoining:
		n := it.size()
		if c.pendingBytes+n > s.ep.cfg.MaxJoinBurstBytes {
			s.ep.log.Warn("join burst over its limit", "socket_id", s.id, "user_id", s.userID, "topic", c.topic,
				"frames", len(c.pending)+1, "bytes", c.pendingBytes+n)
			c.pending, c.pendingBytes = nil, 0
			return s.overflowLocked(slowBurst)
		}
		c.pending = append(c.pending, it)
		c.pendingBytes += n
		return nil
	}
	return s.enqueueLocked(it)
}

var errJoinCrashed = errors.New("join crashed")

// join answers a phx_join. Every join is charged to the user's push
// budget first, whatever its topic and outcome (a user channel's join
// replays up to 50 notifications, so free joins would be an amplifier);
// over budget it gets the join-refusal reply rate_limited (API.md §7),
// and neither the channel's Join nor an existing channel on the topic is
// touched.
func (s *Socket) join(f frame.Frame) {
	if !s.ep.allowPush(s, time.Now()) {
		s.ep.stats.rateLimited.Add(1)
		s.reply(f.JoinRef, f.Ref, f.Topic, "error", bodyJoinRateLimited)
		return
	}
	ch, ok := s.ep.router.Match(f.Topic)
	if !ok {
		s.reply(f.JoinRef, f.Ref, f.Topic, "error", bodyUnmatchedTopic)
		return
	}
	if old := s.lookup(f.Topic); old != nil {
		s.endChannel(old, LeaveReplaced, "phx_close")
	}
	c := &Conn{sock: s, ch: ch, topic: f.Topic, joinRef: f.JoinRef}
	resp, err := s.callJoin(c, f.Payload)
	var body []byte
	if err == nil {
		if body, err = marshal(resp); err != nil {
			s.ep.log.Error("join response does not encode", "socket_id", s.id, "user_id", s.userID, "topic", c.topic, "err", err)
			s.safeLeave(c, LeaveCrashed)
			err = errJoinCrashed
		}
	}
	if err != nil {
		s.mu.Lock()
		c.state, c.pending, c.pendingBytes = stateClosed, nil, 0
		s.mu.Unlock()
		body, ok := s.errorBody(c, "join", err)
		if !ok {
			body = bodyJoinCrashed
		}
		s.reply(f.JoinRef, f.Ref, f.Topic, "error", body)
		return
	}

	s.mu.Lock()
	if s.closing {
		c.state, c.pending, c.pendingBytes = stateClosed, nil, 0
		s.mu.Unlock()
		s.safeLeave(c, LeaveDisconnect)
		return
	}
	s.channels = append(s.channels, c)
	c.state = stateJoined
	// The reply and the pushes held during Join go out as one burst, in
	// order (see enqueueBurstLocked). On overflow the socket is closing
	// and teardown calls Leave.
	s.enqueueBurstLocked(outItem{kind: itemReply, joinRef: f.JoinRef, ref: f.Ref, topic: f.Topic, event: "ok", payload: body}, c.pending)
	c.pending, c.pendingBytes = nil, 0
	closeNow := c.closeRequested
	s.mu.Unlock()
	s.ep.stats.channelsJoined.Add(1)
	if closeNow {
		s.endChannel(c, LeaveClosed, "phx_close")
	}
}

// errorBody encodes the response of an error reply from a ReplyError's
// Response. For any other error, or a Response that does not encode, it
// logs and reports false: the caller answers with its own transport-made
// body.
func (s *Socket) errorBody(c *Conn, callback string, err error) ([]byte, bool) {
	var re *ReplyError
	if errors.As(err, &re) {
		b, merr := marshal(re.Response)
		if merr == nil {
			return b, true
		}
		err = merr
	}
	if err != errJoinCrashed {
		s.ep.log.Error("channel callback failed", "socket_id", s.id, "user_id", s.userID, "topic", c.topic, "callback", callback, "err", err)
	}
	return nil, false
}

func (s *Socket) handleIn(c *Conn, f frame.Frame) {
	if !s.ep.allowPush(s, time.Now()) {
		s.ep.stats.rateLimited.Add(1)
		s.reply(c.joinRef, f.Ref, c.topic, "error", withRequestID(bodyRateLimited, requestID(f.Payload)))
		s.endChannel(c, LeaveClosed, "phx_close")
		return
	}
	c.inHandle, c.deferred, c.deferRef, c.deferPayload = true, false, f.Ref, f.Payload
	reply, err, crashed := s.callHandleIn(c, f.Event, f.Payload)
	c.inHandle, c.deferPayload = false, nil
	switch {
	case crashed:
		s.ep.stats.crashes.Add(1)
		s.endChannel(c, LeaveCrashed, "phx_error")
	case !c.deferred:
		s.finishReply(c, f.Ref, reply, err, func() json.RawMessage { return requestID(f.Payload) })
	}
}

// finishReply sends HandleIn's answer (now or from a Deferred) and closes
// the channel afterwards when a ReplyError asks for it. reqID yields the
// push's _request_id, echoed in a transport-made error reply.
func (s *Socket) finishReply(c *Conn, ref frame.Ref, reply any, err error, reqID func() json.RawMessage) {
	status, closeAfter := "ok", false
	var body []byte
	if err == nil {
		if body, err = marshal(reply); err != nil {
			err = fmt.Errorf("reply does not encode: %w", err)
		}
	}
	if err != nil {
		status = "error"
		var ok bool
		if body, ok = s.errorBody(c, "handle_in", err); !ok {
			body = withRequestID(bodyInternal, reqID())
		}
		var re *ReplyError
		closeAfter = errors.As(err, &re) && re.Close
	}
	s.mu.Lock()
	if c.state != stateJoined {
		s.mu.Unlock()
		return
	}
	s.enqueueLocked(outItem{kind: itemReply, joinRef: c.joinRef, ref: ref, topic: c.topic, event: status, payload: body})
	s.mu.Unlock()
	if closeAfter {
		s.endChannel(c, LeaveClosed, "phx_close")
	}
}

// endChannel removes c, tells the client with event (phx_close or
// phx_error, ref = join ref) and calls Leave once.
func (s *Socket) endChannel(c *Conn, reason LeaveReason, event string) {
	s.mu.Lock()
	switch c.state {
	case stateClosed:
		s.mu.Unlock()
		return
	case stateJoining:
		c.closeRequested = true
		s.mu.Unlock()
		return
	}
	c.state = stateClosed
	if i := slices.Index(s.channels, c); i >= 0 {
		s.channels = slices.Delete(s.channels, i, i+1)
	}
	if !s.closing {
		s.enqueueLocked(outItem{kind: itemFrame, joinRef: c.joinRef, ref: c.joinRef, topic: c.topic, event: event})
	}
	s.mu.Unlock()
	s.ep.stats.channelsJoined.Add(-1)
	s.safeLeave(c, reason)
}

func (s *Socket) callJoin(c *Conn, payload json.RawMessage) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.logPanic("join", c, r)
			resp, err = nil, errJoinCrashed
		}
	}()
	return c.ch.Join(s.ctx, c, payload)
}

func (s *Socket) callHandleIn(c *Conn, event string, payload json.RawMessage) (reply any, err error, crashed bool) {
	defer func() {
		if r := recover(); r != nil {
			s.logPanic("handle_in", c, r)
			reply, err, crashed = nil, nil, true
		}
	}()
	reply, err = c.ch.HandleIn(s.ctx, c, event, payload)
	return reply, err, false
}

func (s *Socket) safeLeave(c *Conn, reason LeaveReason) {
	defer func() {
		if r := recover(); r != nil {
			s.logPanic("leave", c, r)
		}
	}()
	c.ch.Leave(c, reason)
}

func (s *Socket) logPanic(callback string, c *Conn, r any) {
	s.ep.log.Error("channel panicked", "socket_id", s.id, "user_id", s.userID, "topic", c.topic,
		"callback", callback, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
}

var requestIDKey = []byte(`"_request_id"`)

// requestID returns the _request_id member of a push payload (the Godot
// SDK's request helper adds it and matches replies by it), or nil.
func requestID(payload []byte) json.RawMessage {
	if !bytes.Contains(payload, requestIDKey) {
		return nil
	}
	var in struct {
		ID json.RawMessage `json:"_request_id"`
	}
	if json.Unmarshal(payload, &in) != nil || bytes.Equal(in.ID, []byte("null")) {
		return nil
	}
	return in.ID
}

// withRequestID returns body (an encoded JSON object) with
// "_request_id":id added, or body itself when id is empty. body is never
// modified: the pre-encoded bodies are shared.
func withRequestID(body []byte, id json.RawMessage) []byte {
	if len(id) == 0 || len(body) < 2 || body[len(body)-1] != '}' {
		return body
	}
	out := make([]byte, 0, len(body)+len(`,"_request_id":`)+len(id))
	out = append(out, body[:len(body)-1]...)
	if len(body) > 2 { // not {}
		out = append(out, ',')
	}
	out = append(out, `"_request_id":`...)
	out = append(out, id...)
	return append(out, '}')
}
