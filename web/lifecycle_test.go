package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestWebhookLifecycle runs the whole lifecycle against a fake provider, on
// SQLite and on Postgres: ON registers, single and batched events run once
// per record, a bad signature and a duplicate run nothing more, payloads
// keep flowing across a restart, OFF deregisters.
func TestWebhookLifecycle(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			prov := webtest.NewAcme(t)
			srv := webtest.StartWith(t, webtest.Options{DatabaseURL: db.URL(t), StartQueue: true})
			token := srv.Token(t)
			c := srv.NewClient()
			flowID := webtest.AcmeSetup(t, srv, prov, token)
			path := fmt.Sprintf("/api/v1/flows/%d", flowID)

			// ON: the provider holds one subscription, for our Event URL.
			on := webtest.APIJSON(t, c, token, "POST", path+"/on", nil, http.StatusOK)
			state := on["state"].(map[string]any)
			subs := prov.Subscriptions()
			if len(subs) != 1 || subs[0].URL != state["eventUrl"] || subs[0].Events != "user.created" || state["on"] != true {
				t.Fatalf("after ON: provider %+v, state %v", subs, state)
			}
			if !strings.HasPrefix(state["eventUrl"].(string), srv.URL+"/hooks/") || len(state["eventUrl"].(string)) < len(srv.URL)+40 {
				t.Fatalf("Event URL %q is not unguessable", state["eventUrl"])
			}
			// ON again cannot register twice.
			webtest.APIJSON(t, c, token, "POST", path+"/on", nil, http.StatusConflict)
			if n := len(prov.Subscriptions()); n != 1 {
				t.Fatalf("second ON: provider holds %d subscriptions", n)
			}

			// A single event, then a batch of three: one run per record.
			if codes := prov.Push(t, "d1", false, webtest.UserEvent("u1", "Ada")); !slices.Equal(codes, []int{202}) {
				t.Fatalf("push: %v", codes)
			}
			webtest.WaitFor(t, "the first run", func() bool { return len(webtest.PayloadRuns(t, srv.Store, flowID)) == 1 })
			prov.Push(t, "d2", false, webtest.UserEvent("u2", "Bob"), webtest.UserEvent("u3", "Cy"), webtest.UserEvent("u4", "Dee"))
			webtest.WaitFor(t, "the batch", func() bool { return len(webtest.PayloadRuns(t, srv.Store, flowID)) == 4 })
			runs := webtest.PayloadRuns(t, srv.Store, flowID)
			var names []string
			for _, e := range runs {
				if e.Status != flows.StatusSucceeded || e.ParentID == "" {
					t.Fatalf("run %s: %s %q, parent %q", e.ID, e.Status, e.Error, e.ParentID)
				}
				who := e.Steps[len(e.Steps)-1]
				name, ok := who.Outputs["output"].(string)
				if !ok {
					t.Fatalf("run %s: step %+v", e.ID, who)
				}
				names = append(names, name)
			}
			slices.Sort(names)
			if !slices.Equal(names, []string{"ADA", "BOB", "CY", "DEE"}) {
				t.Fatalf("the runs made %v", names)
			}

			// A bad signature is refused and runs nothing; a repeated
			// delivery is acknowledged and runs nothing.
			if codes := prov.Push(t, "d3", true, webtest.UserEvent("u5", "Eve")); !slices.Equal(codes, []int{403}) {
				t.Fatalf("bad signature: %v", codes)
			}
			if codes := prov.Push(t, "d2", false, webtest.UserEvent("u2", "Bob")); !slices.Equal(codes, []int{202}) {
				t.Fatalf("duplicate: %v", codes)
			}

			// A restart re-registers nothing and payloads keep flowing.
			srv = srv.Restart(t)
			if n := len(prov.Subscriptions()); n != 1 || prov.Deletes.Load() != 0 {
				t.Fatalf("after restart: provider holds %d, %d deleted", n, prov.Deletes.Load())
			}
			prov.Push(t, "d4", false, webtest.UserEvent("u6", "Fay"))
			webtest.WaitFor(t, "the run after the restart", func() bool {
				return slices.ContainsFunc(webtest.PayloadRuns(t, srv.Store, flowID), func(e *flows.Execution) bool { return e.Input["events"].(map[string]any)["uuid"] == "u6" })
			})
			// Deliveries run in order of arrival: nothing of the bad or the
			// repeated delivery is still to come.
			webtest.WaitFor(t, "every delivery to be done", func() bool { n, _ := srv.Store.CountQueuedDeliveries(t.Context()); return n == 0 })
			if n := len(webtest.PayloadRuns(t, srv.Store, flowID)); n != 5 {
				t.Fatalf("%d runs: the bad signature or the duplicate ran", n)
			}

			// OFF: the Event URL refuses at once; the provider holds none.
			c = srv.NewClient()
			eventURL := state["eventUrl"].(string)
			off := webtest.APIJSON(t, c, token, "POST", path+"/off", nil, http.StatusOK)
			if off["state"].(map[string]any)["on"] != false {
				t.Fatalf("after OFF: %v", off["state"])
			}
			if codes := prov.Push(t, "d5", false, webtest.UserEvent("u7", "Gus")); len(codes) == 1 && codes[0] != http.StatusGone {
				t.Fatalf("after OFF the Event URL answers %v", codes)
			}
			webtest.WaitFor(t, "the deregistration", func() bool { return len(prov.Subscriptions()) == 0 })
			webtest.WaitFor(t, "the subscription to end", func() bool {
				st := webtest.APIJSON(t, c, token, "GET", path, nil, http.StatusOK)["state"].(map[string]any)
				return st["subscription"] == "off" && st["deregistrationExecution"] != nil
			})
			res, _ := c.Do(t, http.MethodPost, strings.TrimPrefix(eventURL, srv.URL), strings.NewReader("{}"), nil)
			if res.StatusCode != http.StatusGone {
				t.Fatalf("the old Event URL answers %d", res.StatusCode)
			}
		})
	}
}

// TestTurnOnFailsCleanly: a failed registration leaves the flow OFF with
// the error and the failed execution, and stores no Registration Data.
func TestTurnOnFailsCleanly(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	token := srv.Token(t)
	c := srv.NewClient()
	flowID := webtest.AcmeSetup(t, srv, prov, token)
	path := fmt.Sprintf("/api/v1/flows/%d", flowID)

	prov.Fail.Store(true)
	res := webtest.APIJSON(t, c, token, "POST", path+"/on", nil, http.StatusUnprocessableEntity)
	if !strings.Contains(res["error"].(string), "503") || res["execution"] == "" {
		t.Fatalf("failed ON answers %v", res)
	}
	st := webtest.APIJSON(t, c, token, "GET", path, nil, http.StatusOK)["state"].(map[string]any)
	if st["on"] != false || st["subscription"] != "off" || !strings.Contains(st["lastError"].(string), "503") || st["registrationExecution"] != res["execution"] {
		t.Fatalf("after a failed ON: %v", st)
	}
	sub, err := srv.Store.LatestSubscription(t.Context(), flowID)
	if err != nil || sub.Registration != nil {
		t.Fatalf("Registration Data stored after a failed ON: %v %v", sub.Registration, err)
	}
	exec, err := srv.Store.Execution(t.Context(), res["execution"].(string))
	if err != nil || exec.Status != flows.StatusFailed || exec.Trigger != flows.TriggerRegistration {
		t.Fatalf("registration execution %+v %v", exec, err)
	}

	// Two admins at once: one registration.
	prov.Fail.Store(false)
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = srv.NewClient().API(t, token, "POST", path+"/on", "")
		}()
	}
	wg.Wait()
	slices.Sort(codes)
	if !slices.Equal(codes, []int{http.StatusOK, http.StatusConflict, http.StatusConflict, http.StatusConflict}) || len(prov.Subscriptions()) != 1 {
		t.Fatalf("concurrent ONs answered %v; the provider holds %d", codes, len(prov.Subscriptions()))
	}
}

// TestDeliveryRetries: a payload whose run meets a 5xx is retried with
// backoff; when the service recovers it runs, and the history holds the
// one run. When it never recovers, the failed run stays in the history.
func TestDeliveryRetries(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	flowID, hook := oktaFlow(t, srv)
	f, _ := srv.Store.Flow(t.Context(), flowID)
	f.Definition.Cards = append(f.Definition.Cards, flows.Node{ID: "call", Type: "http.get", Bindings: map[string]flows.Binding{"url": {Value: prov.URL + "/flaky"}}})
	if _, err := srv.Store.UpdateFlow(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	c := srv.NewClient()
	post := func() {
		res, _ := c.Do(t, http.MethodPost, hook, strings.NewReader(oktaSample), http.Header{"Content-Type": {"application/json"}, "Authorization": {webtest.OktaHookSecret}})
		if res.StatusCode != http.StatusOK {
			t.Fatalf("delivery: %d", res.StatusCode)
		}
	}

	prov.Fail.Store(true)
	post()
	webtest.WaitFor(t, "a failed try", func() bool { return prov.FlakyCalls.Load() >= 1 })
	if n := len(webtest.PayloadRuns(t, srv.Store, flowID)); n != 0 {
		t.Fatalf("a try that will be retried is in the history %d times", n)
	}
	prov.Fail.Store(false)
	webtest.WaitFor(t, "the retry", func() bool { n, _ := srv.Store.CountQueuedDeliveries(t.Context()); return n == 0 })
	runs := webtest.PayloadRuns(t, srv.Store, flowID)
	if len(runs) != 2 || runs[0].Status != flows.StatusSucceeded || runs[1].Status != flows.StatusSucceeded {
		t.Fatalf("after recovery: %d runs", len(runs))
	}

	// Never recovering: after the last attempt (3 in tests) the failure is kept.
	prov.Fail.Store(true)
	before := prov.FlakyCalls.Load()
	post()
	webtest.WaitFor(t, "the last attempt", func() bool { n, _ := srv.Store.CountQueuedDeliveries(t.Context()); return n == 0 })
	if calls := prov.FlakyCalls.Load() - before; calls != 3*2 {
		t.Fatalf("%d calls, want 3 attempts of 2 records", calls)
	}
	failed, _ := srv.Store.Executions(t.Context(), store.ExecutionFilter{FlowID: flowID, Status: flows.StatusFailed})
	if len(failed) != 2 || !strings.Contains(failed[0].Error, "503") {
		t.Fatalf("failed runs kept: %d", len(failed))
	}
}

// TestDeregistrationRetries: a deregistration that keeps failing is
// retried, then shown as failed with its error, and the admin may turn
// the flow off anyway.
func TestDeregistrationRetries(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	token := srv.Token(t)
	api := srv.NewClient()
	flowID := webtest.AcmeSetup(t, srv, prov, token)
	path := fmt.Sprintf("/api/v1/flows/%d", flowID)
	webtest.APIJSON(t, api, token, "POST", path+"/on", nil, http.StatusOK)

	prov.Fail.Store(true)
	webtest.APIJSON(t, api, token, "POST", path+"/off", nil, http.StatusOK)
	webtest.WaitFor(t, "the deregistration to give up", func() bool {
		return webtest.APIJSON(t, api, token, "GET", path, nil, http.StatusOK)["state"].(map[string]any)["subscription"] == "failed"
	})
	st := webtest.APIJSON(t, api, token, "GET", path, nil, http.StatusOK)["state"].(map[string]any)
	if !strings.Contains(st["lastError"].(string), "503") || st["deregistrationExecution"] == nil || st["on"] != false {
		t.Fatalf("after the failed deregistration: %v", st)
	}
	c := srv.SignedIn(t)
	_, body := c.Get(t, fmt.Sprintf("/flows/%d", flowID))
	doc := parse(t, body)
	if !strings.Contains(doc.Find(`[data-testid="last-error"]`).Text(), "503") || doc.Find(`[data-testid="turn-off-anyway"]`).Length() != 1 {
		t.Fatal("the flow page does not show the failed deregistration and the way out")
	}
	if res, _ := webtest.PostConnectorForm(t, c, fmt.Sprintf("/flows/%d/off-anyway", flowID), url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("turn off anyway: %d", res.StatusCode)
	}
	st = webtest.APIJSON(t, api, token, "GET", path, nil, http.StatusOK)["state"].(map[string]any)
	if st["subscription"] != "off" || len(prov.Subscriptions()) != 1 {
		t.Fatalf("after turn off anyway: %v, provider holds %d", st, len(prov.Subscriptions()))
	}
	// It can be turned on again: a new subscription.
	prov.Fail.Store(false)
	webtest.APIJSON(t, api, token, "POST", path+"/on", nil, http.StatusOK)
	if len(prov.Subscriptions()) != 2 {
		t.Fatal("ON after turn off anyway did not register")
	}
}

// TestSaveDataOffChangesOnlyWhatIsStored turns "save all data" off on
// every flow of a connector and on the workspace flow: the Registration
// Data is still kept (its secret checks the signatures), the Webhook Event
// flow's Return still starts the workspace flow, the deregistration still
// gets the Registration Data; only the history leaves the data out.
func TestSaveDataOffChangesOnlyWhatIsStored(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	token := srv.Token(t)
	c := srv.NewClient()
	off := false
	con := webtest.APIJSON(t, c, token, "POST", "/api/v1/connectors/import", webtest.AcmeExportWith(t, prov.URL, func(x *flows.ConnectorExport) {
		for i := range x.Flows {
			x.Flows[i].Definition.SaveData = &off
		}
	}), http.StatusCreated)
	conID := int64(con["id"].(float64))
	webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/connectors/%d/deploy", conID), nil, http.StatusCreated)
	v, err := srv.Store.Version(t.Context(), conID, 1)
	if err != nil {
		t.Fatal(err)
	}
	conn := webtest.AcmeConnection(t, srv, token, conID)
	var evKey int64
	fmt.Sscan(v.Export.FlowsOfKind(flows.KindWebhookEvent)[0].Key, &evKey)
	node, src, err := flows.ConnectorEvent(v, evKey)
	if err != nil {
		t.Fatal(err)
	}
	node.Bindings["events"] = flows.Binding{Value: "user.created"}
	src.Connection = int64(conn["id"].(float64))
	def, _ := flows.NewDefinition(flows.KindWorkspace, "New users, no data kept")
	def.Event, def.Source, def.SaveData = node, src, &off
	def.Cards = []flows.Node{{ID: "who", Type: "text.upper", Bindings: map[string]flows.Binding{"text": webtest.Ref("event", "events", "actor.displayName")}}}
	doc, _ := flows.MarshalDefinition(def)
	flowID := int64(webtest.APIJSON(t, c, token, "POST", "/api/v1/flows", doc, http.StatusCreated)["id"].(float64))
	path := fmt.Sprintf("/api/v1/flows/%d", flowID)

	webtest.APIJSON(t, c, token, "POST", path+"/on", nil, http.StatusOK)
	sub, err := srv.Store.LiveSubscription(t.Context(), flowID)
	if err != nil || sub.Registration == nil {
		t.Fatalf("subscription %+v, %v: the Registration Data was not kept", sub, err)
	}
	reg, err := srv.Store.Execution(t.Context(), sub.RegistrationExecution)
	if err != nil || reg.Status != flows.StatusSucceeded || reg.Output != nil {
		t.Fatalf("registration run %+v, %v: want it stored without its data", reg, err)
	}
	// Signed with the Registration Data's secret: accepted, and run.
	if codes := prov.Push(t, "d1", false, webtest.UserEvent("u1", "Ada")); !slices.Equal(codes, []int{202}) {
		t.Fatalf("push: %v", codes)
	}
	webtest.WaitFor(t, "the payload run", func() bool { return len(webtest.PayloadRuns(t, srv.Store, flowID)) == 1 })
	run := webtest.PayloadRuns(t, srv.Store, flowID)[0]
	if run.Status != flows.StatusSucceeded || run.Input != nil || len(run.Steps) != 2 || run.Steps[1].Outputs != nil {
		t.Fatalf("payload run %+v: want it run and stored without its data", run)
	}
	webtest.APIJSON(t, c, token, "POST", path+"/off", nil, http.StatusOK)
	webtest.WaitFor(t, "the deregistration", func() bool { return len(prov.Subscriptions()) == 0 })
}
