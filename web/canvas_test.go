package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// canvasEdit posts canvas changes to a flow's edit URL as the builder does
// (htmx), on the flow's saved revision unless the form names one.
func canvasEdit(t *testing.T, srv *webtest.Server, c *webtest.Client, editURL string, flowID int64) func(form url.Values) (int, string) {
	return func(form url.Values) (int, string) {
		t.Helper()
		form.Set("_csrf", c.CSRF(t, "/flows"))
		if form.Get("revision") == "" {
			f, err := srv.Store.Flow(context.Background(), flowID)
			if err != nil {
				t.Fatal(err)
			}
			form.Set("revision", fmt.Sprint(f.Revision))
		}
		res, body := c.Do(t, http.MethodPost, editURL, strings.NewReader(form.Encode()), http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"}, "HX-Request": {"true"}})
		return res.StatusCode, body
	}
}

func TestEditorUndoAndTypedText(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	ctx := context.Background()
	con, f := webtest.RegistrationFlow(t, srv)
	edit := canvasEdit(t, srv, c, fmt.Sprintf("/connectors/%d/flows/%d/edit", con.ID, f.ID), f.ID)
	saved := func() flows.Definition {
		t.Helper()
		got, _ := srv.Store.Flow(ctx, f.ID)
		return got.Definition
	}
	binding := func(card, field string) flows.Binding {
		t.Helper()
		d := saved()
		n, _ := d.Card(card)
		return n.Bindings[field]
	}
	for _, form := range []url.Values{
		{"op": {"add"}, "type": {"http.post"}, "lane": {""}, "index": {"0"}},
		{"op": {"add"}, "type": {flows.ControlIfElse}, "lane": {""}, "index": {"1"}},
		{"op": {"bind"}, "card": {"post1"}, "field": {"url"}, "value": {"/hooks?to="}},
		{"op": {"bind"}, "card": {"post1"}, "field": {"timeout"}, "value": {"5"}},
		{"op": {"bind"}, "card": {"ifelse1"}, "field": {"operator"}, "value": {"less"}},
	} {
		if status, body := edit(form); status != http.StatusOK {
			t.Fatalf("%v: %d %s", form, status, body)
		}
	}

	mappings := []struct {
		name, card, field string
		check             func(flows.Binding) bool
	}{
		{"onto typed text: kept, the field beside it", "post1", "url", func(b flows.Binding) bool {
			return len(b.Parts) == 2 && b.Parts[0].Text == "/hooks?to=" && b.Parts[1].Ref.Field == flows.FieldEventURL
		}},
		{"onto a mix: joins it", "post1", "url", func(b flows.Binding) bool { return len(b.Parts) == 3 && b.Parts[2].Ref != nil }},
		{"onto a typed number: replaces it (the builder asks first)", "post1", "timeout", func(b flows.Binding) bool { return b.Ref != nil && b.Value == nil }},
		{"onto a choice: replaces it", "ifelse1", "operator", func(b flows.Binding) bool { return b.Ref != nil && b.Value == nil && b.Parts == nil }},
	}
	for _, tt := range mappings {
		t.Run(tt.name, func(t *testing.T) {
			status, _ := edit(url.Values{"op": {"bind"}, "card": {tt.card}, "field": {tt.field}, "refCard": {"event"}, "refField": {flows.FieldEventURL}})
			if b := binding(tt.card, tt.field); status != http.StatusOK || !tt.check(b) {
				t.Fatalf("%d, saved %+v", status, b)
			}
		})
	}
	if status, _ := edit(url.Values{"op": {"bind"}, "card": {"post1"}, "field": {"url"}, "value": {"&x=1"}}); status != http.StatusOK {
		t.Fatalf("text added to a mix: %d", status)
	}
	if b := binding("post1", "url"); len(b.Parts) != 4 || b.Parts[3].Text != "&x=1" {
		t.Fatalf("text added to a mix: %+v", b)
	}

	// Deleting offers an Undo that restores the flow as it was.
	before := saved()
	status, body := edit(url.Values{"op": {"delete"}, "card": {"post1"}})
	undo := parse(t, body).Find(`[data-testid="undo"]`)
	to, _ := undo.Attr("data-to")
	if status != http.StatusOK || undo.Length() != 1 || !strings.Contains(parse(t, body).Find(`[data-testid="notice"]`).Text(), "Deleted Post (post1)") {
		t.Fatalf("delete: %d, undo %q", status, to)
	}
	cur, _ := srv.Store.Flow(ctx, f.ID)
	refusals := []struct {
		name string
		form url.Values
		want int
	}{
		{"to nothing", url.Values{"op": {"undo"}}, http.StatusUnprocessableEntity},
		{"to the revision it is at", url.Values{"op": {"undo"}, "to": {fmt.Sprint(cur.Revision)}}, http.StatusUnprocessableEntity},
		{"on a stale revision", url.Values{"op": {"undo"}, "to": {to}, "revision": {fmt.Sprint(cur.Revision - 1)}}, http.StatusConflict},
	}
	for _, tt := range refusals {
		t.Run("undo "+tt.name, func(t *testing.T) {
			if status, _ := edit(tt.form); status != tt.want {
				t.Fatalf("%d, want %d", status, tt.want)
			}
		})
	}
	if status, body := edit(url.Values{"op": {"undo"}, "to": {to}}); status != http.StatusOK || !strings.Contains(body, `data-testid="card-post1"`) {
		t.Fatalf("undo: %d", status)
	}
	after := saved()
	if !reflect.DeepEqual(after.Cards, before.Cards) {
		t.Fatalf("after undo: %+v\nwant %+v", after.Cards, before.Cards)
	}
	if got, _ := srv.Store.Flow(ctx, f.ID); got.Revision != cur.Revision+1 {
		t.Fatalf("undo saved revision %d, want a new revision %d", got.Revision, cur.Revision+1)
	}
}

// TestCanvasFormsWorkAsPlainForms posts the canvas's forms as a browser
// does before the builder script runs (Enter in a field): the change is
// saved and the flow's page shows it.
func TestCanvasFormsWorkAsPlainForms(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	con, f := webtest.RegistrationFlow(t, srv)
	def := f.Definition
	def.AddCard(flows.Place{}, flows.Node{ID: "post1", Type: "http.post"}, flows.CardSpec{})
	def.Bind("return", flows.FieldRegistrationData, flows.Binding{Ref: &flows.Ref{Card: "post1", Field: "body"}})
	f.Definition = def
	f, _ = srv.Store.UpdateFlow(context.Background(), f)
	page := fmt.Sprintf("/connectors/%d/flows/%d", con.ID, f.ID)
	submit := func(box, value string) {
		t.Helper()
		_, body := c.Get(t, page)
		form := parse(t, body).Find(fmt.Sprintf(`[data-testid="%s"]`, box)).Closest("form")
		action, _ := form.Attr("action")
		values := url.Values{}
		form.Find(`input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
			name, _ := s.Attr("name")
			v, _ := s.Attr("value")
			values.Set(name, v)
		})
		form.Find("select").Each(func(_ int, s *goquery.Selection) {
			name, _ := s.Attr("name")
			opt := s.Find("option[selected]")
			if opt.Length() == 0 {
				opt = s.Find("option").First()
			}
			v, _ := opt.Attr("value")
			values.Set(name, v)
		})
		name, _ := form.Find(fmt.Sprintf(`[data-testid="%s"]`, box)).Attr("name")
		values.Set(name, value)
		res, _ := c.Do(t, http.MethodPost, action, strings.NewReader(values.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page {
			t.Fatalf("%s: %d to %q", box, res.StatusCode, res.Header.Get("Location"))
		}
	}
	submit("value-post1-url", "/subscriptions")
	submit("path-return-registrationData", "id")
	submit("field-new-out-event", "topic")
	_, body := c.Get(t, page)
	doc := parse(t, body)
	if v, _ := doc.Find(`[data-testid="value-post1-url"]`).Attr("value"); v != "/subscriptions" {
		t.Fatalf("the URL shows %q", v)
	}
	if v, _ := doc.Find(`[data-testid="path-return-registrationData"]`).Attr("value"); v != "id" {
		t.Fatalf("the path shows %q", v)
	}
	if doc.Find(`[data-testid="out-event-topic"]`).Length() != 1 {
		t.Fatal("the added field is not shown")
	}
}

func TestWorkspaceTestRunSaysCredentialsWereNotSent(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.Start(t)
	token := srv.Token(t)
	conID, v := webtest.DeployAcme(t, srv, prov, token)
	c := srv.SignedIn(t)
	if res, _ := webtest.PostConnectorForm(t, c, "/flows", url.Values{"name": {"Lookup"}, "event": {"manual"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	fs, _ := srv.Store.Flows(context.Background(), 0)
	f := fs[0]
	edit := canvasEdit(t, srv, c, fmt.Sprintf("/flows/%d/edit", f.ID), f.ID)
	// No connection to Acme exists: the action card is placed without one.
	choice := fmt.Sprintf("%d:1:%s", conID, v.Export.FlowsOfKind(flows.KindAction)[0].Key)
	if status, body := edit(url.Values{"op": {"add"}, "type": {flows.ControlAction}, "action": {choice}, "index": {"0"}}); status != http.StatusOK {
		t.Fatalf("add: %d %s", status, body)
	}
	_, body := edit(url.Values{"op": {"test"}})
	if got := parse(t, body).Find(`[data-testid="test-notice"]`).Text(); !strings.Contains(got, "No connection is chosen for Acme: Get user") {
		t.Fatalf("the test run's notice: %q", got)
	}

	// A flow without connector cards runs without a notice.
	if status, _ := edit(url.Values{"op": {"delete"}, "card": {"action1"}}); status != http.StatusOK {
		t.Fatal("delete")
	}
	if _, body := edit(url.Values{"op": {"test"}}); parse(t, body).Find(`[data-testid="test-notice"]`).Length() != 0 {
		t.Fatal("a notice without connector cards")
	}
}
