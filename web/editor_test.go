package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// registrationFlow makes a connector with a new Registration flow.
func registrationFlow(t *testing.T, srv *webtest.Server) (flows.Connector, flows.Flow) {
	t.Helper()
	ctx := context.Background()
	con, err := srv.Store.CreateConnector(ctx, flows.ConnectorInfo{Name: "Acme", BaseURL: "https://api.acme.test", Auth: flows.AuthDefinition{Kind: flows.AuthNone}})
	if err != nil {
		t.Fatal(err)
	}
	def, _ := flows.NewDefinition(flows.KindWebhookRegistration, "Subscribe")
	f, err := srv.Store.CreateFlow(ctx, flows.Flow{ConnectorID: con.ID, Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	return con, f
}

func TestEditorChanges(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	ctx := context.Background()
	con, f := registrationFlow(t, srv)
	editURL := fmt.Sprintf("/connectors/%d/flows/%d/edit", con.ID, f.ID)
	rev := 1
	edit := func(form url.Values) (int, string) {
		t.Helper()
		form.Set("_csrf", c.CSRF(t, fmt.Sprintf("/connectors/%d", con.ID)))
		if form.Get("revision") == "" {
			form.Set("revision", fmt.Sprint(rev))
		}
		res, body := c.Do(t, http.MethodPost, editURL, strings.NewReader(form.Encode()), http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"}, "HX-Request": {"true"}})
		if res.StatusCode == http.StatusOK {
			rev++
		}
		return res.StatusCode, body
	}
	saved := func() flows.Definition {
		t.Helper()
		got, err := srv.Store.Flow(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Definition
	}

	if status, body := edit(url.Values{"op": {"add"}, "type": {"http.post"}, "lane": {""}, "index": {"0"}}); status != 200 || !strings.Contains(body, `data-testid="card-post1"`) {
		t.Fatalf("add: %d", status)
	}
	// The new card's missing required input shows on the card.
	_, body := c.Get(t, fmt.Sprintf("/connectors/%d/flows/%d", con.ID, f.ID))
	if !strings.Contains(parse(t, body).Find(`[data-testid="problem-post1-url"]`).Text(), "required") {
		t.Fatal("missing URL not shown on its card")
	}
	if parse(t, body).Find(`[data-testid="delete-return"]`).Length() != 0 || parse(t, body).Find(`[data-testid="delete-post1"]`).Length() != 1 {
		t.Fatal("the Registration Data Return card offers deletion, or post1 does not")
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"static value", url.Values{"op": {"bind"}, "card": {"post1"}, "field": {"url"}, "value": {"/subscriptions"}}, 200, `value="/subscriptions"`},
		{"map the Event URL", url.Values{"op": {"bind"}, "card": {"post1"}, "field": {"body"}, "refCard": {"event"}, "refField": {"eventUrl"}}, 200, "event.eventUrl"},
		{"a value of the wrong type", url.Values{"op": {"bind"}, "card": {"post1"}, "field": {"timeout"}, "value": {"soon"}}, 422, "is not a number"},
		{"an input that does not exist", url.Values{"op": {"bind"}, "card": {"post1"}, "field": {"colour"}, "value": {"red"}}, 422, "has no input"},
		{"an unknown card type", url.Values{"op": {"add"}, "type": {"text.shout"}}, 422, "no card"},
		{"a second Return card", url.Values{"op": {"add"}, "type": {flows.ControlReturn}}, 422, "exactly one Return card"},
		{"delete the Registration Data Return card", url.Values{"op": {"delete"}, "card": {"return"}}, 422, "cannot be deleted"},
		{"map the response into the Return card", url.Values{"op": {"bind"}, "card": {"return"}, "field": {flows.FieldRegistrationData}, "refCard": {"post1"}, "refField": {"body"}}, 200, "post1.body"},
		{"narrow it to the response id", url.Values{"op": {"bind"}, "card": {"return"}, "field": {flows.FieldRegistrationData}, "refCard": {"post1"}, "refField": {"body"}, "refPath": {"id"}}, 200, "post1.body.id"},
		{"add a card after it", url.Values{"op": {"add"}, "type": {"text.upper"}, "lane": {""}, "index": {"1"}}, 200, "card-upper1"},
		{"map from a later card", url.Values{"op": {"bind"}, "card": {"post1"}, "field": {"url"}, "refCard": {"upper1"}, "refField": {"output"}}, 422, "does not run before"},
		{"map an incompatible type", url.Values{"op": {"bind"}, "card": {"post1"}, "field": {"timeout"}, "refCard": {"event"}, "refField": {"eventUrl"}}, 200, "event.eventUrl"},
		{"map an output that does not exist", url.Values{"op": {"bind"}, "card": {"post1"}, "field": {"headers"}, "refCard": {"event"}, "refField": {"nope"}}, 422, "has no output"},
		{"a compose text collects chips", url.Values{"op": {"add"}, "type": {"text.compose"}, "lane": {""}, "index": {"2"}}, 200, "card-compose1"},
		{"compose: text", url.Values{"op": {"bind"}, "card": {"compose1"}, "field": {"text"}, "value": {"Hello "}}, 200, "Hello"},
		{"compose: a chip after it", url.Values{"op": {"bind"}, "card": {"compose1"}, "field": {"text"}, "refCard": {"event"}, "refField": {"eventUrl"}}, 200, "event.eventUrl"},
		{"add an event input", url.Values{"op": {"add_field"}, "card": {"event"}, "output": {"true"}, "key": {"events"}, "type": {"list<text>"}}, 200, "out-event-events"},
		{"rename and retype it", url.Values{"op": {"field"}, "card": {"event"}, "output": {"true"}, "field": {"events"}, "key": {"topics"}, "type": {"text"}}, 200, "out-event-topics"},
		{"a taken key", url.Values{"op": {"add_field"}, "card": {"event"}, "output": {"true"}, "key": {"topics"}, "type": {"text"}}, 422, "already has a field"},
		{"a key with a dot", url.Values{"op": {"add_field"}, "card": {"event"}, "output": {"true"}, "key": {"a.b"}, "type": {"text"}}, 422, "without spaces, dots or brackets"},
		{"an unknown type", url.Values{"op": {"add_field"}, "card": {"event"}, "output": {"true"}, "key": {"x"}, "type": {"colour"}}, 422, "nknown type"},
		{"fields on a fixed card", url.Values{"op": {"add_field"}, "card": {"upper1"}, "output": {"false"}, "key": {"x"}, "type": {"text"}}, 422, "takes no added fields"},
		{"remove Registration Data", url.Values{"op": {"remove_field"}, "card": {"return"}, "output": {"false"}, "field": {"registrationData"}}, 422, "cannot be removed"},
		{"remove the event input", url.Values{"op": {"remove_field"}, "card": {"event"}, "output": {"true"}, "field": {"topics"}}, 200, "card-event"},
		{"move it left", url.Values{"op": {"move"}, "card": {"upper1"}, "delta": {"-1"}}, 200, "card-upper1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := edit(tt.form)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("%d, want %d containing %q:\n%s", status, tt.status, tt.want, body)
			}
		})
	}
	def := saved()
	compose1, _ := def.Card("compose1")
	if parts := compose1.Bindings["text"].Parts; len(parts) != 2 || parts[0].Text != "Hello " || parts[1].Ref.Field != "eventUrl" {
		t.Fatalf("compose text = %+v", compose1.Bindings["text"])
	}
	if _, err := def.RemoveCard("compose1"); err != nil {
		t.Fatal(err)
	}
	if ids(def.Cards) != "upper1,post1,return" {
		t.Fatalf("cards = %s", ids(def.Cards))
	}
	post, _ := def.Card("post1")
	if post.Bindings["url"].Value != "/subscriptions" || post.Bindings["body"].Ref.Field != "eventUrl" {
		t.Fatalf("post1 bindings = %+v", post.Bindings)
	}

	// Deleting post1 removes the mapping from it and says so.
	status, body := edit(url.Values{"op": {"delete"}, "card": {"post1"}})
	if status != 200 || !strings.Contains(body, "return.registrationData") {
		t.Fatalf("delete: %d %s", status, body)
	}
	after := saved()
	if ret, _ := after.Card("return"); len(ret.Bindings) != 0 {
		t.Fatalf("mapping from the deleted card kept: %+v", ret.Bindings)
	}

	// A change made on a stale revision is refused and overwrites nothing.
	before := saved()
	status, body = edit(url.Values{"op": {"delete"}, "card": {"upper1"}, "revision": {"1"}})
	if status != http.StatusConflict || !strings.Contains(body, `data-testid="conflict"`) || !strings.Contains(body, `data-testid="reload"`) {
		t.Fatalf("stale change: %d", status)
	}
	if ids(saved().Cards) != ids(before.Cards) {
		t.Fatal("a stale change was saved")
	}
}

func ids(cards []flows.Node) string {
	out := make([]string, len(cards))
	for i, c := range cards {
		out[i] = c.ID
	}
	return strings.Join(out, ",")
}

func TestBrowserBuildRegistrationFlow(t *testing.T) {
	srv := webtest.Start(t)
	con, f := registrationFlow(t, srv)
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
