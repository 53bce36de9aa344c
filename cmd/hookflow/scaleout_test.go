package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// TestScaleOutRollingRestart runs two Hookflow processes on one Postgres,
// as behind a load balancer, and drives both at once: payloads at a
// flow's Event URL, API runs of a flow, rows added to a table, and a flow
// scheduled every second. Meanwhile it runs hookflow migrate and restarts
// the instances one at a time (SIGTERM, then a new process on the same
// address), as a rolling upgrade does. Afterwards every acknowledged
// payload ran exactly once, every acknowledged API run and row is stored
// exactly once, every tick of the schedule ran once with no gap, no
// payload's or tick's job had to run twice (a SIGTERM lets the jobs in
// flight finish), and an admin signed in on one instance stayed signed in
// on the other and across the restarts (no sticky sessions).
func TestScaleOutRollingRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("two processes: not in -short")
	}
	ctx := context.Background()
	dbURL := storetest.PostgresURL(t)
	token := apiToken(t, store.Config{DatabaseURL: dbURL})
	shared := []string{"HOOKFLOW_DATABASE_URL=" + dbURL, "HOOKFLOW_LOG_LEVEL=warn",
		"HOOKFLOW_SESSION_SECRET=" + strings.Repeat("s", 40), "HOOKFLOW_ENCRYPTION_KEY=" + strings.Repeat("e", 40)}
	envs := [][]string{
		slices.Concat(shared, []string{"HOOKFLOW_DATA_DIR=" + t.TempDir()}),
		slices.Concat(shared, []string{"HOOKFLOW_DATA_DIR=" + t.TempDir()}),
	}
	insts := []*started{startServer(t, envs[0]...), startServer(t, envs[1]...)}
	urls := []string{insts[0].url, insts[1].url}
	logs := func() string { return insts[0].stderr.String() + insts[1].stderr.String() }

	// A session made on one instance is good on the other.
	browser := signIn(t, urls[0], "ops@example.com", "a long enough password")
	signedIn(t, browser, urls[1])

	w := scaleWorkload(t, urls[0], token)
	api(t, urls[0], token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", w.scheduled), nil, 200)
	load := startScaleLoad(urls, token, w)

	time.Sleep(2 * time.Second)
	// As before an upgrade: migrate beside the serving instances.
	if out, errOut, code := hookflow(t, envs[0], "migrate"); code != 0 {
		t.Fatalf("hookflow migrate beside two serving instances: exit %d\n%s%s", code, out, errOut)
	}
	var lastStop time.Time
	for _, i := range []int{1, 0} {
		lastStop = time.Now()
		t.Logf("%s: SIGTERM to instance %d", lastStop.Format(time.StampMilli), i)
		stopGracefully(t, insts[i])
		t.Logf("%s: instance %d stopped", time.Now().Format(time.StampMilli), i)
		insts[i] = startServerAt(t, strings.TrimPrefix(urls[i], "http://"), envs[i]...)
		signedIn(t, browser, urls[i])
		time.Sleep(3 * time.Second)
	}
	time.Sleep(time.Second)
	load.stop()
	api(t, urls[1], token, "POST", fmt.Sprintf("/api/v1/flows/%d/off", w.scheduled), nil, 200)
	off := time.Now()
	t.Logf("acknowledged: %d payloads, %d API runs, %d rows", len(load.hooks), len(load.runs), len(load.rows))
	if len(load.hooks) < 100 || len(load.runs) < 20 || len(load.rows) < 20 {
		t.Fatalf("too little was acknowledged under load: %d payloads, %d API runs, %d rows\n%s", len(load.hooks), len(load.runs), len(load.rows), logs())
	}

	reader, err := store.Open(ctx, store.Config{DatabaseURL: dbURL, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	checkOnce(t, "payload", load.hooks, func() map[int64][]string { return runsByN(t, reader, w.hooked, flows.TriggerPayload) })
	checkOnce(t, "API run", load.runs, func() map[int64][]string { return runsByN(t, reader, w.manual, flows.TriggerAPI) })
	checkOnce(t, "row", load.rows, func() map[int64][]string { return rowsByN(t, urls[0], token, w.table) })
	checkTicks(t, reader, w.scheduled, lastStop, off)
	checkJobsRanOnce(t, dbURL)
}

// checkJobsRanOnce fails when a payload's or a tick's job failed or ran
// more than once: a SIGTERM lets the jobs in flight on its instance end
// there, rather than cutting them short to run again elsewhere.
func checkJobsRanOnce(t *testing.T, dbURL string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT id, kind, state, attempt, COALESCE(errors::text, '') FROM river_job "+
		"WHERE kind IN ('delivery', 'schedule_tick') AND (attempt > 1 OR errors IS NOT NULL) ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var kind, state, errs string
		var attempt int
		if err := rows.Scan(&id, &kind, &state, &attempt, &errs); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s job %d: %s after %d attempts: %.300s", kind, id, state, attempt, errs)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// scaleFlows are what the load drives: a flow on an Event URL (hooked,
// at hook), a flow run by the API (manual), a table and a flow scheduled
// every second.
type scaleFlows struct {
	hooked, manual, table, scheduled int64
	hook                             string
}

func scaleWorkload(t *testing.T, base, token string) scaleFlows {
	t.Helper()
	var w scaleFlows
	// Each run waits a little, so that runs are in flight at every SIGTERM.
	wait := func(seconds float64) flows.Node {
		return flows.Node{ID: "wait", Type: flows.ControlWaitFor, Bindings: map[string]flows.Binding{"amount": {Value: seconds}}}
	}
	w.hooked, w.hook = numbersFlow(t, base, token, wait(0.3))
	manual, _ := flows.NewDefinition(flows.KindWorkspace, "Run by the API")
	manual.Event = flows.Node{ID: "event", Type: flows.EventManual, Outputs: []flows.Field{{Key: "n", Type: flows.TypeNumber}}}
	manual.Cards = []flows.Node{wait(0.1)}
	doc, _ := flows.MarshalDefinition(manual)
	w.manual = int64(api(t, base, token, "POST", "/api/v1/flows", doc, 201)["id"].(float64))
	w.table = int64(api(t, base, token, "POST", "/api/v1/tables",
		[]byte(`{"name": "Scale", "columns": [{"name": "n", "type": "number"}]}`), 201)["id"].(float64))
	every, _ := flows.NewDefinition(flows.KindWorkspace, "Every second")
	every.Event = flows.NewScheduleEvent()
	every.Event.Bindings[flows.FieldScheduleEvery] = flows.Binding{Value: "1s"}
	// Longer than the interval: ticks are in flight on both instances.
	every.Cards = []flows.Node{wait(2.5)}
	doc, _ = flows.MarshalDefinition(every)
	w.scheduled = int64(api(t, base, token, "POST", "/api/v1/flows", doc, 201)["id"].(float64))
	return w
}

// scaleLoad posts to both instances, in turn, until stopped, and keeps
// the numbers each instance acknowledged (with the API runs' execution ids).
type scaleLoad struct {
	stop              func()
	hooks, runs, rows map[int64]string
}

func startScaleLoad(urls []string, token string, w scaleFlows) *scaleLoad {
	// Stopping lets the requests in flight end: a caller that hangs up
	// cancels its API run.
	var stopping atomic.Bool
	l := &scaleLoad{hooks: map[int64]string{}, runs: map[int64]string{}, rows: map[int64]string{}}
	var mu sync.Mutex
	var next atomic.Int64
	client := &http.Client{Timeout: 20 * time.Second}
	// post sends n's body to path on one of the instances, and keeps n in
	// acked when it answers want.
	post := func(acked map[int64]string, path, body string, n int64, want int, auth bool) {
		req, _ := http.NewRequest("POST", urls[n%2]+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := client.Do(req)
		if err != nil {
			time.Sleep(20 * time.Millisecond) // the instance is restarting
			return
		}
		defer res.Body.Close()
		var answer struct {
			ID any `json:"id"`
		}
		json.NewDecoder(res.Body).Decode(&answer)
		if res.StatusCode == want {
			id := "" // an Event URL answers with no body
			if answer.ID != nil {
				id = fmt.Sprint(answer.ID)
			}
			mu.Lock()
			acked[n] = id
			mu.Unlock()
		}
	}
	var wg sync.WaitGroup
	loop := func(pause time.Duration, each func(n int64)) {
		wg.Go(func() {
			for !stopping.Load() {
				each(next.Add(1))
				time.Sleep(pause)
			}
		})
	}
	for range 3 {
		loop(10*time.Millisecond, func(n int64) { post(l.hooks, w.hook, fmt.Sprintf(`{"n": %d}`, n), n, 202, false) })
	}
	loop(20*time.Millisecond, func(n int64) {
		post(l.runs, fmt.Sprintf("/api/v1/flows/%d/runs", w.manual), fmt.Sprintf(`{"input": {"n": %d}}`, n), n, 200, true)
	})
	loop(20*time.Millisecond, func(n int64) {
		post(l.rows, fmt.Sprintf("/api/v1/tables/%d/rows", w.table), fmt.Sprintf(`{"n": %d}`, n), n, 201, true)
	})
	l.stop = func() { stopping.Store(true); wg.Wait() }
	return l
}

// stopGracefully sends SIGTERM and waits for the process to exit 0: every
// request and job it had drained in time.
func stopGracefully(t *testing.T, s *started) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("SIGTERM under load: %v\n%s", err, s.stderr.String())
		}
	case <-time.After(45 * time.Second):
		t.Fatalf("still running 45 s after SIGTERM:\n%s", s.stderr.String())
	}
}

// checkOnce waits up to 60 s until every acknowledged n is stored, then
// fails if one is missing, stored twice (or more), or stored under an id
// other than the one it was acknowledged with.
func checkOnce(t *testing.T, what string, acked map[int64]string, stored func() map[int64][]string) {
	t.Helper()
	var got map[int64][]string
	var lost []int64
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		got, lost = stored(), nil
		for n := range acked {
			if len(got[n]) == 0 {
				lost = append(lost, n)
			}
		}
		if len(lost) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d acknowledged %ss not stored within 60 s, e.g. %d", len(lost), len(acked), what, lost[0])
	}
	for n, ids := range got {
		if len(ids) > 1 {
			t.Errorf("%s %d stored %d times: %v", what, n, len(ids), ids)
		} else if id, ok := acked[n]; ok && id != "" && id != ids[0] {
			t.Errorf("%s %d acknowledged as %s, stored as %s", what, n, id, ids[0])
		}
	}
}

// runsByN maps each n a flow's runs of trigger got to the runs' ids.
func runsByN(t *testing.T, reader *store.Store, flowID int64, trigger flows.Trigger) map[int64][]string {
	t.Helper()
	seen := map[int64][]string{}
	err := reader.EachExecution(context.Background(), store.ExecutionFilter{FlowID: flowID, Trigger: trigger}, func(e *flows.Execution) error {
		if n, ok := e.Input["n"].(float64); ok {
			if e.Status != flows.StatusSucceeded {
				t.Errorf("run %s of %v: %s %q (%s to %s)", e.ID, n, e.Status, e.Error, e.StartedAt.Format(time.StampMilli), e.FinishedAt.Format(time.StampMilli))
			}
			seen[int64(n)] = append(seen[int64(n)], e.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return seen
}

// rowsByN maps each n of the table's rows to the rows' ids, read page by
// page through the API.
func rowsByN(t *testing.T, base, token string, table int64) map[int64][]string {
	t.Helper()
	seen := map[int64][]string{}
	cursor := ""
	for {
		page := api(t, base, token, "GET", fmt.Sprintf("/api/v1/tables/%d/rows?limit=1000&cursor=%s", table, url.QueryEscape(cursor)), nil, 200)
		for _, r := range page["rows"].([]any) {
			row := r.(map[string]any)
			n := int64(row["n"].(float64))
			seen[n] = append(seen[n], fmt.Sprint(row["id"]))
		}
		next, ok := page["next"].(string)
		if !ok || next == "" {
			return seen
		}
		cursor = next
	}
}

// checkTicks checks the schedule's runs, once none is running any more:
// each stands for its tick and the missed ones before it; no tick may be
// covered twice or left out, none may be after OFF, and the schedule went
// on after the last SIGTERM (lastStop).
func checkTicks(t *testing.T, reader *store.Store, flowID int64, lastStop, off time.Time) {
	t.Helper()
	var runs []*flows.Execution
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		runs = nil
		running := false
		err := reader.EachExecution(context.Background(), store.ExecutionFilter{FlowID: flowID, Trigger: flows.TriggerSchedule}, func(e *flows.Execution) error {
			runs = append(runs, e)
			running = running || e.Status == flows.StatusRunning
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !running || time.Now().After(deadline) {
			break
		}
	}
	covered := map[int64]string{}
	for _, e := range runs {
		due, err := time.Parse(time.RFC3339, fmt.Sprint(e.Input[flows.FieldScheduledAt]))
		if err != nil {
			t.Fatal(err)
		}
		if e.Status != flows.StatusSucceeded || due.After(off) {
			t.Errorf("run %s: %s %q, for the tick of %s (OFF at %s)", e.ID, e.Status, e.Error, due, off)
		}
		missed, _ := e.Input[flows.FieldMissed].(float64)
		for tick := due.Unix() - int64(missed); tick <= due.Unix(); tick++ {
			if other, ok := covered[tick]; ok {
				t.Errorf("the tick of %s ran twice: in %s and %s", time.Unix(tick, 0).UTC(), other, e.ID)
			}
			covered[tick] = e.ID
		}
	}
	ticks := make([]int64, 0, len(covered))
	for tick := range covered {
		ticks = append(ticks, tick)
	}
	slices.Sort(ticks)
	if len(ticks) < 10 {
		t.Fatalf("%d ticks ran while the schedule was ON for over 10 s", len(ticks))
	}
	first, last := ticks[0], ticks[len(ticks)-1]
	if int64(len(ticks)) != last-first+1 {
		t.Errorf("%d ticks ran from %s to %s: some were left out", len(ticks), time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC())
	}
	if last < lastStop.Unix() {
		t.Errorf("the last tick run was %s, before the last SIGTERM (%s): the schedule stopped", time.Unix(last, 0).UTC(), lastStop.UTC())
	}
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signIn signs in through the sign-in form at base and returns a client
// holding the session's cookies (a cookie is sent to every port of a host).
func signIn(t *testing.T, base, email, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the sign-in page:\n%s", page)
	}
	res, err = c.PostForm(base+"/login", url.Values{"_csrf": {string(m[1])}, "email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in at %s: %d", base, res.StatusCode)
	}
	return c
}

// signedIn fails unless c's session opens the Flows page at base.
func signedIn(t *testing.T, c *http.Client, base string) {
	t.Helper()
	res, err := c.Get(base + "/flows")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/flows with a session made on another instance: %d (location %q)", base, res.StatusCode, res.Header.Get("Location"))
	}
}
