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

// TestBrowserPollingEventFlow adds a Polling Event flow in the connector
// builder, as a super admin would: New flow, a Get Cursor card from the
// Polling palette group, the card settings saved from the panel, and a
// test run from a cursor that Get Cursor reads. The connector page, the
// flow's page and a workspace flow polling with it are laid out without
// overlaps at 1440 and 1024 px.
func TestBrowserPollingEventFlow(t *testing.T) {
	svc := webtest.NewTracker(t)
	svc.Add("one")
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	con, err := srv.Store.CreateConnector(context.Background(), flows.ConnectorInfo{Name: "Ticket desk", BaseURL: svc.URL, Auth: flows.AuthDefinition{Kind: flows.AuthNone}})
	if err != nil {
		t.Fatal(err)
	}
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	base := fmt.Sprintf("/connectors/%d", con.ID)
	b.Open(base + "?tab=flows")
	b.Run(
		chromedp.SetValue(id("new-flow-kind"), string(flows.KindPollingEvent)),
		chromedp.SendKeys(id("new-flow-name"), "New tickets"),
		chromedp.Click(id("new-flow-submit")),
		chromedp.WaitVisible(id("polling-panel")),
		chromedp.WaitVisible(id("card-return")),
	)
	// Get Cursor from the palette's Polling group, onto the first slot.
	b.Run(
		chromedp.SendKeys(id("palette-search"), "cursor"),
		chromedp.WaitVisible(id("palette-polling.set_cursor")),
		chromedp.Click(id("palette-polling.get_cursor")),
		chromedp.Click(id("slot--0")),
		chromedp.WaitVisible(id("card-getcursor1")),
		chromedp.WaitVisible(id("out-getcursor1-cursor")),
	)
	// The settings: an option, the run mode, the default interval.
	b.Run(
		chromedp.SendKeys(id("polling-options.0.key"), "project"),
		chromedp.SendKeys(id("polling-options.0.label"), "Project"),
		chromedp.SetValue(id("polling-run-mode"), string(flows.RunNoNewData)),
		chromedp.SetValue(id("polling-every"), "15m"),
		chromedp.Click(id("polling-save")),
		chromedp.WaitVisible(id("flash-success")),
		chromedp.WaitVisible(id("out-event-project")),
	)
	fs, _ := srv.Store.Flows(context.Background(), con.ID)
	f := fs[0]
	if p := f.Definition.Polling; p == nil || *p != (flows.PollingSettings{RunMode: flows.RunNoNewData, RecordsPath: "records", Every: "15m"}) ||
		len(f.Definition.Event.Outputs) != 1 || f.Definition.Cards[0].Type != flows.PollingGetCursor {
		t.Fatalf("saved %+v with %+v", f.Definition.Polling, f.Definition.Cards)
	}
	if got := webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="polling-run-mode"]').value`)); got != "no_new_data" {
		t.Fatalf("the panel shows run mode %q after saving", got)
	}
	// A test run starts from the cursor typed in; Get Cursor reads it.
	b.Run(
		chromedp.Click(chromedp.CSS(`[data-testid="test-run"] summary`)),
		chromedp.SendKeys(id("test-cursor"), "41"),
		chromedp.Click(id("test-submit")),
		chromedp.WaitVisible(id("test-status")),
	)
	if got := b.Text("step-out-getcursor1"); !strings.Contains(got, `"cursor": "41"`) {
		t.Fatalf("Get Cursor shows %q", got)
	}
	checkLayout := func(name string) {
		t.Helper()
		for _, w := range []int64{1440, 1024} {
			b.Run(chromedp.EmulateViewport(w, 900))
			if bad := webtest.Value(b, chromedp.Evaluate[[]string](panelOverlapsJS+`('main > details, main > section')`)); len(bad) > 0 {
				t.Fatalf("%s at %d px:\n%s", name, w, strings.Join(bad, "\n"))
			}
		}
		shoot(b, name)
	}
	checkLayout("polling-settings")
	b.Open(base + "?tab=flows")
	b.Run(chromedp.WaitVisible(id("flows-tab")))
	shoot(b, "polling-connector")

	// A workspace flow on a deployed Polling Event shows how it polls.
	token := srv.Token(t)
	pf := webtest.TrackerSetup(t, srv, svc, token, flows.RunEach)[0]
	webtest.APIJSON(t, srv.NewClient(), token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", pf.ID), nil, 200)
	webtest.WaitFor(t, "a poll", func() bool {
		sub, err := srv.Store.LiveSubscription(context.Background(), pf.ID)
		st, _ := srv.Store.PollState(context.Background(), sub.ID)
		return err == nil && !st.LastPollAt.IsZero()
	})
	b.Open(fmt.Sprintf("/flows/%d", pf.ID))
	b.Run(chromedp.WaitVisible(id("poll-last-status")))
	checkLayout("polling-workspace-flow")
}
