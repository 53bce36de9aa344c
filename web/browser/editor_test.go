package browser_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

func TestBrowserBuildRegistrationFlow(t *testing.T) {
	srv := webtest.Start(t)
	con, f := webtest.RegistrationFlow(t, srv)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	b.Open(fmt.Sprintf("/connectors/%d/flows/%d", con.ID, f.ID))
	b.Run(chromedp.WaitVisible(webtest.TestID("canvas")))

	// Find the HTTP Post card with the palette's search, choose it, place it first.
	b.Run(
		chromedp.SendKeys(webtest.TestID("palette-search"), "post"),
		chromedp.Click(webtest.TestID("palette-http.post")),
		chromedp.Click(webtest.TestID("slot--0")),
		chromedp.WaitVisible(webtest.TestID("card-post1")),
	)
	if got := b.Text("problem-post1-url"); !strings.Contains(got, "required") {
		t.Fatalf("missing URL shows %q", got)
	}

	// Drag the Event URL onto the body of the POST.
	b.Run(
		chromedp.DragAndDrop(webtest.TestID("out-event-eventUrl"), webtest.TestID("in-post1-body")),
		chromedp.WaitVisible(webtest.TestID("binding-post1-body")),
	)
	if got := b.Text("binding-post1-body"); !strings.Contains(got, "Event URL") {
		t.Fatalf("body mapped to %q", got)
	}
	if got := webtest.Value(b, chromedp.AttributeValue(chromedp.CSS(`[data-testid="binding-post1-body"] .chip`), "title")); got.Value != "event.eventUrl" {
		t.Fatalf("the chip's id on hover = %+v", got)
	}

	// Type the URL; the error on the card goes away.
	b.Run(
		chromedp.SendKeys(webtest.TestID("value-post1-url"), "/subscriptions\r"),
		chromedp.WaitNotPresent(webtest.TestID("problem-post1-url")),
	)

	// Click-to-map from the keyboard: choose the response body, then Enter on Registration Data.
	b.Run(
		chromedp.Click(webtest.TestID("out-post1-body")),
		chromedp.Focus(webtest.TestID("in-return-registrationData")),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(webtest.TestID("binding-return-registrationData")),
	)

	// Add an input to the Registration event card: a new output to map from.
	b.Run(
		chromedp.Click(chromedp.CSS(`[data-testid="fields-out-event"] summary`)),
		chromedp.SendKeys(webtest.TestID("field-new-out-event"), "events"),
		chromedp.Click(webtest.TestID("field-add-out-event")),
		chromedp.WaitVisible(webtest.TestID("out-event-events")),
	)

	b.Screenshot("canvas")

	got, err := srv.Store.Flow(context.Background(), f.ID)
	if err != nil {
		t.Fatal(err)
	}
	post, _ := got.Definition.Card("post1")
	ret, _ := got.Definition.Card("return")
	if post.Bindings["url"].Value != "/subscriptions" || post.Bindings["body"].Ref == nil || post.Bindings["body"].Ref.Field != "eventUrl" ||
		ret.Bindings[flows.FieldRegistrationData].Ref == nil || ret.Bindings[flows.FieldRegistrationData].Ref.Card != "post1" {
		t.Fatalf("saved flow: post %+v, return %+v", post.Bindings, ret.Bindings)
	}
	if err := flows.Validate(got.Definition, srv.Web.Registry()); err != nil {
		t.Fatalf("the built flow does not validate: %v", err)
	}
	if len(got.Definition.Event.Outputs) != 1 || got.Definition.Event.Outputs[0].Key != "events" {
		t.Fatalf("event inputs = %+v", got.Definition.Event.Outputs)
	}
}
