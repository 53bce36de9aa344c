package browser_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/web/webtest"
)

// besideJS reports whether the element named by the second data-testid
// sits right of the first one, on the same line.
const besideJS = `((a, b) => {
  const r = document.querySelector('[data-testid="' + a + '"]').getBoundingClientRect();
  const s = document.querySelector('[data-testid="' + b + '"]').getBoundingClientRect();
  return s.left >= r.right && s.top < r.bottom && s.bottom > r.top && s.width > 0;
})`

// TestBrowserDeploy deploys from the Deployment tab: what failed, and then
// the deployed version, show beside the Deploy button, not at the top.
func TestBrowserDeploy(t *testing.T) {
	srv := webtest.Start(t)
	con, f := webtest.BrokenConnector(t, srv)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	b.Open(fmt.Sprintf("/connectors/%d", con.ID))
	b.Run(chromedp.Click(webtest.TestID("tab-deployment")), chromedp.Click(webtest.TestID("deploy")), chromedp.WaitVisible(webtest.TestID("deploy-problems")))
	if got := b.Text("deploy-problem"); !strings.Contains(got, "required") {
		t.Fatalf("problem shown: %q", got)
	}
	for _, width := range []int64{1440, 1024} {
		b.Run(chromedp.EmulateViewport(width, 900))
		if !webtest.Value(b, chromedp.Evaluate[bool](besideJS+`("deploy", "deploy-problems")`)) {
			t.Fatalf("at %d px the problems are not beside the Deploy button", width)
		}
	}
	webtest.FixHelperFlow(t, srv, f)
	b.Run(chromedp.Click(webtest.TestID("deploy")), chromedp.WaitVisible(webtest.TestID("deploy-success")))
	if got := b.Text("deploy-success"); got != "Deployed version 1." {
		t.Fatalf("deploy says %q", got)
	}
	if got := b.Text("version-number"); got != "1" {
		t.Fatalf("version = %q", got)
	}
	if !webtest.Value(b, chromedp.Evaluate[bool](besideJS+`("deploy", "deploy-success")`)) {
		t.Fatal("the result is not beside the Deploy button")
	}
	if n := webtest.Value(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid^="flash-"]').length`)); n != 0 {
		t.Fatalf("%d messages at the top of the page", n)
	}
	if cur := webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('[aria-current="page"]').dataset.testid`)); cur != "tab-deployment" {
		t.Fatalf("after deploying, the open tab is %q", cur)
	}
	// The message shows once: a reload does not repeat it.
	b.Open(fmt.Sprintf("/connectors/%d?tab=deployment", con.ID))
	b.Run(chromedp.WaitVisible(webtest.TestID("version-row")))
	if n := webtest.Value(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="deploy-success"]').length`)); n != 0 {
		t.Fatal("the deploy result shows again after a reload")
	}
}
