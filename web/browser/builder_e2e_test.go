package browser_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestBrowserBuildConnectorFromNothing builds a whole connector in the
// browser, as a super admin would, against a fake provider.
func TestBrowserBuildConnectorFromNothing(t *testing.T) {
	var fail atomic.Bool
	prov := provider(t, &fail)
	srv := webtest.Start(t)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID

	// The connector.
	b.Open("/connectors")
	b.Run(
		chromedp.Click(id("connector-new")),
		chromedp.SendKeys(id("connector-name"), "Acme"),
		chromedp.SendKeys(id("connector-base-url"), prov.URL),
		chromedp.Click(id("connector-save")),
		chromedp.WaitVisible(id("flows-tab")),
	)
	// A new flow opens in the editor.
	newFlow := func(kind flows.Kind, name string) {
		t.Helper()
		b.Run(
			chromedp.SetValue(id("new-flow-kind"), string(kind)),
			chromedp.SendKeys(id("new-flow-name"), name),
			chromedp.Click(id("new-flow-submit")),
			chromedp.WaitVisible(id("canvas")),
		)
		if got := b.Text("editor-title"); got != name {
			t.Fatalf("the new flow opened %q", got)
		}
	}
	back := func() {
		t.Helper()
		b.Run(chromedp.Click(chromedp.CSS(`main p.muted a`)), chromedp.WaitVisible(id("flows-tab")))
	}
	place := func(search, typ, slot, card string) {
		t.Helper()
		webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="palette-search"]').value = ""`))
		b.Run(
			chromedp.SendKeys(id("palette-search"), search),
			chromedp.Click(id("palette-"+typ)),
			chromedp.Click(id(slot)),
			chromedp.WaitVisible(id("card-"+card)),
		)
	}

	// Registration: POST the Event URL to the provider; return the subscription id.
	newFlow(flows.KindWebhookRegistration, "Subscribe")
	place("post", "http.post", "slot--0", "post1")
	if got := b.Text("problem-post1-url"); !strings.Contains(got, "required") {
		t.Fatalf("the missing URL shows %q", got)
	}
	b.Run(
		chromedp.DragAndDrop(id("out-event-eventUrl"), id("in-post1-body")),
		chromedp.WaitVisible(id("binding-post1-body")),
		chromedp.SendKeys(id("value-post1-url"), "/subscriptions\r"),
		chromedp.WaitNotPresent(id("problem-post1-url")),
		chromedp.DragAndDrop(id("out-post1-body"), id("in-return-registrationData")),
		chromedp.WaitVisible(id("path-return-registrationData")),
		chromedp.SendKeys(id("path-return-registrationData"), "id\r"),
		// The canvas comes back from the server with the path saved.
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="path-return-registrationData"][value="id"]`)),
	)
	if got := webtest.Value(b, chromedp.AttributeValue(chromedp.CSS(`[data-testid="binding-return-registrationData"] .chip`), "title")); got.Value != "post1.body.id" {
		t.Fatalf("registration data maps %+v", got)
	}
	// A test run with an Event URL shows each card's outputs in place.
	b.Run(
		chromedp.Click(chromedp.CSS(`[data-testid="test-run"] summary`)),
		chromedp.SendKeys(id("test-in-eventUrl"), "https://hooks.example/hooks/abc"),
		chromedp.Click(id("test-submit")),
		chromedp.WaitVisible(id("test-status")),
	)
	if got := b.Text("step-out-return"); !strings.Contains(got, `"registrationData": "sub_1"`) {
		t.Fatalf("return shows %q", got)
	}
	back()

	// Deregistration: DELETE /subscriptions/<Registration Data>, composed with a chip.
	newFlow(flows.KindWebhookDeregistration, "Unsubscribe")
	place("compose", "text.compose", "slot--0", "compose1")
	b.Run(
		chromedp.SendKeys(id("value-compose1-text"), "/subscriptions/\r"),
		chromedp.WaitVisible(id("binding-compose1-text")),
		// Click-to-map from the keyboard: the output, then Enter on the input.
		chromedp.Click(id("out-event-registrationData")),
		chromedp.Focus(id("in-compose1-text")),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="binding-compose1-text"] .chip`)),
	)
	place("delete", "http.delete", "slot--1", "delete1")
	b.Run(
		chromedp.Click(id("out-compose1-output")),
		chromedp.Click(id("in-delete1-url")),
		chromedp.WaitVisible(id("binding-delete1-url")),
	)
	back()

	// The Webhook Event flow, configured to use both.
	newFlow(flows.KindWebhookEvent, "User created")
	regID := webtest.Value(b, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid="webhook-reg-flow"] option')].find(o => o.textContent === "Subscribe").value`))
	deregID := webtest.Value(b, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid="webhook-dereg-flow"] option')].find(o => o.textContent === "Unsubscribe").value`))
	b.Run(
		chromedp.SetValue(id("webhook-reg-flow"), regID),
		chromedp.SetValue(id("webhook-dereg-flow"), deregID),
		chromedp.Click(id("webhook-save")),
	)
	webtest.WaitFor(t, "the settings saved", func() bool {
		return strings.Contains(webtest.Value(b, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)), "Webhook Event settings saved")
	})
	// Its Return card's fields are the event card's outputs in workspace flows.
	place("return", "control.return", "slot--0", "return1")
	b.Run(
		chromedp.Click(chromedp.CSS(`[data-testid="fields-in-return1"] summary`)),
		chromedp.SendKeys(id("field-new-in-return1"), "events"),
		chromedp.Click(id("field-add-in-return1")),
		chromedp.WaitVisible(id("in-return1-events")),
	)
	back()

	// Deploy from the Deployment tab: version 1, said beside the button.
	b.Run(
		chromedp.Click(id("tab-deployment")),
		chromedp.Click(id("deploy")),
		chromedp.WaitVisible(id("deploy-success")),
		chromedp.WaitVisible(id("version-row")),
	)
	if got := b.Text("version-number"); got != "1" {
		t.Fatalf("deployed version %q", got)
	}
	b.Screenshot("connector")

	// What was built is what runs: the deregistration URL uses the Registration Data.
	list, _ := srv.Store.Connectors(context.Background())
	vs, _ := srv.Store.Versions(context.Background(), list[0].ID)
	var dereg flows.Definition
	for _, f := range vs[0].Export.Flows {
		if f.Definition.Kind == flows.KindWebhookDeregistration {
			dereg = f.Definition
		}
	}
	c, _ := dereg.Card("compose1")
	parts := c.Bindings["text"].Parts
	if len(parts) != 2 || parts[0].Text != "/subscriptions/" || parts[1].Ref.Field != flows.FieldRegistrationData {
		t.Fatalf("compose text = %+v", c.Bindings["text"])
	}
}
