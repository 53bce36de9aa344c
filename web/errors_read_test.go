package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// goChain are pieces of Go error chains that no page shows outside the
// raw details.
var goChain = []string{"dial tcp", `Post "`, `Get "`, "flows: ", "http status", "connect: "}

// visibleText is the text of a page's main part, without the raw details.
func visibleText(doc *goquery.Document) string {
	main := doc.Find("main").Clone()
	main.Find("details.error-detail").Remove()
	return main.Text()
}

// noGoChain fails when the page's words hold a Go error chain.
func noGoChain(t *testing.T, what string, doc *goquery.Document) {
	t.Helper()
	text := visibleText(doc)
	for _, bit := range goChain {
		if strings.Contains(text, bit) {
			t.Fatalf("%s shows %q: %s", what, bit, strings.Join(strings.Fields(text), " "))
		}
	}
}

// turnOn presses the flow page's Turn ON button and returns the flow's
// page as it then reads.
func turnOn(t *testing.T, c *webtest.Client, flowID int64) *goquery.Document {
	t.Helper()
	path := fmt.Sprintf("/flows/%d", flowID)
	if res, _ := webtest.PostConnectorForm(t, c, path+"/on", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("Turn ON: %d", res.StatusCode)
	}
	_, body := c.Get(t, path)
	return parse(t, body)
}

// TestRegistrationErrorsSpeakToPeople: a failed registration reads in
// words, once, with the raw text one click away, and is gone once a later
// try succeeds.
func TestRegistrationErrorsSpeakToPeople(t *testing.T) {
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	token := srv.Token(t)
	c := srv.SignedIn(t)

	// A service that is not there: the connection is refused.
	gone := webtest.NewAcme(t)
	gone.Close()
	goneFlow := webtest.AcmeSetup(t, srv, gone, token)
	doc := turnOn(t, c, goneFlow)
	host := strings.TrimPrefix(gone.URL, "http://")
	want := "Registration failed: the service at " + host + " refused the connection (POST /subscriptions)"
	if got := strings.TrimSpace(doc.Find(`[data-testid="last-error"]`).Text()); got != want {
		t.Fatalf("the flow's page says %q, want %q", got, want)
	}
	if n := strings.Count(visibleText(doc), "Registration failed"); n != 1 {
		t.Fatalf("the page says Registration failed %d times", n)
	}
	if raw := doc.Find(`[data-testid="last-error-detail"] pre`).Text(); !strings.Contains(raw, "connection refused") {
		t.Fatalf("the raw details read %q", raw)
	}
	noGoChain(t, "the flow's page", doc)
	reg := doc.Find(`[data-testid="registration-execution"]`).AttrOr("href", "")
	_, body := c.Get(t, reg)
	run := parse(t, body)
	if got := strings.TrimSpace(run.Find(`[data-testid="step-error"]`).Text()); got != "the service at "+host+" refused the connection (POST /subscriptions)" {
		t.Fatalf("the registration run's card says %q", got)
	}
	if run.Find(`[data-testid="step-error-detail"] pre`).Length() != 1 || run.Find(`[data-testid="execution-error-detail"] pre`).Length() != 1 {
		t.Fatal("the registration run keeps no raw details")
	}
	noGoChain(t, "the registration run's page", run)

	// A service that answers 503, then recovers.
	srv = webtest.StartWith(t, webtest.Options{StartQueue: true})
	token, c = srv.Token(t), srv.SignedIn(t)
	prov := webtest.NewAcme(t)
	flowID := webtest.AcmeSetup(t, srv, prov, token)
	prov.Fail.Store(true)
	doc = turnOn(t, c, flowID)
	want = "Registration failed: HTTP 503 Service Unavailable from POST " + prov.URL + "/subscriptions"
	if got := strings.TrimSpace(doc.Find(`[data-testid="last-error"]`).Text()); got != want {
		t.Fatalf("the flow's page says %q, want %q", got, want)
	}
	if raw := doc.Find(`[data-testid="last-error-detail"] pre`).Text(); !strings.Contains(raw, "provider is down") {
		t.Fatalf("the raw details read %q, want the response's body", raw)
	}
	noGoChain(t, "the flow's page", doc)
	prov.Fail.Store(false)
	doc = turnOn(t, c, flowID)
	if doc.Find(`[data-testid="last-error"]`).Length() != 0 || strings.Contains(visibleText(doc), "Registration failed") || doc.Find(`[data-testid="flow-state"]`).Text() != "ON" {
		t.Fatalf("after a successful try the page still reads %q", strings.Join(strings.Fields(visibleText(doc)), " "))
	}
}

// TestHTTPCardErrorsSpeakToPeople: a failed HTTP card reads "HTTP 404 Not
// Found from GET …" on its execution's page, the response's body one
// click away.
func TestHTTPCardErrorsSpeakToPeople(t *testing.T) {
	missing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"no user 42"}`, http.StatusNotFound)
	}))
	t.Cleanup(missing.Close)
	srv := webtest.Start(t)
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Look up")
	def.Cards = []flows.Node{{ID: "get", Type: "http.get", Bindings: map[string]flows.Binding{"url": {Value: missing.URL + "/users/42?token=s3cret"}}}}
	f, err := srv.Store.CreateFlow(t.Context(), flows.Flow{Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	id := webtest.RunFlow(t, srv, srv.Token(t), f.ID)
	_, body := srv.SignedIn(t).Get(t, "/executions/"+id)
	doc := parse(t, body)
	want := "HTTP 404 Not Found from GET " + missing.URL + "/users/42"
	for _, testID := range []string{"step-error", "execution-error"} {
		el := doc.Find(fmt.Sprintf(`[data-testid="%s"]`, testID)).Clone()
		el.Find("details").Remove()
		if got := strings.TrimSpace(el.Text()); got != want {
			t.Fatalf("%s reads %q, want %q", testID, got, want)
		}
	}
	if raw := doc.Find(`[data-testid="step-error-detail"] pre`).Text(); !strings.Contains(raw, "no user 42") {
		t.Fatalf("the raw details read %q, want the response's body", raw)
	}
	if strings.Contains(doc.Find(`[data-testid="step-error"], [data-testid="execution-error"]`).Text(), "s3cret") {
		t.Fatal("the error shows the URL's query")
	}
	noGoChain(t, "the execution's page", doc)
}
