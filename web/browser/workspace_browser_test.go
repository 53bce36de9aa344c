package browser_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/web/webtest"
)

// TestBrowserConnectionFlowOnOff: a super admin creates a connection,
// builds a workspace flow on the deployed Acme connector's event card,
// turns it ON (seeing the Event URL and the subscription), and OFF.
func TestBrowserConnectionFlowOnOff(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	webtest.DeployAcme(t, srv, prov, srv.Token(t))

	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID

	// A connection: its secret is typed once and never shown again.
	b.Open("/connections")
	b.Run(
		chromedp.Click(id("connection-new")),
		chromedp.WaitVisible(id("connection-form")),
		chromedp.SendKeys(id("connection-name-input"), "Acme prod"),
		chromedp.SendKeys(id("connection-value-api_key"), webtest.AcmeKey),
		chromedp.Click(id("connection-save")),
		chromedp.WaitVisible(id("connection-row")),
	)
	if html := webtest.Value(b, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); strings.Contains(html, webtest.AcmeKey) {
		t.Fatal("the connections page shows the secret")
	}
	// The Test button runs the connector's Auth Ping with it.
	b.Run(chromedp.Click(id("connection-test")))
	webtest.WaitFor(t, "the Auth Ping", func() bool {
		return strings.Contains(webtest.Value(b, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)), "the Auth Ping succeeded")
	})

	// A flow on the Acme event card, with its option filled and a card mapped.
	b.Open("/flows")
	event := webtest.Value(b, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid="flow-event"] option')].find(o => o.textContent.includes("Acme")).value`))
	conn := webtest.Value(b, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid="flow-connection"] option')].find(o => o.textContent.includes("Acme prod")).value`))
	b.Run(
		chromedp.SendKeys(id("flow-name-input"), "New users"),
		chromedp.SetValue(id("flow-event"), event),
		chromedp.SetValue(id("flow-connection"), conn),
		chromedp.Click(id("flow-create")),
		chromedp.WaitVisible(id("flow-status")),
		chromedp.SendKeys(id("value-event-events"), "user.created\r"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="value-event-events"][value="user.created"]`)),
		chromedp.SendKeys(id("palette-search"), "upper"),
		chromedp.Click(id("palette-text.upper")),
		chromedp.Click(id("slot--0")),
		chromedp.WaitVisible(id("card-upper1")),
		chromedp.Click(id("out-event-events")),
		chromedp.Click(id("in-upper1-text")),
		chromedp.WaitVisible(id("path-upper1-text")),
		chromedp.SendKeys(id("path-upper1-text"), "actor.displayName\r"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="path-upper1-text"][value="actor.displayName"]`)),
	)
	if got := b.Text("flow-state"); got != "OFF" {
		t.Fatalf("a new flow is %q", got)
	}
	flowPage := webtest.Value(b, chromedp.Evaluate[string](`location.pathname`))

	// ON: the Event URL, registered at the provider, and the subscription.
	b.Run(chromedp.Click(id("turn-on")), chromedp.WaitVisible(id("event-url")))
	eventURL := webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="event-url"]').value`))
	subs := prov.Subscriptions()
	if b.Text("flow-state") != "ON" || b.Text("subscription-state") != "active" || len(subs) != 1 || subs[0].URL != eventURL {
		t.Fatalf("after ON: state %q, subscription %q, Event URL %q, provider %+v", b.Text("flow-state"), b.Text("subscription-state"), eventURL, subs)
	}
	b.Run(chromedp.WaitVisible(id("registration-execution")), chromedp.WaitVisible(id("copy-event-url")))
	b.Screenshot("flow-on")

	// OFF: the page says so and the provider is told.
	b.Run(chromedp.Click(id("turn-off")))
	webtest.WaitFor(t, "the OFF page", func() bool {
		return strings.Contains(webtest.Value(b, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)), "The flow is OFF")
	})
	if got := b.Text("flow-state"); got != "OFF" {
		t.Fatalf("after OFF the flow is %q", got)
	}
	webtest.WaitFor(t, "the deregistration", func() bool { return len(prov.Subscriptions()) == 0 })
	b.Open(flowPage)
	b.Run(chromedp.WaitVisible(id("deregistration-execution")))
	if got := b.Text("subscription-state"); got != "off" {
		t.Fatalf("subscription %q after the deregistration", got)
	}
}
