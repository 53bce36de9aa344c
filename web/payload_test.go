package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestMalformedPayloadIsNotADeadEnd: a body that is not JSON fails the
// connector's run with words that say so, and no re-run is offered for
// it; a connector's run that failed on the way (so started no workspace
// run) is re-run from its page, and then starts the workspace flow.
func TestMalformedPayloadIsNotADeadEnd(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	token := srv.Token(t)
	flowID, eventFlow := webtest.FlakyAcmeSetup(t, srv, prov, token)
	webtest.APIJSON(t, srv.NewClient(), token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", flowID), nil, http.StatusOK)
	c := srv.SignedIn(t)

	// Not JSON: the run fails at once, saying why; no re-run is offered.
	prov.PushRaw(t, "bad1", `{"data": {"events": [`)
	webtest.WaitFor(t, "the failed run of the bad body", func() bool { return len(webtest.ConnectorRuns(t, srv.Store, eventFlow, flows.StatusFailed)) == 1 })
	bad := webtest.ConnectorRuns(t, srv.Store, eventFlow, flows.StatusFailed)[0]
	if !strings.HasPrefix(bad.Error, "the body is not JSON: ") || bad.WorkspaceFlow != flowID || bad.ErrorCard != bad.Steps[0].CardID {
		t.Fatalf("the bad body's run: error %q, for flow %d, failing card %q", bad.Error, bad.WorkspaceFlow, bad.ErrorCard)
	}
	_, body := c.Get(t, "/executions/"+bad.ID)
	doc := parse(t, body)
	if got := doc.Find(`[data-testid="execution-error"]`).Text(); !strings.Contains(got, "the body is not JSON: ") {
		t.Fatalf("the page says %q", got)
	}
	if doc.Find(`[data-testid="rerun"]`).Length() != 0 || !strings.Contains(doc.Find(`[data-testid="rerun-unavailable"]`).Text(), "would fail the same way") {
		t.Fatal("a re-run is offered for a body that cannot be read")
	}
	if res, _ := webtest.PostConnectorForm(t, c, "/executions/"+bad.ID+"/rerun", url.Values{}); res.StatusCode != http.StatusSeeOther || len(webtest.ConnectorRuns(t, srv.Store, eventFlow, "")) != 1 {
		t.Fatal("the bad body's run was re-run anyway")
	}

	// The provider fails meanwhile: the run fails at its HTTP card, after
	// its retries, and starts no workspace run.
	prov.Fail.Store(true)
	prov.PushRaw(t, "good1", `{"data": {"events": [{"uuid": "u1", "actor": {"displayName": "Grace"}}]}}`)
	webtest.WaitFor(t, "the failed run", func() bool { return len(webtest.ConnectorRuns(t, srv.Store, eventFlow, flows.StatusFailed)) == 2 })
	webtest.WaitFor(t, "every delivery to be done", func() bool { n, _ := srv.Store.CountQueuedDeliveries(t.Context()); return n == 0 })
	failed := webtest.ConnectorRuns(t, srv.Store, eventFlow, flows.StatusFailed)[0]
	if failed.ErrorCard != "flaky" || len(webtest.PayloadRuns(t, srv.Store, flowID)) != 0 {
		t.Fatalf("the failed run: card %q; %d workspace runs", failed.ErrorCard, len(webtest.PayloadRuns(t, srv.Store, flowID)))
	}
	_, body = c.Get(t, "/executions")
	list := rowsByID(parse(t, body))
	if list[bad.ID].Find(`[data-testid="execution-select"]`).Length() != 0 || list[failed.ID].Find(`[data-testid="execution-select"]`).Length() != 1 {
		t.Fatal("the list offers to re-run what cannot be, or not what can")
	}
	if got := list[failed.ID].Find(`[data-testid="execution-for"]`).Text(); got != "for New users" {
		t.Fatalf("the connector's run is %q", got)
	}

	// It recovers: the run's own Re-run runs the request again, and the
	// workspace flow runs.
	prov.Fail.Store(false)
	_, body = c.Get(t, "/executions/"+failed.ID)
	if doc := parse(t, body); doc.Find(`[data-testid="rerun"]`).Length() != 1 || doc.Find(`[data-testid="rerun-unavailable"]`).Length() != 0 {
		t.Fatal("no re-run offered for the failed connector's run")
	}
	res, _ := webtest.PostConnectorForm(t, c, "/executions/"+failed.ID+"/rerun", url.Values{})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("re-run: %d", res.StatusCode)
	}
	reruns, _ := srv.Store.Executions(t.Context(), store.ExecutionFilter{RerunOf: failed.ID})
	if len(reruns) != 1 || reruns[0].Status != flows.StatusSucceeded || reruns[0].FlowID != eventFlow || reruns[0].WorkspaceFlow != flowID ||
		res.Header.Get("Location") != "/executions/"+reruns[0].ID {
		t.Fatalf("the re-run: %+v, to %s", reruns, res.Header.Get("Location"))
	}
	runs := webtest.PayloadRuns(t, srv.Store, flowID)
	if len(runs) != 1 || runs[0].ParentID != reruns[0].ID || runs[0].Status != flows.StatusSucceeded || runs[0].Steps[len(runs[0].Steps)-1].Outputs["output"] != "GRACE" {
		t.Fatalf("the workspace runs after the re-run: %+v", runs)
	}

	// A registration run is not re-run: turning the flow ON runs it.
	sub, _ := srv.Store.LatestSubscription(t.Context(), flowID)
	_, body = c.Get(t, "/executions/"+sub.RegistrationExecution)
	if doc := parse(t, body); doc.Find(`[data-testid="rerun"]`).Length() != 0 || !strings.Contains(doc.Find(`[data-testid="rerun-unavailable"]`).Text(), "turned ON") {
		t.Fatal("a registration run offers a re-run")
	}
}
