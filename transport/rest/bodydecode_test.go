package rest_test

import (
	"bytes"
	"compress/zlib"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/transport/rest/resttest"
)

func deflated(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func brotlied(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := brotli.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// memoryBudget is what one request may cost the process (see bounded): a
// body decoded past the 1 MiB limit would cost hundreds of MiB.
const memoryBudget = 8 << 20

// bounded adds to sc a check that answering it allocated less than
// memoryBudget and grew RSS by less than twice that.
func bounded(sc resttest.Scenario) resttest.Scenario {
	var m resttest.Memory
	sc.Before = func(t *testing.T, e *resttest.Env) { m = resttest.ReadMemory(t) }
	after := sc.After
	sc.After = func(t *testing.T, e *resttest.Env, r resttest.Response) {
		m.CheckSince(t, memoryBudget)
		if after != nil {
			after(t, e, r)
		}
	}
	return sc
}

const (
	unsupportedEncoding = `{"error":"unsupported_content_encoding","message":"Content-Encoding must be one of gzip, deflate or br, applied once"}`
	tooLarge            = `{"error":"request_too_large","message":"request body exceeds the size limit"}`
)

// TestCompressedBodies: a compressed request body is decoded at most once,
// streaming, only for a route that exists and only after its auth check,
// and never past the 1 MiB body limit (413 as soon as the decoded size
// passes it); one encoding of a supported kind is accepted (415 for
// anything else). The probe's bombs cost the server next to nothing.
func TestCompressedBodies(t *testing.T) {
	single := resttest.GzipBomb(t, 100)                   // ~100 KB, decodes to 100 MiB
	double := resttest.Gzip(t, resttest.GzipBomb(t, 256)) // "gzip, gzip": decodes to 256 MiB
	t.Logf("single gzip bomb: %d bytes; double gzip bomb: %d bytes", len(single), len(double))
	device := `{"device_id":"compressed-device"}`
	gz := func(enc string) []string { return []string{"Content-Encoding", enc} }

	resttest.Dialects(t, resttest.Options{}, func(t *testing.T, e *resttest.Env) {
		u := e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "packer"}})
		e.Run(t, []resttest.Scenario{
			bounded(resttest.Scenario{Name: "double gzip to an unknown API path", Method: "POST", Path: "/api/v1/nope", Body: double, Headers: gz("gzip, gzip"),
				Status: 404, Want: []string{`{"errors":{"detail":"Not Found"}}`}}),
			bounded(resttest.Scenario{Name: "double gzip to an unknown page", Method: "POST", Path: "/nope", Body: double, Headers: gz("gzip, gzip"),
				Status: 404}),
			bounded(resttest.Scenario{Name: "single gzip to an unknown API path", Method: "PUT", Path: "/api/v1/nope/deeper", Body: single, Headers: gz("gzip"),
				Status: 404}),
			bounded(resttest.Scenario{Name: "double gzip to device login", Method: "POST", Path: "/api/v1/login/device", Body: double, Headers: gz("gzip, gzip"),
				Status: 415, Want: []string{unsupportedEncoding}}),
			bounded(resttest.Scenario{Name: "single gzip past the limit to device login", Method: "POST", Path: "/api/v1/login/device", Body: single, Headers: gz("gzip"),
				Status: 413, Want: []string{tooLarge}}),
			bounded(resttest.Scenario{Name: "authed route without a token", Method: "PATCH", Path: "/api/v1/me/display_name", Body: single, Headers: gz("gzip"),
				Status: 401, Want: []string{`{"error":"Authentication required"}`}}),
			bounded(resttest.Scenario{Name: "authed route with a bad token", Method: "PATCH", Path: "/api/v1/me/display_name", Body: double, Headers: gz("gzip, gzip"),
				Token: "not-a-token", Status: 401}),
			bounded(resttest.Scenario{Name: "authed route, signed in, past the limit", Method: "PATCH", Path: "/api/v1/me/display_name", Body: single, Headers: gz("gzip"),
				Token: u.Token, Status: 413, Want: []string{tooLarge}, Events: map[string]int{}}),
			bounded(resttest.Scenario{Name: "unknown encoding", Method: "POST", Path: "/api/v1/login/device", Body: single, Headers: gz("compress"),
				Status: 415, Want: []string{unsupportedEncoding}}),
			bounded(resttest.Scenario{Name: "encoding list with identity still has two codings", Method: "POST", Path: "/api/v1/login/device", Body: double, Headers: gz("gzip, identity, gzip"),
				Status: 415, Want: []string{unsupportedEncoding}}),
			{Name: "small gzip JSON still signs in", Method: "POST", Path: "/api/v1/login/device", Body: gzipped(t, device), Headers: gz("gzip"),
				Status: 200, Want: []string{`"access_token":"`, `"refresh_token":"`}},
			{Name: "x-gzip is gzip", Method: "POST", Path: "/api/v1/login/device", Body: gzipped(t, device), Headers: gz("x-gzip"),
				Status: 200, Want: []string{`"access_token":"`}},
			{Name: "deflate", Method: "POST", Path: "/api/v1/login/device", Body: deflated(t, device), Headers: gz("deflate"),
				Status: 200, Want: []string{`"access_token":"`}},
			{Name: "br", Method: "POST", Path: "/api/v1/login/device", Body: brotlied(t, device), Headers: gz("BR"),
				Status: 200, Want: []string{`"access_token":"`}},
			{Name: "identity", Method: "POST", Path: "/api/v1/login/device", Body: device, Headers: gz("identity"),
				Status: 200, Want: []string{`"access_token":"`}},
			{Name: "gzip plus identity", Method: "POST", Path: "/api/v1/login/device", Body: gzipped(t, device), Headers: gz("gzip, identity"),
				Status: 200, Want: []string{`"access_token":"`}},
			{Name: "gzip body merged with the query", Method: "PATCH", Path: "/api/v1/me/display_name?display_name=ignored", Token: u.Token,
				Body: gzipped(t, `{"display_name":"Zipped"}`), Headers: gz("gzip"), Status: 200, Want: []string{`"display_name":"Zipped"`}},
			{Name: "gzip url-encoded form", Method: "PATCH", Path: "/api/v1/me/display_name", Token: u.Token,
				Body: gzipped(t, "display_name=Formed"), Headers: append(gz("gzip"), "Content-Type", "application/x-www-form-urlencoded"),
				Status: 200, Want: []string{`"display_name":"Formed"`}},
			{Name: "NUL inside a gzip body", Method: "PATCH", Path: "/api/v1/me/display_name", Token: u.Token,
				Body: gzipped(t, `{"display_name":"a\u0000b"}`), Headers: gz("gzip"), Status: 400, Want: []string{nulBody}, Events: map[string]int{}},
			{Name: "corrupt gzip", Method: "POST", Path: "/api/v1/login/device", Body: "not gzip at all", Headers: gz("gzip"),
				Status: 400, Want: []string{`"error":"invalid_content_encoding"`}},
			{Name: "truncated gzip", Method: "POST", Path: "/api/v1/login/device", Body: gzipped(t, device)[:20], Headers: gz("gzip"),
				Status: 400, Want: []string{`"error":"invalid_content_encoding"`}},
		})

		// Two Content-Encoding header lines are two encodings too.
		req, err := http.NewRequest(http.MethodPost, e.URL+"/api/v1/login/device", bytes.NewReader(double))
		if err != nil {
			t.Fatal(err)
		}
		req.Header["Content-Type"] = []string{"application/json"}
		req.Header["Content-Encoding"] = []string{"gzip", "gzip"}
		m := resttest.ReadMemory(t)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m.CheckSince(t, memoryBudget)
		if res.StatusCode != 415 || strings.TrimSpace(string(body)) != unsupportedEncoding {
			t.Errorf("two Content-Encoding lines: %d %s", res.StatusCode, body)
		}
	})
}
