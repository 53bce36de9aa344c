package browser_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestBrowserFailedRunAndRerun: a failed run shows its failing card
// highlighted; re-running it makes a new execution linked to the first.
func TestBrowserFailedRunAndRerun(t *testing.T) {
	srv := webtest.Start(t)
	ctx := context.Background()
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Divide")
	def.Event.Outputs = []flows.Field{{Key: "n", Type: flows.TypeNumber, Required: true}}
	def.Cards = []flows.Node{
		{ID: "half", Type: "number.divide", Bindings: map[string]flows.Binding{"a": webtest.Ref("event", "n", ""), "b": {Value: 2.0}}},
		{ID: "check", Type: "control.return_error_if", Bindings: map[string]flows.Binding{
			"a": webtest.Ref("half", "output", ""), "operator": {Value: "greater"}, "b": {Value: 10.0}, "message": {Value: "too big"}}},
	}
	if err := flows.Validate(def, srv.Web.Registry()); err != nil {
		t.Fatal(err)
	}
	f, err := srv.Store.CreateFlow(ctx, flows.Flow{Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	token := srv.Token(t)
	api := srv.NewClient()
	run := webtest.APIJSON(t, api, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", f.ID), map[string]any{"input": map[string]any{"n": 30}}, http.StatusOK)
	if run["status"] != "failed" {
		t.Fatalf("run: %v", run)
	}
	// Fix the flow, then re-run on the current flow.
	f.Definition.Cards[1].Bindings["b"] = flows.Binding{Value: 100.0}
	if _, err := srv.Store.UpdateFlow(ctx, f); err != nil {
		t.Fatal(err)
	}

	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	b.Open("/executions?status=failed")
	b.Run(chromedp.Click(id("execution-link")), chromedp.WaitVisible(id("execution-steps")))
	failing := webtest.Value(b, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid="execution-step"][data-failing="true"]')].map(e => e.dataset.card).join(",")`))
	if failing != "check" || !strings.Contains(b.Text("step-error"), "too big") {
		t.Fatalf("failing cards %q", failing)
	}
	b.Screenshot("execution-failed")
	b.Run(chromedp.Click(id("rerun")), chromedp.WaitVisible(id("execution-rerun-of")))
	if got := b.Text("execution-status"); got != "succeeded" {
		t.Fatalf("the re-run %s", got)
	}
	if got := b.Text("execution-rerun-of"); got != run["id"] {
		t.Fatalf("re-run of %q, want %v", got, run["id"])
	}
	// And the first links to its re-run; on its revision it fails again.
	b.Run(chromedp.Click(id("execution-rerun-of")), chromedp.WaitVisible(id("execution-reruns")))
	b.Run(chromedp.Click(id("rerun-original")), chromedp.WaitVisible(id("execution-rerun-of")))
	if got := b.Text("execution-status"); got != "failed" {
		t.Fatalf("the re-run on the original revision %s", got)
	}
	reruns, _ := srv.Store.Executions(ctx, store.ExecutionFilter{RerunOf: run["id"].(string)})
	if len(reruns) != 2 || reruns[0].Trigger != flows.TriggerRerun {
		t.Fatalf("%d re-runs", len(reruns))
	}
}

func TestBulkRerunAndLiveList(t *testing.T) {
	srv := webtest.Start(t)
	ctx := context.Background()
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Fails")
	def.Cards = []flows.Node{{ID: "boom", Type: flows.ControlReturnError, Bindings: map[string]flows.Binding{"message": {Value: "boom"}}}}
	f, _ := srv.Store.CreateFlow(ctx, flows.Flow{Definition: def})
	token := srv.Token(t)
	api := srv.NewClient()
	var ids []string
	for range 2 {
		ids = append(ids, webtest.APIJSON(t, api, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", f.ID), map[string]any{"input": map[string]any{}}, http.StatusOK)["id"].(string))
	}
	c := srv.SignedIn(t)
	if res, _ := webtest.PostConnectorForm(t, c, "/executions/rerun", url.Values{"id": ids}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("bulk re-run: %d", res.StatusCode)
	}
	for _, id := range ids {
		if rs, _ := srv.Store.Executions(ctx, store.ExecutionFilter{RerunOf: id}); len(rs) != 1 {
			t.Fatalf("%s re-run %d times", id, len(rs))
		}
	}
	if res, _ := webtest.PostConnectorForm(t, c, "/executions/rerun", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("an empty bulk re-run: %d", res.StatusCode)
	}

	// The list shows a new run without a reload.
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	b.Open("/executions")
	before := webtest.Value(b, chromedp.Evaluate[float64](`document.querySelectorAll('[data-testid="execution-row"]').length`))
	webtest.APIJSON(t, api, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", f.ID), map[string]any{"input": map[string]any{}}, http.StatusOK)
	webtest.WaitFor(t, "the new run in the list", func() bool {
		return webtest.Value(b, chromedp.Evaluate[float64](`document.querySelectorAll('[data-testid="execution-row"]').length`)) == before+1
	})
}
