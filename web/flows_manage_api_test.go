package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// flowsPage is the answer of GET /api/v1/flows.
type flowsPage struct {
	Flows []struct {
		ID           int64  `json:"id"`
		Name         string `json:"name"`
		Kind         string `json:"kind"`
		FolderID     int64  `json:"folderId"`
		On           bool   `json:"on"`
		Subscription string `json:"subscription"`
		Revision     int    `json:"revision"`
	} `json:"flows"`
	Next string `json:"next"`
}

func (p flowsPage) names() []string {
	var out []string
	for _, f := range p.Flows {
		out = append(out, f.Name)
	}
	return out
}

// createFlow saves a workspace flow document through the API.
func createFlow(t *testing.T, srv *webtest.Server, token, doc string) int64 {
	t.Helper()
	f := webtest.APIJSON(t, srv.NewClient(), token, "POST", "/api/v1/flows", doc, http.StatusCreated)
	return int64(f["id"].(float64))
}

// named is the greeter flow document under another name.
func named(name string) string {
	return strings.Replace(greeter, `"name":"Greeter"`, `"name":"`+name+`"`, 1)
}

// TestAPIFlowList: the workspace flows come newest first, a page at a time
// with a next cursor, chosen by name, ON/OFF, folder and kind; a filter
// that makes no sense is refused with its name.
func TestAPIFlowList(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	ctx := context.Background()
	greet := createFlow(t, srv, token, named("Greet users"))
	endpoint := createFlow(t, srv, token, endpointFlow("Lookup endpoint", lookupCards))
	createFlow(t, srv, token, named("Say goodbye"))
	folder, err := srv.Store.CreateFolder(ctx, "Imported")
	if err != nil {
		t.Fatal(err)
	}
	def, _ := flows.ParseDefinition([]byte(named("Filed greeter")))
	filed, err := srv.Store.CreateFlow(ctx, flows.Flow{FolderID: folder.ID, Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", endpoint), nil, http.StatusOK)

	list := func(q string) flowsPage {
		t.Helper()
		var p flowsPage
		code, body := c.API(t, token, "GET", "/api/v1/flows?"+q, "")
		if code != http.StatusOK || json.Unmarshal([]byte(body), &p) != nil {
			t.Fatalf("list %q: %d %s", q, code, body)
		}
		return p
	}
	all := list("")
	if got := strings.Join(all.names(), ", "); got != "Filed greeter, Say goodbye, Lookup endpoint, Greet users" || all.Next != "" {
		t.Fatalf("all flows: %s (next %q)", got, all.Next)
	}
	if f := all.Flows[2]; f.Kind != "api_endpoint" || !f.On || f.Subscription != "active" || f.Revision != 1 {
		t.Fatalf("the ON endpoint flow: %+v", f)
	}
	if f := all.Flows[0]; f.ID != filed.ID || f.Kind != "manual" || f.On || f.Subscription != "off" || f.FolderID != folder.ID {
		t.Fatalf("the filed flow: %+v", f)
	}

	// Pages of 3, then the rest after the cursor.
	first := list("limit=3")
	if len(first.Flows) != 3 || first.Next != fmt.Sprint(endpoint) {
		t.Fatalf("first page: %v next %q", first.names(), first.Next)
	}
	if rest := list("limit=3&before=" + first.Next); len(rest.Flows) != 1 || rest.Flows[0].ID != greet || rest.Next != "" {
		t.Fatalf("second page: %v next %q", rest.names(), rest.Next)
	}

	tests := []struct{ name, q, want string }{
		{"by name, whatever the case", "q=GREET", "Filed greeter, Greet users"},
		{"ON", "state=on", "Lookup endpoint"},
		{"OFF", "state=off", "Filed greeter, Say goodbye, Greet users"},
		{"in a folder", fmt.Sprintf("folder=%d", folder.ID), "Filed greeter"},
		{"in no folder", "folder=none&kind=manual", "Say goodbye, Greet users"},
		{"by kind", "kind=api_endpoint", "Lookup endpoint"},
		{"nothing matches", "q=nobody", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(list(tt.q).names(), ", "); got != tt.want {
				t.Fatalf("%s: %q, want %q", tt.q, got, tt.want)
			}
		})
	}
	refused := []struct{ q, want string }{
		{"state=maybe", "State must be on or off"},
		{"kind=email", "Kind must be one of manual, helper"},
		{"folder=box", "Folder must be a folder id, or none"},
		{"before=x", "Before must be the next cursor of a page"},
	}
	for _, tt := range refused {
		code, body := c.API(t, token, "GET", "/api/v1/flows?"+tt.q, "")
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s", tt.q, code, body)
		}
	}
}

// TestAPIFlowUpdate: PUT replaces the document as the next revision; a
// stale revision is a 409 that saves nothing; a document that does not
// validate is a 422 that says what is wrong where; an ON flow keeps its
// event card.
func TestAPIFlowUpdate(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	id := createFlow(t, srv, token, greeter)
	path := fmt.Sprintf("/api/v1/flows/%d", id)
	put := func(rev int, doc string) (int, string) {
		return c.API(t, token, "PUT", path, fmt.Sprintf(`{"revision":%d,"definition":%s}`, rev, doc))
	}

	code, body := put(1, named("Welcomer"))
	var saved struct {
		Revision   int
		Definition flows.Definition
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &saved) != nil || saved.Revision != 2 || saved.Definition.Name != "Welcomer" {
		t.Fatalf("update: %d %s", code, body)
	}
	run := webtest.APIJSON(t, c, token, "POST", path+"/runs", `{"input":{"name":"ada"}}`, http.StatusOK)
	if run["output"].(map[string]any)["greeting"] != "Hello, ADA" {
		t.Fatalf("the saved flow runs: %v", run)
	}

	invalid := strings.Replace(greeter, `"text":{"ref":{"card":"event","field":"name"}}`, `"text":{"ref":{"card":"ret","field":"greeting"}}`, 1)
	tests := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"stale revision", fmt.Sprintf(`{"revision":1,"definition":%s}`, named("Old")), 409, "you sent revision 1, it is at revision 2 now"},
		{"reference to a later card", fmt.Sprintf(`{"revision":2,"definition":%s}`, invalid), 422, `"problems":[{"card":"up","field":"text","code":"bad_ref"`},
		{"no revision", fmt.Sprintf(`{"definition":%s}`, greeter), 422, "the revision it was changed from"},
		{"unknown field in the body", `{"revision":2,"definition":{},"owner":"me"}`, 422, "unknown field"},
		{"unknown field in the document", fmt.Sprintf(`{"revision":2,"definition":%s}`, strings.Replace(greeter, `"name":"Greeter"`, `"name":"G","owner":"me"`, 1)), 422, "unknown field"},
		{"another kind", fmt.Sprintf(`{"revision":2,"definition":%s}`, strings.Replace(greeter, `"kind":"workspace"`, `"kind":"helper"`, 1)), 422, `keeps its kind`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := c.API(t, token, "PUT", path, tt.body)
			if code != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("%d %s; want %d with %s", code, body, tt.status, tt.want)
			}
		})
	}
	if f, _ := srv.Store.Flow(context.Background(), id); f.Revision != 2 || f.Definition.Name != "Welcomer" {
		t.Fatalf("refused updates saved the flow: revision %d %q", f.Revision, f.Definition.Name)
	}
	if code, _ := c.API(t, token, "PUT", "/api/v1/flows/999", fmt.Sprintf(`{"revision":1,"definition":%s}`, greeter)); code != http.StatusNotFound {
		t.Fatalf("unknown flow: %d", code)
	}

	// An ON flow keeps its event card: turn it OFF to change it.
	ep := createFlow(t, srv, token, endpointFlow("Lookup", lookupCards))
	webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", ep), nil, http.StatusOK)
	manual := strings.Replace(endpointFlow("Lookup", lookupCards), "event.api_endpoint", "event.manual", 1)
	code, body = c.API(t, token, "PUT", fmt.Sprintf("/api/v1/flows/%d", ep), fmt.Sprintf(`{"revision":1,"definition":%s}`, manual))
	if code != http.StatusConflict || !strings.Contains(body, "turn it OFF before changing its event card") {
		t.Fatalf("event change of an ON flow: %d %s", code, body)
	}
	renamed := endpointFlow("Lookup people", lookupCards)
	if code, body := c.API(t, token, "PUT", fmt.Sprintf("/api/v1/flows/%d", ep), fmt.Sprintf(`{"revision":1,"definition":%s}`, renamed)); code != http.StatusOK {
		t.Fatalf("the cards of an ON flow: %d %s", code, body)
	}
}

// TestAPIFlowDelete: an ON flow and a flow other flows call are refused
// with a 409 naming why (on the Flows page too); a flow that is OFF and
// called by none is deleted.
func TestAPIFlowDelete(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	helper := helperFlow(t, srv, "Shout", []flows.Field{{Key: "text", Type: flows.TypeText}},
		flows.Node{ID: "up", Type: "text.upper", Bindings: map[string]flows.Binding{"text": webtest.Ref("event", "text", "")}})
	caller := createFlow(t, srv, token, fmt.Sprintf(`{"schema":1,"kind":"workspace","name":"Caller",
 "event":{"id":"event","type":"event.manual"},
 "cards":[{"id":"call","type":"control.call_flow","inputs":[{"key":"text","type":"text"}],"bindings":{"flow":{"value":%d},"text":{"value":"hi"}}}]}`, helper))
	ep := createFlow(t, srv, token, endpointFlow("Lookup", lookupCards))
	webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", ep), nil, http.StatusOK)

	tests := []struct {
		name string
		id   int64
		want string
	}{
		{"ON", ep, "Turn the flow OFF before deleting it"},
		{"called by another flow", helper, `\"Shout\" cannot be deleted: \"Caller\" calls it`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := c.API(t, token, "DELETE", fmt.Sprintf("/api/v1/flows/%d", tt.id), "")
			if code != http.StatusConflict || !strings.Contains(body, tt.want) {
				t.Fatalf("%d %s; want 409 with %s", code, body, tt.want)
			}
		})
	}
	// The Flows page refuses the same.
	page := srv.SignedIn(t)
	webtest.PostConnectorForm(t, page, fmt.Sprintf("/flows/%d/delete", helper), url.Values{})
	_, body := page.Get(t, fmt.Sprintf("/flows/%d", helper))
	if msg := parse(t, body).Find(`[data-testid="flash-error"]`).Text(); !strings.Contains(msg, `"Shout" cannot be deleted: "Caller" calls it`) {
		t.Fatalf("the page's refusal: %q", msg)
	}

	webtest.APIJSON(t, c, token, "DELETE", fmt.Sprintf("/api/v1/flows/%d", caller), nil, http.StatusNoContent)
	webtest.APIJSON(t, c, token, "GET", fmt.Sprintf("/api/v1/flows/%d", caller), nil, http.StatusNotFound)
	webtest.APIJSON(t, c, token, "DELETE", fmt.Sprintf("/api/v1/flows/%d", helper), nil, http.StatusNoContent)
	webtest.APIJSON(t, c, token, "DELETE", fmt.Sprintf("/api/v1/flows/%d", caller), nil, http.StatusNotFound)
}

// TestAPIFlowSettings: save-data is read and changed as a new revision;
// a stale revision and a body without saveData are refused.
func TestAPIFlowSettings(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	id := createFlow(t, srv, token, greeter)
	path := fmt.Sprintf("/api/v1/flows/%d/settings", id)
	if got := webtest.APIJSON(t, c, token, "GET", path, nil, http.StatusOK); got["saveData"] != true || got["revision"] != 1.0 {
		t.Fatalf("settings: %v", got)
	}
	if got := webtest.APIJSON(t, c, token, "PATCH", path, `{"saveData":false,"revision":1}`, http.StatusOK); got["saveData"] != false || got["revision"] != 2.0 {
		t.Fatalf("after the change: %v", got)
	}
	run := webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", id), `{"input":{"name":"ada"}}`, http.StatusOK)
	stored := webtest.APIJSON(t, c, token, "GET", "/api/v1/executions/"+run["id"].(string), nil, http.StatusOK)
	if stored["input"] != nil || stored["status"] != "succeeded" {
		t.Fatalf("a run with save-data off kept its input: %v", stored)
	}
	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		{"stale revision", `{"saveData":true,"revision":1}`, 409, "it is at revision 2 now"},
		{"no saveData", `{"revision":2}`, 422, "Send saveData"},
		{"not a boolean", `{"saveData":"yes"}`, 422, "saveData"},
		{"unknown setting", `{"saveData":true,"retention":"forever"}`, 422, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := c.API(t, token, "PATCH", path, tt.body)
			if code != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("%d %s; want %d with %s", code, body, tt.status, tt.want)
			}
		})
	}
	if got := webtest.APIJSON(t, c, token, "GET", path, nil, http.StatusOK); got["saveData"] != false || got["revision"] != 2.0 {
		t.Fatalf("refused changes were saved: %v", got)
	}
}

// TestAPIFlowOffAnyway: "turn off anyway" ends a subscription whose
// deregistration has not succeeded, without deregistering; an ON flow and
// an OFF flow are refused, as on the flow page.
func TestAPIFlowOffAnyway(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	flowID := webtest.AcmeSetup(t, srv, prov, token)
	path := fmt.Sprintf("/api/v1/flows/%d", flowID)

	code, body := c.API(t, token, "POST", path+"/off-anyway", "")
	if code != http.StatusConflict || !strings.Contains(body, "The flow is OFF already") {
		t.Fatalf("an OFF flow: %d %s", code, body)
	}
	webtest.APIJSON(t, c, token, "POST", path+"/on", nil, http.StatusOK)
	code, body = c.API(t, token, "POST", path+"/off?anyway=true", "")
	if code != http.StatusConflict || !strings.Contains(body, "Only a flow whose deregistration failed") {
		t.Fatalf("an ON flow: %d %s", code, body)
	}
	// No job runner: the deregistration waits in the queue.
	st := webtest.APIJSON(t, c, token, "POST", path+"/off", nil, http.StatusOK)["state"].(map[string]any)
	if st["subscription"] != "deregistering" {
		t.Fatalf("after OFF: %v", st)
	}
	st = webtest.APIJSON(t, c, token, "POST", path+"/off?anyway=true", nil, http.StatusOK)["state"].(map[string]any)
	if st["subscription"] != "off" || st["on"] != false || len(prov.Subscriptions()) != 1 {
		t.Fatalf("after turn off anyway: %v; the provider holds %d", st, len(prov.Subscriptions()))
	}
	if code, _ := c.API(t, token, "POST", path+"/off-anyway", ""); code != http.StatusConflict {
		t.Fatalf("again: %d", code)
	}
}

// TestAPIFlowUpgrade: upgrade moves the flow's connector cards to the
// newest deployed version as a new revision, says what no longer
// resolves, and is refused when there is nothing newer or the revision
// is stale.
func TestAPIFlowUpgrade(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	flowID := webtest.AcmeSetup(t, srv, prov, token)
	path := fmt.Sprintf("/api/v1/flows/%d/upgrade", flowID)
	code, body := c.API(t, token, "POST", path, "")
	if code != http.StatusConflict || !strings.Contains(body, "already uses the newest deployed version") {
		t.Fatalf("nothing newer: %d %s", code, body)
	}
	f, _ := srv.Store.Flow(context.Background(), flowID)
	conID := f.Definition.Source.Connector
	webtest.DeployNext(t, srv, token, conID, webtest.RenameRecords)

	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		{"a revision not the saved one", fmt.Sprintf(`{"revision":%d}`, f.Revision+1), 409, fmt.Sprintf("it is at revision %d now", f.Revision)},
		{"a version not deployed", `{"version":7}`, 422, "Version 7 of the connector is not deployed"},
		{"not JSON", `{"version":`, 422, "JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := c.API(t, token, "POST", path, tt.body)
			if code != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("%d %s; want %d with %s", code, body, tt.status, tt.want)
			}
		})
	}
	up := webtest.APIJSON(t, c, token, "POST", path, fmt.Sprintf(`{"revision":%d}`, f.Revision), http.StatusOK)
	flow := up["flow"].(map[string]any)
	if up["to"] != 2.0 || up["connector"] != float64(conID) || flow["revision"] != float64(f.Revision+1) || len(up["problems"].([]any)) != 1 {
		t.Fatalf("upgrade: %v", up)
	}
	if got, _ := srv.Store.Flow(context.Background(), flowID); got.Definition.Source.Version != 2 {
		t.Fatalf("the flow uses version %d", got.Definition.Source.Version)
	}
	// A body of white space is no body.
	if code, body := c.API(t, token, "POST", path, "\n"); code != http.StatusConflict {
		t.Fatalf("upgrade again: %d %s", code, body)
	}
}

// TestAPIFlowUpgradeOnFlow: upgrading an ON flow whose registration inputs
// change re-registers it; a failed deregistration of the old version
// changes nothing (409); a failed registration of the new one saves the
// change, leaves the flow OFF and says why.
func TestAPIFlowUpgradeOnFlow(t *testing.T) {
	newEvents := func(d *flows.Definition) {
		if d.Kind == flows.KindWebhookEvent {
			d.Webhook.Registration.Inputs["events"] = flows.Binding{Value: "user.*"}
		}
	}
	tests := []struct {
		name      string
		edit      func(*flows.Definition)
		failing   bool
		status    int
		want      string
		revisions int // how many revisions the upgrade added
		state     flows.SubscriptionState
	}{
		{"registration inputs change", newEvents, false, http.StatusOK, `"reregistered":true`, 1, flows.SubscriptionActive},
		{"the deregistration fails", newEvents, true, http.StatusConflict, "Nothing was changed and the flow stays ON: the deregistration failed", 0, flows.SubscriptionActive},
		{"the registration fails", func(d *flows.Definition) {
			newEvents(d)
			if d.Kind == flows.KindWebhookRegistration {
				d.Cards[1].Bindings["url"] = flows.Binding{Value: "/no-such-endpoint"}
			}
		}, false, http.StatusOK, `"registrationError":"Registration failed: `, 1, flows.SubscriptionOff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prov := webtest.NewAcme(t)
			srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
			c, token := srv.NewClient(), srv.Token(t)
			flowID := webtest.AcmeSetup(t, srv, prov, token)
			webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", flowID), nil, http.StatusOK)
			ctx := context.Background()
			f, _ := srv.Store.Flow(ctx, flowID)
			webtest.DeployNext(t, srv, token, f.Definition.Source.Connector, tt.edit)
			prov.Fail.Store(tt.failing)
			code, body := c.API(t, token, "POST", fmt.Sprintf("/api/v1/flows/%d/upgrade", flowID), "")
			if code != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("%d %s; want %d with %s", code, body, tt.status, tt.want)
			}
			got, _ := srv.Store.Flow(ctx, flowID)
			sub, _ := srv.Store.LatestSubscription(ctx, flowID)
			if got.Revision != f.Revision+tt.revisions || sub.State != tt.state {
				t.Fatalf("after the upgrade: revision %d, subscription %s", got.Revision, sub.State)
			}
		})
	}
}

// TestAPIFlowClear: clearing a flow's data drops the inputs and outputs of
// its ended executions, clearing all drops the executions; both are in the
// audit log, and an unknown mode is refused.
func TestAPIFlowClear(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	id := createFlow(t, srv, token, greeter)
	path := fmt.Sprintf("/api/v1/flows/%d/clear", id)
	run := func() string {
		return webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", id), `{"input":{"name":"ada"}}`, http.StatusOK)["id"].(string)
	}
	first := run()
	run()
	for _, tt := range []struct{ body, want string }{
		{`{"mode":"everything"}`, "Mode is data (clear the inputs and outputs) or all"},
		{`{}`, "Mode is data"},
		{`{"mode":"data","flow":1}`, "unknown field"},
	} {
		if code, body := c.API(t, token, "POST", path, tt.body); code != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s", tt.body, code, body)
		}
	}
	if got := webtest.APIJSON(t, c, token, "POST", path, `{"mode":"data"}`, http.StatusOK); got["cleared"] != 2.0 {
		t.Fatalf("clear data: %v", got)
	}
	if e := webtest.APIJSON(t, c, token, "GET", "/api/v1/executions/"+first, nil, http.StatusOK); e["input"] != nil || e["status"] != "succeeded" {
		t.Fatalf("after clearing the data: %v", e)
	}
	if got := webtest.APIJSON(t, c, token, "POST", path, `{"mode":"all"}`, http.StatusOK); got["cleared"] != 2.0 {
		t.Fatalf("clear all: %v", got)
	}
	webtest.APIJSON(t, c, token, "GET", "/api/v1/executions/"+first, nil, http.StatusNotFound)
	log, _ := srv.Store.AuditLog(context.Background(), 10)
	if len(log) < 2 || !strings.Contains(log[0].Detail, "cleared the executions of 2") {
		t.Fatalf("audit log: %+v", log)
	}
}
