package web_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/web/webtest"
)

// TestBrowserTableCard places a Create Row card from the palette's Tables
// group, chooses its table in the table select, and types a value into
// one of the column inputs that then show; a Search Rows card after it
// offers that table's columns to sort by.
func TestBrowserTableCard(t *testing.T) {
	srv := webtest.Start(t)
	api, token := srv.NewClient(), srv.Token(t)
	apiCall(t, api, token, "POST", "/api/v1/tables", `{"name":"People","columns":[{"name":"email","type":"text"},{"name":"age","type":"number"},{"name":"joined","type":"datetime"}]}`, 201)
	c := srv.SignedIn(t)
	if res, _ := postForm(t, c, "/flows", url.Values{"name": {"Sign-ups"}, "event": {"manual"}}); res.StatusCode != 303 {
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
		chromedp.SetValue(id("value-createrow1-table"), "1"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="value-createrow1-table"]').dispatchEvent(new Event('change', {bubbles: true}))`),
		chromedp.WaitVisible(id("in-createrow1-email")),
		chromedp.WaitVisible(id("in-createrow1-joined")),
		chromedp.SendKeys(id("value-createrow1-email"), "ann@example.com\r"),
	)
	got := func() any {
		g, _ := srv.Store.Flow(context.Background(), f.ID)
		return g.Definition.Cards[0].Bindings["email"].Value
	}
	waitFor(t, "the email value saved", func() bool { return got() == "ann@example.com" })
	b.Run(chromedp.WaitVisible(id("value-createrow1-email")))
	shoot(b, "table-card-columns")

	// Search Rows after it: once its table is chosen, its sort offers the columns.
	b.Run(
		chromedp.Click(id("palette-table.search_rows")),
		chromedp.Click(id("slot--1")),
		chromedp.WaitVisible(id("card-searchrows1")),
		chromedp.SetValue(id("value-searchrows1-table"), "1"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="value-searchrows1-table"]').dispatchEvent(new Event('change', {bubbles: true}))`),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="value-searchrows1-sort"] option[value="joined"]`)),
	)
	shoot(b, "table-card-search")
}
