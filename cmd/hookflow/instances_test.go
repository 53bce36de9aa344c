package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// numbersFlow deploys a connector whose Webhook Event returns the body's n
// (registered by hand) and turns ON a flow on it with cards; it returns the
// flow's id and the Event URL's path.
func numbersFlow(t *testing.T, base, token string, cards ...flows.Node) (int64, string) {
	t.Helper()
	return numbersFlowNamed(t, base, token, "Numbers", "Count", cards...)
}

// numbersFlowNamed is numbersFlow with the connector's and the flow's
// names given, for a second such flow on one server.
func numbersFlowNamed(t *testing.T, base, token, connector, name string, cards ...flows.Node) (int64, string) {
	t.Helper()
	ev, _ := flows.NewDefinition(flows.KindWebhookEvent, "Numbers")
	ev.Cards = []flows.Node{{ID: "return", Type: flows.ControlReturn, Inputs: []flows.Field{{Key: "n", Type: flows.TypeNumber}},
		Bindings: map[string]flows.Binding{"n": {Ref: &flows.Ref{Card: "event", Field: "body", Path: "n"}}}}}
	ev.Webhook = &flows.WebhookSettings{RunMode: flows.RunSingle, ManualRegistration: true}
	x, _ := flows.MarshalConnector(flows.ConnectorExport{Schema: flows.SchemaVersion,
		Connector: flows.ConnectorInfo{Name: connector, Auth: flows.AuthDefinition{Kind: flows.AuthNone}},
		Flows:     []flows.ExportedFlow{{Key: "1", Definition: ev}}})
	conID := int64(api(t, base, token, "POST", "/api/v1/connectors/import", x, 201)["id"].(float64))
	api(t, base, token, "POST", fmt.Sprintf("/api/v1/connectors/%d/deploy", conID), nil, 201)
	var export flows.ConnectorExport
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/connectors/%d/export", base, conID), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if export, err = flows.ParseConnector(raw); err != nil {
		t.Fatal(err)
	}
	var key int64
	fmt.Sscan(export.FlowsOfKind(flows.KindWebhookEvent)[0].Key, &key)
	def, _ := flows.NewDefinition(flows.KindWorkspace, name)
	def.Event = flows.Node{ID: "event", Type: flows.EventConnector, Outputs: []flows.Field{{Key: "n", Type: flows.TypeNumber}}}
	def.Source = &flows.EventSource{Connector: conID, Version: 1, Flow: key}
	def.Cards = cards
	doc, _ := flows.MarshalDefinition(def)
	flowID := int64(api(t, base, token, "POST", "/api/v1/flows", doc, 201)["id"].(float64))
	hook := api(t, base, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", flowID), nil, 200)["state"].(map[string]any)["eventUrl"].(string)
	return flowID, hook[strings.Index(hook, "/hooks/"):]
}

// TestKilledInstanceRunsNothingTwice runs two Hookflow processes on one
// Postgres, posts payloads to both, and SIGKILLs one while its runs are
// in flight: within 60 s the survivor runs every payload either of them
// acknowledged, each exactly once, and no run of the killed one is left
// showing as running (a child it held waiting in memory is marked failed).
func TestKilledInstanceRunsNothingTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("two processes: not in -short")
	}
	ctx := context.Background()
	dbURL := storetest.PostgresURL(t)
	token := apiToken(t, store.Config{DatabaseURL: dbURL})
	shared := []string{"HOOKFLOW_DATABASE_URL=" + dbURL, "HOOKFLOW_LOG_LEVEL=warn",
		"HOOKFLOW_SESSION_SECRET=" + strings.Repeat("s", 40), "HOOKFLOW_ENCRYPTION_KEY=" + strings.Repeat("e", 40)}
	a := startServer(t, append(shared, "HOOKFLOW_DATA_DIR="+t.TempDir())...)
	b := startServer(t, append(shared, "HOOKFLOW_DATA_DIR="+t.TempDir(), "HOOKFLOW_DURABLE_WAIT=1h")...)
	// Each run waits a little, so that the killed instance has runs in flight.
	flowID, path := numbersFlow(t, a.url, token,
		flows.Node{ID: "wait", Type: flows.ControlWaitFor, Bindings: map[string]flows.Binding{"seconds": {Value: 0.3}}})
	// And one waits a minute in the memory of the one killed.
	child := startWaitingChild(t, b.url, token)

	const total = 1500
	var acked sync.Map
	var answered atomic.Int64
	next := atomic.Int64{}
	var killedAt time.Time
	var once sync.Once
	client := &http.Client{Timeout: 5 * time.Second}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > total {
					return
				}
				to := a.url
				if n%2 == 1 {
					to = b.url
				}
				res, err := client.Post(to+path, "application/json", strings.NewReader(fmt.Sprintf(`{"n":%d}`, n)))
				if err != nil {
					continue // the killed instance refuses
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode/100 == 2 {
					acked.Store(n, true)
				}
				if answered.Add(1) == 500 {
					once.Do(func() {
						b.cmd.Process.Signal(syscall.SIGKILL)
						killedAt = time.Now()
					})
				}
			}
		})
	}
	wg.Wait()
	b.cmd.Wait()
	var want []int64
	acked.Range(func(k, _ any) bool { want = append(want, k.(int64)); return true })

	reader, err := store.Open(ctx, store.Config{DatabaseURL: dbURL, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	runs := func() map[int64]int {
		seen := map[int64]int{}
		err := reader.EachExecution(ctx, store.ExecutionFilter{FlowID: flowID, Trigger: flows.TriggerPayload}, func(e *flows.Execution) error {
			if n, ok := e.Input["n"].(float64); ok && e.Status == flows.StatusSucceeded {
				seen[int64(n)]++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return seen
	}
	var seen map[int64]int
	lost := len(want)
	for deadline := killedAt.Add(60 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		seen, lost = runs(), 0
		for _, n := range want {
			if seen[n] == 0 {
				lost++
			}
		}
		if lost == 0 || time.Now().After(deadline) {
			break
		}
	}
	doubled := 0
	for _, c := range seen {
		if c > 1 {
			doubled++
		}
	}
	t.Logf("%d acknowledged, %d run, %d lost, %d doubled, all run %.1f s after the kill", len(want), len(seen), lost, doubled, time.Since(killedAt).Seconds())
	if len(want) < 500 || lost != 0 || doubled != 0 {
		t.Fatalf("%d acknowledged payloads not run within 60 s of the kill, %d run twice (of %d acknowledged)\n%s", lost, doubled, len(want), a.stderr.String())
	}
	if !strings.Contains(a.stderr.String(), "their running jobs run again") {
		t.Fatalf("the survivor did not take over the killed instance's jobs:\n%s", a.stderr.String())
	}
	// The runs the killed instance recorded as running were marked failed
	// when the survivor reaped it.
	var running []string
	for deadline := killedAt.Add(60 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		running = running[:0]
		err := reader.EachExecution(ctx, store.ExecutionFilter{Status: flows.StatusRunning}, func(e *flows.Execution) error {
			running = append(running, e.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(running) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(running) > 0 {
		t.Fatalf("%d executions still show as running 60 s after the kill: %v", len(running), running)
	}
	e, err := reader.Execution(ctx, child)
	if err != nil || e.Status != flows.StatusFailed || !strings.HasPrefix(e.Error, "the server stopped while this ran") || e.FinishedAt.IsZero() {
		t.Fatalf("the killed instance's waiting child: %+v, %v; want failed as the server stopped", e, err)
	}
}

// TestHookEachRunOnceOnTwoInstances runs two Hookflow processes on one
// Postgres with an event hook for execution.failed, and posts payloads to
// both: to a flow that fails at once and to one stored waiting at a Wait
// For (resumed by either instance) that then fails. The hook's receiver
// gets each run's event exactly once, and each delivery once: no eventId
// twice, no event in two deliveries.
func TestHookEachRunOnceOnTwoInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("two processes: not in -short")
	}
	ctx := context.Background()
	var mu sync.Mutex
	deliveries := map[string]int{} // eventId → times received
	events := map[string]int{}     // event uuid → times received
	runs := map[string]int{}       // the event's run → times received
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			fmt.Fprintf(w, `{"verification":%q}`, r.Header.Get(flows.HeaderVerification))
			return
		}
		var env flows.HookEnvelope
		if err := json.NewDecoder(r.Body).Decode(&env); err != nil {
			t.Errorf("a delivery's body: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if h := r.Header.Get(flows.HeaderHookEventID); h != env.EventID {
			t.Errorf("a delivery's %s header %q, its eventId %q", flows.HeaderHookEventID, h, env.EventID)
		}
		deliveries[env.EventID]++
		for _, raw := range env.Data.Events {
			var ev flows.HookEvent
			json.Unmarshal(raw, &ev)
			events[ev.UUID]++
			if ev.EventType == flows.EventExecutionFailed && len(ev.Target) > 0 {
				runs[ev.Target[0].ID]++
			}
		}
	}))
	defer recv.Close()

	dbURL := storetest.PostgresURL(t)
	token := apiToken(t, store.Config{DatabaseURL: dbURL})
	shared := []string{"HOOKFLOW_DATABASE_URL=" + dbURL, "HOOKFLOW_LOG_LEVEL=warn", "HOOKFLOW_DURABLE_WAIT=500ms",
		"HOOKFLOW_OUTBOUND_ALLOW=127.0.0.1", "HOOKFLOW_SESSION_SECRET=" + strings.Repeat("s", 40), "HOOKFLOW_ENCRYPTION_KEY=" + strings.Repeat("e", 40)}
	a := startServer(t, append(shared, "HOOKFLOW_DATA_DIR="+t.TempDir())...)
	b := startServer(t, append(shared, "HOOKFLOW_DATA_DIR="+t.TempDir())...)
	hook := api(t, a.url, token, "POST", "/api/v1/event-hooks",
		fmt.Appendf(nil, `{"name":"Failures","url":%q,"events":["execution.failed"]}`, recv.URL+"/hook"), 201)
	api(t, b.url, token, "POST", fmt.Sprintf("/api/v1/event-hooks/%d/verify", int64(hook["id"].(float64))), nil, 200)

	fail := flows.Node{ID: "fail", Type: flows.ControlReturnError, Bindings: map[string]flows.Binding{"message": {Value: "out of stock"}}}
	failing, failingPath := numbersFlowNamed(t, a.url, token, "Orders", "Fails", fail)
	waiting, waitingPath := numbersFlowNamed(t, b.url, token, "Refunds", "Waits, then fails",
		flows.Node{ID: "wait", Type: flows.ControlWaitFor, Bindings: map[string]flows.Binding{"amount": {Value: 1.0}, "unit": {Value: "seconds"}}}, fail)

	const each = 60 // payloads per flow
	client := &http.Client{Timeout: 5 * time.Second}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for n := next.Add(1); n <= 2*each; n = next.Add(1) {
				to, path := []string{a.url, b.url}[n%2], []string{failingPath, waitingPath}[(n/2)%2]
				res, err := client.Post(to+path, "application/json", strings.NewReader(fmt.Sprintf(`{"n":%d}`, n)))
				if err != nil {
					t.Errorf("payload %d: %v", n, err)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode/100 != 2 {
					t.Errorf("payload %d: %d", n, res.StatusCode)
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	reader, err := store.Open(ctx, store.Config{DatabaseURL: dbURL, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	failed := map[string]bool{} // the failed runs of both flows
	ended := func() bool {
		clear(failed)
		for _, flowID := range []int64{failing, waiting} {
			err := reader.EachExecution(ctx, store.ExecutionFilter{FlowID: flowID, Trigger: flows.TriggerPayload, Status: flows.StatusFailed},
				func(e *flows.Execution) error { failed[e.ID] = true; return nil })
			if err != nil {
				t.Fatal(err)
			}
		}
		return len(failed) == 2*each
	}
	received := func() int { mu.Lock(); defer mu.Unlock(); return len(runs) }
	began := time.Now()
	for deadline := began.Add(30 * time.Second); !ended() || received() < 2*each; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			mu.Lock()
			for id := range failed {
				if runs[id] == 0 {
					e, _ := reader.Execution(ctx, id)
					t.Logf("no event of run %s of flow %d, started %s, ended %s", id, e.FlowID, e.StartedAt.Format("15:04:05.000"), e.FinishedAt.Format("15:04:05.000"))
				}
			}
			mu.Unlock()
			t.Fatalf("after 30 s: %d of %d runs failed, %d runs' events received\n%s\n%s", len(failed), 2*each, received(), a.stderr.String(), b.stderr.String())
		}
	}
	// Long enough for an event or a delivery sent again to arrive: the
	// relays look every second, a batch waits a second.
	time.Sleep(3 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	for id, n := range runs {
		if !failed[id] {
			t.Errorf("an event of run %s, which is not a failed payload run", id)
		} else if n != 1 {
			t.Errorf("the event of run %s received %d times", id, n)
		}
	}
	for uuid, n := range events {
		if n != 1 {
			t.Errorf("event %s received %d times", uuid, n)
		}
	}
	for id, n := range deliveries {
		if n != 1 {
			t.Errorf("delivery %s received %d times", id, n)
		}
	}
	if len(runs) != 2*each || len(events) != 2*each {
		t.Errorf("%d runs' events (%d events) received, want %d", len(runs), len(events), 2*each)
	}
	t.Logf("%d events in %d deliveries, all within %.1f s of the last payload", len(events), len(deliveries), time.Since(began).Seconds()-3)
}

// TestShutdownCancelsRunsInTime stops a server with a flow started by Call
// Flow Async in flight that would wait a minute: the server exits within
// its shutdown timeout, and the run is recorded as canceled by the
// shutdown.
func TestShutdownCancelsRunsInTime(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	token := apiToken(t, store.Config{DataDir: dir})
	// Its wait holds the child in memory (it is not stored to resume).
	s := startServer(t, "HOOKFLOW_DATA_DIR="+dir, "HOOKFLOW_SHUTDOWN_TIMEOUT=2s", "HOOKFLOW_DURABLE_WAIT=1h")
	child := startWaitingChild(t, s.url, token)
	began := time.Now()
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15 s after SIGTERM with a 2 s shutdown timeout:\n%s", s.stderr.String())
	}
	if took := time.Since(began); took > 4*time.Second {
		t.Fatalf("stopped %.1f s after SIGTERM, with a 2 s shutdown timeout", took.Seconds())
	}
	st, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e, err := st.Execution(ctx, child)
	if err != nil || e.Status != flows.StatusCanceled || e.Error != flows.ErrShutdown.Error() {
		t.Fatalf("the child after shutdown: %+v, %v; want canceled by the shutdown", e, err)
	}
}

// startWaitingChild starts, by the API on the server at base, a flow whose
// Call Flow Async starts a child that waits a minute, and returns the
// child's execution id once the child shows as running. The server holds
// the wait in memory when its durable wait is longer.
func startWaitingChild(t *testing.T, base, token string) string {
	t.Helper()
	helper, _ := flows.NewDefinition(flows.KindWorkspace, "Waits a minute")
	helper.Cards = []flows.Node{{ID: "wait", Type: flows.ControlWaitFor, Bindings: map[string]flows.Binding{"amount": {Value: 60.0}}}}
	doc, _ := flows.MarshalDefinition(helper)
	helperID := api(t, base, token, "POST", "/api/v1/flows", doc, 201)["id"].(float64)
	starter, _ := flows.NewDefinition(flows.KindWorkspace, "Starts it")
	starter.Cards = []flows.Node{{ID: "start", Type: flows.ControlCallFlowAsync, Bindings: map[string]flows.Binding{"flow": {Value: helperID}}}}
	doc, _ = flows.MarshalDefinition(starter)
	starterID := api(t, base, token, "POST", "/api/v1/flows", doc, 201)["id"].(float64)
	run := api(t, base, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", int64(starterID)), []byte(`{"input":{}}`), 200)
	child := run["steps"].([]any)[1].(map[string]any)["children"].([]any)[0].(string)
	// The child shows as running after a second.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		res, err := http.DefaultClient.Do(bearer(base+"/api/v1/executions/"+child, token))
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the child was not recorded as running")
		}
	}
	return child
}

func bearer(url, token string) *http.Request {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

// TestBinaryWithoutSearchRefusesToStart builds Hookflow without SQLite's
// full-text search: it exits with one line saying how to build it, before
// it listens (its port is taken, and that is not what it says).
func TestBinaryWithoutSearchRefusesToStart(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hookflow-no-search")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build without the tag: %v\n%s", err, out)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	data := t.TempDir()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "HOOKFLOW_DATA_DIR="+data, "HOOKFLOW_ADDR="+busy.Addr().String())
	out, err := cmd.CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	if err == nil || !strings.HasPrefix(last, "hookflow: ") || !strings.Contains(last, "-tags sqlite_fts5") || strings.Contains(string(out), "address already in use") {
		t.Fatalf("exit %v, output:\n%s\nwant one line saying how to build with -tags sqlite_fts5, before listening", err, out)
	}
	if _, err := os.Stat(filepath.Join(data, "hookflow.db")); err == nil {
		t.Fatal("it created a database")
	}
}
