package browser_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestBrowserHookflowEventSettings: a super admin creates an error flow
// that starts with a Hookflow Event card, checks a second event type,
// narrows it to one flow, saves, sees the settings kept, and turns it ON.
func TestBrowserHookflowEventSettings(t *testing.T) {
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	c, token := srv.NewClient(), srv.Token(t)
	orders := webtest.APIFlowCreate(t, c, token, webtest.HTTPFailFlow("Orders", "http://127.0.0.1:9/orders"))
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	b.Run(chromedp.EmulateViewport(1440, 900))

	b.Open("/flows")
	b.Run(
		chromedp.SendKeys(id("flow-name-input"), "Error alerts"),
		chromedp.SetValue(id("flow-event"), "hookflow_event"),
		chromedp.Click(id("flow-create")),
		chromedp.WaitVisible(id("hookflow-settings")),
	)
	checked := func(typ string) bool {
		return webtest.Value(b, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector('[data-testid="hookflow-event-%s"]').checked`, typ)))
	}
	if !checked("execution.failed") || checked("flow.activated") {
		t.Fatal("a new Hookflow Event flow does not start on execution.failed alone")
	}
	shoot(b, "hookflow-event-new")
	b.Run(
		chromedp.Click(id("hookflow-event-flow.activated")),
		chromedp.SetValue(id("hookflow-flow"), fmt.Sprint(orders)),
		chromedp.Click(id("hookflow-save")),
		chromedp.WaitVisible(id("hookflow-settings")),
	)
	b.Run(chromedp.WaitVisible(chromedp.CSS(`[data-testid="hookflow-event-flow.activated"][checked]`)))
	if got := webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="hookflow-flow"]').value`)); got != fmt.Sprint(orders) {
		t.Fatalf("the flow filter reads %q after saving", got)
	}
	fs, _ := srv.Store.Flows(context.Background(), 0)
	for _, f := range fs {
		if f.Definition.Name == "Error alerts" {
			tr, err := flows.HookTriggerOf(f)
			if err != nil || len(tr.Events) != 2 || tr.OfFlow != orders {
				t.Fatalf("saved %+v %v", tr, err)
			}
		}
	}
	b.Run(chromedp.Click(id("turn-on")), chromedp.WaitVisible(id("turn-off")))
	if got := b.Text("flow-state"); got != "ON" {
		t.Fatalf("after ON the flow is %q", got)
	}
	shoot(b, "hookflow-event-saved")
}
