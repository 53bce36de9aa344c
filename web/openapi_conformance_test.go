package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestOpenAPIConformance drives every operation of web/openapi.yaml the way
// a user of the API would — import and deploy a connector, change it and
// its flows, connect it, build flows, run them, turn one ON and OFF (anyway
// when its deregistration fails), upgrade it, change a flow's settings,
// read the history, re-run, import a flopack, fill a table, make and revoke
// an API token, make an event hook and send it a delivery — through the checking client: each
// request and response is validated against the document (webtest.CheckAPI),
// and the test fails unless every documented operation was called and
// answered with a success at least once.
func TestOpenAPIConformance(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true, HookTiming: flows.HookTiming{BatchWait: 20 * time.Millisecond}})
	c, token := srv.NewClient(), srv.Token(t)
	call := func(method, path, body string, want int) map[string]any {
		t.Helper()
		return webtest.APIJSON(t, c, token, method, path, body, want)
	}
	id := func(m map[string]any) int64 { return int64(m["id"].(float64)) }

	// The document itself, and who the token is.
	if res, _ := c.Do(t, "GET", "/api/v1/openapi.json", nil, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("openapi.json = %d", res.StatusCode)
	}
	call("GET", "/api/v1/me", "", http.StatusOK)
	webtest.APIJSON(t, c, "", "GET", "/api/v1/me", "", http.StatusUnauthorized)

	// A connector: imported and deployed, its versions, its export, the
	// export imported as its new draft, another connector.
	conID, v := webtest.DeployAcme(t, srv, prov, token)
	if _, body := c.API(t, token, "GET", fmt.Sprintf("/api/v1/connectors/%d/versions", conID), ""); !strings.Contains(body, `"version":1`) {
		t.Fatalf("versions = %s", body)
	}
	code, export := c.API(t, token, "GET", fmt.Sprintf("/api/v1/connectors/%d/export", conID), "")
	if code != http.StatusOK {
		t.Fatalf("export = %d", code)
	}
	call("POST", fmt.Sprintf("/api/v1/connectors/import?into=%d", conID), export, http.StatusCreated)
	other := call("POST", "/api/v1/connectors/import", strings.Replace(export, `"name": "Acme"`, `"name": "Acme EU"`, 1), http.StatusCreated)
	call("POST", fmt.Sprintf("/api/v1/connectors/%d/deploy", id(other)), "", http.StatusCreated)
	call("POST", "/api/v1/connectors/import", `{"schema": 1, "connector": {"name": "", "auth": {"kind": "none"}}, "flows": []}`, http.StatusUnprocessableEntity)
	call("POST", "/api/v1/connectors/999/deploy", "", http.StatusNotFound)
	conformConnectors(t, call, conID, id(other))

	// A flow on its Webhook Event (with a connection): ON, shown, OFF.
	hooked, _ := webtest.NewUsersFlow(t, srv, token, conID, v)
	on := call("POST", fmt.Sprintf("/api/v1/flows/%d/on", hooked), "", http.StatusOK)
	if st := on["state"].(map[string]any); st["on"] != true || st["eventUrl"] == nil {
		t.Fatalf("ON: state %v", st)
	}
	call("POST", fmt.Sprintf("/api/v1/flows/%d/on", hooked), "", http.StatusConflict)
	call("GET", fmt.Sprintf("/api/v1/flows/%d", hooked), "", http.StatusOK)
	conformConnections(t, call, conID)
	call("DELETE", fmt.Sprintf("/api/v1/connectors/%d", conID), "", http.StatusConflict) // a flow is ON with it
	call("DELETE", fmt.Sprintf("/api/v1/flows/%d", hooked), "", http.StatusConflict)     // it is ON
	// The provider refuses the deregistration: the flow is turned off anyway.
	prov.Fail.Store(true)
	call("POST", fmt.Sprintf("/api/v1/flows/%d/off", hooked), "", http.StatusOK)
	if st := call("POST", fmt.Sprintf("/api/v1/flows/%d/off-anyway", hooked), "", http.StatusOK)["state"].(map[string]any); st["on"] != false {
		t.Fatalf("off anyway: state %v", st)
	}
	prov.Fail.Store(false)
	// A new version of the connector, and the flow moved to it.
	call("POST", fmt.Sprintf("/api/v1/flows/%d/upgrade", hooked), "", http.StatusConflict) // nothing newer
	call("POST", fmt.Sprintf("/api/v1/connectors/%d/deploy", conID), "", http.StatusCreated)
	if up := call("POST", fmt.Sprintf("/api/v1/flows/%d/upgrade", hooked), "{}", http.StatusOK); up["to"] != 2.0 {
		t.Fatalf("upgrade: %v", up)
	}

	// A manual flow: create, show, export, run, and its history.
	greet := id(call("POST", "/api/v1/flows", greeter, http.StatusCreated))
	call("GET", fmt.Sprintf("/api/v1/flows/%d", greet), "", http.StatusOK)
	call("GET", fmt.Sprintf("/api/v1/flows/%d/export", greet), "", http.StatusOK)
	call("POST", "/api/v1/flows", `{"schema": 1, "kind": "workspace", "name": "x", "event": {"id": "event", "type": "nope"}, "cards": []}`, http.StatusUnprocessableEntity)
	run := call("POST", fmt.Sprintf("/api/v1/flows/%d/runs", greet), `{"input": {"name": "ada"}}`, http.StatusOK)
	call("POST", fmt.Sprintf("/api/v1/flows/%d/runs", greet), `{"input": {}}`, http.StatusOK) // fails, and says so
	call("POST", "/api/v1/flows/999/runs", `{}`, http.StatusNotFound)
	page := call("GET", fmt.Sprintf("/api/v1/executions?flow=%d&status=succeeded&limit=1", greet), "", http.StatusOK)
	if n := len(page["executions"].([]any)); n != 1 {
		t.Fatalf("executions page holds %d", n)
	}
	call("GET", "/api/v1/executions?status=sideways", "", http.StatusUnprocessableEntity)
	exec := run["id"].(string)
	call("GET", "/api/v1/executions/"+exec, "", http.StatusOK)
	call("POST", "/api/v1/executions/"+exec+"/rerun?version=original", "", http.StatusCreated)
	call("POST", "/api/v1/executions/"+exec+"/cancel", "", http.StatusConflict)
	// A run that waits is listed as running, and canceled.
	slow := id(call("POST", "/api/v1/flows", `{"schema": 1, "kind": "workspace", "name": "Slow",
		"event": {"id": "event", "type": "event.manual"},
		"cards": [{"id": "wait", "type": "control.wait_for", "bindings": {"amount": {"value": 30}, "unit": {"value": "seconds"}}}]}`, http.StatusCreated))
	done := make(chan int)
	go func() {
		code, _ := c.API(t, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", slow), `{"input": {}}`)
		done <- code
	}()
	var running []any
	webtest.WaitFor(t, "the slow run listed as running", func() bool {
		_, body := c.API(t, token, "GET", fmt.Sprintf("/api/v1/executions?flow=%d&status=running", slow), "")
		var p struct{ Executions []any }
		json.Unmarshal([]byte(body), &p)
		running = p.Executions
		return len(running) == 1
	})
	canceled := call("POST", "/api/v1/executions/"+running[0].(map[string]any)["id"].(string)+"/cancel", "", http.StatusOK)
	if canceled["status"] != "canceled" || <-done != http.StatusOK {
		t.Fatalf("cancel answered %v", canceled)
	}
	call("GET", "/api/v1/executions/nope", "", http.StatusNotFound)
	conformFlows(t, call, greet, slow, exec)

	// An API Endpoint flow: its client token once, its settings, a new token, a new URL.
	ep := call("POST", "/api/v1/flows", endpointFlow("Lookup", lookupCards), http.StatusCreated)
	if ep["clientToken"] == nil || ep["invokeUrl"] == nil {
		t.Fatalf("endpoint flow: %v", ep)
	}
	call("POST", fmt.Sprintf("/api/v1/flows/%d/endpoint", id(ep)), `{"security": "public", "rateLimit": 50}`, http.StatusOK)
	call("POST", fmt.Sprintf("/api/v1/flows/%d/client-token", id(ep)), "", http.StatusOK)
	call("POST", fmt.Sprintf("/api/v1/flows/%d/alias", id(ep)), "", http.StatusOK)

	// A flopack: a dry run, then the import.
	pack := string(webtest.OnboardingPack(t))
	call("POST", "/api/v1/flopacks/import?dryRun=true", pack, http.StatusOK)
	call("POST", "/api/v1/flopacks/import", pack, http.StatusCreated)
	call("POST", "/api/v1/flopacks/import", `"a note"`, http.StatusUnprocessableEntity)

	// A table: made, listed, changed, its rows written, read, paged, as CSV, and gone.
	tbl := call("POST", "/api/v1/tables", `{"name": "Customers", "columns": [{"name": "email", "type": "text", "unique": true},
		{"name": "age", "type": "number"}, {"name": "vip", "type": "boolean", "default": false}, {"name": "since", "type": "datetime"}]}`, http.StatusCreated)
	tp := fmt.Sprintf("/api/v1/tables/%d", id(tbl))
	call("POST", "/api/v1/tables", `{"name": "customers"}`, http.StatusConflict)
	call("GET", "/api/v1/tables", "", http.StatusOK)
	call("PATCH", tp, `{"description": "who buys"}`, http.StatusOK)
	row := call("POST", tp+"/rows", `{"email": "ada@example.com", "age": 36}`, http.StatusCreated)
	call("POST", tp+"/rows", `{"email": "ada@example.com"}`, http.StatusConflict)
	call("POST", tp+"/rows", `{"age": "many"}`, http.StatusUnprocessableEntity)
	rp := fmt.Sprintf("%s/rows/%d", tp, id(row))
	call("GET", rp, "", http.StatusOK)
	call("PATCH", rp, `{"vip": true}`, http.StatusOK)
	call("GET", tp+"/rows?where.age.greater=30&sort=age&desc=true&limit=10", "", http.StatusOK)
	call("GET", tp, "", http.StatusOK)
	res, csv := c.Do(t, "GET", tp+"/csv", nil, http.Header{"Authorization": {"Bearer " + token}})
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(csv, "id,email,age,vip,since,createdAt,updatedAt") {
		t.Fatalf("CSV export = %d %q", res.StatusCode, csv)
	}
	res, body := c.Do(t, "POST", tp+"/csv", strings.NewReader("email,age\ngrace@example.com,45\n"),
		http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"text/csv"}, "Accept": {"application/json"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"imported":1`) {
		t.Fatalf("CSV import = %d %s", res.StatusCode, body)
	}
	call("DELETE", rp, "", http.StatusNoContent)
	call("DELETE", tp+"/rows", "", http.StatusOK)
	call("DELETE", tp, "", http.StatusNoContent)
	call("GET", tp, "", http.StatusNotFound)

	// An API token: made, listed, revoked, refused.
	made := call("POST", "/api/v1/tokens", `{"name": "CI"}`, http.StatusCreated)
	call("POST", "/api/v1/tokens", `{"name": ""}`, http.StatusUnprocessableEntity)
	webtest.APIJSON(t, c, made["token"].(string), "GET", "/api/v1/me", "", http.StatusOK)
	if toks := call("GET", "/api/v1/tokens", "", http.StatusOK)["tokens"].([]any); len(toks) != 2 {
		t.Fatalf("tokens listed: %v", toks)
	}
	call("DELETE", fmt.Sprintf("/api/v1/tokens/%d", id(made)), "", http.StatusNoContent)
	call("DELETE", fmt.Sprintf("/api/v1/tokens/%d", id(made)), "", http.StatusNotFound)
	webtest.APIJSON(t, c, made["token"].(string), "GET", "/api/v1/me", "", http.StatusUnauthorized)

	// An event hook: verified, sent a delivery, previewed, changed and deleted.
	conformEventHooks(t, srv, call)

	// Every documented operation was called, and succeeded at least once.
	doc, err := webtest.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	calls := srv.APICalls()
	var missing []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			op := method + " " + path
			if !slices.ContainsFunc(calls[op], func(s int) bool { return s >= 200 && s < 300 }) {
				missing = append(missing, fmt.Sprintf("%s (called: %v)", op, calls[op]))
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("operations of web/openapi.yaml this test did not see succeed:\n  %s", strings.Join(missing, "\n  "))
	}
}

// apiCaller calls the API with the test's token, failing unless the status
// is want, and decodes the answer.
type apiCaller func(method, path, body string, want int) map[string]any

// conformConnectors lists, reads and changes connectors (a stale revision
// is refused), makes one with a flow that is read, changed and deleted,
// deletes it, and reads connector conID's first deployed version.
func conformConnectors(t *testing.T, call apiCaller, conID, other int64) {
	t.Helper()
	if page := call("GET", "/api/v1/connectors?q=acme&limit=10", "", http.StatusOK); len(page["items"].([]any)) != 2 {
		t.Fatalf("connectors listed: %v", page)
	}
	op := fmt.Sprintf("/api/v1/connectors/%d", other)
	rev := call("GET", op, "", http.StatusOK)["revision"].(float64)
	call("PATCH", op, fmt.Sprintf(`{"revision": %d, "description": "The EU tenant"}`, int(rev)), http.StatusOK)
	call("PATCH", op, fmt.Sprintf(`{"revision": %d, "description": "Stale"}`, int(rev)), http.StatusConflict)
	call("GET", fmt.Sprintf("/api/v1/connectors/%d/versions/1", conID), "", http.StatusOK)
	call("GET", fmt.Sprintf("/api/v1/connectors/%d/versions/9", conID), "", http.StatusNotFound)

	scratch := call("POST", "/api/v1/connectors", `{"name": "Scratch", "auth": {"kind": "none"}}`, http.StatusCreated)
	cp := fmt.Sprintf("/api/v1/connectors/%d", int64(scratch["id"].(float64)))
	call("POST", "/api/v1/connectors", `{"name": "Scratch", "auth": {"kind": "none"}}`, http.StatusConflict)
	f := call("POST", cp+"/flows", flowDoc(t, shout("Shout")), http.StatusCreated)
	fp := fmt.Sprintf("%s/flows/%d", cp, int64(f["id"].(float64)))
	call("GET", cp+"/flows", "", http.StatusOK)
	call("GET", fp, "", http.StatusOK)
	call("PUT", fp, fmt.Sprintf(`{"revision": 1, "definition": %s}`, flowDoc(t, shout("Shout louder"))), http.StatusOK)
	call("PUT", fp, fmt.Sprintf(`{"revision": 1, "definition": %s}`, flowDoc(t, shout("Again"))), http.StatusConflict)
	call("DELETE", fp, "", http.StatusNoContent)
	call("DELETE", cp, "", http.StatusNoContent)
	call("GET", cp, "", http.StatusNotFound)
}

// conformConnections lists, reads and renames connector conID's
// connection, and makes a second one and deletes it.
func conformConnections(t *testing.T, call apiCaller, conID int64) {
	t.Helper()
	page := call("GET", fmt.Sprintf("/api/v1/connections?connector=%d&limit=5", conID), "", http.StatusOK)
	items := page["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("connections listed: %v", page)
	}
	cp := fmt.Sprintf("/api/v1/connections/%d", int64(items[0].(map[string]any)["id"].(float64)))
	call("GET", cp, "", http.StatusOK)
	call("PATCH", cp, `{"name": "Acme production"}`, http.StatusOK)
	call("DELETE", cp, "", http.StatusConflict) // a flow is ON with it
	spare := call("POST", "/api/v1/connections", fmt.Sprintf(`{"connectorId": %d, "name": "Spare", "values": {"api_key": "k"}}`, conID), http.StatusCreated)
	call("DELETE", fmt.Sprintf("/api/v1/connections/%d", int64(spare["id"].(float64))), "", http.StatusNoContent)
}

// conformFlows lists the workspace flows, re-runs execution exec in bulk,
// changes flow greet (a stale revision is refused) and its settings, clears
// its data, and deletes flow slow.
func conformFlows(t *testing.T, call apiCaller, greet, slow int64, exec string) {
	t.Helper()
	if page := call("GET", "/api/v1/flows?kind=manual&limit=50", "", http.StatusOK); len(page["flows"].([]any)) < 2 {
		t.Fatalf("flows listed: %v", page)
	}
	call("GET", "/api/v1/flows?state=sideways", "", http.StatusUnprocessableEntity)
	if bulk := call("POST", "/api/v1/executions/rerun", fmt.Sprintf(`{"ids": [%q, "nope"]}`, exec), http.StatusOK); bulk["rerun"] != 1.0 || bulk["failed"] != 1.0 {
		t.Fatalf("bulk re-run: %v", bulk)
	}
	gp := fmt.Sprintf("/api/v1/flows/%d", greet)
	rev := int(call("GET", gp, "", http.StatusOK)["revision"].(float64))
	call("PUT", gp, fmt.Sprintf(`{"revision": %d, "definition": %s}`, rev, greeter), http.StatusOK)
	call("PUT", gp, fmt.Sprintf(`{"revision": %d, "definition": %s}`, rev, greeter), http.StatusConflict)
	settings := call("GET", gp+"/settings", "", http.StatusOK)
	call("PATCH", gp+"/settings", fmt.Sprintf(`{"saveData": false, "revision": %d}`, int(settings["revision"].(float64))), http.StatusOK)
	call("POST", gp+"/clear", `{"mode": "data"}`, http.StatusOK)
	call("POST", gp+"/clear", `{"mode": "some"}`, http.StatusUnprocessableEntity)
	call("DELETE", fmt.Sprintf("/api/v1/flows/%d", slow), "", http.StatusNoContent)
	call("DELETE", fmt.Sprintf("/api/v1/flows/%d", slow), "", http.StatusNotFound)
}
