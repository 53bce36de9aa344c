package browser_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/web/webtest"
)

// TestBrowserEndpointFlow: a super admin builds an API Endpoint flow in
// the browser (the event picked in the new-flow form, a Return card with
// a field mapped from the request's body), turns it ON, sees its invoke
// URL with a copy button, makes a client token, and the flow answers an
// HTTP request with it.
func TestBrowserEndpointFlow(t *testing.T) {
	srv := webtest.Start(t)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	b.Run(chromedp.EmulateViewport(1440, 900))

	b.Open("/flows")
	b.Run(
		chromedp.SendKeys(id("flow-name-input"), "User lookup"),
		chromedp.SetValue(id("flow-event"), "api_endpoint"),
		chromedp.Click(id("flow-create")),
		chromedp.WaitVisible(id("endpoint-panel")),
		chromedp.WaitVisible(id("out-event-body")),
		chromedp.WaitVisible(id("out-event-executionId")),
	)
	if got := b.Text("flow-state"); got != "OFF" {
		t.Fatalf("a new flow is %q", got)
	}
	flowPage := webtest.Value(b, chromedp.Evaluate[string](`location.pathname`))
	// A Return card whose field "who" is the body's name.
	b.Run(
		chromedp.SendKeys(id("palette-search"), "return"),
		chromedp.Click(id("palette-control.return")),
		chromedp.Click(id("slot--0")),
		chromedp.WaitVisible(id("card-return1")),
		chromedp.Click(chromedp.CSS(`[data-testid="fields-in-return1"] summary`)),
		chromedp.SendKeys(id("field-new-in-return1"), "who\r"),
		chromedp.WaitVisible(id("in-return1-who")),
		chromedp.Click(id("out-event-body")),
		chromedp.Click(id("in-return1-who")),
		chromedp.WaitVisible(id("path-return1-who")),
		chromedp.SendKeys(id("path-return1-who"), "name\r"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="path-return1-who"][value="name"]`)),
	)
	b.Screenshot("endpoint-editor-1440")

	// ON, with the invoke URL and its copy button; then a client token,
	// shown once.
	b.Run(chromedp.Click(id("turn-on")), chromedp.WaitVisible(id("invoke-url")), chromedp.WaitVisible(id("copy-invoke-url")))
	if got := b.Text("flow-state"); got != "ON" {
		t.Fatalf("after ON the flow is %q", got)
	}
	invokeURL := webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="invoke-url"]').value`))
	if !strings.HasPrefix(invokeURL, srv.URL+"/api/flo/") || !strings.HasSuffix(invokeURL, "/invoke") {
		t.Fatalf("invoke URL %q", invokeURL)
	}
	b.Run(chromedp.Click(id("rotate-client-token")), chromedp.WaitVisible(id("client-token")))
	token := webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="client-token"]').value`))
	if !strings.HasPrefix(token, "hfc_") {
		t.Fatalf("client token %q", token)
	}
	b.Screenshot("endpoint-flow-1440")
	b.Run(chromedp.EmulateViewport(1024, 800))
	b.Screenshot("endpoint-flow-1024")

	res, body := webtest.Invoke(t, http.MethodPost, invokeURL, `{"name":"Ada"}`, http.Header{"Content-Type": {"application/json"}, "X-Api-Client-Token": {token}})
	if res.StatusCode != http.StatusOK || body != `{"who":"Ada"}` || res.Header.Get("X-Hookflow-Execution-Id") == "" {
		t.Fatalf("invoke = %d %s", res.StatusCode, body)
	}
	// The token is not on the page once it is left.
	b.Open(flowPage)
	b.Run(chromedp.WaitVisible(id("client-token-state")))
	if html := webtest.Value(b, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); strings.Contains(html, token) {
		t.Fatal("the flow page shows the client token again")
	}
	b.Screenshot("endpoint-editor-1024")
}
