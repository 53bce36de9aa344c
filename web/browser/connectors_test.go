package browser_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/web/webtest"
)

func TestBrowserConnectorLifecycle(t *testing.T) {
	srv := webtest.Start(t)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	b.Open("/connectors")
	b.Run(
		chromedp.Click(webtest.TestID("connector-new")),
		chromedp.WaitVisible(webtest.TestID("connector-form")),
		chromedp.SendKeys(webtest.TestID("connector-name"), "Acme"),
		chromedp.SendKeys(webtest.TestID("connector-base-url"), "https://api.acme.test"),
		chromedp.SetValue(webtest.TestID("auth-kind"), "api_key_header"),
		chromedp.Click(webtest.TestID("connector-save")),
	)
	// The header is missing: the error shows next to it and nothing is lost.
	if got := b.Text("error-auth.header"); !strings.Contains(got, "header") {
		t.Fatalf("header error = %q", got)
	}
	b.Run(
		chromedp.SendKeys(webtest.TestID("auth-header"), "X-Api-Key"),
		chromedp.Click(webtest.TestID("connector-save")),
		chromedp.WaitVisible(webtest.TestID("connector-title")),
	)
	if got := b.Text("connector-title"); got != "Acme" {
		t.Fatalf("title = %q", got)
	}
	b.Open("/connectors")
	if got := b.Text("connector-link"); got != "Acme" {
		t.Fatalf("listed as %q", got)
	}
	b.Run(
		chromedp.Click(webtest.TestID("connector-link")),
		chromedp.WaitVisible(webtest.TestID("connector-delete")),
		chromedp.Click(webtest.TestID("connector-delete")),
		chromedp.WaitVisible(webtest.TestID("delete-confirm")),
		chromedp.Click(webtest.TestID("delete-submit")),
		chromedp.WaitVisible(webtest.TestID("connectors-empty")),
	)
	if n, _ := srv.Store.CountConnectors(context.Background()); n != 0 {
		t.Fatal("still stored")
	}
}

// connectorShot saves a full-page screenshot as name.png into
// $HOOKFLOW_SHOTS_DIR when it is set, to look at the pages by eye.
func connectorShot(t *testing.T, b *webtest.Browser, name string) {
	t.Helper()
	dir := os.Getenv("HOOKFLOW_SHOTS_DIR")
	if dir == "" {
		return
	}
	png := webtest.Value(b, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
