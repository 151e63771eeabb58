package main

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIListsEveryRoute keeps /api/openapi true to the routes: every
// /api route the server answers is in the document with its method, and
// every documented operation is served.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	ta := newTestApp(t, "sqlite")
	r, err := call(context.Background(), "GET", ta.base+"/api/openapi", "", nil)
	if err != nil || r.Status != 200 {
		t.Fatalf("openapi: %v %d", err, r.Status)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(r.Raw), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("not OpenAPI 3: %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	served := map[string]bool{} // every route, for the phantom check
	api := map[string]bool{}    // /api routes, which must all be documented
	for _, rt := range ta.http.App.GetRoutes(true) {
		if rt.Method == "HEAD" || rt.Method == "OPTIONS" || rt.Method == "USE" {
			continue
		}
		k := rt.Method + " " + param.ReplaceAllString(rt.Path, "{$1}")
		served[k] = true
		if strings.HasPrefix(rt.Path, "/api/") && rt.Path != "/api/openapi" && rt.Path != "/api/docs" {
			api[k] = true
		}
	}
	var missing, phantom []string
	for k := range api {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !served[k] {
			phantom = append(phantom, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(phantom)
	if len(missing) > 0 || len(phantom) > 0 {
		t.Fatalf("routes not in OpenAPI: %v\ndocumented but not served: %v", missing, phantom)
	}
	if len(api) < 5 {
		t.Fatalf("only %d routes found", len(api))
	}
}
