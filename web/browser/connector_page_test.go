package browser_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestBrowserConnectorAuthKinds switches the authentication kind in the
// browser: only the chosen kind's inputs show, and only they are saved.
func TestBrowserConnectorAuthKinds(t *testing.T) {
	srv := webtest.Start(t)
	con, err := srv.Store.CreateConnector(context.Background(), flows.ConnectorInfo{Name: "Acme", Auth: flows.AuthDefinition{Kind: flows.AuthNone}})
	if err != nil {
		t.Fatal(err)
	}
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	b.Open(fmt.Sprintf("/connectors/%d", con.ID))
	visible := func(testID string) bool {
		return webtest.Value(b, chromedp.Evaluate[bool](`(() => { const e = document.querySelector('[data-testid="`+testID+`"]'); return !!e && e.getClientRects().length > 0; })()`))
	}
	b.Run(chromedp.WaitVisible(id("auth-note-none")))
	for _, g := range []string{"auth-header", "auth-token-url", "auth-fields", "auth-hosts"} {
		if visible(g) {
			t.Errorf("%s shows for no authentication", g)
		}
	}
	b.Run(
		chromedp.SetValue(id("auth-kind"), "api_key_header"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="auth-kind"]').dispatchEvent(new Event("change", {bubbles: true}))`),
		chromedp.WaitVisible(id("auth-header")),
		chromedp.SendKeys(id("auth-header"), "X-Api-Key"),
	)
	if !visible("auth-hosts") || visible("auth-fields") || visible("auth-token-url") || !visible("auth-note-api_key_header") {
		t.Fatal("the API key kind shows other kinds' inputs")
	}
	// Custom fields: the API key's header is hidden and not sent.
	b.Run(
		chromedp.SetValue(id("auth-kind"), "custom"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="auth-kind"]').dispatchEvent(new Event("change", {bubbles: true}))`),
		chromedp.WaitVisible(id("auth-fields")),
		chromedp.WaitNotVisible(id("auth-header")),
		chromedp.SendKeys(id("auth.fields.0.key"), "tenant"),
		chromedp.SendKeys(id("auth.fields.0.label"), "Tenant"),
		chromedp.Click(id("connector-save")),
		chromedp.WaitVisible(id("flash-success")),
	)
	got, _ := srv.Store.Connector(context.Background(), con.ID)
	if a := got.Info.Auth; a.Kind != flows.AuthCustom || a.Header != "" || len(a.Fields) != 1 || a.Fields[0].Key != "tenant" {
		t.Fatalf("saved %+v", a)
	}
	if visible("auth-header") || !visible("auth-fields") {
		t.Fatal("after saving, the page shows another kind's inputs")
	}
}

// TestBrowserConnectorDestructiveButtons checks that deleting looks
// dangerous and asks first: a dismissed question deletes nothing.
func TestBrowserConnectorDestructiveButtons(t *testing.T) {
	srv := webtest.Start(t)
	con, f := webtest.FurnishedConnector(t, srv)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	base := fmt.Sprintf("/connectors/%d", con.ID)
	danger := `(sel) => { const e = document.querySelector(sel); const s = getComputedStyle(e);
	  return e.classList.contains("danger") && s.backgroundColor === "rgb(192, 57, 43)" && s.color === "rgb(255, 255, 255)"; }`
	for _, tt := range []struct{ tab, button string }{
		{"", "connector-delete"},
		{"?tab=flows", "flow-delete"},
		{"?tab=connections", "connection-delete"},
		{"?tab=deployment", "import-draft"},
	} {
		b.Open(base + tt.tab)
		b.Run(chromedp.WaitVisible(webtest.TestID(tt.button)))
		if !webtest.Value(b, chromedp.Evaluate[bool](`(`+danger+`)('[data-testid="`+tt.button+`"]')`)) {
			t.Errorf("%s does not look destructive", tt.button)
		}
	}
	// The question: dismissed, then accepted.
	var answer atomic.Bool
	var asked atomic.Int32
	go func() {
		for _, err := range chromedp.Events(b.Ctx, cdppage.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			asked.Add(1)
			accept := answer.Load()
			go chromedp.Do(b.Ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: accept})
				return err
			}))
		}
	}()
	for _, tt := range []struct {
		tab, button string
		gone        func() bool
	}{
		{"?tab=flows", "flow-delete", func() bool { _, err := srv.Store.Flow(context.Background(), f.ID); return err != nil }},
		{"?tab=connections", "connection-delete", func() bool {
			cs, _ := srv.Store.Connections(context.Background(), con.ID)
			return len(cs) == 0
		}},
	} {
		t.Run(tt.button, func(t *testing.T) {
			before := asked.Load()
			answer.Store(false)
			b.Open(base + tt.tab)
			b.Run(chromedp.Click(webtest.TestID(tt.button)))
			webtest.WaitFor(t, "the question before deleting", func() bool { return asked.Load() > before })
			b.Open(base + tt.tab)
			if tt.gone() {
				t.Fatal("deleted although the question was dismissed")
			}
			answer.Store(true)
			b.Run(chromedp.Click(webtest.TestID(tt.button)), chromedp.WaitVisible(webtest.TestID("flash-success")))
			if !tt.gone() {
				t.Fatal("not deleted after the question was accepted")
			}
		})
	}
	// The connector's delete asks on a page of its own.
	b.Open(base)
	b.Run(chromedp.Click(webtest.TestID("connector-delete")), chromedp.WaitVisible(webtest.TestID("delete-confirm")))
}

// TestBrowserConnectorPageLayout loads every tab of a connector with
// content at 1440 and 1024 px: no boxes overlap, nothing runs out of its
// container, and the tabs are links that keep the open one marked.
func TestBrowserConnectorPageLayout(t *testing.T) {
	srv := webtest.Start(t)
	con, _ := webtest.FurnishedConnector(t, srv)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	base := fmt.Sprintf("/connectors/%d", con.ID)
	for _, width := range []int64{1440, 1024} {
		b.Run(chromedp.EmulateViewport(width, 900))
		b.Open(base)
		for _, tab := range []string{"overview", "flows", "connections", "deployment"} {
			t.Run(fmt.Sprintf("%s-%d", tab, width), func(t *testing.T) {
				b.Run(chromedp.Click(webtest.TestID("tab-"+tab)), chromedp.WaitVisible(webtest.TestID(tab+"-tab")))
				connectorShot(t, b, fmt.Sprintf("connector-%s-%d", tab, width))
				if cur := b.Text("connector-tabs"); !strings.Contains(cur, "Overview") {
					t.Fatalf("tabs read %q", cur)
				}
				if got := webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('[aria-current="page"]').dataset.testid`)); got != "tab-"+tab {
					t.Fatalf("marked tab %q", got)
				}
				if bad := webtest.Value(b, chromedp.Evaluate[[]string](panelOverlapsJS+`('main')`)); len(bad) > 0 {
					t.Fatalf("the %s tab at %d px:\n%s", tab, width, strings.Join(bad, "\n"))
				}
			})
		}
	}
}
