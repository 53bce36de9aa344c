package browser_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// paletteCard is one card of the palette as the browser shows it.
type paletteCard struct {
	Group, Type, Title string
	Shown, GroupShown  bool
}

// checkPalette fails unless the palette shows exactly the cards whose
// title or type holds q, each in its group, and exactly the groups that
// hold one.
func checkPalette(t *testing.T, b *webtest.Browser, q string) {
	t.Helper()
	cards := webtest.Value(b, chromedp.Evaluate[[]paletteCard](`[...document.querySelectorAll('.palette-card')].map(c => ({
		Group: c.closest('.palette-group').dataset.testid, Type: c.dataset.type, Title: c.textContent.trim(),
		Shown: c.getClientRects().length > 0, GroupShown: c.closest('.palette-group').getClientRects().length > 0}))`))
	groupHits := map[string]bool{}
	for _, c := range cards {
		hit := strings.Contains(strings.ToLower(c.Title), q) || strings.Contains(c.Type, q)
		groupHits[c.Group] = groupHits[c.Group] || hit
		if c.Shown != hit {
			t.Errorf("search %q: card %s (%s) shown=%v", q, c.Type, c.Group, c.Shown)
		}
	}
	for _, c := range cards {
		if c.GroupShown != groupHits[c.Group] {
			t.Errorf("search %q: group %s shown=%v", q, c.Group, c.GroupShown)
		}
	}
	if len(cards) == 0 || !slices.ContainsFunc(cards, func(c paletteCard) bool { return c.Shown }) {
		t.Fatalf("search %q shows no card", q)
	}
}

// topCards lists the ids of the cards on the flow's main line, in order.
func topCards(t *testing.T, srv *webtest.Server, id int64) string {
	t.Helper()
	f, err := srv.Store.Flow(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return webtest.CardIDs(f.Definition.Cards)
}

// shoot saves the page at 1440 and 1024 px wide for a person to look at
// (make screenshots, or HOOKFLOW_SCREENSHOTS set), then returns to 1440.
func shoot(b *webtest.Browser, name string) {
	for _, w := range []int64{1024, 1440} {
		b.Run(chromedp.EmulateViewport(w, 900), chromedp.Sleep(100*time.Millisecond))
		b.Screenshot(fmt.Sprintf("%s-%d", name, w))
	}
}

func TestBrowserPaletteSearchAndDrag(t *testing.T) {
	srv := webtest.Start(t)
	con, f := webtest.RegistrationFlow(t, srv)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	b.Run(chromedp.EmulateViewport(1440, 900))
	b.Open(fmt.Sprintf("/connectors/%d/flows/%d", con.ID, f.ID))
	b.Run(chromedp.WaitVisible(id("canvas")))

	// The search filters cards within their groups and hides empty groups.
	b.Run(chromedp.SendKeys(id("palette-search"), "case"))
	checkPalette(t, b, "case")
	b.Run(chromedp.SendKeys(id("palette-search"), "zzz"), chromedp.WaitVisible(id("palette-no-match")))
	b.Run(chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="palette-search"]').value = ""`), chromedp.SendKeys(id("palette-search"), "json"),
		chromedp.WaitNotVisible(id("palette-no-match")))
	checkPalette(t, b, "json")
	shoot(b, "editor-palette-search")

	// A change of the canvas (htmx swaps it) leaves the filter applied.
	b.Run(
		chromedp.Click(id("palette-json.parse")),
		chromedp.Click(id("slot--0")),
		chromedp.WaitVisible(id("card-parse1")),
	)
	checkPalette(t, b, "json")

	// Enter places the first match at the end of the flow, before its Return card.
	b.Run(
		chromedp.Focus(id("palette-search")),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(id("card-parse2")),
	)
	if got := topCards(t, srv, f.ID); got != "parse1,parse2,return" {
		t.Fatalf("after Enter the cards are %s", got)
	}
	checkPalette(t, b, "json")

	// A card dragged from the palette onto a + slot is placed there.
	b.Run(
		chromedp.DragAndDrop(id("palette-json.stringify"), id("slot--0")),
		chromedp.WaitVisible(id("card-stringify1")),
	)
	if got := topCards(t, srv, f.ID); got != "stringify1,parse1,parse2,return" {
		t.Fatalf("after the drag the cards are %s", got)
	}
	shoot(b, "editor-palette-placed")
}

// dialogs answers the page's confirm dialogs with what accept says and
// reports their messages.
func dialogs(b *webtest.Browser, accept *atomic.Bool) func() []string {
	var mu sync.Mutex
	var asked []string
	go func() {
		for ev, err := range chromedp.Events(b.Ctx, cdppage.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			mu.Lock()
			asked = append(asked, ev.Message)
			mu.Unlock()
			chromedp.Call(b.Ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: accept.Load()})
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(asked)
	}
}

func TestBrowserMappingKeepsTypedText(t *testing.T) {
	srv := webtest.Start(t)
	con, f := webtest.RegistrationFlow(t, srv)
	ctx := context.Background()
	def := f.Definition
	def.AddCard(flows.Place{}, flows.Node{ID: "post1", Type: "http.post"}, flows.CardSpec{})
	f.Definition = def
	f, _ = srv.Store.UpdateFlow(ctx, f)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	var accept atomic.Bool
	asked := dialogs(b, &accept)
	b.Run(chromedp.EmulateViewport(1440, 900))
	b.Open(fmt.Sprintf("/connectors/%d/flows/%d", con.ID, f.ID))

	// Typed text in a text input stays, with the mapped field beside it.
	b.Run(
		chromedp.SendKeys(id("value-post1-url"), "/subscriptions/\r"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="value-post1-url"][value="/subscriptions/"]`)),
		chromedp.DragAndDrop(id("out-event-eventUrl"), id("in-post1-url")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="binding-post1-url"] .chip`)),
	)
	if got := b.Text("binding-post1-url"); !strings.Contains(got, "/subscriptions/") || !strings.Contains(got, "Event URL") {
		t.Fatalf("the URL shows %q", got)
	}
	saved, _ := srv.Store.Flow(ctx, f.ID)
	post, _ := saved.Definition.Card("post1")
	if parts := post.Bindings["url"].Parts; len(parts) != 2 || parts[0].Text != "/subscriptions/" || parts[1].Ref == nil || parts[1].Ref.Field != flows.FieldEventURL {
		t.Fatalf("the URL is saved as %+v", post.Bindings["url"])
	}
	// More text typed into it joins the mix.
	b.Run(
		chromedp.SendKeys(id("value-post1-url"), "/events\r"),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('[data-testid="binding-post1-url"] .typed').length === 2`),
	)
	if got := b.Text("binding-post1-url"); !strings.Contains(got, "/events") {
		t.Fatalf("the URL shows %q", got)
	}
	if len(asked()) != 0 {
		t.Fatalf("asked %q while keeping text", asked())
	}

	// A typed number is replaced only when the user says so.
	b.Run(
		chromedp.SendKeys(id("value-post1-timeout"), "5\r"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="value-post1-timeout"][value="5"]`)),
		chromedp.DragAndDrop(id("out-event-eventUrl"), id("in-post1-timeout")),
	)
	webtest.WaitFor(t, "the question", func() bool { return len(asked()) == 1 })
	if q := asked()[0]; !strings.Contains(q, "Replace the value \u201c5\u201d of Timeout") {
		t.Fatalf("asked %q", q)
	}
	time.Sleep(300 * time.Millisecond) // nothing is sent after a No
	saved, _ = srv.Store.Flow(ctx, f.ID)
	if post, _ := saved.Definition.Card("post1"); post.Bindings["timeout"].Value != 5.0 {
		t.Fatalf("after No the timeout is %+v", post.Bindings["timeout"])
	}
	accept.Store(true)
	b.Run(
		chromedp.DragAndDrop(id("out-event-eventUrl"), id("in-post1-timeout")),
		chromedp.WaitVisible(id("binding-post1-timeout")),
	)
	if len(asked()) != 2 {
		t.Fatalf("asked %q", asked())
	}
	shoot(b, "editor-mapping")
}

func TestBrowserUndoRestoresDeletedCard(t *testing.T) {
	srv := webtest.Start(t)
	con, f := webtest.RegistrationFlow(t, srv)
	ctx := context.Background()
	def := f.Definition
	def.AddCard(flows.Place{}, flows.Node{ID: "post1", Type: "http.post", Bindings: map[string]flows.Binding{"url": {Value: "/subscriptions"},
		"body": {Ref: &flows.Ref{Card: "event", Field: flows.FieldEventURL}}}}, flows.CardSpec{})
	def.Bind("return", flows.FieldRegistrationData, flows.Binding{Ref: &flows.Ref{Card: "post1", Field: "body", Path: "id"}})
	f.Definition = def
	f, _ = srv.Store.UpdateFlow(ctx, f)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	b.Run(chromedp.EmulateViewport(1440, 900))
	b.Open(fmt.Sprintf("/connectors/%d/flows/%d", con.ID, f.ID))

	// The chip names the card and the field; the reference shows on hover.
	chip := chromedp.CSS(`[data-testid="binding-return-registrationData"] .chip`)
	if got := webtest.Value(b, chromedp.Text(chip)); got != "Post › Body" {
		t.Fatalf("the chip reads %q", got)
	}
	if got := webtest.Value(b, chromedp.AttributeValue(chip, "title")); got.Value != "post1.body.id" {
		t.Fatalf("the chip's hover text is %+v", got)
	}

	// Delete, then Undo: the card is back with its bindings and the
	// mapping from it.
	b.Run(
		chromedp.Click(id("delete-post1")),
		chromedp.WaitNotPresent(id("card-post1")),
		chromedp.WaitVisible(id("undo")),
	)
	if got := b.Text("notice"); !strings.Contains(got, "return.registrationData") {
		t.Fatalf("the notice says %q", got)
	}
	shoot(b, "editor-undo")
	b.Run(
		chromedp.Click(id("undo")),
		chromedp.WaitVisible(id("card-post1")),
		chromedp.WaitVisible(id("binding-return-registrationData")),
	)
	check := func() {
		t.Helper()
		got, _ := srv.Store.Flow(ctx, f.ID)
		post, ok := got.Definition.Card("post1")
		ret, _ := got.Definition.Card("return")
		if !ok || post.Bindings["url"].Value != "/subscriptions" || post.Bindings["body"].Ref == nil ||
			ret.Bindings[flows.FieldRegistrationData].Ref == nil || ret.Bindings[flows.FieldRegistrationData].Ref.Path != "id" {
			t.Fatalf("after Undo: %+v", got.Definition.Cards)
		}
	}
	check()
	// Ctrl+Z does the same.
	b.Run(
		chromedp.Click(id("delete-post1")),
		chromedp.WaitVisible(id("undo")),
		chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.WaitVisible(id("card-post1")),
	)
	check()
}

func TestBrowserCardFieldsAndChoices(t *testing.T) {
	srv := webtest.Start(t)
	con, f := webtest.RegistrationFlow(t, srv)
	ctx := context.Background()
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	b.Run(chromedp.EmulateViewport(1440, 900))
	b.Open(fmt.Sprintf("/connectors/%d/flows/%d", con.ID, f.ID))

	// "Edit inputs" stays open while fields are added, and the new field's
	// box keeps the focus for the next one.
	b.Run(
		chromedp.Click(chromedp.CSS(`[data-testid="fields-out-event"] summary`)),
		chromedp.SendKeys(id("field-new-out-event"), "first\r"),
		chromedp.WaitVisible(id("out-event-first")),
		chromedp.WaitVisible(id("field-new-out-event")),
	)
	if focused := webtest.Value(b, chromedp.Evaluate[string](`document.activeElement.dataset.testid || ""`)); focused != "field-new-out-event" {
		t.Fatalf("focus is on %q", focused)
	}
	b.Run(
		chromedp.KeyEvent("second\r"),
		chromedp.WaitVisible(id("out-event-second")),
		chromedp.WaitVisible(id("field-key-event-second")),
	)

	// If/Else's comparison is a dropdown of the operators.
	b.Run(
		chromedp.Click(id("palette-control.if_else")),
		chromedp.Click(id("slot--0")),
		chromedp.WaitVisible(id("card-ifelse1")),
	)
	if tag := webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="value-ifelse1-operator"]').tagName`)); tag != "SELECT" {
		t.Fatalf("the comparison is a %s", tag)
	}
	opts := webtest.Value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="value-ifelse1-operator"] option')].map(o => o.value)`))
	if !slices.Equal(opts, flows.Operators) {
		t.Fatalf("the comparison offers %v", opts)
	}
	b.Run(
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('[data-testid="value-ifelse1-operator"]');
			s.value = "greater"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`),
		chromedp.WaitVisible(chromedp.CSS(`form[data-saved="greater"] [data-testid="value-ifelse1-operator"]`)),
	)
	// The form marks the value as it sends it; the save lands a moment later.
	webtest.WaitFor(t, "the comparison saved", func() bool {
		got, _ := srv.Store.Flow(ctx, f.ID)
		n, _ := got.Definition.Card("ifelse1")
		return n.Bindings["operator"].Value == "greater"
	})
	shoot(b, "editor-fields")
}

func TestBrowserEnterInFieldSavesOnce(t *testing.T) {
	srv := webtest.Start(t)
	con, f := webtest.RegistrationFlow(t, srv)
	ctx := context.Background()
	def := f.Definition
	def.AddCard(flows.Place{}, flows.Node{ID: "post1", Type: "http.post"}, flows.CardSpec{})
	def.Bind("return", flows.FieldRegistrationData, flows.Binding{Ref: &flows.Ref{Card: "post1", Field: "body"}})
	f.Definition = def
	f, _ = srv.Store.UpdateFlow(ctx, f)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	b.Open(fmt.Sprintf("/connectors/%d/flows/%d", con.ID, f.ID))
	b.Run(chromedp.WaitVisible(id("canvas")))
	// Count the requests the page sends, and their answers.
	b.Run(chromedp.Evaluate[chromedp.Void](`(() => {
		window.sent = []; const send = XMLHttpRequest.prototype.send;
		XMLHttpRequest.prototype.send = function (body) {
			const r = {body: String(body)}; window.sent.push(r);
			this.addEventListener("loadend", () => { r.status = this.status; });
			return send.apply(this, arguments);
		};
	})()`))
	type request struct {
		Body   string
		Status int
	}
	saves := func() []request {
		time.Sleep(500 * time.Millisecond) // a second request would have been sent by now
		return webtest.Value(b, chromedp.Evaluate[[]request](`window.sent`))
	}
	for _, tt := range []struct{ name, box, keys, saved string }{
		{"a value", "value-post1-url", "/subscriptions\r", `[data-testid="value-post1-url"][value="/subscriptions"]`},
		{"a path", "path-return-registrationData", "id\r", `[data-testid="path-return-registrationData"][value="id"]`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b.Run(chromedp.Evaluate[chromedp.Void](`window.sent = []`))
			before, _ := srv.Store.Flow(ctx, f.ID)
			b.Run(chromedp.SendKeys(id(tt.box), tt.keys), chromedp.WaitVisible(chromedp.CSS(tt.saved)))
			got := saves()
			if len(got) != 1 || got[0].Status != 200 {
				t.Fatalf("Enter sent %+v, want one save answered 200", got)
			}
			if after, _ := srv.Store.Flow(ctx, f.ID); after.Revision != before.Revision+1 {
				t.Fatalf("revision %d → %d, want one save", before.Revision, after.Revision)
			}
			if n := webtest.Value(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="conflict"]').length`)); n != 0 {
				t.Fatal("the canvas shows a conflict")
			}
		})
	}
	// Leaving a box without changing it sends nothing.
	b.Run(chromedp.Evaluate[chromedp.Void](`window.sent = []`), chromedp.Focus(id("value-post1-url")), chromedp.Focus(id("path-return-registrationData")),
		chromedp.Focus(id("palette-search")))
	if got := saves(); len(got) != 0 {
		t.Fatalf("leaving unchanged boxes sent %+v", got)
	}
}

func TestBrowserTestRunSaysCredentialsWereNotSent(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.Start(t)
	token := srv.Token(t)
	conID, _ := webtest.DeployAcme(t, srv, prov, token)
	webtest.AcmeConnection(t, srv, token, conID)
	fs, _ := srv.Store.Flows(context.Background(), conID)
	var get flows.Flow
	for _, f := range fs {
		if f.Definition.Name == "Get user" {
			get = f
		}
	}
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	b.Run(chromedp.EmulateViewport(1440, 900))
	b.Open(fmt.Sprintf("/connectors/%d/flows/%d", conID, get.ID))

	// Without a connection: the run fails at the service, and the result
	// says why.
	b.Run(
		chromedp.Click(chromedp.CSS(`[data-testid="test-run"] summary`)),
		chromedp.SendKeys(id("test-in-id"), "42"),
		chromedp.Click(id("test-submit")),
		chromedp.WaitVisible(id("test-status")),
	)
	if got := b.Text("test-notice"); !strings.Contains(got, "credentials of Acme were not sent") || !strings.Contains(got, "Choose a connection") {
		t.Fatalf("the notice says %q", got)
	}
	shoot(b, "editor-test-run-no-connection")

	// With the connection chosen, the credentials go and the notice does not show.
	conn := webtest.Value(b, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid="test-connection"] option')].find(o => o.textContent === "Acme prod").value`))
	b.Run(
		chromedp.SetValue(id("test-connection"), conn),
		chromedp.Click(id("test-submit")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="test-connection"] option[selected]`)),
	)
	if got := b.Text("test-status"); got != "succeeded" {
		t.Fatalf("with the connection the test %s", got)
	}
	if got := b.Text("step-out-return"); !strings.Contains(got, "User 42") {
		t.Fatalf("return shows %q", got)
	}
	if n := webtest.Value(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="test-notice"]').length`)); n != 0 {
		t.Fatal("the notice shows although the credentials were sent")
	}
	// The execution's record does not hold the key.
	b.Run(chromedp.Click(id("test-execution")), chromedp.WaitVisible(id("execution-steps")))
	if html := webtest.Value(b, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); strings.Contains(html, webtest.AcmeKey) {
		t.Fatal("the execution shows the connection's key")
	}
}

func TestBrowserNewFlowOpensEditor(t *testing.T) {
	srv := webtest.Start(t)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	b.Open("/flows")
	b.Run(
		chromedp.SendKeys(id("flow-name-input"), "Daily digest"),
		chromedp.Click(id("flow-create")),
		chromedp.WaitVisible(id("canvas")),
	)
	if loc := webtest.Value(b, chromedp.Location()); !regexp.MustCompile(`/flows/\d+$`).MatchString(loc) {
		t.Fatalf("after New flow the browser is at %s", loc)
	}
	if got := b.Text("editor-title"); got != "Daily digest" {
		t.Fatalf("the editor shows %q", got)
	}
}
