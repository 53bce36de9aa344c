package browser_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/web/webtest"
)

// setValue sets a canvas field as a person does and leaves it, which saves it.
func setValue(testID, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const el = document.querySelector('[data-testid=%q]');
		el.value = %q; el.dispatchEvent(new Event("change", {bubbles: true})); })()`, testID, value))
}

// TestBrowserScheduledFlow: a super admin creates a flow that starts with
// a Schedule card, sets it to a cron expression in a time zone on the
// canvas (seeing each wrong value's problem by its field), turns it ON,
// sees the schedule in words and its next runs, and turns it OFF.
func TestBrowserScheduledFlow(t *testing.T) {
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	b.Run(chromedp.EmulateViewport(1440, 900))

	b.Open("/flows")
	b.Run(
		chromedp.SendKeys(id("flow-name-input"), "Weekday report"),
		chromedp.SetValue(id("flow-event"), "schedule"),
		chromedp.Click(id("flow-create")),
		chromedp.WaitVisible(id("card-event")),
	)
	if got := b.Text("schedule-words"); got != "Every hour" {
		t.Fatalf("a new scheduled flow reads %q", got)
	}
	if got := b.Text("flow-state"); got != "OFF" {
		t.Fatalf("a new flow is %q", got)
	}

	// Cron mode asks for an expression, by its field.
	b.Run(setValue("value-event-mode", "cron"), chromedp.WaitVisible(id("problem-event-expression")))
	b.Run(setValue("value-event-expression", "0 9 * * 1-5"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="value-event-expression"][value="0 9 * * 1-5"]`)),
		setValue("value-event-timezone", "Europe/Pariss"),
		chromedp.WaitVisible(id("problem-event-timezone")))
	if got := b.Text("problem-event-timezone"); got == "" {
		t.Fatal("no problem shown for an unknown time zone")
	}
	shoot(b, "schedule-card-error")
	b.Run(setValue("value-event-timezone", "Europe/Paris"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="value-event-timezone"][value="Europe/Paris"]`)))
	if got := b.Text("schedule-words"); got != "At 09:00 on Monday through Friday (Europe/Paris)" {
		t.Fatalf("the schedule reads %q", got)
	}

	// ON: it says so, with the next five runs in Paris time.
	b.Run(chromedp.Click(id("turn-on")), chromedp.WaitVisible(id("turn-off")))
	if got := b.Text("flow-state"); got != "ON" {
		t.Fatalf("after ON the flow is %q", got)
	}
	runs := webtest.Value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="schedule-next-run"]')].map(e => e.textContent)`))
	if len(runs) != 5 {
		t.Fatalf("next runs %v", runs)
	}
	for _, r := range runs {
		if len(r) < 10 || r[len(r)-10:] != "09:00 CEST" && r[len(r)-9:] != "09:00 CET" {
			t.Fatalf("next run %q is not at 09:00 Paris time", r)
		}
	}
	shoot(b, "schedule-flow-on")

	b.Run(chromedp.Click(id("turn-off")), chromedp.WaitVisible(id("turn-on")))
	if got := b.Text("flow-state"); got != "OFF" {
		t.Fatalf("after OFF the flow is %q", got)
	}
}
