package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/web/webtest"
)

// flakyAcmeSetup is acmeSetup with a Webhook Event flow that first calls
// the provider's GET /flaky, which fails while prov.fail is set.
func flakyAcmeSetup(t *testing.T, srv *webtest.Server, prov *acme, token string) (flowID, eventFlow int64) {
	t.Helper()
	c := srv.NewClient()
	export := acmeExportWith(t, prov.URL, func(x *flows.ConnectorExport) {
		for i := range x.Flows {
			if d := &x.Flows[i].Definition; d.Kind == flows.KindWebhookEvent {
				d.Cards = append([]flows.Node{{ID: "flaky", Type: "http.get", Bindings: map[string]flows.Binding{"url": {Value: "/flaky"}}}}, d.Cards...)
			}
		}
	})
	con := apiJSON(t, c, token, "POST", "/api/v1/connectors/import", export, http.StatusCreated)
	conID := int64(con["id"].(float64))
	apiJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/connectors/%d/deploy", conID), nil, http.StatusCreated)
	v, err := srv.Store.Version(context.Background(), conID, 1)
	if err != nil {
		t.Fatal(err)
	}
	return newUsersFlow(t, srv, token, conID, v)
}

// pushRaw sends a body to the flow's Event URL as the provider does,
// signed, with a delivery id.
func (a *acme) pushRaw(t *testing.T, delivery, body string) {
	t.Helper()
	for _, s := range a.subscriptions() {
		req, _ := http.NewRequest(http.MethodPost, s.URL, bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		a.sign(req, s.Secret, body)
		req.Header.Set("X-Delivery-Id", delivery)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusAccepted {
			t.Fatalf("push: %d", res.StatusCode)
		}
	}
}

// connectorRuns lists the runs of the connector's Webhook Event flow.
func connectorRuns(t *testing.T, st *store.Store, eventFlow int64, status flows.Status) []*flows.Execution {
	t.Helper()
	es, err := st.Executions(context.Background(), store.ExecutionFilter{FlowID: eventFlow, Status: status})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestMalformedPayloadIsNotADeadEnd: a body that is not JSON fails the
// connector's run with words that say so, and no re-run is offered for
// it; a connector's run that failed on the way (so started no workspace
// run) is re-run from its page, and then starts the workspace flow.
func TestMalformedPayloadIsNotADeadEnd(t *testing.T) {
	prov := newAcme(t)
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	token := srv.Token(t)
	flowID, eventFlow := flakyAcmeSetup(t, srv, prov, token)
	apiJSON(t, srv.NewClient(), token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", flowID), nil, http.StatusOK)
	c := srv.SignedIn(t)

	// Not JSON: the run fails at once, saying why; no re-run is offered.
	prov.pushRaw(t, "bad1", `{"data": {"events": [`)
	waitFor(t, "the failed run of the bad body", func() bool { return len(connectorRuns(t, srv.Store, eventFlow, flows.StatusFailed)) == 1 })
	bad := connectorRuns(t, srv.Store, eventFlow, flows.StatusFailed)[0]
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
	if res, _ := postForm(t, c, "/executions/"+bad.ID+"/rerun", url.Values{}); res.StatusCode != http.StatusSeeOther || len(connectorRuns(t, srv.Store, eventFlow, "")) != 1 {
		t.Fatal("the bad body's run was re-run anyway")
	}

	// The provider fails meanwhile: the run fails at its HTTP card, after
	// its retries, and starts no workspace run.
	prov.fail.Store(true)
	prov.pushRaw(t, "good1", `{"data": {"events": [{"uuid": "u1", "actor": {"displayName": "Grace"}}]}}`)
	waitFor(t, "the failed run", func() bool { return len(connectorRuns(t, srv.Store, eventFlow, flows.StatusFailed)) == 2 })
	waitFor(t, "every delivery to be done", func() bool { n, _ := srv.Store.CountQueuedDeliveries(t.Context()); return n == 0 })
	failed := connectorRuns(t, srv.Store, eventFlow, flows.StatusFailed)[0]
	if failed.ErrorCard != "flaky" || len(payloadRuns(t, srv.Store, flowID)) != 0 {
		t.Fatalf("the failed run: card %q; %d workspace runs", failed.ErrorCard, len(payloadRuns(t, srv.Store, flowID)))
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
	prov.fail.Store(false)
	_, body = c.Get(t, "/executions/"+failed.ID)
	if doc := parse(t, body); doc.Find(`[data-testid="rerun"]`).Length() != 1 || doc.Find(`[data-testid="rerun-unavailable"]`).Length() != 0 {
		t.Fatal("no re-run offered for the failed connector's run")
	}
	res, _ := postForm(t, c, "/executions/"+failed.ID+"/rerun", url.Values{})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("re-run: %d", res.StatusCode)
	}
	reruns, _ := srv.Store.Executions(t.Context(), store.ExecutionFilter{RerunOf: failed.ID})
	if len(reruns) != 1 || reruns[0].Status != flows.StatusSucceeded || reruns[0].FlowID != eventFlow || reruns[0].WorkspaceFlow != flowID ||
		res.Header.Get("Location") != "/executions/"+reruns[0].ID {
		t.Fatalf("the re-run: %+v, to %s", reruns, res.Header.Get("Location"))
	}
	runs := payloadRuns(t, srv.Store, flowID)
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
