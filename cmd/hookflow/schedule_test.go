package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// TestScheduleRunsOnceAcrossInstances runs two Hookflow processes on one
// Postgres and turns ON, through one of them, a flow scheduled every
// second; seven seconds later it turns it OFF through the other. Both
// instances fetch the ticks' jobs, and every tick runs exactly once: one
// run per second, none doubled, none skipped, none for a tick after OFF.
func TestScheduleRunsOnceAcrossInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("two processes: not in -short")
	}
	ctx := context.Background()
	dbURL := storetest.PostgresURL(t)
	token := apiToken(t, store.Config{DatabaseURL: dbURL})
	shared := []string{"HOOKFLOW_DATABASE_URL=" + dbURL, "HOOKFLOW_LOG_LEVEL=warn",
		"HOOKFLOW_SESSION_SECRET=" + strings.Repeat("s", 40), "HOOKFLOW_ENCRYPTION_KEY=" + strings.Repeat("e", 40)}
	a := startServer(t, append(shared, "HOOKFLOW_DATA_DIR="+t.TempDir())...)
	b := startServer(t, append(shared, "HOOKFLOW_DATA_DIR="+t.TempDir())...)

	def, _ := flows.NewDefinition(flows.KindWorkspace, "Every second")
	def.Event = flows.NewScheduleEvent()
	def.Event.Bindings[flows.FieldScheduleEvery] = flows.Binding{Value: "1s"}
	doc, _ := flows.MarshalDefinition(def)
	id := int64(api(t, a.url, token, "POST", "/api/v1/flows", doc, 201)["id"].(float64))
	api(t, a.url, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", id), nil, 200)
	time.Sleep(7 * time.Second)
	api(t, b.url, token, "POST", fmt.Sprintf("/api/v1/flows/%d/off", id), nil, 200)
	off := time.Now()
	time.Sleep(2 * time.Second)

	reader, err := store.Open(ctx, store.Config{DatabaseURL: dbURL, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	var ticks []time.Time
	err = reader.EachExecution(ctx, store.ExecutionFilter{FlowID: id, Trigger: flows.TriggerSchedule}, func(e *flows.Execution) error {
		at, err := time.Parse(time.RFC3339, fmt.Sprint(e.Input[flows.FieldScheduledAt]))
		if err != nil || e.Status != flows.StatusSucceeded || at.After(off) {
			t.Errorf("run %s: %s %q, for the tick of %v (OFF at %s)", e.ID, e.Status, e.Error, e.Input[flows.FieldScheduledAt], off)
		}
		ticks = append(ticks, at)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(ticks, time.Time.Compare)
	if len(ticks) < 6 || len(ticks) > 8 {
		t.Fatalf("%d runs in 7 s of a schedule of every second: %v\n%s%s", len(ticks), ticks, a.stderr.String(), b.stderr.String())
	}
	for i := 1; i < len(ticks); i++ {
		if !ticks[i].Equal(ticks[i-1].Add(time.Second)) {
			t.Fatalf("ticks %v: one was run twice or skipped", ticks)
		}
	}
}

// TestKilledServerRunsNoTickTwice SIGKILLs a server (SQLite) while the
// runs of a flow scheduled every second, each taking 2.5 s, are in flight,
// and starts it again: the jobs of those ticks run again, yet no tick
// runs twice, and the schedule goes on.
func TestKilledServerRunsNoTickTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a process: not in -short")
	}
	ctx := context.Background()
	dir := t.TempDir()
	token := apiToken(t, store.Config{DataDir: dir})
	s := startServer(t, "HOOKFLOW_DATA_DIR="+dir)
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Slow every second")
	def.Event = flows.NewScheduleEvent()
	def.Event.Bindings[flows.FieldScheduleEvery] = flows.Binding{Value: "1s"}
	def.Cards = []flows.Node{{ID: "wait", Type: flows.ControlWaitFor, Bindings: map[string]flows.Binding{"seconds": {Value: 2.5}}}}
	doc, _ := flows.MarshalDefinition(def)
	id := int64(api(t, s.url, token, "POST", "/api/v1/flows", doc, 201)["id"].(float64))
	api(t, s.url, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", id), nil, 200)
	time.Sleep(4500 * time.Millisecond)
	s.cmd.Process.Kill()
	s.cmd.Wait()
	killed := time.Now()
	s = startServer(t, "HOOKFLOW_DATA_DIR="+dir)
	time.Sleep(6 * time.Second)
	api(t, s.url, token, "POST", fmt.Sprintf("/api/v1/flows/%d/off", id), nil, 200)
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()

	st, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Each run stands for its tick and the missed ones before it: no tick
	// may be covered by two runs.
	covered := map[int64]string{}
	after := 0
	err = st.EachExecution(ctx, store.ExecutionFilter{FlowID: id, Trigger: flows.TriggerSchedule}, func(e *flows.Execution) error {
		due, err := time.Parse(time.RFC3339, fmt.Sprint(e.Input[flows.FieldScheduledAt]))
		if err != nil {
			return err
		}
		missed, _ := e.Input[flows.FieldMissed].(float64)
		for tick := due.Unix() - int64(missed); tick <= due.Unix(); tick++ {
			if other, ok := covered[tick]; ok {
				t.Errorf("the tick of %s ran twice: in %s and %s", time.Unix(tick, 0).UTC(), other, e.ID)
			}
			covered[tick] = e.ID
		}
		if e.StartedAt.After(killed) && e.Status == flows.StatusSucceeded {
			after++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(covered) < 6 || after < 2 {
		t.Fatalf("%d ticks ran, %d runs after the restart\n%s", len(covered), after, s.stderr.String())
	}
}
