package browser_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestBrowserCancelPayloadRun finds a payload run that waits in the list
// of running executions, opens it and cancels it with its button, at 1440
// and at 1024 px wide.
func TestBrowserCancelPayloadRun(t *testing.T) {
	for _, width := range []int64{1440, 1024} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
			flowID, hook := webtest.OktaFlowWith(t, srv, flows.Node{ID: "wait", Type: flows.ControlWaitFor, Bindings: map[string]flows.Binding{"seconds": {Value: 30.0}}})
			webtest.CancelOnFailure(t, srv, flowID, nil)
			webtest.PostOktaEvent(t, srv, hook, 1)
			run := webtest.WaitPayloadRun(t, srv, flowID, flows.StatusRunning)
			b := webtest.NewBrowser(t, srv)
			b.Run(chromedp.EmulateViewport(width, 900))
			b.SignIn()
			b.Open("/executions?status=running")
			b.Run(chromedp.WaitVisible(fmt.Sprintf(`[data-testid="execution-row"][data-id="%s"]`, run.ID)))
			b.Open("/executions/" + run.ID)
			if got := b.Text("execution-status"); got != "running" || !strings.Contains(b.Text("execution-going"), "Still running") {
				t.Fatalf("the execution page shows %q, without saying it still runs", got)
			}
			b.Screenshot(fmt.Sprintf("execution-running-%d", width))
			b.Run(chromedp.Click(webtest.TestID("cancel")), chromedp.WaitVisible(`.status.canceled`))
			b.Screenshot(fmt.Sprintf("execution-canceled-%d", width))
			if flash := b.Text("flash-success"); !strings.HasPrefix(flash, "Canceled") {
				t.Fatalf("the flash says %q", flash)
			}
			if e, err := srv.Store.Execution(context.Background(), run.ID); err != nil || e.Status != flows.StatusCanceled {
				t.Fatalf("the run after Cancel: %+v, %v", e, err)
			}
		})
	}
}
