package browser_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/web/webtest"
)

// TestBrowserOktaCards finds the cards of Okta Workflows in the palette
// (the URL group among them), places URL Encode Component, JWT Sign and
// Assign If, and sees Assign If's comparisons offer in, not in, has key and
// multiple of.
func TestBrowserOktaCards(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	if res, _ := webtest.PostConnectorForm(t, c, "/flows", url.Values{"name": {"Okta cards"}, "event": {"manual"}}); res.StatusCode != 303 {
		t.Fatalf("create: %d", res.StatusCode)
	}
	fs, _ := srv.Store.Flows(context.Background(), 0)
	f := fs[0]
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	b.Run(chromedp.EmulateViewport(1440, 900))
	b.Open(fmt.Sprintf("/flows/%d", f.ID))
	b.Run(chromedp.WaitVisible(id("canvas")))
	for _, typ := range []string{"text.find_last", "text.replace_patterns", "text.find_email", "bool.xor", "url.encode_component", "url.decode_component",
		"date.to_epoch", "date.to_unix", "date.from_epoch", "date.from_unix", "list.collapse", "list.sample", "jwt.sign",
		"control.map_to_list", "control.for_each_ignore_errors", "flow.export"} {
		if n := webtest.Value(b, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('[data-testid="palette-%s"]').length`, typ))); n != 1 {
			t.Errorf("palette has %d cards %s", n, typ)
		}
	}
	b.Run(
		chromedp.SendKeys(id("palette-search"), "url"),
		chromedp.WaitVisible(id("palette-group-URL")),
		chromedp.Click(id("palette-url.encode_component")),
		chromedp.Click(id("slot--0")),
		chromedp.WaitVisible(id("card-encodecomponent1")),
	)
	shoot(b, "okta-cards-url")
	b.Run(
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="palette-search"]').value = ""`),
		chromedp.SendKeys(id("palette-search"), "jwt"),
		chromedp.Click(id("palette-jwt.sign")),
		chromedp.Click(id("slot--1")),
		chromedp.WaitVisible(id("card-sign1")),
		chromedp.WaitVisible(id("value-sign1-key")),
	)
	b.Run(
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="palette-search"]').value = ""`),
		chromedp.SendKeys(id("palette-search"), "assign if"),
		chromedp.Click(id("palette-control.assign_if")),
		chromedp.Click(id("slot--2")),
		chromedp.WaitVisible(id("card-assignif1")),
	)
	for op, label := range map[string]string{"in": "is in", "not_in": "is not in", "has_key": "has the key", "multiple_of": "is a multiple of"} {
		sel := fmt.Sprintf(`[data-testid="value-assignif1-operator"] option[value="%s"]`, op)
		if got := webtest.Value(b, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('%s')?.textContent.trim() ?? ""`, sel))); got != label {
			t.Errorf("Assign If's comparison offers %s as %q, want %q", op, got, label)
		}
	}
	shoot(b, "okta-cards-placed")
}
