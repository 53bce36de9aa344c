package browser_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

// tickOf reads a schedule run's tick and missed ticks from its input.
func tickOf(t *testing.T, e *flows.Execution) (time.Time, float64) {
	t.Helper()
	s, _ := e.Input[flows.FieldScheduledAt].(string)
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("run %s: scheduledAt %v: %v", e.ID, e.Input[flows.FieldScheduledAt], err)
	}
	missed, _ := e.Input[flows.FieldMissed].(float64)
	return at, missed
}

// checkTicks fails unless the runs are one per tick, each a second after
// the one before (none run twice, none skipped), run on time.
func checkTicks(t *testing.T, runs []*flows.Execution) {
	t.Helper()
	var prev time.Time
	for i, e := range runs {
		at, missed := tickOf(t, e)
		if e.Status != flows.StatusSucceeded || e.Trigger != flows.TriggerSchedule || missed != 0 {
			t.Fatalf("run %d: %s %s %q, missed %v", i, e.Trigger, e.Status, e.Error, missed)
		}
		if late := e.StartedAt.Sub(at); late < 0 || late > 900*time.Millisecond {
			t.Fatalf("run %d for %s started %s after its tick", i, at, late)
		}
		if i > 0 && !at.Equal(prev.Add(time.Second)) {
			t.Fatalf("run %d is for %s, the one before for %s: a tick was doubled or skipped", i, at, prev)
		}
		prev = at
	}
}

// TestScheduleRunsEverySecondUntilOff turns ON a flow scheduled every
// second, on SQLite and on Postgres: it runs once per tick, on time, with
// the tick in its outputs, until it is turned OFF; no tick after OFF runs.
func TestScheduleRunsEverySecondUntilOff(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			srv := webtest.StartWith(t, webtest.Options{DatabaseURL: db.URL(t), StartQueue: true})
			token, c := srv.Token(t), srv.NewClient()
			id := webtest.ScheduledFlow(t, c, token, map[string]string{"mode": "interval", "every": "1s"})
			path := fmt.Sprintf("/api/v1/flows/%d", id)

			on := webtest.APIJSON(t, c, token, "POST", path+"/on", nil, http.StatusOK)
			if st := on["state"].(map[string]any); st["on"] != true || st["eventUrl"] != nil {
				t.Fatalf("after ON: state %v", st)
			}
			began := time.Now()
			time.Sleep(4500 * time.Millisecond)
			webtest.APIJSON(t, c, token, "POST", path+"/off", nil, http.StatusOK)
			off := time.Now()
			secs := off.Sub(began).Seconds()
			time.Sleep(2 * time.Second)
			// No tick after OFF runs; one whose time came before may end after it.
			runs := webtest.ScheduleRuns(t, srv.Store, id)
			for _, e := range runs {
				if at, _ := tickOf(t, e); at.After(off) {
					t.Fatalf("the tick of %s ran after OFF at %s", at, off)
				}
			}
			if n := float64(len(runs)); n < secs-1.5 || n > secs+0.5 {
				t.Fatalf("%d runs in %.1f s of a schedule of every second", len(runs), secs)
			}
			checkTicks(t, runs)
			if out := runs[0].Steps[1].Outputs["output"]; !strings.HasPrefix(fmt.Sprint(out), "tick 20") {
				t.Fatalf("the card saw the tick as %v", out)
			}
			// The history shows it as a schedule run for its tick.
			tick, _ := tickOf(t, runs[0])
			page := webtest.ParseHTML(t, pageBody(t, srv, "/executions/"+runs[0].ID))
			if got, _ := page.Find(`[data-testid="execution-tick"] time`).Attr("datetime"); got != tick.UTC().Format(time.RFC3339Nano) ||
				!strings.Contains(page.Find("p.muted").First().Text(), "schedule") {
				t.Fatalf("the execution's page shows the tick %q (want %s)", got, tick)
			}

		})
	}
}

// TestMissedTicksRunOnceAfterRestart stops a server while its flow is ON
// every second and starts it again four seconds later, on SQLite and on
// Postgres: the ticks missed meanwhile run once, as the latest of them
// with the count of those before, and the schedule goes on each second.
func TestMissedTicksRunOnceAfterRestart(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			srv := webtest.StartWith(t, webtest.Options{DatabaseURL: db.URL(t), StartQueue: true})
			token := srv.Token(t)
			id := webtest.ScheduledFlow(t, srv.NewClient(), token, map[string]string{"every": "1s"})
			webtest.APIJSON(t, srv.NewClient(), token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", id), nil, http.StatusOK)
			webtest.WaitFor(t, "two runs", func() bool { return len(webtest.ScheduleRuns(t, srv.Store, id)) >= 2 })
			srv.Stop()
			stopped := time.Now()
			time.Sleep(4 * time.Second)
			srv = srv.Restart(t)
			restarted := time.Now()
			var before, after []*flows.Execution
			split := func() {
				before, after = nil, nil
				for _, e := range webtest.ScheduleRuns(t, srv.Store, id) {
					if e.StartedAt.Before(stopped) {
						before = append(before, e)
					} else {
						after = append(after, e)
					}
				}
			}
			// However long the restart takes on a busy machine: the catch-up
			// run and the next tick's, then a little more to see a burst.
			webtest.WaitFor(t, "two runs after the restart", func() bool { split(); return len(after) >= 2 })
			time.Sleep(500 * time.Millisecond)
			split()
			checkTicks(t, before)
			if most := int(time.Since(restarted)/time.Second) + 2; len(after) > most {
				t.Fatalf("%d runs in the %s after the restart: a burst", len(after), time.Since(restarted).Round(time.Millisecond))
			}
			first, missed := tickOf(t, after[0])
			last, _ := tickOf(t, before[len(before)-1])
			if missed < 2 || !first.Equal(last.Add(time.Duration(missed+1)*time.Second)) || first.After(restarted) {
				t.Fatalf("the first run after the restart is for %s with %v missed; the last before was for %s, the restart at %s",
					first, missed, last, restarted)
			}
			if burst := after[1].StartedAt.Sub(after[0].StartedAt); burst < 300*time.Millisecond {
				t.Fatalf("the second run after the restart came %s after the first: a burst", burst)
			}
			checkTicks(t, after[1:])
		})
	}
}

// TestSavingTheScheduleReschedules changes the schedule of a flow that is
// ON from every hour to every second on the canvas: it runs each second at
// once, without waiting for the hour's tick queued before.
func TestSavingTheScheduleReschedules(t *testing.T) {
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	token, c := srv.Token(t), srv.SignedIn(t)
	id := webtest.ScheduledFlow(t, c, token, map[string]string{"mode": "interval", "every": "1h"})
	webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", id), nil, http.StatusOK)
	f, err := srv.Store.Flow(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/flows/%d", id)
	res := c.PostForm(t, path+"/edit", url.Values{"_csrf": {c.CSRF(t, path)}, "revision": {fmt.Sprint(f.Revision)},
		"op": {"bind"}, "card": {"event"}, "field": {"every"}, "value": {"1s"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save the schedule: status %d", res.StatusCode)
	}
	webtest.WaitFor(t, "two runs", func() bool { return len(webtest.ScheduleRuns(t, srv.Store, id)) >= 2 })
	checkTicks(t, webtest.ScheduleRuns(t, srv.Store, id))
}

// TestScheduledFlowAPI: the API refuses a schedule that is not valid with
// the field that is wrong, shows a valid one in words with its next runs,
// turns it ON once (with no Event URL) and refuses to turn ON one that
// has ended; the flow's page shows the fields of its mode and the schedule.
func TestScheduledFlowAPI(t *testing.T) {
	srv := webtest.Start(t)
	token, c := srv.Token(t), srv.NewClient()
	doc := func(settings map[string]string) string {
		def, _ := flows.NewDefinition(flows.KindWorkspace, "Scheduled")
		def.Event = flows.Node{ID: "event", Type: flows.EventSchedule, Bindings: map[string]flows.Binding{}}
		for k, v := range settings {
			def.Event.Bindings[k] = flows.Binding{Value: v}
		}
		b, _ := flows.MarshalDefinition(def)
		return string(b)
	}
	bad := webtest.APIJSON(t, c, token, "POST", "/api/v1/flows", doc(map[string]string{"mode": "cron", "expression": "0 9 * * 1-5", "timezone": "Mars/Olympus"}), http.StatusUnprocessableEntity)
	problems := bad["error"].(map[string]any)["problems"].([]any)
	if p := problems[0].(map[string]any); len(problems) != 1 || p["card"] != "event" || p["field"] != "timezone" || !strings.Contains(p["message"].(string), "Mars/Olympus") {
		t.Fatalf("problems %v", problems)
	}

	id := webtest.ScheduledFlow(t, c, token, map[string]string{"mode": "cron", "expression": "0 9 * * 1-5", "timezone": "Europe/Paris"})
	path := fmt.Sprintf("/api/v1/flows/%d", id)
	got := webtest.APIJSON(t, c, token, "GET", path, nil, http.StatusOK)
	sched := got["schedule"].(map[string]any)
	runs := sched["nextRuns"].([]any)
	if sched["description"] != "At 09:00 on Monday through Friday (Europe/Paris)" || len(runs) != 5 ||
		sched["spec"].(map[string]any)["timezone"] != "Europe/Paris" || got["state"].(map[string]any)["on"] != false {
		t.Fatalf("GET %s: %v", path, got)
	}
	for _, r := range runs {
		at, err := time.Parse(time.RFC3339, r.(string))
		if err != nil || at.Format("15:04") != "09:00" || at.Weekday() == time.Saturday || at.Weekday() == time.Sunday {
			t.Fatalf("next run %v is not 09:00 on a weekday in Paris", r)
		}
	}
	on := webtest.APIJSON(t, c, token, "POST", path+"/on", nil, http.StatusOK)
	if st := on["state"].(map[string]any); st["on"] != true || st["subscription"] != "active" || st["eventUrl"] != nil {
		t.Fatalf("after ON: %v", st)
	}
	webtest.APIJSON(t, c, token, "POST", path+"/on", nil, http.StatusConflict)

	ended := webtest.ScheduledFlow(t, c, token, map[string]string{"every": "1h", "end": "2020-01-01"})
	webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", ended), nil, http.StatusUnprocessableEntity)

	// The page: cron mode shows the expression, not Every; the schedule in words.
	page := webtest.ParseHTML(t, pageBody(t, srv, fmt.Sprintf("/flows/%d", id)))
	if page.Find(`[data-testid="in-event-expression"]`).Length() != 1 || page.Find(`[data-testid="in-event-every"]`).Length() != 0 ||
		page.Find(`[data-testid="schedule-words"]`).Text() != "At 09:00 on Monday through Friday (Europe/Paris)" ||
		page.Find(`[data-testid="schedule-next-run"]`).Length() != 5 || page.Find(`[data-testid="turn-off"]`).Length() != 1 ||
		page.Find(`[data-testid="event-url"]`).Length() != 0 {
		t.Fatal("the scheduled flow's page lacks its fields, schedule or controls")
	}
	endedPage := webtest.ParseHTML(t, pageBody(t, srv, fmt.Sprintf("/flows/%d", ended)))
	if endedPage.Find(`[data-testid="schedule-ended"]`).Length() != 1 || endedPage.Find(`[data-testid="in-event-expression"]`).Length() != 0 {
		t.Fatal("the ended flow's page does not say it ended")
	}
}

func pageBody(t *testing.T, srv *webtest.Server, path string) string {
	t.Helper()
	res, body := srv.SignedIn(t).Get(t, path)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, res.StatusCode)
	}
	return body
}
