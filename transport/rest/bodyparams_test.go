package rest_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"

	"github.com/gamend-go/gamend/transport/rest"
	"github.com/gamend-go/gamend/transport/rest/resttest"
)

const formType = "application/x-www-form-urlencoded"

// multipartBody encodes fields (name, value pairs) as multipart/form-data
// and returns the body and its Content-Type.
func multipartBody(t *testing.T, fields ...string) (string, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := w.WriteField(fields[i], fields[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String(), w.FormDataContentType()
}

// jsonEqual compares a response body with the expected JSON, ignoring
// key order.
func jsonEqual(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("body %s is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Fatalf("body %s, want %s", gb, wb)
	}
}

// TestFormAndQueryParams: form (url-encoded and multipart) bodies and
// query-string parameters reach a JSON handler as the body it expects, with
// values converted by the field's schema type, and the body wins over the
// query (API.md §1.2).
func TestFormAndQueryParams(t *testing.T) {
	base := startServer(t, rest.Options{MaxBodyBytes: 4096})
	typed := `{"name":"ann","count":3,"ratio":1.5,"flag":true,"tags":["x","y"],"nums":[1,2],"meta":{"k":1},"page":0}`
	form := url.Values{"name": {"ann"}, "count": {"3"}, "ratio": {"1.5"}, "flag": {"on"}, "tags": {"x", "y"},
		"nums[]": {"1", "2"}, "meta": {`{"k":1}`}}.Encode()
	mp, mpType := multipartBody(t, "name", "ann", "count", "3", "ratio", "1.5", "flag", "true", "tags", "x", "tags", "y",
		"nums[]", "1", "nums[]", "2", "meta", `{"k":1}`)

	t.Run("url-encoded, every type", func(t *testing.T) {
		r := do(t, "POST", base+"/api/v1/test/typed", form, "Content-Type", formType)
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		jsonEqual(t, r.body, typed)
	})
	t.Run("multipart, every type", func(t *testing.T) {
		r := do(t, "POST", base+"/api/v1/test/typed", mp, "Content-Type", mpType)
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		jsonEqual(t, r.body, typed)
	})
	t.Run("query string only, no body", func(t *testing.T) {
		r := do(t, "POST", base+"/api/v1/test/typed?"+form, "")
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		jsonEqual(t, r.body, typed)
	})
	t.Run("json body merged with query, body wins", func(t *testing.T) {
		r := do(t, "POST", base+"/api/v1/test/typed?name=query&count=4&flag=0", `{"name":"body","flag":true}`)
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		jsonEqual(t, r.body, `{"name":"body","count":4,"flag":true,"page":0}`)
	})
	t.Run("form merged with query, form wins", func(t *testing.T) {
		r := do(t, "POST", base+"/api/v1/test/typed?name=query&count=9", "name=form", "Content-Type", formType)
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		jsonEqual(t, r.body, `{"name":"form","count":9,"page":0}`)
	})
	t.Run("multipart merged with query, multipart wins", func(t *testing.T) {
		body, ct := multipartBody(t, "name", "part")
		r := do(t, "POST", base+"/api/v1/test/typed?name=query&ratio=2", body, "Content-Type", ct)
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		jsonEqual(t, r.body, `{"name":"part","ratio":2,"page":0}`)
	})
	t.Run("a form under the size limit stays under it as JSON", func(t *testing.T) {
		big := startServer(t, rest.Options{})  // 1 MiB
		name := strings.Repeat("<&>", 100_000) // 300 KB; HTML-escaped JSON would be 1.8 MB
		r := do(t, "POST", big+"/api/v1/test/typed", url.Values{"name": {name}}.Encode(), "Content-Type", formType)
		if r.status != 200 {
			t.Fatalf("status %d: %.200s", r.status, r.body)
		}
		var got struct{ Name string }
		if err := json.Unmarshal([]byte(r.body), &got); err != nil || got.Name != name {
			t.Fatalf("name came back as %d bytes (%v)", len(got.Name), err)
		}
	})
	t.Run("declared query parameters stay in the query; others are ignored", func(t *testing.T) {
		r := do(t, "POST", base+"/api/v1/test/typed?page=3&cachebust=1", "name=a", "Content-Type", formType)
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		jsonEqual(t, r.body, `{"name":"a","page":3}`)
	})

	errs := []struct {
		name, path, body, ct string
		status               int
		want                 string
	}{
		{"form value of the wrong type names the field", "/api/v1/test/typed", "name=a&count=lots", formType, 422, `"count":[`},
		{"form boolean that is not one", "/api/v1/test/typed", "name=a&flag=maybe", formType, 422, `"flag":[`},
		{"unknown form field is a field error, as in JSON", "/api/v1/test/typed", "name=a&extra=1", formType, 422, `"error":"validation_failed"`},
		{"form validation as in JSON", "/api/v1/test/echo", "name=abcdefgh", formType, 422, `"name":["expected length`},
		{"query value validated as in JSON", "/api/v1/test/echo?name=abcdefgh", "", "", 422, `"name":["expected length`},
		{"broken url encoding", "/api/v1/test/typed", "name=%zz", formType, 400, `"error":"invalid_form"`},
		{"broken multipart", "/api/v1/test/typed", "--x\r\nnot a part", "multipart/form-data; boundary=x", 400, `"errors":{"detail":"Bad Request"}`}, // refused while the request is read
		{"bad json is still 400, even with query params", "/api/v1/test/typed?name=a", `{"name":`, "application/json", 400, `"error":"invalid_json"`},
		{"oversized form is still 413", "/api/v1/test/typed", "name=" + strings.Repeat("x", 5000), formType, 413, `"error":"request_too_large"`},
		{"empty body names the missing field", "/api/v1/test/echo", "", "", 422, `{"error":"validation_failed","errors":{"name":["is required"]}}`},
		{"missing field of a json body is named", "/api/v1/test/echo", `{"count":1}`, "application/json", 422, `{"error":"validation_failed","errors":{"name":["is required"]}}`},
		{"unsupported media type is refused", "/api/v1/test/typed", "name=a", "text/plain", 415, `"error":"unsupported_media_type"`},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			var headers []string
			if tt.ct != "" {
				headers = []string{"Content-Type", tt.ct}
			}
			r := do(t, "POST", base+tt.path, tt.body, headers...)
			if r.status != tt.status || !strings.Contains(r.body, tt.want) {
				t.Fatalf("status %d body %s; want %d with %s", r.status, r.body, tt.status, tt.want)
			}
		})
	}

	t.Run("NUL in a multipart value", func(t *testing.T) {
		body, ct := multipartBody(t, "name", "a\x00b")
		r := do(t, "POST", base+"/api/v1/test/typed", body, "Content-Type", ct)
		if r.status != 400 || !strings.Contains(r.body, nulBody) {
			t.Fatalf("status %d body %s; want 400 %s", r.status, r.body, nulBody)
		}
	})
}

// TestDeviceLoginParamStyles: the real device login accepts its device_id
// as JSON, as a url-encoded or multipart form, or in the query string, and
// the body wins over the query. A missing device_id is a 400 that names it.
func TestDeviceLoginParamStyles(t *testing.T) {
	resttest.Dialects(t, resttest.Options{}, func(t *testing.T, e *resttest.Env) {
		users := map[string]string{} // device id -> user id
		login := func(device string) func(t *testing.T, e *resttest.Env, r resttest.Response) {
			return func(t *testing.T, e *resttest.Env, r resttest.Response) {
				id, _ := r.Data()["user_id"].(string)
				if id == "" || r.Data()["access_token"] == nil {
					t.Fatalf("no token pair: %s", r.Body)
				}
				if prev, ok := users[device]; ok && prev != id {
					t.Fatalf("device %s signed in as %s, earlier as %s", device, id, prev)
				}
				users[device] = id
			}
		}
		mp, mpType := multipartBody(t, "device_id", "dev-multipart")
		e.Run(t, []resttest.Scenario{
			{Name: "json", Method: "POST", Path: "/api/v1/login/device", Body: `{"device_id":"dev-json"}`, Status: 200, After: login("dev-json")},
			{Name: "url-encoded", Method: "POST", Path: "/api/v1/login/device", Body: "device_id=dev-form",
				Headers: []string{"Content-Type", formType}, Status: 200, After: login("dev-form")},
			{Name: "multipart", Method: "POST", Path: "/api/v1/login/device", Body: mp,
				Headers: []string{"Content-Type", mpType}, Status: 200, After: login("dev-multipart")},
			{Name: "query string", Method: "POST", Path: "/api/v1/login/device?device_id=dev-query", Status: 200, After: login("dev-query")},
			{Name: "json body wins over query", Method: "POST", Path: "/api/v1/login/device?device_id=dev-query",
				Body: `{"device_id":"dev-json"}`, Status: 200, After: login("dev-json")},
			{Name: "form body wins over query", Method: "POST", Path: "/api/v1/login/device?device_id=dev-query", Body: "device_id=dev-form",
				Headers: []string{"Content-Type", formType}, Status: 200, After: login("dev-form")},
			{Name: "same device by another style is the same user", Method: "POST", Path: "/api/v1/login/device?device_id=dev-json", Status: 200, After: login("dev-json")},
			{Name: "form field over the length limit", Method: "POST", Path: "/api/v1/login/device", Body: "device_id=" + strings.Repeat("d", 257),
				Headers: []string{"Content-Type", formType}, Status: 400, Want: []string{`"error":"unable to create device user"`}},
		})
		if len(users) != 4 {
			t.Fatalf("users by device: %v, want 4 distinct devices", users)
		}
		seen := map[string]bool{}
		for _, id := range users {
			seen[id] = true
		}
		if len(seen) != 4 {
			t.Fatalf("devices share users: %v", users)
		}
	})
}

// TestMissingRequiredFieldIsNamed: a missing required field is a 400 that
// names it ({"error":"<field>_required"}, API.md §4), whatever the body
// style; routes with a contract body of their own keep it.
func TestMissingRequiredFieldIsNamed(t *testing.T) {
	resttest.Dialects(t, resttest.Options{}, func(t *testing.T, e *resttest.Env) {
		deviceRequired := `{"error":"device_id_required","message":"device_id is required"}`
		u := e.CreateUser(t, resttest.UserSpec{})
		e.Run(t, []resttest.Scenario{
			{Name: "device: empty object", Method: "POST", Path: "/api/v1/login/device", Body: `{}`, Status: 400, Want: []string{deviceRequired}},
			{Name: "device: no body", Method: "POST", Path: "/api/v1/login/device", Status: 400, Want: []string{deviceRequired}},
			{Name: "device: null", Method: "POST", Path: "/api/v1/login/device", Body: `{"device_id":null}`, Status: 400, Want: []string{deviceRequired}},
			{Name: "device: empty string", Method: "POST", Path: "/api/v1/login/device", Body: `{"device_id":""}`, Status: 400, Want: []string{deviceRequired}},
			{Name: "device: empty form", Method: "POST", Path: "/api/v1/login/device", Body: "", Headers: []string{"Content-Type", formType},
				Status: 400, Want: []string{deviceRequired}},
			{Name: "login: both missing names the first", Method: "POST", Path: "/api/v1/login", Body: `{}`, Status: 400,
				Want: []string{`{"error":"email_required","message":"email is required"}`}},
			{Name: "login: password missing", Method: "POST", Path: "/api/v1/login", Body: `{"email":"a@example.com"}`, Status: 400,
				Want: []string{`{"error":"password_required","message":"password is required"}`}},
			{Name: "login: password missing from a form", Method: "POST", Path: "/api/v1/login", Body: "email=a%40example.com",
				Headers: []string{"Content-Type", formType}, Status: 400, Want: []string{`"error":"password_required"`}},
			{Name: "refresh keeps its contract body", Method: "POST", Path: "/api/v1/refresh", Body: `{}`, Status: 400,
				Want: []string{`{"error":"refresh_token is required"}`}},
			{Name: "me: display name missing", Method: "PATCH", Path: "/api/v1/me/display_name", Token: u.Token, Body: `{}`, Status: 400,
				Want: []string{`"error":"display_name_required"`}},
			{Name: "me: display name from the query", Method: "PATCH", Path: "/api/v1/me/display_name?display_name=Quinn", Token: u.Token, Status: 200,
				Want: []string{`"display_name":"Quinn"`}},
		})
	})
}
