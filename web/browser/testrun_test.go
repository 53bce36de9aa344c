package browser_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/web/webtest"
)

// provider is a fake outside service: POST /subscriptions {url} → {id};
// it fails with 500 while fail is set.
func provider(t *testing.T, fail *atomic.Bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/subscriptions" {
			http.NotFound(w, r)
			return
		}
		if fail.Load() {
			http.Error(w, "provider is down", http.StatusInternalServerError)
			return
		}
		var body struct{ URL string }
		json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "sub_1", "url": body.URL})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBrowserTestRunShowsOutputsOnCards(t *testing.T) {
	var fail atomic.Bool
	prov := provider(t, &fail)
	srv := webtest.Start(t)
	ctx := context.Background()
	con, _ := srv.Store.CreateConnector(ctx, flows.ConnectorInfo{Name: "Acme", BaseURL: prov.URL, Auth: flows.AuthDefinition{Kind: flows.AuthNone}})
	def, _ := flows.NewDefinition(flows.KindWebhookRegistration, "Subscribe")
	def.AddCard(flows.Place{}, flows.Node{ID: "body", Type: "object.construct", Inputs: []flows.Field{{Key: "url", Type: flows.TypeText}},
		Bindings: map[string]flows.Binding{"url": {Ref: &flows.Ref{Card: "event", Field: flows.FieldEventURL}}}}, flows.CardSpec{})
	def.AddCard(flows.Place{Index: 1}, flows.Node{ID: "post", Type: "http.post",
		Bindings: map[string]flows.Binding{"url": {Value: "/subscriptions"}, "body": {Ref: &flows.Ref{Card: "body", Field: "output"}}}}, flows.CardSpec{})
	def.Bind("return", flows.FieldRegistrationData, flows.Binding{Ref: &flows.Ref{Card: "post", Field: "body"}})
	if err := flows.Validate(def, srv.Web.Registry()); err != nil {
		t.Fatal(err)
	}
	f, _ := srv.Store.CreateFlow(ctx, flows.Flow{ConnectorID: con.ID, Definition: def})

	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	b.Open("/connectors/" + webtest.Itoa(con.ID) + "/flows/" + webtest.Itoa(f.ID))
	b.Run(
		chromedp.Click(chromedp.CSS(`[data-testid="test-run"] summary`)),
		chromedp.SendKeys(webtest.TestID("test-in-eventUrl"), "https://hooks.example/hooks/abc"),
		chromedp.Click(webtest.TestID("test-submit")),
		chromedp.WaitVisible(webtest.TestID("test-status")),
	)
	if got := b.Text("test-status"); got != "succeeded" {
		t.Fatalf("status %q", got)
	}
	if got := b.Text("step-out-post"); !strings.Contains(got, `"id": "sub_1"`) || !strings.Contains(got, "hooks.example/hooks/abc") {
		t.Fatalf("post outputs shown: %q", got)
	}
	if got := b.Text("step-out-return"); !strings.Contains(got, "sub_1") {
		t.Fatalf("return outputs shown: %q", got)
	}
	// The link opens the execution, card by card.
	b.Run(chromedp.Click(webtest.TestID("test-execution")), chromedp.WaitVisible(webtest.TestID("execution-steps")))
	if got := b.Text("execution-status"); got != "succeeded" {
		t.Fatalf("execution page status %q", got)
	}

	// When the provider fails, the failing card shows its error in place.
	fail.Store(true)
	b.Open("/connectors/" + webtest.Itoa(con.ID) + "/flows/" + webtest.Itoa(f.ID))
	b.Run(
		chromedp.Click(chromedp.CSS(`[data-testid="test-run"] summary`)),
		chromedp.SendKeys(webtest.TestID("test-in-eventUrl"), "https://hooks.example/hooks/abc"),
		chromedp.Click(webtest.TestID("test-submit")),
		chromedp.WaitVisible(webtest.TestID("step-error-post")),
	)
	if got := b.Text("step-error-post"); !strings.Contains(got, "500") {
		t.Fatalf("error shown: %q", got)
	}
	if got := b.Text("test-status"); got != "failed" {
		t.Fatalf("status %q", got)
	}
	execs, _ := srv.Store.CountExecutions(ctx, store.ExecutionFilter{})
	if execs != 2 {
		t.Fatalf("executions recorded = %d", execs)
	}
}
