package browser_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/web/webtest"
)

// TestBrowserSessionsOnSettings signs in from a browser beside two other
// sessions, reads them on Settings at 1440 and 1024 px wide, signs one
// out with its button and then the other with "Sign out everywhere else".
func TestBrowserSessionsOnSettings(t *testing.T) {
	for _, width := range []int64{1440, 1024} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			srv := webtest.Start(t)
			phone := webtest.SignInWith(t, srv, webtest.SafariAgent)
			desktop := webtest.SignInWith(t, srv, webtest.EdgeAgent)
			b := webtest.NewBrowser(t, srv)
			b.Run(chromedp.EmulateViewport(width, 900))
			b.SignIn()
			b.Open("/settings")
			b.Run(chromedp.WaitVisible(webtest.TestID("sessions-table")))
			rows := webtest.Value(b, chromedp.Evaluate[[]string](
				`[...document.querySelectorAll('[data-testid="session-row"]')].map(r => r.innerText.replace(/\s+/g, " ").trim())`))
			if len(rows) != 3 {
				t.Fatalf("session rows %q, want 3", rows)
			}
			if got := b.Text("session-current"); got != "This session" {
				t.Fatalf("current session marked %q", got)
			}
			// The table fits the panel: nothing sticks out at this width.
			overflow := webtest.Value(b, chromedp.Evaluate[bool](`(() => {
				const p = document.querySelector('[data-testid="sessions-section"]').getBoundingClientRect();
				return [...document.querySelectorAll('[data-testid="sessions-section"] tr, [data-testid="sessions-revoke-others"]')]
					.some(e => e.getBoundingClientRect().right > p.right + 0.5);
			})()`))
			if overflow {
				t.Fatal("the sessions table sticks out of its panel")
			}
			b.Screenshot(fmt.Sprintf("settings-sessions-%d", width))

			// Sign the iPhone out with its own button.
			b.Run(chromedp.Click(`[data-testid="session-row"]:has(td[title*="iPhone"]) [data-testid="session-revoke"]`),
				chromedp.WaitVisible(webtest.TestID("flash-success")))
			if got := b.Text("flash-success"); !strings.Contains(got, "signed out") {
				t.Fatalf("flash %q", got)
			}
			webtest.SignedOut(t, phone, "phone")

			// Then everything else, confirming the question.
			webtest.Value(b, chromedp.Evaluate[bool](`(() => { window.confirm = () => true; return true })()`))
			// The page reloads: wait for its own message, not the one before.
			b.Run(chromedp.Click(webtest.TestID("sessions-revoke-others")))
			webtest.WaitFor(t, "the message that one session ended", func() bool {
				return strings.Contains(webtest.Value(b, chromedp.Evaluate[string](
					`(document.querySelector('[data-testid="flash-success"]') || {}).innerText || ""`)), "1 session ended")
			})
			webtest.SignedOut(t, desktop, "desktop")
			n := webtest.Value(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="session-row"]').length`))
			if n != 1 {
				t.Fatalf("%d session rows left, want this one", n)
			}
			b.Screenshot(fmt.Sprintf("settings-sessions-alone-%d", width))
		})
	}
}
