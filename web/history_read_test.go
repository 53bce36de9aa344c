package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// historyFixture is a workspace flow and a deployed connector with three
// executions: two of the workspace flow (18 µs and 8 ms), one of the
// connector's Webhook Event flow (1.2 s).
type historyFixture struct {
	srv                  *webtest.Server
	workspace, connector int64 // flow ids
	runs                 map[string]*flows.Execution
}

func newHistoryFixture(t *testing.T) historyFixture {
	t.Helper()
	srv := webtest.Start(t)
	ctx := context.Background()
	prov := newAcme(t)
	_, v := deployAcme(t, srv, prov, srv.Token(t))
	var evFlow int64
	fmt.Sscan(v.Export.FlowsOfKind(flows.KindWebhookEvent)[0].Key, &evFlow)
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Greet people")
	f, err := srv.Store.CreateFlow(ctx, flows.Flow{Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	fx := historyFixture{srv: srv, workspace: f.ID, connector: evFlow, runs: map[string]*flows.Execution{}}
	start := time.Date(2026, 11, 1, 10, 0, 5, 0, time.UTC)
	for i, r := range []struct {
		name   string
		flow   int64
		took   time.Duration
		status flows.Status
		who    string
	}{
		{"quick", f.ID, 18 * time.Microsecond, flows.StatusSucceeded, "Grace Hopper"},
		{"slower", f.ID, 8 * time.Millisecond, flows.StatusFailed, "Ada Lovelace"},
		{"connector", evFlow, 1200 * time.Millisecond, flows.StatusSucceeded, "Charles Babbage"},
	} {
		at := start.Add(time.Duration(i) * time.Minute)
		e := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: r.flow, FlowName: r.name, Trigger: flows.TriggerManual, Status: r.status,
			StartedAt: at, FinishedAt: at.Add(r.took), Input: map[string]any{"who": r.who},
			Steps: []flows.Step{{CardID: "c1", Type: "text.upper", StartedAt: at, DurationUS: r.took.Microseconds(), Outputs: map[string]any{"output": strings.ToUpper(r.who)}}}}
		if r.flow == evFlow {
			e.Trigger = flows.TriggerPayload
		}
		if r.status == flows.StatusFailed {
			e.Error, e.ErrorCard = "boom", "c1"
		}
		if err := srv.Store.RecordExecution(ctx, e); err != nil {
			t.Fatal(err)
		}
		fx.runs[r.name] = e
	}
	return fx
}

// rowsByID maps the history's rows by execution id.
func rowsByID(doc *goquery.Document) map[string]*goquery.Selection {
	rows := map[string]*goquery.Selection{}
	doc.Find(`[data-testid="execution-row"]`).Each(func(_ int, s *goquery.Selection) { rows[s.AttrOr("data-id", "")] = s })
	return rows
}

// TestHistoryReadsWell: durations read in the unit that suits them, the
// same in the list and on the execution's page; times say their time
// zone; runs of connectors' flows are told apart from workspace runs, and
// the flow filter lists both.
func TestHistoryReadsWell(t *testing.T) {
	fx := newHistoryFixture(t)
	c := fx.srv.SignedIn(t)
	_, body := c.Get(t, "/executions")
	doc := parse(t, body)
	rows := rowsByID(doc)
	for _, tt := range []struct {
		run, duration, kind string
	}{
		{"quick", "18 µs", "workspace"},
		{"slower", "8.0 ms", "workspace"},
		{"connector", "1.2 s", "connector"},
	} {
		t.Run(tt.run, func(t *testing.T) {
			e := fx.runs[tt.run]
			row := rows[e.ID]
			if row == nil {
				t.Fatalf("no row for %s", e.ID)
			}
			if got := strings.TrimSpace(row.Find(`[data-testid="execution-duration"]`).Text()); got != tt.duration {
				t.Errorf("the list's duration %q, want %q", got, tt.duration)
			}
			if got := row.Find(`[data-testid="execution-kind"]`).AttrOr("data-kind", ""); got != tt.kind {
				t.Errorf("kind %q, want %q", got, tt.kind)
			}
			tm := row.Find("time[datetime][data-local]")
			if tm.AttrOr("datetime", "") != e.StartedAt.UTC().Format(time.RFC3339Nano) || tm.Text() != e.StartedAt.UTC().Format("2006-01-02 15:04:05")+" UTC" {
				t.Errorf("the list's time: %q %q", tm.AttrOr("datetime", ""), tm.Text())
			}
			_, page := c.Get(t, "/executions/"+e.ID)
			d := parse(t, page)
			if got := strings.TrimSpace(d.Find(`[data-testid="execution-duration"]`).Text()); got != tt.duration {
				t.Errorf("the page's duration %q, want %q", got, tt.duration)
			}
			if got := strings.TrimSpace(d.Find(`[data-testid="step-duration"]`).Text()); got != tt.duration {
				t.Errorf("the step's duration %q, want %q", got, tt.duration)
			}
			if got := d.Find(`[data-testid="execution-started"] time`).Text(); got != e.StartedAt.UTC().Format("2006-01-02 15:04:05.000")+" UTC" {
				t.Errorf("the page's time %q", got)
			}
			if got := d.Find(`[data-testid="execution-kind"]`).AttrOr("data-kind", ""); got != tt.kind {
				t.Errorf("the page's kind %q, want %q", got, tt.kind)
			}
		})
	}
	if got := strings.TrimSpace(rows[fx.runs["connector"].ID].Find(`[data-testid="execution-kind"]`).Text()); got != "Connector · Acme" {
		t.Errorf("the connector run's kind reads %q", got)
	}

	// The flow filter lists the workspace flows and each connector's.
	groups := map[string][]string{}
	doc.Find(`[data-testid="filter-flow"] optgroup`).Each(func(_ int, g *goquery.Selection) {
		g.Find("option").Each(func(_ int, o *goquery.Selection) {
			groups[g.AttrOr("label", "")] = append(groups[g.AttrOr("label", "")], o.AttrOr("value", ""))
		})
	})
	if len(groups["Workspace flows"]) != 1 || groups["Workspace flows"][0] != itoa(fx.workspace) || !strings.Contains(strings.Join(groups["Connector Acme"], ","), itoa(fx.connector)) {
		t.Fatalf("the flow filter lists %v", groups)
	}

	// Filters by kind and by a connector's flow.
	for _, tt := range []struct {
		name, query string
		want        []string
	}{
		{"connector runs", "kind=connector", []string{"connector"}},
		{"workspace runs", "kind=workspace", []string{"slower", "quick"}},
		{"a connector's flow", "flow=" + itoa(fx.connector), []string{"connector"}},
		{"a word's start", "q=Grac", []string{"quick"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, body := c.Get(t, "/executions?"+tt.query)
			var got []string
			parse(t, body).Find(`[data-testid="execution-row"]`).Each(func(_ int, s *goquery.Selection) {
				for name, e := range fx.runs {
					if e.ID == s.AttrOr("data-id", "") {
						got = append(got, name)
					}
				}
			})
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("?%s lists %v, want %v", tt.query, got, tt.want)
			}
		})
	}
	if res, _ := c.Get(t, "/executions?kind=sideways"); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("an unknown kind: %d", res.StatusCode)
	}
}

// TestHistorySearchWithoutHits: a search that finds nothing says so, and
// offers the whole list; an empty history still welcomes.
func TestHistorySearchWithoutHits(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	_, body := c.Get(t, "/executions")
	if d := parse(t, body); d.Find(`[data-testid="executions-empty"]`).Length() != 1 || d.Find(`[data-testid="executions-no-match"]`).Length() != 0 {
		t.Fatal("an empty history does not show its empty state")
	}
	seedHistory(t, srv.Store, 3, time.Now().Add(-time.Hour))
	for _, q := range []string{"q=nothinglikethis", "status=canceled", "q=word&status=canceled"} {
		_, body = c.Get(t, "/executions?"+q)
		d := parse(t, body)
		if d.Find(`[data-testid="executions-no-match"] h2`).Text() != "No executions match" || d.Find(`[data-testid="executions-empty"]`).Length() != 0 {
			t.Fatalf("?%s: no \"No executions match\"", q)
		}
		if d.Find(`[data-testid="clear-filters"]`).AttrOr("href", "") != "/executions" {
			t.Fatalf("?%s: no way back to the whole list", q)
		}
	}
}

// TestDashboardCountsMatchPages: each tile counts what its page lists
// (the Flows page lists workspace flows, not the connectors' flows).
func TestDashboardCountsMatchPages(t *testing.T) {
	fx := newHistoryFixture(t)
	c := fx.srv.SignedIn(t)
	_, body := c.Get(t, "/")
	dash := parse(t, body)
	for _, tt := range []struct{ tile, page, row, noun string }{
		{"tile-connectors", "/connectors", "connector-row", "connector"},
		{"tile-flows", "/flows", "workspace-flow-row", "flow"},
		{"tile-executions", "/executions", "execution-row", "execution"},
	} {
		t.Run(tt.tile, func(t *testing.T) {
			_, page := c.Get(t, tt.page)
			n := parse(t, page).Find(fmt.Sprintf(`[data-testid="%s"]`, tt.row)).Length()
			want := fmt.Sprintf("%d %s", n, tt.noun)
			if n != 1 {
				want += "s"
			}
			if got := strings.TrimSpace(dash.Find(fmt.Sprintf(`[data-testid="%s"] p`, tt.tile)).Text()); got != want || n == 0 {
				t.Fatalf("the tile says %q; %s lists %d", got, tt.page, n)
			}
		})
	}
}
