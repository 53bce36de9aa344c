package browser_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestBrowserWaitingAndPausedRuns: the history lists a waiting and a
// paused run with when they resume (or time out), in the browser's time;
// a paused run's page shows its resume URL and offers Cancel, which ends
// it; the builder's palette offers the wait cards. At 1440 and 1024 px.
func TestBrowserWaitingAndPausedRuns(t *testing.T) {
	for _, width := range []int64{1440, 1024} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			srv := webtest.WaitsServer(t, webtest.Options{})
			token := srv.Token(t)
			waiting := webtest.StartRun(t, srv, token, webtest.WorkspaceFlow(t, srv, true, webtest.WaitForNode(2, "hours")))["id"].(string)
			flowID := webtest.PauseFlow(t, srv, 30, "days")
			paused := webtest.StartRun(t, srv, token, flowID)["id"].(string)

			b := webtest.NewBrowser(t, srv)
			b.Run(chromedp.EmulateViewport(width, 900))
			b.SignIn()
			b.Open("/executions")
			for id, want := range map[string]string{waiting: "resumes ", paused: "times out "} {
				row := fmt.Sprintf(`[data-testid="execution-row"][data-id="%s"] [data-testid="execution-resumes"]`, id)
				b.Run(chromedp.WaitVisible(row + ` time[data-localized]`))
				if got := webtest.Value(b, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('%s').textContent`, row))); !strings.Contains(got, want) {
					t.Fatalf("the list says %q for %s, want %q", got, id, want)
				}
			}
			noOverflow(t, b)
			b.Screenshot(fmt.Sprintf("waits-list-%d", width))

			b.Open("/executions/" + paused)
			if got := b.Text("execution-status"); got != "paused" {
				t.Fatalf("status %q", got)
			}
			if got := b.Text("execution-resume-url"); !strings.HasPrefix(got, srv.URL+"/resume/") {
				t.Fatalf("resume URL %q", got)
			}
			if got := b.Text("execution-wait-when"); !strings.HasPrefix(got, "Times out ") {
				t.Fatalf("the wait panel says %q", got)
			}
			noOverflow(t, b)
			b.Screenshot(fmt.Sprintf("waits-paused-page-%d", width))
			b.Run(chromedp.Click(webtest.TestID("cancel")), chromedp.WaitVisible(`[data-testid="execution-status"].canceled`))

			b.Open(fmt.Sprintf("/flows/%d", flowID))
			for _, typ := range []string{flows.ControlWaitFor, flows.ControlWaitUntil, flows.ControlPause, flows.ControlResumeURL} {
				sel := fmt.Sprintf(`.palette-card[data-type="%s"]`, typ)
				if n := webtest.Value(b, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('%s').length`, sel))); n != 1 {
					t.Fatalf("the palette has %d cards %s", n, typ)
				}
			}
			b.Screenshot(fmt.Sprintf("waits-builder-%d", width))
		})
	}
}
