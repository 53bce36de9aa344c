package browser_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/web/webtest"
)

// TestBrowserRevealRegistrationData: the admin reveals a registration
// run's Registration Data with its button, at 1440 and 1024 px wide.
func TestBrowserRevealRegistrationData(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	token := srv.Token(t)
	flowID := webtest.AcmeSetup(t, srv, prov, token)
	state := webtest.APIJSON(t, srv.NewClient(), token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", flowID), nil, http.StatusOK)["state"].(map[string]any)
	regID := state["registrationExecution"].(string)
	secret := prov.Subscriptions()[0].Secret
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	for _, width := range []int64{1440, 1024} {
		b.Run(chromedp.EmulateViewport(width, 900))
		b.Open("/executions/" + regID)
		if got := b.Text("registration-data-state"); got != "masked" {
			t.Fatalf("at %d px the Registration Data is %q", width, got)
		}
		b.Screenshot(fmt.Sprintf("registration-data-masked-%d", width))
		b.Run(chromedp.Click(webtest.TestID("reveal-registration-data")), chromedp.WaitVisible(webtest.TestID("registration-data-value")))
		if got := b.Text("registration-data-value"); !strings.Contains(got, secret) || b.Text("registration-data-state") != "revealed" {
			t.Fatalf("at %d px Reveal shows %q", width, got)
		}
		b.Screenshot(fmt.Sprintf("registration-data-revealed-%d", width))
	}
}
