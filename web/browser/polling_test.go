package browser_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

// runsOf lists executions by a filter, oldest first, keeping those match keeps.
func runsOf(t *testing.T, st *store.Store, f store.ExecutionFilter, keep func(*flows.Execution) bool) []*flows.Execution {
	t.Helper()
	var out []*flows.Execution
	err := st.EachExecution(context.Background(), f, func(e *flows.Execution) error {
		if keep == nil || keep(e) {
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(out, func(a, b *flows.Execution) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// polls lists the poll runs of the connector's flow made for a workspace flow.
func polls(t *testing.T, st *store.Store, f webtest.TrackerFlow) []*flows.Execution {
	return runsOf(t, st, store.ExecutionFilter{FlowID: f.Event, Trigger: flows.TriggerPoll}, func(e *flows.Execution) bool { return e.WorkspaceFlow == f.ID })
}

// ticketRuns lists the workspace flow's runs that polls started.
func ticketRuns(t *testing.T, st *store.Store, f webtest.TrackerFlow) []*flows.Execution {
	return runsOf(t, st, store.ExecutionFilter{FlowID: f.ID, Trigger: flows.TriggerPoll}, nil)
}

// titles are the titles of the single tickets the runs got, sorted
// (the runs of one poll may start within the same millisecond).
func titles(t *testing.T, runs []*flows.Execution) []string {
	t.Helper()
	var out []string
	for _, e := range runs {
		rec, ok := e.Input["records"].(map[string]any)
		if !ok || e.Status != flows.StatusSucceeded || e.ParentID == "" {
			t.Fatalf("run %s: %s %q with %v", e.ID, e.Status, e.Error, e.Input)
		}
		out = append(out, rec["title"].(string))
	}
	slices.Sort(out)
	return out
}

// TestPollingCursorAcrossPollsAndRestart polls a fake tracker every
// second, on SQLite and on Postgres: the first poll asks from an empty
// cursor and the next ones from the cursor the poll before saved; each
// ticket runs the workspace flow once, none twice; the cursor survives a
// restart of the server; a failing poll — one the tracker fails, one
// that fails after it set its cursor, one that sets a cursor over 10 KB —
// keeps the old cursor, so the tickets of that time run once it recovers;
// OFF stops the polls.
func TestPollingCursorAcrossPollsAndRestart(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			svc := webtest.NewTracker(t)
			svc.Add("one", "two")
			srv := webtest.StartWith(t, webtest.Options{DatabaseURL: db.URL(t), StartQueue: true})
			token, c := srv.Token(t), srv.NewClient()
			pf := webtest.TrackerSetup(t, srv, svc, token, flows.RunEach)[0]
			path := fmt.Sprintf("/api/v1/flows/%d", pf.ID)
			want := []string{"one", "two"}
			ran := func() bool {
				return slices.Equal(titles(t, ticketRuns(t, srv.Store, pf)), slices.Sorted(slices.Values(want)))
			}

			on := webtest.APIJSON(t, c, token, "POST", path+"/on", nil, http.StatusOK)
			if st := on["state"].(map[string]any); st["on"] != true || st["eventUrl"] != nil {
				t.Fatalf("after ON: state %v", st)
			}
			if p, _ := on["polling"].(map[string]any); p["every"] != "second" || p["nextPoll"] == nil {
				t.Fatalf("after ON: polling %v", on["polling"])
			}
			webtest.WaitFor(t, "the first two tickets", ran)
			svc.Add("three")
			want = append(want, "three")
			webtest.WaitFor(t, "the third ticket", ran)
			asked := svc.Requests()
			if asked[0] != "" || !slices.Contains(asked, "2") || slices.Contains(asked[1:], "") {
				t.Fatalf("the polls asked from %q: the first from the empty cursor, then from the saved one", asked)
			}
			for _, e := range polls(t, srv.Store, pf)[:2] {
				if e.Status != flows.StatusSucceeded || e.Trigger != flows.TriggerPoll {
					t.Fatalf("poll %s: %s %s %q", e.ID, e.Trigger, e.Status, e.Error)
				}
			}

			// A restart: the next poll asks from the cursor saved before it.
			srv = srv.Restart(t)
			before := len(svc.Requests())
			svc.Add("four")
			want = append(want, "four")
			webtest.WaitFor(t, "the ticket after the restart", ran)
			if asked := svc.Requests(); asked[before] != "3" {
				t.Fatalf("after the restart the first poll asked from %q", asked[before])
			}

			// A failing poll keeps the old cursor; its ticket runs once the tracker is back.
			svc.Fail.Store(true)
			failedFrom := len(svc.Requests())
			webtest.WaitFor(t, "a failed poll", func() bool {
				last := polls(t, srv.Store, pf)
				return last[len(last)-1].Status == flows.StatusFailed
			})
			svc.Add("five")
			webtest.WaitFor(t, "a second failed poll", func() bool { return len(svc.Requests()) >= failedFrom+2 })
			st := webtest.APIJSON(t, c, token, "GET", path, nil, http.StatusOK)["polling"].(map[string]any)["last"].(map[string]any)
			if st["lastStatus"] != "failed" || !strings.Contains(fmt.Sprint(st["lastError"]), "HTTP 500") {
				t.Fatalf("the flow shows its last poll as %v", st)
			}
			svc.Fail.Store(false)
			want = append(want, "five")
			webtest.WaitFor(t, "the ticket of the failed polls", ran)
			for _, since := range svc.Requests()[failedFrom:] {
				if since != "4" && since != "5" {
					t.Fatalf("after the failed polls the tracker was asked from %q", svc.Requests()[failedFrom:])
				}
			}

			// A poll that fails after it set its cursor (its Return cannot
			// read the tickets) keeps the old cursor too.
			svc.Garbled.Store(true)
			garbledFrom := len(svc.Requests())
			svc.Add("six")
			webtest.WaitFor(t, "a poll that cannot read the tickets", func() bool {
				last := polls(t, srv.Store, pf)
				return last[len(last)-1].ErrorCard == "return" && last[len(last)-1].Steps[4].Outputs["cursor"] == "6"
			})
			svc.Garbled.Store(false)
			want = append(want, "six")
			webtest.WaitFor(t, "the ticket of the poll that could not read it", ran)
			if asked := svc.Requests()[garbledFrom:]; asked[0] != "5" || asked[1] != "5" {
				t.Fatalf("after the poll that failed, the tracker was asked from %q", asked)
			}

			// A cursor over 10 KB fails the poll clearly and keeps the old one.
			svc.Big.Store(true)
			svc.Add("seven")
			webtest.WaitFor(t, "a poll with a cursor too large", func() bool {
				last := polls(t, srv.Store, pf)
				return strings.Contains(last[len(last)-1].Error, "the cursor is too large: it is 11264 bytes and holds at most 10240 (10 KB)")
			})
			svc.Big.Store(false)
			want = append(want, "seven")
			webtest.WaitFor(t, "the ticket after the cursor too large", ran)

			// OFF: no more polls.
			off := webtest.APIJSON(t, c, token, "POST", path+"/off", nil, http.StatusOK)
			if off["state"].(map[string]any)["on"] != false {
				t.Fatalf("after OFF: %v", off["state"])
			}
			time.Sleep(300 * time.Millisecond)
			n := len(svc.Requests())
			svc.Add("eight")
			time.Sleep(2500 * time.Millisecond)
			if len(svc.Requests()) != n || !ran() {
				t.Fatalf("after OFF: %d more polls, the flow ran for %v", len(svc.Requests())-n, titles(t, ticketRuns(t, srv.Store, pf)))
			}
		})
	}
}

// TestPollingRunModes polls the same tickets in each run mode: each
// record starts a run; a list of records starts one with the list, only
// when there are some; every time starts one each poll, even with none;
// no new data starts one only for a poll that found none.
func TestPollingRunModes(t *testing.T) {
	svc := webtest.NewTracker(t)
	svc.Add("one", "two")
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	token, c := srv.Token(t), srv.NewClient()
	modes := []flows.RunMode{flows.RunEach, flows.RunList, flows.RunEveryTime, flows.RunNoNewData}
	fs := webtest.TrackerSetup(t, srv, svc, token, modes...)
	for _, f := range fs {
		webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", f.ID), nil, http.StatusOK)
	}
	webtest.WaitFor(t, "three polls of each flow", func() bool {
		return !slices.ContainsFunc(fs, func(f webtest.TrackerFlow) bool { return len(polls(t, srv.Store, f)) < 3 })
	})
	for _, f := range fs {
		webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/off", f.ID), nil, http.StatusOK)
	}
	time.Sleep(500 * time.Millisecond)
	count := func(runs []*flows.Execution) []int {
		var out []int
		for _, e := range runs {
			if e.Status != flows.StatusSucceeded {
				t.Fatalf("run %s: %s %q", e.ID, e.Status, e.Error)
			}
			list, ok := e.Input["records"].([]any)
			if !ok {
				t.Fatalf("run %s got the records %v", e.ID, e.Input["records"])
			}
			out = append(out, len(list))
		}
		return out
	}
	for i, m := range modes {
		t.Run(string(m), func(t *testing.T) {
			ps, runs := polls(t, srv.Store, fs[i]), ticketRuns(t, srv.Store, fs[i])
			for _, p := range ps {
				if p.Status != flows.StatusSucceeded {
					t.Fatalf("poll %s: %s %q", p.ID, p.Status, p.Error)
				}
			}
			switch m {
			case flows.RunEach:
				if got := titles(t, runs); !slices.Equal(got, []string{"one", "two"}) {
					t.Fatalf("%d polls ran %v", len(ps), got)
				}
			case flows.RunList:
				if got := count(runs); !slices.Equal(got, []int{2}) {
					t.Fatalf("%d polls ran with %v records", len(ps), got)
				}
			case flows.RunEveryTime:
				if got := count(runs); len(got) != len(ps) || got[0] != 2 || slices.ContainsFunc(got[1:], func(n int) bool { return n != 0 }) {
					t.Fatalf("%d polls ran with %v records", len(ps), got)
				}
			case flows.RunNoNewData:
				if got := count(runs); len(got) != len(ps)-1 || slices.ContainsFunc(got, func(n int) bool { return n != 0 }) {
					t.Fatalf("%d polls ran with %v records", len(ps), got)
				}
			}
			for _, r := range runs {
				if !slices.ContainsFunc(ps, func(p *flows.Execution) bool { return p.ID == r.ParentID }) {
					t.Fatalf("run %s has no poll as its parent (%q)", r.ID, r.ParentID)
				}
			}
		})
	}
}

// TestPollsNeverOverlap polls a tracker that answers in 2.5 s every
// second: a tick that comes while the poll before still goes on is
// skipped, so the tracker never has two requests at once and a poll is
// made about every 3 seconds, none piled up.
func TestPollsNeverOverlap(t *testing.T) {
	svc := webtest.NewTracker(t)
	svc.Add("one")
	svc.Slow.Store(2500)
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	token := srv.Token(t)
	pf := webtest.TrackerSetup(t, srv, svc, token, flows.RunEach)[0]
	webtest.APIJSON(t, srv.NewClient(), token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", pf.ID), nil, http.StatusOK)
	began := time.Now()
	webtest.WaitFor(t, "three polls", func() bool { return len(polls(t, srv.Store, pf)) >= 3 })
	webtest.APIJSON(t, srv.NewClient(), token, "POST", fmt.Sprintf("/api/v1/flows/%d/off", pf.ID), nil, http.StatusOK)
	took := time.Since(began)
	if most := svc.Most.Load(); most != 1 {
		t.Fatalf("the tracker had %d requests at once", most)
	}
	if took < 6*time.Second {
		t.Fatalf("three polls of 2.5 s took %s: they overlapped", took)
	}
	time.Sleep(3 * time.Second) // the poll going on at OFF ends
	if got := titles(t, ticketRuns(t, srv.Store, pf)); !slices.Equal(got, []string{"one"}) {
		t.Fatalf("the flow ran for %v", got)
	}
}

// TestPollingOnRefusals: a flow asking to poll more often than the server
// allows, or without a required option, stays OFF with words that say why;
// a connector whose Polling Event flow has no Return card is refused.
func TestPollingOnRefusals(t *testing.T) {
	svc := webtest.NewTracker(t)
	srv := webtest.StartWith(t, webtest.Options{MinPollInterval: time.Minute})
	token, c := srv.Token(t), srv.NewClient()
	pf := webtest.TrackerSetup(t, srv, svc, token, flows.RunEach)[0]
	path := fmt.Sprintf("/api/v1/flows/%d", pf.ID)
	code, body := c.API(t, token, "POST", path+"/on", "")
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "this server polls at most once every minute") {
		t.Fatalf("ON at 1s: %d %s", code, body)
	}
	if st := webtest.APIJSON(t, c, token, "GET", path, nil, http.StatusOK); st["state"].(map[string]any)["on"] != false ||
		!strings.Contains(fmt.Sprint(st["polling"]), "this server polls at most once every minute") {
		t.Fatalf("after the refused ON: %v", st)
	}

	f, err := srv.Store.Flow(context.Background(), pf.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.Definition.Event.Bindings = map[string]flows.Binding{flows.FieldPollInterval: {Value: "2m"}}
	if _, err := srv.Store.UpdateFlow(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if code, body := c.API(t, token, "POST", path+"/on", ""); code != http.StatusUnprocessableEntity || !strings.Contains(body, `option \"Project\" is required`) {
		t.Fatalf("ON without the project: %d %s", code, body)
	}

	bad := webtest.TrackerPoll("No return", flows.RunEach)
	bad.Cards = bad.Cards[:len(bad.Cards)-1]
	doc, _ := flows.MarshalConnector(flows.ConnectorExport{Schema: flows.SchemaVersion, Connector: flows.ConnectorInfo{Name: "Broken", Auth: flows.AuthDefinition{Kind: flows.AuthNone}},
		Flows: []flows.ExportedFlow{{Key: "1", Definition: bad}}})
	code, body = c.API(t, token, "POST", "/api/v1/connectors/import", string(doc))
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `flow \"No return\": a Polling Event flow ends in a Return card`) {
		t.Fatalf("import without a Return: %d %s", code, body)
	}
}

// TestPollingFlowUpgradesWhileOn moves a flow that polls to the
// connector's next version while it is ON: its subscription moves with it,
// keeps its cursor, and polls on from it with the new version's flow.
func TestPollingFlowUpgradesWhileOn(t *testing.T) {
	svc := webtest.NewTracker(t)
	svc.Add("one")
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	token, c := srv.Token(t), srv.SignedIn(t)
	pf := webtest.TrackerSetup(t, srv, svc, token, flows.RunEach)[0]
	webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", pf.ID), nil, http.StatusOK)
	webtest.WaitFor(t, "the first ticket", func() bool { return len(ticketRuns(t, srv.Store, pf)) == 1 })
	f, _ := srv.Store.Flow(context.Background(), pf.ID)
	webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/connectors/%d/deploy", f.Definition.Source.Connector), nil, http.StatusCreated)
	res, _ := webtest.PostConnectorForm(t, c, fmt.Sprintf("/flows/%d/upgrade", pf.ID), webtest.UpgradeForm(f.Definition.Source.Connector, 2, f.Revision))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("upgrade: %d", res.StatusCode)
	}
	up, _ := srv.Store.Flow(context.Background(), pf.ID)
	sub, err := srv.Store.LiveSubscription(context.Background(), pf.ID)
	if err != nil || up.Definition.Source.Version != 2 || sub.Source.Version != 2 || sub.State != flows.SubscriptionActive {
		t.Fatalf("after the upgrade: flow on version %d, subscription %+v, %v", up.Definition.Source.Version, sub, err)
	}
	from := len(svc.Requests())
	svc.Add("two")
	webtest.WaitFor(t, "the ticket after the upgrade", func() bool { return len(ticketRuns(t, srv.Store, pf)) == 2 })
	if asked := svc.Requests()[from]; asked != "1" {
		t.Fatalf("after the upgrade the tracker was asked from %q", asked)
	}
	if got := titles(t, ticketRuns(t, srv.Store, pf)); !slices.Equal(got, []string{"one", "two"}) {
		t.Fatalf("the flow ran for %v", got)
	}
}
