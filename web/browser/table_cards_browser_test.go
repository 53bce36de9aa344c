package browser_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestBrowserTableCard places a Create Row card from the palette's Tables
// group, chooses its table in the table select, and types a value into
// one of the column inputs that then show; a Search Rows card after it
// offers that table's columns to sort by, and takes two conditions made
// with its form (a column, a comparison, a value), which are saved and
// show again after a reload.
func TestBrowserTableCard(t *testing.T) {
	srv := webtest.Start(t)
	api, token := srv.NewClient(), srv.Token(t)
	webtest.APICall(t, api, token, "POST", "/api/v1/tables", `{"name":"People","columns":[{"name":"email","type":"text"},{"name":"age","type":"number"},{"name":"joined","type":"datetime"}]}`, 201)
	c := srv.SignedIn(t)
	if res, _ := webtest.PostConnectorForm(t, c, "/flows", url.Values{"name": {"Sign-ups"}, "event": {"manual"}}); res.StatusCode != 303 {
		t.Fatalf("create: %d", res.StatusCode)
	}
	fs, _ := srv.Store.Flows(context.Background(), 0)
	f := fs[0]
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	b.Run(chromedp.EmulateViewport(1440, 900))
	b.Open(fmt.Sprintf("/flows/%d", f.ID))
	b.Run(
		chromedp.WaitVisible(id("canvas")),
		chromedp.SendKeys(id("palette-search"), "row"),
		chromedp.Click(id("palette-table.create_row")),
		chromedp.Click(id("slot--0")),
		chromedp.WaitVisible(id("card-createrow1")),
	)
	shoot(b, "table-card-placed")
	b.Run(
		pick("value-createrow1-table", "1"),
		chromedp.WaitVisible(id("in-createrow1-email")),
		chromedp.WaitVisible(id("in-createrow1-joined")),
		chromedp.SendKeys(id("value-createrow1-email"), "ann@example.com\r"),
	)
	got := func() any {
		g, _ := srv.Store.Flow(context.Background(), f.ID)
		return g.Definition.Cards[0].Bindings["email"].Value
	}
	webtest.WaitFor(t, "the email value saved", func() bool { return got() == "ann@example.com" })
	b.Run(chromedp.WaitVisible(id("value-createrow1-email")))
	shoot(b, "table-card-columns")

	// Search Rows after it: once its table is chosen, its sort offers the columns.
	b.Run(
		chromedp.Click(id("palette-table.search_rows")),
		chromedp.Click(id("slot--1")),
		chromedp.WaitVisible(id("card-searchrows1")),
		pick("value-searchrows1-table", "1"),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="value-searchrows1-sort"] option[value="joined"]`)),
	)
	shoot(b, "table-card-search")

	// Two conditions made with the form: age greater than 30, email contains
	// example. Each step is one change of the canvas: the next starts once
	// the canvas it answers with is in place (its revision moved on).
	step := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		rev := webtest.Value(b, chromedp.Evaluate[string](`document.getElementById("canvas").getAttribute("data-revision")`))
		b.Run(actions...)
		b.Run(chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById("canvas").getAttribute("data-revision") !== %q`, rev)))
	}
	choose := func(testID, value string) {
		t.Helper()
		step(pick(testID, value))
		b.Run(chromedp.WaitReady(chromedp.CSS(fmt.Sprintf(`[data-testid="%s"] option[value="%s"][selected]`, testID, value))))
	}
	step(chromedp.Click(id("add-condition-searchrows1")))
	step(chromedp.Click(id("add-condition-searchrows1")))
	b.Run(chromedp.WaitVisible(id("condition-searchrows1-1")))
	choose("condition-column-searchrows1-0", "age")
	choose("condition-operator-searchrows1-0", "greater")
	step(chromedp.SendKeys(id("value-searchrows1-conditions.0.value"), "30\r"))
	choose("condition-operator-searchrows1-1", "contains")
	step(chromedp.SendKeys(id("value-searchrows1-conditions.1.value"), "example\r"))
	search := func() flows.Node {
		g, _ := srv.Store.Flow(context.Background(), f.ID)
		return g.Definition.Cards[1]
	}
	webtest.WaitFor(t, "both conditions saved", func() bool {
		n := search()
		return fmt.Sprint(n.Bindings["conditions"].Value) == "[map[column:age operator:greater] map[column:email operator:contains]]" &&
			n.Bindings["conditions.0.value"].Value == 30.0 && n.Bindings["conditions.1.value"].Value == "example"
	})
	b.Open(fmt.Sprintf("/flows/%d", f.ID))
	b.Run(
		chromedp.WaitReady(chromedp.CSS(`[data-testid="condition-column-searchrows1-0"] option[value="age"][selected]`)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="condition-operator-searchrows1-0"] option[value="greater"][selected]`)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="condition-column-searchrows1-1"] option[value="email"][selected]`)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="condition-operator-searchrows1-1"] option[value="contains"][selected]`)),
	)
	age := webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="value-searchrows1-conditions.0.value"]').value`))
	email := webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="value-searchrows1-conditions.1.value"]').value`))
	if age != "30" || email != "example" {
		t.Errorf("after a reload the values are %q and %q", age, email)
	}
	shootCard := func(name, testID string) {
		for _, w := range []int64{1024, 1440} {
			b.Run(chromedp.EmulateViewport(w, 900), chromedp.ScrollIntoView(id(testID)), chromedp.Sleep(100*time.Millisecond))
			b.Screenshot(fmt.Sprintf("%s-%d", name, w))
		}
	}
	shootCard("table-card-conditions", "condition-searchrows1-1")

	// A third condition, without a value yet, shows its problem; an earlier
	// card's output mapped onto its value (click the output, then the value)
	// is a reference.
	step(chromedp.Click(id("add-condition-searchrows1")))
	b.Run(chromedp.WaitVisible(id("problem-searchrows1-conditions.2.value")))
	shootCard("table-card-condition-problem", "condition-searchrows1-2")
	choose("condition-column-searchrows1-2", "age")
	step(chromedp.Click(id("out-createrow1-id")), chromedp.Click(id("in-searchrows1-conditions.2.value")))
	b.Run(chromedp.WaitVisible(id("binding-searchrows1-conditions.2.value")))
	if r := search().Bindings["conditions.2.value"].Ref; r == nil || r.Card != "createrow1" || r.Field != "id" {
		t.Errorf("condition 3's value is bound to %v", r)
	}
	shootCard("table-card-condition-mapped", "condition-searchrows1-2")
}

// pick chooses value in the select testID as a person does: the value
// changes and the select says so (change) at once, on the same element,
// with no moment between for the canvas to be swapped.
func pick(testID, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const el = document.querySelector('[data-testid=%q]');
		el.value = %q;
		el.dispatchEvent(new Event('change', {bubbles: true}));
	})()`, testID, value))
}
