package frame

import (
	"unicode/utf16"
	"unicode/utf8"
)

// Decode parses one V2 frame. Strings are copied out of data; Payload
// aliases data, so callers that keep it past the life of data copy it.
func Decode(data []byte) (Frame, error) {
	if !utf8.Valid(data) {
		return Frame{}, &DecodeError{Err: ErrInvalidUTF8, Offset: firstInvalidUTF8(data)}
	}
	d := decoder{b: data}
	d.skipWS()
	if d.i >= len(d.b) {
		return Frame{}, d.fail(ErrSyntax, "")
	}
	if d.b[d.i] != '[' {
		if err := d.skipValue(0); err != nil {
			return Frame{}, err
		}
		if d.skipWS(); d.i != len(d.b) {
			return Frame{}, d.fail(ErrSyntax, "")
		}
		return Frame{}, &DecodeError{Err: ErrNotArray}
	}
	d.i++
	var (
		f       Frame
		n       int
		typeErr *DecodeError
	)
	if d.skipWS(); d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
	} else {
		for {
			d.skipWS()
			te, err := d.element(n, &f)
			if err != nil {
				return Frame{}, err
			}
			if typeErr == nil {
				typeErr = te
			}
			n++
			d.skipWS()
			if d.i >= len(d.b) {
				return Frame{}, d.fail(ErrSyntax, "")
			}
			c := d.b[d.i]
			d.i++
			if c == ']' {
				break
			}
			if c != ',' {
				return Frame{}, d.failAt(ErrSyntax, d.i-1, "")
			}
		}
	}
	if d.skipWS(); d.i != len(d.b) {
		return Frame{}, d.fail(ErrSyntax, "")
	}
	if n != 5 {
		return Frame{}, &DecodeError{Err: ErrArity, Offset: len(d.b)}
	}
	if typeErr != nil {
		return Frame{}, typeErr
	}
	return f, nil
}

type decoder struct {
	b []byte
	i int
}

func (d *decoder) fail(err error, field string) *DecodeError {
	return &DecodeError{Err: err, Offset: d.i, Field: field}
}

func (d *decoder) failAt(err error, off int, field string) *DecodeError {
	return &DecodeError{Err: err, Offset: off, Field: field}
}

func (d *decoder) skipWS() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// element parses element n of the frame array into f. A value of the wrong
// type is still scanned (syntax errors win) and reported as typeErr.
func (d *decoder) element(n int, f *Frame) (typeErr *DecodeError, err error) {
	if d.i >= len(d.b) {
		return nil, d.fail(ErrSyntax, "")
	}
	start := d.i
	c := d.b[d.i]
	switch {
	case n < 2 && c == 'n':
		if err := d.literal("null"); err != nil {
			return nil, err
		}
		return nil, nil // Ref zero value is null
	case n < 4 && c == '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		switch n {
		case 0:
			f.JoinRef = StringRef(s)
		case 1:
			f.Ref = StringRef(s)
		case 2:
			f.Topic = s
		case 3:
			f.Event = s
		}
		return nil, nil
	case n == 4:
		if err := d.skipValue(1); err != nil {
			return nil, err
		}
		f.Payload = d.b[start:d.i]
		return nil, nil
	}
	if err := d.skipValue(1); err != nil {
		return nil, err
	}
	if n > 4 {
		return nil, nil // counted as an arity error by the caller
	}
	return d.failAt(ErrType, start, fieldNames[n]), nil
}

func (d *decoder) literal(lit string) error {
	if len(d.b)-d.i < len(lit) || string(d.b[d.i:d.i+len(lit)]) != lit {
		return d.fail(ErrSyntax, "")
	}
	d.i += len(lit)
	return nil
}

// skipValue scans one JSON value; depth is the nesting level of the
// container holding it.
func (d *decoder) skipValue(depth int) error {
	if d.i >= len(d.b) {
		return d.fail(ErrSyntax, "")
	}
	switch c := d.b[d.i]; {
	case c == '{':
		return d.skipObject(depth + 1)
	case c == '[':
		return d.skipArray(depth + 1)
	case c == '"':
		_, _, err := d.scanString()
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return d.skipNumber()
	}
	return d.fail(ErrSyntax, "")
}

func (d *decoder) skipObject(depth int) error {
	if depth > MaxDepth {
		return d.fail(ErrTooDeep, "")
	}
	d.i++ // '{'
	if d.skipWS(); d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return nil
	}
	for {
		d.skipWS()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return d.fail(ErrSyntax, "")
		}
		if _, _, err := d.scanString(); err != nil {
			return err
		}
		if d.skipWS(); d.i >= len(d.b) || d.b[d.i] != ':' {
			return d.fail(ErrSyntax, "")
		}
		d.i++
		d.skipWS()
		if err := d.skipValue(depth); err != nil {
			return err
		}
		if d.skipWS(); d.i >= len(d.b) {
			return d.fail(ErrSyntax, "")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return nil
		default:
			return d.fail(ErrSyntax, "")
		}
	}
}

func (d *decoder) skipArray(depth int) error {
	if depth > MaxDepth {
		return d.fail(ErrTooDeep, "")
	}
	d.i++ // '['
	if d.skipWS(); d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return nil
	}
	for {
		d.skipWS()
		if err := d.skipValue(depth); err != nil {
			return err
		}
		if d.skipWS(); d.i >= len(d.b) {
			return d.fail(ErrSyntax, "")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return nil
		default:
			return d.fail(ErrSyntax, "")
		}
	}
}

func (d *decoder) digits() int {
	n := 0
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
		n++
	}
	return n
}

// skipNumber scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *decoder) skipNumber() error {
	if d.b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i >= len(d.b):
		return d.fail(ErrSyntax, "")
	case d.b[d.i] == '0':
		d.i++
	case d.b[d.i] >= '1' && d.b[d.i] <= '9':
		d.digits()
	default:
		return d.fail(ErrSyntax, "")
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if d.digits() == 0 {
			return d.fail(ErrSyntax, "")
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if d.digits() == 0 {
			return d.fail(ErrSyntax, "")
		}
	}
	return nil
}

// scanString validates the string starting at the opening quote and
// returns its raw contents (between the quotes) and whether it holds
// escapes. The input is known to be valid UTF-8.
func (d *decoder) scanString() (raw []byte, escaped bool, err error) {
	d.i++ // opening quote
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			raw = d.b[start:d.i]
			d.i++
			return raw, escaped, nil
		case c == '\\':
			escaped = true
			d.i++
			if d.i >= len(d.b) {
				return nil, false, d.fail(ErrSyntax, "")
			}
			switch d.b[d.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.i++
			case 'u':
				d.i++
				if len(d.b)-d.i < 4 || hex4(d.b[d.i:]) < 0 {
					return nil, false, d.fail(ErrSyntax, "")
				}
				d.i += 4
			default:
				return nil, false, d.fail(ErrSyntax, "")
			}
		case c < 0x20:
			return nil, false, d.fail(ErrSyntax, "")
		default:
			d.i++
		}
	}
	return nil, false, d.fail(ErrSyntax, "")
}

// str scans a string and returns its decoded value.
func (d *decoder) str() (string, error) {
	raw, escaped, err := d.scanString()
	if err != nil {
		return "", err
	}
	if !escaped {
		return intern(raw), nil
	}
	return unescape(raw), nil
}

// intern avoids allocating the strings every client sends constantly.
func intern(b []byte) string {
	switch string(b) {
	case "phoenix":
		return "phoenix"
	case "heartbeat":
		return "heartbeat"
	case "phx_join":
		return "phx_join"
	case "phx_leave":
		return "phx_leave"
	}
	return string(b)
}

// hex4 decodes four hex digits, or returns -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// unescape decodes a validated string body with escapes, replacing invalid
// surrogates with U+FFFD exactly as encoding/json does.
func unescape(raw []byte) string {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(raw[i+1:])
			i += 5
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if len(raw)-i >= 6 && raw[i] == '\\' && raw[i+1] == 'u' {
					r2 = hex4(raw[i+2:])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					out = utf8.AppendRune(out, dec)
					i += 6
					continue
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // '"', '\\', '/'
			out = append(out, raw[i])
		}
		i++
	}
	return string(out)
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}
