package rest

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
)

// Compressed request bodies (API.md §1.2): a body may carry one
// Content-Encoding of gzip (x-gzip), deflate (zlib) or br; identity
// entries are ignored. The body is decoded at most once, streaming, and
// never past the server's body limit, which applies to the decoded size as
// it does to a plain body: 413 as soon as the limit is passed, with no
// more than the limit (plus one read) ever held in memory. Any other
// encoding, or a list of two (gzip, gzip), is 415.
//
// Decoding happens only where a route asks for its body: holdEncoding, the
// first middleware, takes the Content-Encoding headers off every request,
// so no reader (fiber's Ctx.Body, fasthttp's form parsers, huma) can ever
// decode a body by itself; DecodeBody decodes it later, after routing, and
// for the API after the operation's auth check (bodyParams). A request to
// an unknown route, or one refused by auth, is answered without decoding.

const localEncoding = "gamend.content_encoding"

// holdEncoding moves the request's Content-Encoding headers (every line of
// them) into Locals for DecodeBody.
func holdEncoding(c *fiber.Ctx) error {
	h := &c.Request().Header
	if vals := h.PeekAll(fiber.HeaderContentEncoding); len(vals) > 0 {
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = string(v)
		}
		c.Locals(localEncoding, strings.Join(parts, ","))
		h.Del(fiber.HeaderContentEncoding)
	}
	return c.Next()
}

// DecodeBody makes the request body plain: when the request came with a
// Content-Encoding, the body is replaced by its decoded bytes, once (later
// calls do nothing). The limit is the app's BodyLimit. It returns
// ErrUnsupportedEncoding (415), ErrTooLarge (413) or ErrBadEncoding (400)
// when the body cannot be used; the body is then left as sent. Plain fiber
// routes that read a body call it before reading; huma operations get it
// from bodyParams.
func DecodeBody(c *fiber.Ctx) *Error {
	enc, _ := c.Locals(localEncoding).(string)
	if enc == "" {
		return nil
	}
	c.Locals(localEncoding, "")
	coding, ok := contentCoding(enc)
	if !ok {
		return ErrUnsupportedEncoding
	}
	req := c.Request()
	if coding == "" || len(req.Body()) == 0 {
		return nil
	}
	plain, err := decodeBounded(coding, req.Body(), c.App().Config().BodyLimit)
	if err != nil {
		return err
	}
	req.SetBodyRaw(plain)
	return nil
}

// contentCoding reads a Content-Encoding list: the one coding it names
// ("gzip", "deflate" or "br"; "" for none or identity only), or false when
// it names an unsupported coding or more than one.
func contentCoding(list string) (string, bool) {
	coding := ""
	for _, part := range strings.Split(list, ",") {
		switch c := strings.ToLower(strings.TrimSpace(part)); c {
		case "", "identity":
		case "gzip", "x-gzip", "deflate", "br":
			if coding != "" {
				return "", false
			}
			coding = strings.TrimPrefix(c, "x-")
		default:
			return "", false
		}
	}
	return coding, true
}

// decodeBounded decodes body with coding, reading at most limit+1 decoded
// bytes: more than limit is ErrTooLarge.
func decodeBounded(coding string, body []byte, limit int) ([]byte, *Error) {
	src := bytes.NewReader(body)
	var r io.Reader
	switch coding {
	case "gzip":
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, ErrBadEncoding
		}
		defer zr.Close()
		r = zr
	case "deflate":
		zr, err := zlib.NewReader(src)
		if err != nil {
			return nil, ErrBadEncoding
		}
		defer zr.Close()
		r = zr
	default: // br
		r = brotli.NewReader(src)
	}
	// Start near the likely size and double, never past limit+1.
	buf := make([]byte, 0, min(limit+1, max(4<<10, 4*len(body))))
	for {
		if len(buf) > limit {
			return nil, ErrTooLarge
		}
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(cap(buf), limit+1-len(buf)))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case errors.Is(err, io.EOF):
			if len(buf) > limit {
				return nil, ErrTooLarge
			}
			return buf, nil
		case err != nil:
			return nil, ErrBadEncoding
		}
	}
}
