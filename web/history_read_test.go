package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookflow/hookflow/web/webtest"
)

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
	fx := webtest.NewHistoryFixture(t)
	c := fx.Srv.SignedIn(t)
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
			e := fx.Runs[tt.run]
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
	if got := strings.TrimSpace(rows[fx.Runs["connector"].ID].Find(`[data-testid="execution-kind"]`).Text()); got != "Connector · Acme" {
		t.Errorf("the connector run's kind reads %q", got)
	}

	// The flow filter lists the workspace flows and each connector's.
	groups := map[string][]string{}
	doc.Find(`[data-testid="filter-flow"] optgroup`).Each(func(_ int, g *goquery.Selection) {
		g.Find("option").Each(func(_ int, o *goquery.Selection) {
			groups[g.AttrOr("label", "")] = append(groups[g.AttrOr("label", "")], o.AttrOr("value", ""))
		})
	})
	if len(groups["Workspace flows"]) != 1 || groups["Workspace flows"][0] != webtest.Itoa(fx.Workspace) || !strings.Contains(strings.Join(groups["Connector Acme"], ","), webtest.Itoa(fx.Connector)) {
		t.Fatalf("the flow filter lists %v", groups)
	}

	// Filters by kind and by a connector's flow.
	for _, tt := range []struct {
		name, query string
		want        []string
	}{
		{"connector runs", "kind=connector", []string{"connector"}},
		{"workspace runs", "kind=workspace", []string{"slower", "quick"}},
		{"a connector's flow", "flow=" + webtest.Itoa(fx.Connector), []string{"connector"}},
		{"a word's start", "q=Grac", []string{"quick"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, body := c.Get(t, "/executions?"+tt.query)
			var got []string
			parse(t, body).Find(`[data-testid="execution-row"]`).Each(func(_ int, s *goquery.Selection) {
				for name, e := range fx.Runs {
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
	fx := webtest.NewHistoryFixture(t)
	c := fx.Srv.SignedIn(t)
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
