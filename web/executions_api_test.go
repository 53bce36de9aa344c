package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// bulkRerun is the answer of POST /api/v1/executions/rerun.
type bulkRerun struct {
	Results []struct {
		ID     string
		Rerun  string
		Status flows.Status
		Error  *struct {
			Status  int
			Message string
		}
	}
	Rerun, Failed int
}

// TestAPIExecutionFiltersSinceUntil: the list takes since and until for
// from and to, with the flow, status and trigger filters, a page at a time.
func TestAPIExecutionFiltersSinceUntil(t *testing.T) {
	srv := webtest.Start(t)
	start := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	seedHistory(t, srv.Store, 30, start)
	c, token := srv.NewClient(), srv.Token(t)
	at := func(s int) string { return start.Add(time.Duration(s) * time.Second).Format(time.RFC3339) }
	tests := []struct {
		name string
		q    url.Values
		want int
	}{
		{"since", url.Values{"since": {at(20)}}, 10},
		{"until", url.Values{"until": {at(10)}}, 10},
		{"since and until", url.Values{"since": {at(5)}, "until": {at(15)}}, 10},
		{"with flow, status and trigger", url.Values{"since": {at(0)}, "flow": {"1"}, "status": {"failed"}, "trigger": {"payload"}}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, p := listAPI(t, c, token, tt.q); code != http.StatusOK || len(p.Executions) != tt.want {
				t.Fatalf("status %d, %d executions, want %d", code, len(p.Executions), tt.want)
			}
		})
	}
	code, p := listAPI(t, c, token, url.Values{"since": {at(20)}, "limit": {"4"}})
	if code != http.StatusOK || len(p.Executions) != 4 || p.Next == "" {
		t.Fatalf("first page: %d, %d, next %q", code, len(p.Executions), p.Next)
	}
	if _, rest := listAPI(t, c, token, url.Values{"since": {at(20)}, "limit": {"8"}, "before": {p.Next}}); len(rest.Executions) != 6 || rest.Next != "" {
		t.Fatalf("second page: %d, next %q", len(rest.Executions), rest.Next)
	}
	if code, _ := listAPI(t, c, token, url.Values{"since": {"yesterday"}}); code != http.StatusUnprocessableEntity {
		t.Fatalf("a bad since: %d", code)
	}
}

// TestAPIExecutionBulkRerun: a bulk re-run by ids or by a filter re-runs
// each execution it may and says per id what became of it; what it may
// not re-run is refused with the reason, and stops none of the others.
func TestAPIExecutionBulkRerun(t *testing.T) {
	srv := webtest.Start(t)
	ctx := context.Background()
	c, token := srv.NewClient(), srv.Token(t)
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Fails")
	def.Cards = []flows.Node{{ID: "boom", Type: flows.ControlReturnError, Bindings: map[string]flows.Binding{"message": {Value: "boom"}}}}
	fails, _ := srv.Store.CreateFlow(ctx, flows.Flow{Definition: def})
	var failed []string
	for range 3 {
		failed = append(failed, webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", fails.ID), `{"input":{}}`, http.StatusOK)["id"].(string))
	}
	// A run whose input was not kept cannot be re-run.
	quiet := createFlow(t, srv, token, strings.Replace(greeter, `"kind":"workspace",`, `"kind":"workspace","saveData":false,`, 1))
	unsaved := webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", quiet), `{"input":{"name":"ada"}}`, http.StatusOK)["id"].(string)

	post := func(body string) bulkRerun {
		t.Helper()
		var out bulkRerun
		code, b := c.API(t, token, "POST", "/api/v1/executions/rerun", body)
		if code != http.StatusOK || json.Unmarshal([]byte(b), &out) != nil {
			t.Fatalf("bulk re-run %s: %d %s", body, code, b)
		}
		return out
	}
	out := post(fmt.Sprintf(`{"ids":[%q,%q,"nope",%q]}`, failed[0], failed[1], unsaved))
	if out.Rerun != 2 || out.Failed != 2 || len(out.Results) != 4 {
		t.Fatalf("by ids: %+v", out)
	}
	for i, want := range []string{"", "", "Not found.", "The run's input was not saved"} {
		r := out.Results[i]
		switch {
		case want == "" && (r.Rerun == "" || r.Status != flows.StatusFailed || r.Error != nil):
			t.Errorf("result %d: %+v", i, r)
		case want != "" && (r.Error == nil || !strings.Contains(r.Error.Message, want) || r.Rerun != ""):
			t.Errorf("result %d: %+v, want %q", i, r, want)
		}
	}
	if rerun := webtest.APIJSON(t, c, token, "GET", "/api/v1/executions/"+out.Results[0].Rerun, nil, http.StatusOK); rerun["trigger"] != "rerun" || rerun["rerunOf"] != failed[0] {
		t.Fatalf("the re-run: %v", rerun)
	}

	// By filter: the newest failed API run of the flow, at most 1.
	out = post(fmt.Sprintf(`{"filter":{"flow":"%d","status":"failed","trigger":"api"},"limit":1}`, fails.ID))
	if out.Rerun != 1 || len(out.Results) != 1 || out.Results[0].ID != failed[2] {
		t.Fatalf("by filter: %+v", out)
	}

	many := `{"ids":[` + strings.Repeat(`"x",`, 100) + `"x"]}`
	tests := []struct{ name, body, want string }{
		{"ids and a filter", `{"ids":["a"],"filter":{"status":"failed"}}`, "Send ids or a filter, not both"},
		{"neither", `{}`, "Send the ids of the executions to re-run, or a filter"},
		{"too many ids", many, "at most 100 executions"},
		{"too many by filter", `{"filter":{"status":"failed"},"limit":101}`, "Limit is 1 to 100"},
		{"a bad filter", `{"filter":{"status":"sleepy"}}`, "Unknown status"},
		{"a cursor in the filter", `{"filter":{"before":"x"}}`, "The filter takes no before"},
		{"unknown field", `{"id":["a"]}`, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := c.API(t, token, "POST", "/api/v1/executions/rerun", tt.body)
			if code != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
				t.Fatalf("%d %s; want 422 with %s", code, body, tt.want)
			}
		})
	}
}
