package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

// hookTriggerFlow is a workspace flow on a Hookflow Event card for
// execution.failed (of any flow, or of the flow ofFlow) whose run itself
// fails when fails is set.
func hookTriggerFlow(name string, ofFlow int64, fails bool) string {
	filter := ""
	if ofFlow != 0 {
		filter = fmt.Sprintf(`,"flow":{"value":%d}`, ofFlow)
	}
	cards := `[]`
	if fails {
		cards = `[{"id":"boom","type":"control.return_error","bindings":{"message":{"value":"the alert failed too"}}}]`
	}
	return fmt.Sprintf(`{"schema":1,"kind":"workspace","name":%q,"event":{"id":"event","type":"event.hookflow","bindings":{"events":{"value":["execution.failed"]}%s}},"cards":%s}`,
		name, filter, cards)
}

// endedRuns lists a flow's runs.
func endedRuns(t *testing.T, srv *webtest.Server, flow int64) []*flows.Execution {
	t.Helper()
	xs, err := srv.Store.Executions(context.Background(), store.ExecutionFilter{FlowID: flow})
	if err != nil {
		t.Fatal(err)
	}
	var out []*flows.Execution
	for _, x := range xs {
		if x.Status.IsFinal() {
			out = append(out, x)
		}
	}
	return out
}

func waitEndedRuns(t *testing.T, srv *webtest.Server, flow int64, n int, what string) []*flows.Execution {
	t.Helper()
	var xs []*flows.Execution
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if xs = endedRuns(t, srv, flow); len(xs) >= n {
			return xs
		}
	}
	t.Fatalf("%s: %d runs, want %d", what, len(xs), n)
	return nil
}

// TestHookflowEventErrorFlow: an error flow on execution.failed runs once
// per failure of another flow (an HTTP card answered 500), with that
// flow's id, name and error in its event card's outputs; its own failure
// starts neither itself nor another error flow (no chain); a filter by
// flow leaves the other flows' failures out; turned OFF it runs no more.
func TestHookflowEventErrorFlow(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "down for maintenance", http.StatusInternalServerError)
			}))
			defer down.Close()
			srv := webtest.StartWith(t, webtest.Options{DatabaseURL: db.URL(t), StartQueue: true})
			c, token := srv.NewClient(), srv.Token(t)
			orders := webtest.APIFlowCreate(t, c, token, webtest.HTTPFailFlow("Orders", down.URL+"/orders"))
			invoices := webtest.APIFlowCreate(t, c, token, webtest.HTTPFailFlow("Invoices", down.URL+"/invoices"))
			alerts := webtest.APIFlowCreate(t, c, token, hookTriggerFlow("Alerts", 0, true))
			pager := webtest.APIFlowCreate(t, c, token, hookTriggerFlow("Pager", 0, false))
			onlyInvoices := webtest.APIFlowCreate(t, c, token, hookTriggerFlow("Invoice errors", invoices, false))
			for _, id := range []int64{alerts, pager, onlyInvoices} {
				webtest.APICall(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", id), "", 200)
			}

			failed := webtest.APICall(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", orders), `{}`, 200)
			if failed["status"] != "failed" {
				t.Fatalf("the Orders run: %v", failed)
			}
			got := waitEndedRuns(t, srv, alerts, 1, "Alerts after Orders failed")
			x := got[0]
			if x.Trigger != flows.TriggerHookEvent || x.Status != flows.StatusFailed {
				t.Errorf("the Alerts run: trigger %s, status %s", x.Trigger, x.Status)
			}
			if x.Input["flowId"] != float64(orders) || x.Input["flowName"] != "Orders" || x.Input["executionId"] != failed["id"] ||
				x.Input["eventType"] != "execution.failed" || !strings.Contains(fmt.Sprint(x.Input["error"]), "500") {
				t.Errorf("the Alerts run's input: %v", x.Input)
			}
			waitEndedRuns(t, srv, pager, 1, "Pager after Orders failed")
			// Alerts failed: neither it nor Pager runs for that (no loop,
			// no chain); Invoice errors never ran for Orders.
			time.Sleep(2 * time.Second)
			if n := len(endedRuns(t, srv, alerts)); n != 1 {
				t.Errorf("Alerts ran %d times for one failure", n)
			}
			if n := len(endedRuns(t, srv, pager)); n != 1 {
				t.Errorf("Pager ran %d times for one failure (the Alerts run's failure started it?)", n)
			}
			if n := len(endedRuns(t, srv, onlyInvoices)); n != 0 {
				t.Errorf("the flow filtered on Invoices ran %d times for Orders", n)
			}

			webtest.APICall(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", invoices), `{}`, 200)
			inv := waitEndedRuns(t, srv, onlyInvoices, 1, "Invoice errors after Invoices failed")
			if inv[0].Input["flowId"] != float64(invoices) {
				t.Errorf("Invoice errors ran for %v", inv[0].Input["flowId"])
			}
			waitEndedRuns(t, srv, alerts, 2, "Alerts after Invoices failed")

			webtest.APICall(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/off", alerts), "", 200)
			webtest.APICall(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", orders), `{}`, 200)
			waitEndedRuns(t, srv, pager, 3, "Pager after the third failure")
			time.Sleep(time.Second)
			if n := len(endedRuns(t, srv, alerts)); n != 2 {
				t.Errorf("Alerts, OFF, ran: %d runs, want 2", n)
			}
		})
	}
}

// TestHookflowEventSurvivesRestart: a failure while the queue does not
// run (the server stops before the error flow's run) is run after the
// restart, once.
func TestHookflowEventSurvivesRestart(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusInternalServerError)
			}))
			defer down.Close()
			srv := webtest.StartWith(t, webtest.Options{DatabaseURL: db.URL(t)})
			c, token := srv.NewClient(), srv.Token(t)
			orders := webtest.APIFlowCreate(t, c, token, webtest.HTTPFailFlow("Orders", down.URL))
			alerts := webtest.APIFlowCreate(t, c, token, hookTriggerFlow("Alerts", 0, false))
			webtest.APICall(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", alerts), "", 200)
			webtest.APICall(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", orders), `{}`, 200)
			time.Sleep(300 * time.Millisecond) // the event may or may not be relayed yet
			if n := len(endedRuns(t, srv, alerts)); n != 0 {
				t.Fatalf("Alerts ran %d times without a queue", n)
			}

			srv = srv.Restart(t)
			srv.Store.Queue().Start(context.Background())
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				srv.Store.Queue().StopAndCancel(ctx)
			})
			waitEndedRuns(t, srv, alerts, 1, "Alerts after the restart")
			time.Sleep(time.Second)
			if n := len(endedRuns(t, srv, alerts)); n != 1 {
				t.Errorf("Alerts ran %d times", n)
			}
		})
	}
}

// TestHookflowEventSettings: a flow made with the Hookflow Event card
// starts on execution.failed; its settings form shows the catalogue as
// checkboxes and saves the chosen types and flow; no type, an unknown
// type or a flow that is not there are refused in plain words and
// nothing is saved.
func TestHookflowEventSettings(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	ctx := context.Background()
	if res, _ := webtest.PostConnectorForm(t, c, "/flows", url.Values{"name": {"Orders"}, "event": {"manual"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create Orders: %d", res.StatusCode)
	}
	if res, _ := webtest.PostConnectorForm(t, c, "/flows", url.Values{"name": {"Alerts"}, "event": {"hookflow_event"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create Alerts: %d", res.StatusCode)
	}
	var orders, alerts flows.Flow
	fs, _ := srv.Store.Flows(ctx, 0)
	for _, f := range fs {
		if f.Definition.Name == "Orders" {
			orders = f
		} else {
			alerts = f
		}
	}
	if alerts.Definition.Event.Type != flows.EventHookflow {
		t.Fatalf("Alerts starts with %q", alerts.Definition.Event.Type)
	}
	page := func() *goquery.Document {
		t.Helper()
		res, body := c.Get(t, fmt.Sprintf("/flows/%d", alerts.ID))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("the flow's page: %d", res.StatusCode)
		}
		return parse(t, body)
	}
	doc := page()
	if n := doc.Find(`[data-testid="hookflow-settings"] input[type=checkbox][name=events]`).Length(); n != len(flows.HookEventTypes) {
		t.Errorf("%d event checkboxes, want %d", n, len(flows.HookEventTypes))
	}
	if _, checked := doc.Find(`[data-testid="hookflow-event-execution.failed"]`).Attr("checked"); !checked {
		t.Error("a new Hookflow Event flow does not start on execution.failed")
	}
	if doc.Find(fmt.Sprintf(`[data-testid="hookflow-flow"] option[value="%d"]`, orders.ID)).Length() != 1 {
		t.Error("Orders is not offered as the flow to filter by")
	}

	edit := canvasEdit(t, srv, c, fmt.Sprintf("/flows/%d/edit", alerts.ID), alerts.ID)
	status, body := edit(url.Values{"op": {"hookflow_event"}, "card": {"event"}, "events": {"flow.activated", "execution.failed"}, "flow": {fmt.Sprint(orders.ID)}})
	if status != http.StatusOK {
		t.Fatalf("save: %d %s", status, body)
	}
	saved, _ := srv.Store.Flow(ctx, alerts.ID)
	got, err := flows.HookTriggerOf(saved)
	if err != nil || fmt.Sprint(got.Events) != "[execution.failed flow.activated]" || got.OfFlow != orders.ID || got.Connector != 0 {
		t.Errorf("saved %+v (%v)", got, err)
	}
	doc = page()
	if _, checked := doc.Find(`[data-testid="hookflow-event-flow.activated"]`).Attr("checked"); !checked {
		t.Error("flow.activated is not checked after saving it")
	}
	if _, sel := doc.Find(fmt.Sprintf(`[data-testid="hookflow-flow"] option[value="%d"]`, orders.ID)).Attr("selected"); !sel {
		t.Error("Orders is not selected after saving it")
	}

	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no event type", url.Values{}, "Choose at least one event type, such as execution.failed"},
		{"an unknown type", url.Values{"events": {"execution.exploded"}}, `"execution.exploded" is not a Hookflow event`},
		{"a flow that is not there", url.Values{"events": {"execution.failed"}, "flow": {"9999"}}, "There is no workspace flow 9999 to filter by"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("op", "hookflow_event")
			tc.form.Set("card", "event")
			status, body := edit(tc.form)
			if status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", status)
			}
			if msg := parse(t, body).Find(".notice, [data-testid=notice]").Text(); !strings.Contains(msg, tc.want) {
				t.Errorf("notice %q does not say %q", msg, tc.want)
			}
			if now, _ := srv.Store.Flow(ctx, alerts.ID); now.Revision != saved.Revision {
				t.Error("the refused settings were saved")
			}
		})
	}
}
