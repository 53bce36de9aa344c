package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestDeployRefusesEventWithoutOutputs: a Webhook Event flow with no Return
// card would give workspace flows an event card without outputs; Deploy
// refuses it on the page and in the API, saying why and naming the flow.
func TestDeployRefusesEventWithoutOutputs(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	x, err := flows.ParseConnector(webtest.AcmeExportWith(t, prov.URL, func(x *flows.ConnectorExport) {
		x.Flows[2].Definition.Cards = []flows.Node{}
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	con, err := srv.Store.ImportConnector(ctx, x, 0)
	if err != nil {
		t.Fatal(err)
	}

	res, body := webtest.PostConnectorForm(t, c, fmt.Sprintf("/connectors/%d/deploy", con.ID), url.Values{})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("deploy: status %d", res.StatusCode)
	}
	problem := parse(t, body).Find(`[data-testid="deploy-problem"]`).Text()
	if !strings.Contains(problem, `flow "User event": a Webhook Event flow ends in a Return card`) {
		t.Fatalf("the page says %q", problem)
	}

	code, out := srv.NewClient().API(t, srv.Token(t), http.MethodPost, fmt.Sprintf("/api/v1/connectors/%d/deploy", con.ID), "")
	if code != http.StatusUnprocessableEntity || !strings.Contains(out, `"code":"event_return"`) || !strings.Contains(out, `flow \"User event\"`) {
		t.Fatalf("API deploy: %d %s", code, out)
	}
	if vs, _ := srv.Store.Versions(ctx, con.ID); len(vs) != 0 {
		t.Fatalf("a refused deploy stored %d versions", len(vs))
	}
}

// addKind adds an output "kind" to the event and changes nothing else.
var addKind = webtest.EventReturn(func(ret *flows.Node, _ *flows.WebhookSettings) {
	ret.Inputs = append(ret.Inputs, flows.Field{Key: "kind", Label: "Kind", Type: flows.TypeText})
	ret.Bindings["kind"] = webtest.Ref("event", "body", "data.kind")
})

// flowPage loads a workspace flow's page.
func flowPage(t *testing.T, c *webtest.Client, flowID int64) string {
	t.Helper()
	res, body := c.Get(t, fmt.Sprintf("/flows/%d", flowID))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("flow page: %d", res.StatusCode)
	}
	return body
}

// TestUpgradePreviewFindsBrokenMapping: the flow page offers the newer
// version; its preview lists the mapping that reads an output the new
// version renamed, and saves nothing.
func TestUpgradePreviewFindsBrokenMapping(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.Start(t)
	token := srv.Token(t)
	c := srv.SignedIn(t)
	flowID := webtest.AcmeSetup(t, srv, prov, token)
	ctx := context.Background()
	f, _ := srv.Store.Flow(ctx, flowID)
	conID := f.Definition.Source.Connector

	if doc := parse(t, flowPage(t, c, flowID)); doc.Find(`[data-testid="upgrade-banner"]`).Length() != 0 {
		t.Fatal("a banner offers an upgrade on the newest version")
	}
	webtest.DeployNext(t, srv, token, conID, webtest.RenameRecords)

	doc := parse(t, flowPage(t, c, flowID))
	link := doc.Find(`[data-testid="upgrade-link"]`)
	if got := strings.TrimSpace(link.Text()); got != "Upgrade to version 2" {
		t.Fatalf("the banner offers %q", got)
	}
	if got := doc.Find(`[data-testid="upgrade-banner"]`).Text(); !strings.Contains(got, "this flow uses version 1, and version 2 is deployed") {
		t.Fatalf("the banner says %q", got)
	}
	href, _ := link.Attr("href")
	res, body := c.Get(t, href)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d", res.StatusCode)
	}
	doc = parse(t, body)
	if n := doc.Find(`[data-testid="upgrade-moved-card"]`).Length(); n != 1 {
		t.Fatalf("%d cards move, want the event card", n)
	}
	problem := doc.Find(`[data-testid="upgrade-problem"][data-card="who"][data-field="text"]`)
	if problem.Length() != 1 || !strings.Contains(problem.Text(), `it reads "Events" of Acme: User event, which version 2 no longer has`) {
		t.Fatalf("the preview lists %q", doc.Find(`[data-testid="upgrade-problems"]`).Text())
	}
	if doc.Find(`[data-testid="upgrade-confirm"]`).Length() != 1 || doc.Find(`[data-testid="upgrade-cancel"]`).Length() != 1 {
		t.Fatal("no Confirm and Cancel")
	}
	if after, _ := srv.Store.Flow(ctx, flowID); after.Revision != f.Revision || after.Definition.Source.Version != 1 {
		t.Fatalf("the preview saved revision %d on version %d", after.Revision, after.Definition.Source.Version)
	}
}

// TestUpgradeOffFlowAndRollBack: confirming saves a new revision on the
// new version, with the broken mapping marked on the canvas; the revision
// before is kept, and rolling back to it restores version 1.
func TestUpgradeOffFlowAndRollBack(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) { upgradeOffFlowAndRollBack(t, db.URL(t)) })
	}
}

func upgradeOffFlowAndRollBack(t *testing.T, dbURL string) {
	prov := webtest.NewAcme(t)
	srv := webtest.StartWith(t, webtest.Options{DatabaseURL: dbURL})
	token := srv.Token(t)
	c := srv.SignedIn(t)
	flowID := webtest.AcmeSetup(t, srv, prov, token)
	ctx := context.Background()
	f, _ := srv.Store.Flow(ctx, flowID)
	conID := f.Definition.Source.Connector
	webtest.DeployNext(t, srv, token, conID, webtest.RenameRecords)
	path := fmt.Sprintf("/flows/%d/upgrade", flowID)

	// A preview older than the flow saves nothing.
	if res, _ := webtest.PostConnectorForm(t, c, path, webtest.UpgradeForm(conID, 2, f.Revision-1)); res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "/upgrade?") {
		t.Fatalf("stale confirm: %d to %s", res.StatusCode, res.Header.Get("Location"))
	}
	if got, _ := srv.Store.Flow(ctx, flowID); got.Revision != f.Revision {
		t.Fatal("a stale confirm saved the flow")
	}

	res, _ := webtest.PostConnectorForm(t, c, path, webtest.UpgradeForm(conID, 2, f.Revision))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d", res.StatusCode)
	}
	up, _ := srv.Store.Flow(ctx, flowID)
	if up.Revision != f.Revision+1 || up.Definition.Source.Version != 2 || len(up.Definition.Event.Outputs) != 1 || up.Definition.Event.Outputs[0].Key != "records" {
		t.Fatalf("after the upgrade: revision %d, source %+v, outputs %+v", up.Revision, up.Definition.Source, up.Definition.Event.Outputs)
	}
	if old, err := srv.Store.FlowRevision(ctx, flowID, f.Revision); err != nil || old.Source.Version != 1 {
		t.Fatalf("the revision before: %+v, %v", old.Source, err)
	}
	doc := parse(t, flowPage(t, c, flowID))
	if got := doc.Find(`[data-testid="flash-success"]`).Text(); !strings.Contains(got, "Upgraded to Acme version 2") || !strings.Contains(got, "1 card or mapping no longer resolves") {
		t.Fatalf("flash %q", got)
	}
	if doc.Find(`[data-testid="upgrade-banner"]`).Length() != 0 || doc.Find(`[data-testid="problem-who-text"]`).Length() != 1 {
		t.Fatalf("after the upgrade: banner %d, problem on the card %d", doc.Find(`[data-testid="upgrade-banner"]`).Length(), doc.Find(`[data-testid="problem-who-text"]`).Length())
	}
	link := doc.Find(`[data-testid="rollback-link"]`)
	if got := strings.TrimSpace(link.Text()); got != fmt.Sprintf("Roll back to revision %d", f.Revision) {
		t.Fatalf("the page offers %q", got)
	}

	// Roll back: the preview, then Confirm.
	href, _ := link.Attr("href")
	if _, body := c.Get(t, href); parse(t, body).Find(`[data-testid="upgrade-title"]`).Text() != fmt.Sprintf("Roll back New users to revision %d", f.Revision) {
		t.Fatalf("rollback preview: %s", body)
	}
	back := url.Values{"rollback": {fmt.Sprint(f.Revision)}, "from": {fmt.Sprint(up.Revision)}}
	if res, _ := webtest.PostConnectorForm(t, c, path, back); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("roll back: %d", res.StatusCode)
	}
	rolled, _ := srv.Store.Flow(ctx, flowID)
	if rolled.Revision != up.Revision+1 || rolled.Definition.Source.Version != 1 || rolled.Definition.Event.Outputs[0].Key != "events" {
		t.Fatalf("after the roll back: revision %d, source %+v", rolled.Revision, rolled.Definition.Source)
	}
	doc = parse(t, flowPage(t, c, flowID))
	if doc.Find(`[data-testid="upgrade-link"]`).Length() != 1 || doc.Find(`[data-testid="rollback-link"]`).Length() != 0 {
		t.Fatal("after the roll back the page does not offer the upgrade again, or still offers a roll back")
	}
}

// TestUpgradeOnFlow: an ON flow keeps its Event URL. When the registration
// inputs do not change, the service is not called again; when they do, the
// subscription is deregistered with the old version and registered with
// the new; a failed deregistration changes nothing.
func TestUpgradeOnFlow(t *testing.T) {
	tests := []struct {
		name          string
		edit          func(*flows.Definition)
		registrations int // the provider's registrations after the upgrade
		deletes       int32
		events        string
	}{
		{"unchanged registration inputs", addKind, 1, 0, "user.created"},
		{"changed registration inputs", func(d *flows.Definition) {
			addKind(d)
			if d.Kind == flows.KindWebhookEvent {
				d.Webhook.Registration.Inputs["events"] = flows.Binding{Value: "user.*"}
			}
		}, 2, 1, "user.*"},
	}
	for _, db := range storetest.DBs {
		for _, tt := range tests {
			t.Run(db.Name+"/"+tt.name, func(t *testing.T) {
				prov := webtest.NewAcme(t)
				srv := webtest.StartWith(t, webtest.Options{DatabaseURL: db.URL(t), StartQueue: true})
				token := srv.Token(t)
				c := srv.SignedIn(t)
				flowID := webtest.AcmeSetup(t, srv, prov, token)
				webtest.APIJSON(t, srv.NewClient(), token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", flowID), nil, http.StatusOK)
				ctx := context.Background()
				f, _ := srv.Store.Flow(ctx, flowID)
				before, _ := srv.Store.LiveSubscription(ctx, flowID)
				webtest.DeployNext(t, srv, token, f.Definition.Source.Connector, tt.edit)

				if res, _ := webtest.PostConnectorForm(t, c, fmt.Sprintf("/flows/%d/upgrade", flowID), webtest.UpgradeForm(f.Definition.Source.Connector, 2, f.Revision)); res.StatusCode != http.StatusSeeOther {
					t.Fatalf("confirm: %d", res.StatusCode)
				}
				if got := parse(t, flowPage(t, c, flowID)).Find(`[data-testid="flash-success"]`).Text(); !strings.Contains(got, "Upgraded to Acme version 2") {
					t.Fatalf("flash %q", got)
				}
				if n, d := prov.Registrations(), prov.Deletes.Load(); n != tt.registrations || d != tt.deletes {
					t.Fatalf("the provider was asked for %d registrations and %d deletions, want %d and %d", n, d, tt.registrations, tt.deletes)
				}
				sub, err := srv.Store.LiveSubscription(ctx, flowID)
				if err != nil || sub.ID != before.ID || sub.Token != before.Token || sub.State != flows.SubscriptionActive || sub.Source.Version != 2 {
					t.Fatalf("subscription after the upgrade: %+v, %v", sub, err)
				}
				subs := prov.Subscriptions()
				if len(subs) != 1 || subs[0].Events != tt.events || !strings.HasSuffix(subs[0].URL, "/hooks/"+before.Token) {
					t.Fatalf("the provider holds %+v", subs)
				}
				// Events go on arriving at the same Event URL and run the flow.
				if codes := prov.Push(t, "d1", false, webtest.UserEvent("u1", "Ada")); len(codes) != 1 || codes[0] != http.StatusAccepted {
					t.Fatalf("push: %v", codes)
				}
				webtest.WaitFor(t, "the run", func() bool { return len(webtest.PayloadRuns(t, srv.Store, flowID)) == 1 })
			})
		}
	}

	t.Run("registration fails", func(t *testing.T) {
		prov := webtest.NewAcme(t)
		srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
		token := srv.Token(t)
		c := srv.SignedIn(t)
		flowID := webtest.AcmeSetup(t, srv, prov, token)
		webtest.APIJSON(t, srv.NewClient(), token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", flowID), nil, http.StatusOK)
		ctx := context.Background()
		f, _ := srv.Store.Flow(ctx, flowID)
		webtest.DeployNext(t, srv, token, f.Definition.Source.Connector, func(d *flows.Definition) {
			switch d.Kind {
			case flows.KindWebhookEvent:
				d.Webhook.Registration.Inputs["events"] = flows.Binding{Value: "user.*"}
			case flows.KindWebhookRegistration:
				d.Cards[1].Bindings["url"] = flows.Binding{Value: "/no-such-endpoint"}
			}
		})
		if res, _ := webtest.PostConnectorForm(t, c, fmt.Sprintf("/flows/%d/upgrade", flowID), webtest.UpgradeForm(f.Definition.Source.Connector, 2, f.Revision)); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("confirm: %d", res.StatusCode)
		}
		doc := parse(t, flowPage(t, c, flowID))
		if got := doc.Find(`[data-testid="flash-error"]`).Text(); !strings.Contains(got, fmt.Sprintf("The flow was saved as revision %d, but it is OFF now. Registration failed", f.Revision+1)) {
			t.Fatalf("flash %q", got)
		}
		got, _ := srv.Store.Flow(ctx, flowID)
		sub, _ := srv.Store.LatestSubscription(ctx, flowID)
		if got.Revision != f.Revision+1 || got.Definition.Source.Version != 2 || sub.State != flows.SubscriptionOff || sub.LastError == "" || len(prov.Subscriptions()) != 0 {
			t.Fatalf("after a failed registration: revision %d, subscription %+v, provider %+v", got.Revision, sub, prov.Subscriptions())
		}
		if doc.Find(`[data-testid="turn-on"]`).Length() != 1 || doc.Find(`[data-testid="rollback-link"]`).Length() != 1 {
			t.Fatal("the page offers neither Turn ON nor the roll back")
		}
	})

	t.Run("a new required option blocks it", func(t *testing.T) {
		prov := webtest.NewAcme(t)
		srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
		token := srv.Token(t)
		c := srv.SignedIn(t)
		flowID := webtest.AcmeSetup(t, srv, prov, token)
		webtest.APIJSON(t, srv.NewClient(), token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", flowID), nil, http.StatusOK)
		ctx := context.Background()
		f, _ := srv.Store.Flow(ctx, flowID)
		conID := f.Definition.Source.Connector
		webtest.DeployNext(t, srv, token, conID, func(d *flows.Definition) {
			if d.Kind == flows.KindWebhookEvent {
				d.Webhook.Options = append(d.Webhook.Options, flows.Field{Key: "scope", Label: "Scope", Type: flows.TypeText, Required: true})
			}
		})
		_, body := c.Get(t, fmt.Sprintf("/flows/%d/upgrade?connector=%d&version=2", flowID, conID))
		doc := parse(t, body)
		if got := doc.Find(`[data-testid="upgrade-blocked"]`).Text(); !strings.Contains(got, `needs its option "Scope"`) {
			t.Fatalf("the preview says %q", got)
		}
		if _, disabled := doc.Find(`[data-testid="upgrade-confirm"]`).Attr("disabled"); !disabled {
			t.Fatal("Confirm is not disabled")
		}
		webtest.PostConnectorForm(t, c, fmt.Sprintf("/flows/%d/upgrade", flowID), webtest.UpgradeForm(conID, 2, f.Revision))
		if got := parse(t, flowPage(t, c, flowID)).Find(`[data-testid="flash-error"]`).Text(); !strings.Contains(got, "Nothing was changed") {
			t.Fatalf("flash %q", got)
		}
		if got, _ := srv.Store.Flow(ctx, flowID); got.Revision != f.Revision || prov.Registrations() != 1 {
			t.Fatalf("a blocked upgrade saved revision %d or called the provider (%d registrations)", got.Revision, prov.Registrations())
		}
	})

	t.Run("deregistration fails", func(t *testing.T) {
		prov := webtest.NewAcme(t)
		srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
		token := srv.Token(t)
		c := srv.SignedIn(t)
		flowID := webtest.AcmeSetup(t, srv, prov, token)
		webtest.APIJSON(t, srv.NewClient(), token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", flowID), nil, http.StatusOK)
		ctx := context.Background()
		f, _ := srv.Store.Flow(ctx, flowID)
		webtest.DeployNext(t, srv, token, f.Definition.Source.Connector, func(d *flows.Definition) {
			if d.Kind == flows.KindWebhookEvent {
				d.Webhook.Registration.Inputs["events"] = flows.Binding{Value: "user.*"}
			}
		})
		prov.Fail.Store(true)
		if res, _ := webtest.PostConnectorForm(t, c, fmt.Sprintf("/flows/%d/upgrade", flowID), webtest.UpgradeForm(f.Definition.Source.Connector, 2, f.Revision)); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("confirm: %d", res.StatusCode)
		}
		if got := parse(t, flowPage(t, c, flowID)).Find(`[data-testid="flash-error"]`).Text(); !strings.Contains(got, "Nothing was changed and the flow stays ON: the deregistration failed") {
			t.Fatalf("flash %q", got)
		}
		got, _ := srv.Store.Flow(ctx, flowID)
		sub, err := srv.Store.LiveSubscription(ctx, flowID)
		if got.Revision != f.Revision || err != nil || sub.State != flows.SubscriptionActive || sub.Source.Version != 1 || len(prov.Subscriptions()) != 1 {
			t.Fatalf("after a failed deregistration: revision %d, subscription %+v %v", got.Revision, sub, err)
		}
	})
}
