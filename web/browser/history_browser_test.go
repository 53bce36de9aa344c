package browser_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/web/webtest"
)

// failingFlow saves a workspace flow whose Return Error card fails every
// run with message, and returns its id.
func failingFlow(t *testing.T, srv *webtest.Server, name, message string) int64 {
	t.Helper()
	def, _ := flows.NewDefinition(flows.KindWorkspace, name)
	def.Cards = []flows.Node{{ID: "boom", Type: flows.ControlReturnError, Bindings: map[string]flows.Binding{"message": {Value: message}}}}
	f, err := srv.Store.CreateFlow(context.Background(), flows.Flow{Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	return f.ID
}

// checked lists the ids of the ticked boxes of the executions list.
const checked = `[...document.querySelectorAll('[data-testid="execution-select"]:checked')].map(e => e.value).sort().join(",")`

// TestBrowserBulkRerunKeepsSelectionAndFilters: boxes ticked in the live
// list stay ticked while it refreshes itself, and a bulk re-run returns
// to the list with the same filters.
func TestBrowserBulkRerunKeepsSelectionAndFilters(t *testing.T) {
	srv := webtest.Start(t)
	token := srv.Token(t)
	flowID := failingFlow(t, srv, "Fails", "boom")
	other := failingFlow(t, srv, "Fails too", "bang")
	var ids []string
	for range 3 {
		ids = append(ids, webtest.RunFlow(t, srv, token, flowID))
	}
	webtest.RunFlow(t, srv, token, other)

	b := webtest.NewBrowser(t, srv)
	b.Run(chromedp.EmulateViewport(1024, 900))
	b.SignIn()
	query := url.Values{"status": {"failed"}, "flow": {webtest.Itoa(flowID)}}
	b.Open("/executions?" + query.Encode())
	b.Run(
		chromedp.WaitVisible(webtest.TestID("execution-select")),
		chromedp.Evaluate[chromedp.Void](`window.swaps = 0; document.body.addEventListener("htmx:afterSwap", () => window.swaps++)`),
		chromedp.Click(fmt.Sprintf(`[data-testid="execution-select"][value="%s"]`, ids[0])),
		chromedp.Click(fmt.Sprintf(`[data-testid="execution-select"][value="%s"]`, ids[2])),
	)
	want := strings.Join([]string{min(ids[0], ids[2]), max(ids[0], ids[2])}, ",")
	if got := webtest.Value(b, chromedp.Evaluate[string](checked)); got != want {
		t.Fatalf("ticked %q, want %q", got, want)
	}
	// A new run arrives meanwhile: the refreshes show it, and keep the ticks.
	fresh := webtest.RunFlow(t, srv, token, flowID)
	webtest.WaitFor(t, "two refreshes of the list", func() bool { return webtest.Value(b, chromedp.Evaluate[float64](`window.swaps`)) >= 2 })
	if got := webtest.Value(b, chromedp.Evaluate[string](checked)); got != want {
		t.Fatalf("after %v refreshes the ticked boxes are %q, want %q", webtest.Value(b, chromedp.Evaluate[float64](`window.swaps`)), got, want)
	}
	if n := webtest.Value(b, chromedp.Evaluate[float64](fmt.Sprintf(`document.querySelectorAll('[data-testid="execution-row"][data-id="%s"]').length`, fresh))); n != 1 {
		t.Fatal("the refresh did not bring the new run")
	}

	b.Run(chromedp.Click(webtest.TestID("bulk-rerun")), chromedp.WaitVisible(webtest.TestID("flash-success")))
	if flash := b.Text("flash-success"); flash != "2 executions re-run." {
		t.Fatalf("the flash says %q", flash)
	}
	loc := webtest.Value(b, chromedp.Evaluate[string](`location.pathname + location.search`))
	back, _ := url.Parse(loc)
	if back.Path != "/executions" || back.Query().Encode() != query.Encode() {
		t.Fatalf("after the bulk re-run the list is %s, want the filters %s", loc, query.Encode())
	}
	for i, id := range ids {
		rs, _ := srv.Store.Executions(context.Background(), store.ExecutionFilter{RerunOf: id})
		if want := map[bool]int{true: 1, false: 0}[i != 1]; len(rs) != want {
			t.Fatalf("%s re-run %d times, want %d", id, len(rs), want)
		}
	}
}

// TestBrowserHistoryTimesAndLayout: the list and an execution's page show
// times in the browser's time zone, naming it, and fit the window at 1440
// and 1024 px.
func TestBrowserHistoryTimesAndLayout(t *testing.T) {
	for _, width := range []int64{1440, 1024} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			fx := webtest.NewHistoryFixture(t)
			b := webtest.NewBrowser(t, fx.Srv)
			b.Run(chromedp.EmulateViewport(width, 900), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Kolkata"})
				return err
			}))
			b.SignIn()
			b.Open("/executions")
			e := fx.Runs["slower"]
			row := fmt.Sprintf(`[data-testid="execution-row"][data-id="%s"]`, e.ID)
			b.Run(chromedp.WaitVisible(row + ` time[data-localized]`))
			local := e.StartedAt.In(time.FixedZone("IST", 5*3600+1800)).Format("2006-01-02 15:04:05")
			got := webtest.Value(b, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('%s time').textContent`, row)))
			title := webtest.Value(b, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('%s time').title`, row)))
			if !strings.HasPrefix(got, local+" ") || strings.HasSuffix(got, "UTC") || !strings.Contains(got, "5:30") || !strings.HasSuffix(title, " UTC") {
				t.Fatalf("the list shows %q (title %q), want %s in the browser's zone", got, title, local)
			}
			noOverflow(t, b)
			b.Screenshot(fmt.Sprintf("executions-list-%d", width))
			b.Open("/executions?q=Babb&status=failed")
			if got := b.Text("executions-no-match"); !strings.HasPrefix(got, "No executions match") {
				t.Fatalf("a search without hits says %q", got)
			}
			b.Screenshot(fmt.Sprintf("executions-no-match-%d", width))

			b.Open("/executions/" + e.ID)
			b.Run(chromedp.WaitVisible(`[data-testid="execution-started"] time[data-localized]`))
			if got := b.Text("execution-started"); !strings.HasPrefix(got, local+".000 ") {
				t.Fatalf("the execution's page shows %q, want %s.000 in the browser's zone", got, local)
			}
			noOverflow(t, b)
			b.Screenshot(fmt.Sprintf("execution-page-%d", width))
		})
	}
}

// noOverflow fails when the page is wider than the window.
func noOverflow(t *testing.T, b *webtest.Browser) {
	t.Helper()
	if over := webtest.Value(b, chromedp.Evaluate[float64](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); over > 0 {
		t.Fatalf("the page is %v px wider than the window", over)
	}
}

// TestBrowserErrorsAndRerunsOfConnectorRuns walks the history of a flow
// on a connector's Webhook Event, at 1440 and 1024 px: the list tells the
// connector's runs from the flow's; a card's error reads in words with its
// raw text a click away; a body that is not JSON says so and offers no
// re-run; a connector's run that failed on the way is re-run from its
// page; a failed registration reads once on the flow's page and is gone
// after a successful try.
func TestBrowserErrorsAndRerunsOfConnectorRuns(t *testing.T) {
	for _, width := range []int64{1440, 1024} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			prov := webtest.NewAcme(t)
			srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
			token := srv.Token(t)
			flowID, eventFlow := webtest.FlakyAcmeSetup(t, srv, prov, token)
			path := fmt.Sprintf("/api/v1/flows/%d", flowID)
			webtest.APIJSON(t, srv.NewClient(), token, "POST", path+"/on", nil, http.StatusOK)
			prov.PushRaw(t, "d1", `{"data": {"events": [{"uuid": "u1", "actor": {"displayName": "Ada"}}]}}`)
			prov.PushRaw(t, "d2", `{"data": {"events": [`)
			webtest.WaitFor(t, "the first two deliveries", func() bool { return len(webtest.ConnectorRuns(t, srv.Store, eventFlow, "")) == 2 })
			prov.Fail.Store(true)
			prov.PushRaw(t, "d3", `{"data": {"events": [{"uuid": "u2", "actor": {"displayName": "Grace"}}]}}`)
			webtest.WaitFor(t, "the failed run", func() bool { return len(webtest.ConnectorRuns(t, srv.Store, eventFlow, flows.StatusFailed)) == 2 })
			webtest.WaitFor(t, "every delivery to be done", func() bool { n, _ := srv.Store.CountQueuedDeliveries(t.Context()); return n == 0 })
			failed := webtest.ConnectorRuns(t, srv.Store, eventFlow, flows.StatusFailed)[0]
			bad := webtest.ConnectorRuns(t, srv.Store, eventFlow, flows.StatusFailed)[1]

			b := webtest.NewBrowser(t, srv)
			b.Run(chromedp.EmulateViewport(width, 900))
			b.SignIn()
			b.Open("/executions")
			b.Run(chromedp.WaitVisible(webtest.TestID("execution-for")))
			kinds := webtest.Value(b, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid="execution-kind"]')].map(e => e.dataset.kind).sort().join(",")`))
			if kinds != "connector,connector,connector,connector,workspace" { // the registration, three payloads; Ada's run
				t.Fatalf("the list's kinds: %s", kinds)
			}
			noOverflow(t, b)
			b.Screenshot(fmt.Sprintf("executions-connector-runs-%d", width))

			// The failed card: its words, and the raw text a click away.
			b.Open("/executions/" + failed.ID)
			want := "HTTP 503 Service Unavailable from GET " + prov.URL + "/flaky"
			if got := b.Text("step-error"); got != want {
				t.Fatalf("the failed card says %q, want %q", got, want)
			}
			b.Run(chromedp.Click(`[data-testid="step-error-detail"] summary`), chromedp.WaitVisible(`[data-testid="step-error-detail"] pre`))
			if raw := b.Text("step-error-detail"); !strings.Contains(raw, "try later") {
				t.Fatalf("the details read %q", raw)
			}
			noOverflow(t, b)
			b.Screenshot(fmt.Sprintf("execution-connector-failed-%d", width))

			// A body that is not JSON: said so, no re-run.
			b.Open("/executions/" + bad.ID)
			if got := b.Text("execution-error"); !strings.HasPrefix(got, "the body is not JSON: ") {
				t.Fatalf("the bad body's run says %q", got)
			}
			if n := webtest.Value(b, chromedp.Evaluate[float64](`document.querySelectorAll('[data-testid="rerun"]').length`)); n != 0 || !strings.Contains(b.Text("rerun-unavailable"), "fail the same way") {
				t.Fatal("a re-run is offered for the bad body")
			}
			noOverflow(t, b)
			b.Screenshot(fmt.Sprintf("execution-bad-body-%d", width))

			// The service is back: the failed run is re-run from its page.
			prov.Fail.Store(false)
			b.Open("/executions/" + failed.ID)
			b.Run(chromedp.Click(webtest.TestID("rerun")), chromedp.WaitVisible(webtest.TestID("execution-rerun-of")))
			if got := b.Text("execution-status"); got != "succeeded" || b.Text("execution-rerun-of") != failed.ID {
				t.Fatalf("the re-run %s", got)
			}
			webtest.WaitFor(t, "Grace's run", func() bool { return len(webtest.PayloadRuns(t, srv.Store, flowID)) == 2 })

			// A failed registration on the flow's page: once, then gone.
			webtest.APIJSON(t, srv.NewClient(), token, "POST", path+"/off", nil, http.StatusOK)
			webtest.WaitFor(t, "the flow to be off", func() bool {
				return webtest.APIJSON(t, srv.NewClient(), token, "GET", path, nil, http.StatusOK)["state"].(map[string]any)["subscription"] == "off"
			})
			prov.Fail.Store(true)
			b.Open(fmt.Sprintf("/flows/%d", flowID))
			b.Run(chromedp.Click(webtest.TestID("turn-on")), chromedp.WaitVisible(webtest.TestID("last-error")))
			want = "Registration failed: HTTP 503 Service Unavailable from POST " + prov.URL + "/subscriptions"
			if got := b.Text("last-error"); got != want {
				t.Fatalf("the flow's page says %q, want %q", got, want)
			}
			if n := webtest.Value(b, chromedp.Evaluate[float64](`document.querySelector("main").innerText.split("Registration failed").length - 1`)); n != 1 {
				t.Fatalf("the page says Registration failed %v times", n)
			}
			b.Run(chromedp.Click(`[data-testid="last-error-detail"] summary`), chromedp.WaitVisible(`[data-testid="last-error-detail"] pre`))
			noOverflow(t, b)
			b.Screenshot(fmt.Sprintf("flow-registration-failed-%d", width))
			prov.Fail.Store(false)
			b.Run(chromedp.Click(webtest.TestID("turn-off")+", "+webtest.TestID("turn-on")), chromedp.WaitVisible(webtest.TestID("event-url")))
			if n := webtest.Value(b, chromedp.Evaluate[float64](`document.querySelectorAll('[data-testid="last-error"]').length`)); n != 0 {
				t.Fatal("the registration's error stays after a successful try")
			}
		})
	}
}
