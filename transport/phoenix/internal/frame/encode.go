package frame

import "unicode/utf8"

// Encode returns the JSON encoding of f.
func Encode(f Frame) []byte {
	return AppendFrame(make([]byte, 0, 32+len(f.Topic)+len(f.Event)+len(f.Payload)),
		f.JoinRef, f.Ref, f.Topic, f.Event, f.Payload)
}

// AppendFrame appends [join_ref, ref, topic, event, payload] to dst.
// payload must be one valid JSON value; it is copied verbatim (never
// re-encoded). An empty payload is written as {}.
func AppendFrame(dst []byte, joinRef, ref Ref, topic, event string, payload []byte) []byte {
	dst = appendHead(dst, joinRef, ref, topic, event)
	dst = appendPayload(dst, payload)
	return append(dst, ']')
}

// AppendReply appends a phx_reply frame:
// [join_ref, ref, topic, "phx_reply", {"status":status,"response":response}].
// response must be one valid JSON value (empty means {}).
func AppendReply(dst []byte, joinRef, ref Ref, topic, status string, response []byte) []byte {
	dst = appendHead(dst, joinRef, ref, topic, "phx_reply")
	dst = append(dst, `{"status":`...)
	dst = AppendString(dst, status)
	dst = append(dst, `,"response":`...)
	dst = appendPayload(dst, response)
	return append(dst, "}]"...)
}

func appendHead(dst []byte, joinRef, ref Ref, topic, event string) []byte {
	dst = append(dst, '[')
	dst = AppendRef(dst, joinRef)
	dst = append(dst, ',')
	dst = AppendRef(dst, ref)
	dst = append(dst, ',')
	dst = AppendString(dst, topic)
	dst = append(dst, ',')
	dst = AppendString(dst, event)
	return append(dst, ',')
}

func appendPayload(dst, payload []byte) []byte {
	if len(payload) == 0 {
		return append(dst, '{', '}')
	}
	return append(dst, payload...)
}

// AppendRef appends a ref as a JSON string or null.
func AppendRef(dst []byte, r Ref) []byte {
	if !r.Valid {
		return append(dst, "null"...)
	}
	return AppendString(dst, r.Value)
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string, escaping like encoding/json
// without its HTML escaping: quotes, backslashes, control characters,
// U+2028 and U+2029; invalid UTF-8 bytes become U+FFFD.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
