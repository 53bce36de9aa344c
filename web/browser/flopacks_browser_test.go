package browser_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/web/webtest"
)

// TestBrowserFlopackImport: from the Flows page a super admin imports a
// flopack with the Import button, reads the report (each flow linked,
// valid or its problems, the card Hookflow cannot run with its Okta
// address), opens the helper flow holding that card and binds it to a
// deployed connector's action card, at 1440 and 1024 px wide.
func TestBrowserFlopackImport(t *testing.T) {
	srv := webtest.Start(t)
	token := srv.Token(t)
	con := webtest.APIJSON(t, srv.NewClient(), token, "POST", "/api/v1/connectors/import", webtest.AcmeExport(t, "http://127.0.0.1:1"), http.StatusCreated)
	webtest.APIJSON(t, srv.NewClient(), token, "POST", fmt.Sprintf("/api/v1/connectors/%d/deploy", int64(con["id"].(float64))), nil, http.StatusCreated)
	pack := webtest.OnboardingPackPath(t)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID

	var helper string
	for _, width := range layoutWidths {
		b.Run(chromedp.EmulateViewport(width, 900))
		b.Open("/flows")
		b.Run(chromedp.Click(id("flopack-import")), chromedp.WaitVisible(id("flopack-form")))
		b.Screenshot(fmt.Sprintf("flopack-form-%d", width))
		b.Run(chromedp.SetUploadFiles(id("flopack-file"), []string{pack}), chromedp.Click(id("flopack-submit")), chromedp.WaitVisible(id("flopack-report")))
		b.Screenshot(fmt.Sprintf("flopack-report-%d", width))
		summary := b.Text("flopack-summary")
		if !strings.Contains(summary, "3 flows, 1 valid") || !strings.Contains(summary, "2 cards Hookflow cannot run") {
			t.Fatalf("report summary %q", summary)
		}
		if got := b.Text("flopack-unsupported"); !strings.Contains(got, "Send Message") || !strings.Contains(got, "root:channels:http:slack:sendMessage") {
			t.Fatalf("unsupported cards %q", got)
		}
		helper = webtest.Value(b, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid="flopack-flow-link"]')].find(a => a.textContent.includes("For Each")).getAttribute("href")`))
	}

	// The helper flow of the last import: its Slack card binds to Acme's
	// Get user action.
	for _, width := range layoutWidths {
		b.Run(chromedp.EmulateViewport(width, 900))
		b.Open(helper)
		b.Run(chromedp.WaitVisible(id("bind-panel")))
		if got := b.Text("flow-folder-link"); got != "Onboarding (2)" {
			t.Fatalf("the flow's folder is %q", got)
		}
		b.Screenshot(fmt.Sprintf("flopack-bind-%d", width))
	}
	if got := webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="bind-choice"] option').textContent`)); got != "Acme: Get user" {
		t.Fatalf("the bind choice offers %q", got)
	}
	b.Run(chromedp.Click(id("bind-submit")), chromedp.WaitVisible(id("flash-success")))
	b.Screenshot("flopack-bound-1024")
	if n := webtest.Value(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="bind-panel"]').length`)); n != 0 {
		t.Fatal("the bind panel stays once the card is bound")
	}
}
