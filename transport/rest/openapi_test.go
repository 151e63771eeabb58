package rest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/transport/rest"
	"github.com/gamend-go/gamend/transport/rest/openapicheck"
	"github.com/gamend-go/gamend/transport/rest/resttest"
)

// TestOpenAPIDocumentIsValid validates the served /api/openapi (the edge
// with test routes, and the account routes) against the OpenAPI 3.1
// specification, checks a real health answer against the document, and
// makes sure the validation rejects a broken document.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	base := startServer(t, rest.Options{})
	r := do(t, "GET", base+"/api/openapi", "")
	if r.status != 200 {
		t.Fatalf("openapi: %d", r.status)
	}
	problems, v := openapicheck.Problems([]byte(r.body))
	if len(problems) > 0 {
		t.Fatalf("the served OpenAPI document is not valid OpenAPI 3.1:\n%s", strings.Join(problems, "\n"))
	}

	req, err := http.NewRequest("GET", base+"/api/v1/health", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ok, errs := v.ValidateHttpRequestResponse(req, res); !ok {
		for _, e := range errs {
			t.Errorf("health answer does not match the document: %s: %s", e.Message, e.Reason)
		}
	}

	e := resttest.New(t, persistencetest.SQLite(t), resttest.Options{})
	doc := e.Do(t, "GET", "/api/openapi", nil, "")
	if doc.Status != 200 {
		t.Fatalf("openapi with account routes: %d", doc.Status)
	}
	if problems, _ := openapicheck.Problems([]byte(doc.Body)); len(problems) > 0 {
		t.Fatalf("the OpenAPI document with account routes is not valid OpenAPI 3.1:\n%s", strings.Join(problems, "\n"))
	}

	// The check is real: a document with a broken operation fails it.
	var broken map[string]any
	if err := json.Unmarshal([]byte(r.body), &broken); err != nil {
		t.Fatal(err)
	}
	broken["paths"].(map[string]any)["/api/v1/health"].(map[string]any)["get"].(map[string]any)["responses"] = "none"
	b, _ := json.Marshal(broken)
	if problems, _ := openapicheck.Problems(b); len(problems) == 0 {
		t.Fatal("a document whose responses is a string passed validation")
	}
}
