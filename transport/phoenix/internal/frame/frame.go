// Package frame encodes and decodes Phoenix Channels V2 JSON frames:
// five-element arrays [join_ref, ref, topic, event, payload].
//
// The decoder is written for untrusted input: it accepts exactly one JSON
// array of five elements whose first two are strings or null, whose third
// and fourth are strings and whose fifth is any JSON value, with valid
// UTF-8 throughout. Anything else yields a *DecodeError wrapping one of the
// sentinel errors below; it never panics. The encoder writes payloads that
// are already encoded JSON verbatim, so one event fanned out to many
// sockets is marshalled once.
package frame

import (
	"errors"
	"strconv"
)

// Sentinel errors wrapped by *DecodeError, in the order of precedence the
// decoder reports them: a frame that is not JSON is ErrSyntax even if it
// also has the wrong arity.
var (
	ErrInvalidUTF8 = errors.New("frame is not valid UTF-8")
	ErrSyntax      = errors.New("frame is not valid JSON")
	ErrTooDeep     = errors.New("frame payload is nested too deeply")
	ErrNotArray    = errors.New("frame is not a JSON array")
	ErrArity       = errors.New("frame does not have 5 elements")
	ErrType        = errors.New("frame element has the wrong type")
)

// MaxDepth bounds the nesting of arrays and objects inside a payload, so a
// hostile frame cannot grow the reading goroutine's stack.
const MaxDepth = 256

// DecodeError describes why a frame was rejected.
type DecodeError struct {
	Err    error // one of the sentinel errors
	Offset int   // byte offset where the problem was found
	Field  string
}

func (e *DecodeError) Error() string {
	s := e.Err.Error() + " (offset " + strconv.Itoa(e.Offset)
	if e.Field != "" {
		s += ", " + e.Field
	}
	return s + ")"
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Ref is a join_ref or ref: a string, or JSON null when Valid is false.
type Ref struct {
	Value string
	Valid bool
}

// StringRef returns a non-null Ref.
func StringRef(s string) Ref { return Ref{Value: s, Valid: true} }

// Null is the JSON null ref.
var Null = Ref{}

// Frame is one decoded V2 message.
type Frame struct {
	JoinRef Ref
	Ref     Ref
	Topic   string
	Event   string
	// Payload is the raw JSON value as received, without surrounding
	// whitespace. After Decode it aliases the input buffer.
	Payload []byte
}

// Equal reports whether two frames are identical (payload compared byte
// for byte).
func (f Frame) Equal(g Frame) bool {
	return f.JoinRef == g.JoinRef && f.Ref == g.Ref && f.Topic == g.Topic &&
		f.Event == g.Event && string(f.Payload) == string(g.Payload)
}

var fieldNames = [5]string{"join_ref", "ref", "topic", "event", "payload"}
