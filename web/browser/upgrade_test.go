package browser_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/web/webtest"
)

// TestBrowserUpgradeFlow: at 1440 and 1024 px wide, the flow page's banner
// offers "Upgrade to version 2"; its preview lists the broken mapping with
// Confirm and Cancel; Cancel changes nothing, Confirm saves and offers the
// roll back.
func TestBrowserUpgradeFlow(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.Start(t)
	token := srv.Token(t)
	flowID := webtest.AcmeSetup(t, srv, prov, token)
	ctx := context.Background()
	f, _ := srv.Store.Flow(ctx, flowID)
	webtest.DeployNext(t, srv, token, f.Definition.Source.Connector, webtest.RenameRecords)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	page := fmt.Sprintf("/flows/%d", flowID)
	for _, width := range []int64{1440, 1024} {
		b.Run(chromedp.EmulateViewport(width, 900))
		b.Open(page)
		if got := b.Text("upgrade-link"); got != "Upgrade to version 2" {
			t.Fatalf("at %d px the banner offers %q", width, got)
		}
		b.Screenshot(fmt.Sprintf("upgrade-banner-%d", width))
		b.Run(chromedp.Click(id("upgrade-link")), chromedp.WaitVisible(id("upgrade-preview")))
		if got := b.Text("upgrade-problems"); !strings.Contains(got, `it reads "Events" of Acme: User event, which version 2 no longer has`) {
			t.Fatalf("at %d px the preview lists %q", width, got)
		}
		b.Screenshot(fmt.Sprintf("upgrade-preview-%d", width))
		b.Run(chromedp.Click(id("upgrade-cancel")), chromedp.WaitVisible(id("upgrade-banner")))
	}
	if got, _ := srv.Store.Flow(ctx, flowID); got.Revision != f.Revision {
		t.Fatal("Cancel saved the flow")
	}
	b.Run(
		chromedp.Click(id("upgrade-link")),
		chromedp.WaitVisible(id("upgrade-confirm")),
		chromedp.Click(id("upgrade-confirm")),
		chromedp.WaitVisible(id("rollback-offer")),
		chromedp.WaitVisible(id("problem-who-text")),
	)
	if got := b.Text("flash-success"); !strings.Contains(got, "Upgraded to Acme version 2") {
		t.Fatalf("after Confirm: %q", got)
	}
	b.Screenshot("upgrade-done-1024")
	b.Run(chromedp.EmulateViewport(1440, 900))
	b.Open(page)
	b.Run(chromedp.WaitVisible(id("rollback-offer")))
	b.Screenshot("upgrade-done-1440")
}
