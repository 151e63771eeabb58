package phoenix_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/gamend-go/gamend/transport/phoenix"
)

// recvRaw reads the next message as bytes, exactly as sent.
func (c *client) recvRaw() []byte {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("recv: %v", err)
	}
	return data
}

// expectRaw reads the next message and compares its bytes with want.
func (c *client) expectRaw(want string) {
	c.t.Helper()
	if got := c.recvRaw(); string(got) != want {
		c.t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// TestTransportErrorsEchoRequestID (regression): the error replies the
// transport makes itself echo the push's _request_id (the Godot SDK
// matches replies by it), whatever JSON value it is; without one the
// body is unchanged. Channel-made replies are the channel's business.
func TestTransportErrorsEchoRequestID(t *testing.T) {
	s := startServer(t, phoenix.Config{PushLimit: 7, PushWindow: time.Hour})
	c := s.dial(t, "u1")

	// A push to a topic that is not joined.
	c.send(`["1","1","room:a","echo",{"_request_id":"r-1"}]`)
	c.expectRaw(`["1","1","room:a","phx_reply",{"status":"error","response":{"reason":"unmatched topic","_request_id":"r-1"}}]`)
	c.send(`["1","2","room:a","echo",{}]`)
	c.expectRaw(`["1","2","room:a","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]`)

	// Two joins: the first two charges of the budget.
	c.send(`["1","3","room:a","phx_join",{}]`)
	c.recv()
	c.send(`["2","13","room:b","phx_join",{}]`)
	c.recv()
	// internal_error, answered now (3rd charge of the budget) and deferred (4th).
	c.send(`["1","4","room:a","error",{"x":1,"_request_id":7}]`)
	c.expectRaw(`["1","4","room:a","phx_reply",{"status":"error","response":{"error":"internal_error","_request_id":7}}]`)
	c.send(`["1","5","room:a","later_error",{"_request_id":{"n":8}}]`)
	c.expectRaw(`["1","5","room:a","phx_reply",{"status":"error","response":{"error":"internal_error","_request_id":{"n":8}}}]`)
	// No id, a null id, or an id that is not top-level: no echo.
	c.send(`["1","6","room:a","error",{"args":{"_request_id":9}}]`)
	c.expectRaw(`["1","6","room:a","phx_reply",{"status":"error","response":{"error":"internal_error"}}]`)
	c.send(`["1","7","room:a","error",{"_request_id":null}]`)
	c.expectRaw(`["1","7","room:a","phx_reply",{"status":"error","response":{"error":"internal_error"}}]`)
	// A channel's ReplyError is sent as the channel made it.
	c.send(`["1","8","room:a","other",{"_request_id":10}]`)
	c.expectRaw(`["1","8","room:a","phx_reply",{"status":"error","response":{"error":"unknown_event"}}]`)
	// rate_limited (8th charge), then the channel closes.
	c.send(`["1","9","room:a","echo",{"_request_id":11}]`)
	c.expectRaw(`["1","9","room:a","phx_reply",{"status":"error","response":{"error":"rate_limited","_request_id":11}}]`)
	c.expect(`["1","1","room:a","phx_close",{}]`)
	// The shared pre-encoded bodies were not modified on the way.
	c.send(`["1","10","room:a","echo",{}]`)
	c.expectRaw(`["1","10","room:a","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]`)
	c.send(`["2","12","room:b","echo",{}]`)
	c.expectRaw(`["2","12","room:b","phx_reply",{"status":"error","response":{"error":"rate_limited"}}]`)
	c.expect(`["2","2","room:b","phx_close",{}]`)
}

// TestNoHTMLEscaping (regression): everything the transport encodes for
// the wire (join responses, replies, error replies, pushes, and values
// nested in them as json.RawMessage) keeps <, > and & as they are, as
// Phoenix does, instead of encoding/json's \u003c escapes.
func TestNoHTMLEscaping(t *testing.T) {
	s := startServer(t, phoenix.Config{})
	c := s.dial(t, "u1")
	noEscapes := func(what string, b []byte) {
		t.Helper()
		if bytes.Contains(b, []byte(`\u003c`)) || bytes.Contains(b, []byte(`\u003e`)) || bytes.Contains(b, []byte(`\u0026`)) {
			t.Fatalf("%s is HTML-escaped: %s", what, b)
		}
	}
	c.send(`["1","1","room:<b>&","phx_join",{}]`)
	b := c.recvRaw()
	noEscapes("join reply", b)
	if !bytes.Contains(b, []byte(`"response":{"joined":"room:<b>&","user":"u1"}`)) {
		t.Fatalf("join reply %s", b)
	}
	conn := s.ch.nextJoin(t)

	// A pre-rendered fragment (as channels nest friend entries) is not
	// re-escaped when the outer value is encoded.
	text, _ := phoenix.MarshalJSON(htmlText)
	conn.Push("typed", map[string]any{"s": htmlText, "raw": json.RawMessage(text)})
	b = c.recvRaw()
	noEscapes("push", b)
	want := `["1",null,"room:<b>&","typed",{"raw":"<b>Tom & \"Jerry\"</b> -> <script>","s":"<b>Tom & \"Jerry\"</b> -> <script>"}]`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	c.send(`["1","2","room:<b>&","html",{}]`)
	c.expectRaw(`["1","2","room:<b>&","phx_reply",{"status":"ok","response":{"html":"<b>Tom & \"Jerry\"</b> -> <script>"}}]`)
	c.send(`["1","3","room:<b>&","html_error",{}]`)
	c.expectRaw(`["1","3","room:<b>&","phx_reply",{"status":"error","response":{"error":"<b>Tom & \"Jerry\"</b> -> <script>"}}]`)

	// The exported helper channels render their payloads with.
	got, err := phoenix.MarshalJSON(map[string]string{"s": "a<b>&c\u2028"})
	if err != nil || string(got) != `{"s":"a<b>&c\u2028"}` {
		t.Fatalf("MarshalJSON = %s, %v", got, err)
	}
	if _, err := phoenix.MarshalJSON(map[string]any{"ch": make(chan int)}); err == nil {
		t.Fatal("MarshalJSON of a channel did not fail")
	}
	if got, _ := phoenix.MarshalJSON(3); string(got) != "3" { // no trailing newline
		t.Fatalf("MarshalJSON(3) = %q", got)
	}
}
