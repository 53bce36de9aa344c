package web_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/web"
	"github.com/hookflow/hookflow/web/webtest"
)

var echoParam = regexp.MustCompile(`:(\w+)`)

// TestOpenAPIDocumentsEveryRoute fails when a route of the route table
// under /api/v1 is missing from web/openapi.yaml, or one documented there
// is not routed.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	srv := webtest.Start(t)
	doc, err := webtest.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "/api/v1"
	routed := map[string]bool{}
	for _, r := range srv.Web.Routes() {
		if !strings.HasPrefix(r.Path, prefix+"/") || !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, r.Method) {
			continue // the group's not-found routes, and the routes outside the API
		}
		routed[r.Method+" "+echoParam.ReplaceAllString(strings.TrimPrefix(r.Path, prefix), "{$1}")] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	if len(routed) < 30 {
		t.Fatalf("found %d API routes in the route table, want them all", len(routed))
	}
	for op := range routed {
		if !documented[op] {
			t.Errorf("%s is routed but not in web/openapi.yaml", strings.Replace(op, " ", " "+prefix, 1))
		}
	}
	for op := range documented {
		if !routed[op] {
			t.Errorf("%s is in web/openapi.yaml but not routed", strings.Replace(op, " ", " "+prefix, 1))
		}
	}
}

// TestOpenAPIServed serves the document as JSON, without a token.
func TestOpenAPIServed(t *testing.T) {
	srv := webtest.Start(t)
	res, body := srv.NewClient().Do(t, http.MethodGet, "/api/v1/openapi.json", nil, http.Header{"Accept": {"application/json"}})
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Paths["/flows/{id}/runs"]["post"] == nil {
		t.Fatalf("served document: openapi %q, %d paths", doc.OpenAPI, len(doc.Paths))
	}
	want, _ := web.OpenAPI()
	if body != string(want) {
		t.Fatal("the served document differs from web.OpenAPI()")
	}
}
