package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// OnboardingPack is web/testdata/onboarding.flopack: folder "Onboarding",
// a manual flow "Welcome message", an Okta app-event flow "Notify on new
// user" whose body (a helper flow) sends a Slack message, and a table
// "New hires".
func OnboardingPack(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(OnboardingPackPath(t))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// OnboardingPackPath is the absolute path of web/testdata/onboarding.flopack,
// for a browser test to upload.
func OnboardingPackPath(t *testing.T) string {
	t.Helper()
	root, ok := moduleRoot()
	if !ok {
		t.Fatal("no go.mod above the working directory")
	}
	return filepath.Join(root, "web", "testdata", "onboarding.flopack")
}

// ImportReport is the API's answer to an import.
type ImportReport struct {
	DryRun bool         `json:"dryRun"`
	Folder flows.Folder `json:"folder"`
	Flows  []struct {
		Key      string          `json:"key"`
		ID       int64           `json:"id"`
		Name     string          `json:"name"`
		Kind     string          `json:"kind"`
		Valid    bool            `json:"valid"`
		Problems []flows.Problem `json:"problems"`
		Notes    []string        `json:"notes"`
	} `json:"flows"`
	Tables []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"tables"`
	Unsupported []map[string]string `json:"unsupported"`
}

// ImportFlopack posts a flopack to the import API (query: "" or
// "?dryRun=true"...) and returns the report and raw answer, failing the
// test on another status than want.
func ImportFlopack(t *testing.T, c *Client, token, query string, body []byte, want int) (ImportReport, string) {
	t.Helper()
	status, out := c.API(t, token, "POST", "/api/v1/flopacks/import"+query, string(body))
	if status != want {
		t.Fatalf("import%s = %d %s, want %d", query, status, out, want)
	}
	var rep ImportReport
	json.Unmarshal([]byte(out), &rep)
	return rep, out
}

// RunFlow runs a flow through the API and returns the execution's id.
func RunFlow(t *testing.T, srv *Server, token string, flowID int64) string {
	t.Helper()
	return APIJSON(t, srv.NewClient(), token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", flowID), map[string]any{"input": map[string]any{}}, http.StatusOK)["id"].(string)
}

// HistoryFixture is a workspace flow and a deployed connector with three
// executions: two of the workspace flow (18 µs and 8 ms), one of the
// connector's Webhook Event flow (1.2 s).
type HistoryFixture struct {
	Srv                  *Server
	Workspace, Connector int64 // flow ids
	Runs                 map[string]*flows.Execution
}

// NewHistoryFixture starts a server and records HistoryFixture's flows and
// executions in it.
func NewHistoryFixture(t *testing.T) HistoryFixture {
	t.Helper()
	srv := Start(t)
	ctx := context.Background()
	prov := NewAcme(t)
	_, v := DeployAcme(t, srv, prov, srv.Token(t))
	var evFlow int64
	fmt.Sscan(v.Export.FlowsOfKind(flows.KindWebhookEvent)[0].Key, &evFlow)
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Greet people")
	f, err := srv.Store.CreateFlow(ctx, flows.Flow{Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	fx := HistoryFixture{Srv: srv, Workspace: f.ID, Connector: evFlow, Runs: map[string]*flows.Execution{}}
	start := time.Date(2026, 11, 1, 10, 0, 5, 0, time.UTC)
	for i, r := range []struct {
		name   string
		flow   int64
		took   time.Duration
		status flows.Status
		who    string
	}{
		{"quick", f.ID, 18 * time.Microsecond, flows.StatusSucceeded, "Grace Hopper"},
		{"slower", f.ID, 8 * time.Millisecond, flows.StatusFailed, "Ada Lovelace"},
		{"connector", evFlow, 1200 * time.Millisecond, flows.StatusSucceeded, "Charles Babbage"},
	} {
		at := start.Add(time.Duration(i) * time.Minute)
		e := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: r.flow, FlowName: r.name, Trigger: flows.TriggerManual, Status: r.status,
			StartedAt: at, FinishedAt: at.Add(r.took), Input: map[string]any{"who": r.who},
			Steps: []flows.Step{{CardID: "c1", Type: "text.upper", StartedAt: at, DurationUS: r.took.Microseconds(), Outputs: map[string]any{"output": strings.ToUpper(r.who)}}}}
		if r.flow == evFlow {
			e.Trigger = flows.TriggerPayload
		}
		if r.status == flows.StatusFailed {
			e.Error, e.ErrorCard = "boom", "c1"
		}
		if err := srv.Store.RecordExecution(ctx, e); err != nil {
			t.Fatal(err)
		}
		fx.Runs[r.name] = e
	}
	return fx
}

// TablesFixture makes a table "Customers" (email text, age number, vip
// true/false with default false) with rows through the API.
func TablesFixture(t *testing.T, srv *Server, rows int) int64 {
	t.Helper()
	c, token := srv.NewClient(), srv.Token(t)
	tb := APICall(t, c, token, "POST", "/api/v1/tables", `{"name":"Customers","description":"who buys",
		"columns":[{"name":"email","type":"text","unique":true},{"name":"age","type":"number"},{"name":"vip","type":"boolean","default":false}]}`, 201)
	id := int64(tb["id"].(float64))
	for i := range rows {
		APICall(t, c, token, "POST", fmt.Sprintf("/api/v1/tables/%d/rows", id), fmt.Sprintf(`{"email":"user%02d@example.org","age":%d}`, i, 20+i), 201)
	}
	return id
}
