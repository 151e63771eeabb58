package main

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gamend-go/gamend/transport/rest/openapicheck"
)

// TestOpenAPIListsEveryRoute keeps /api/openapi true to the routes: the
// whole document is valid OpenAPI 3.1 (openapicheck), every /api route the
// server answers is in it with its method, and every documented operation
// is served.
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
	if problems, _ := openapicheck.Problems([]byte(r.Raw)); len(problems) > 0 {
		t.Fatalf("the served OpenAPI document is not valid OpenAPI 3.1:\n%s", strings.Join(problems, "\n"))
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
