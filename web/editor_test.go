package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

func TestEditorChanges(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	ctx := context.Background()
	con, f := webtest.RegistrationFlow(t, srv)
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
	if webtest.CardIDs(def.Cards) != "upper1,post1,return" {
		t.Fatalf("cards = %s", webtest.CardIDs(def.Cards))
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
	if webtest.CardIDs(saved().Cards) != webtest.CardIDs(before.Cards) {
		t.Fatal("a stale change was saved")
	}
}
