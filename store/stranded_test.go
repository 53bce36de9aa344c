package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// recordRun records an execution of trigger with status, as the engine
// records a run that goes on (running), waits, or ended.
func recordRun(t *testing.T, s *store.Store, trigger flows.Trigger, status flows.Status) *flows.Execution {
	t.Helper()
	at := time.Now()
	e := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: 1, FlowName: "f", Trigger: trigger, Status: status, StartedAt: at, Steps: []flows.Step{}}
	if status.IsFinal() {
		e.FinishedAt = at
	}
	if err := s.RecordExecution(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

// serve starts the store's queue, as a serving process does, and stops
// it when the test ends.
func serve(t *testing.T, s *store.Store) {
	t.Helper()
	s.Queue().Handle(&recordingJobs{})
	startQueue(t, s)
}

// wantRun is what the history must show of a run.
type wantRun struct {
	e      *flows.Execution
	status flows.Status
	err    string
}

// checkRuns checks each run's status and error in s's history, and that a
// run marked failed has ended.
func checkRuns(t *testing.T, s *store.Store, runs map[string]wantRun) {
	t.Helper()
	for name, w := range runs {
		got, err := s.Execution(context.Background(), w.e.ID)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.Status != w.status || got.Error != w.err {
			t.Errorf("%s: status %q, error %q; want %q, %q", name, got.Status, got.Error, w.status, w.err)
		}
		if w.status == flows.StatusFailed && got.FinishedAt.IsZero() {
			t.Errorf("%s: failed but not finished", name)
		}
	}
}

// TestStrandedRunsFailOnRestart (SQLite): the runs a process left
// recorded as running when it died are marked failed when the next one
// starts its queue, with words that say whether the run runs again; runs
// that wait, runs that ended and the new process's own runs are left as
// they are.
func TestStrandedRunsFailOnRestart(t *testing.T) {
	dir := t.TempDir()
	old := storetest.Open(t, "", dir)
	payload := recordRun(t, old, flows.TriggerPayload, flows.StatusRunning)
	api := recordRun(t, old, flows.TriggerAPI, flows.StatusRunning)
	waiting := recordRun(t, old, flows.TriggerManual, flows.StatusWaiting)
	paused := recordRun(t, old, flows.TriggerManual, flows.StatusPaused)
	done := recordRun(t, old, flows.TriggerManual, flows.StatusSucceeded)
	old.Close() // its runs never end: as if the process had been killed

	s := storetest.Open(t, "", dir)
	own := recordRun(t, s, flows.TriggerManual, flows.StatusRunning)
	checkRuns(t, s, map[string]wantRun{"payload before start": {payload, flows.StatusRunning, ""}})
	serve(t, s)
	checkRuns(t, s, map[string]wantRun{
		"payload":   {payload, flows.StatusFailed, store.StrandedPayload},
		"api":       {api, flows.StatusFailed, store.StrandedOther},
		"waiting":   {waiting, flows.StatusWaiting, ""},
		"paused":    {paused, flows.StatusPaused, ""},
		"succeeded": {done, flows.StatusSucceeded, ""},
		"own":       {own, flows.StatusRunning, ""},
	})
}

// TestStrandedRunsFailWhenTheirInstanceIsReaped (Postgres): when a live
// instance reaps a dead one, the runs the dead one recorded as running
// are marked failed; its waiting runs and the live instance's runs are
// left as they are.
func TestStrandedRunsFailWhenTheirInstanceIsReaped(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	dead, live := storetest.Open(t, url, t.TempDir()), storetest.Open(t, url, t.TempDir())
	serve(t, dead)
	serve(t, live)
	payload := recordRun(t, dead, flows.TriggerPayload, flows.StatusRunning)
	child := recordRun(t, dead, flows.TriggerHelper, flows.StatusRunning)
	waiting := recordRun(t, dead, flows.TriggerManual, flows.StatusWaiting)
	other := recordRun(t, live, flows.TriggerAPI, flows.StatusRunning)
	store.SilenceInstance(dead)

	checkRuns(t, live, map[string]wantRun{"before the reap": {payload, flows.StatusRunning, ""}})
	if err := store.ReapInstances(ctx, live, dead.InstanceID()); err != nil {
		t.Fatal(err)
	}
	if alive, err := store.InstanceAlive(ctx, live, dead.InstanceID()); err != nil || alive {
		t.Fatalf("dead instance listed after the reap: %v, %v", alive, err)
	}
	checkRuns(t, live, map[string]wantRun{
		"payload":         {payload, flows.StatusFailed, store.StrandedPayload},
		"child":           {child, flows.StatusFailed, store.StrandedOther},
		"waiting":         {waiting, flows.StatusWaiting, ""},
		"live instance's": {other, flows.StatusRunning, ""},
	})
}

// TestStrandedRunsFailWhenAnInstanceStarts (Postgres): an instance that
// starts marks failed the runs recorded as running by an instance that is
// gone from the instances table, and leaves a listed instance's runs.
func TestStrandedRunsFailWhenAnInstanceStarts(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	gone, listed := storetest.Open(t, url, t.TempDir()), storetest.Open(t, url, t.TempDir())
	serve(t, gone)
	serve(t, listed)
	stranded := recordRun(t, gone, flows.TriggerSchedule, flows.StatusRunning)
	other := recordRun(t, listed, flows.TriggerAPI, flows.StatusRunning)
	// Neither reaps any more; only gone has left the table.
	store.SilenceInstance(gone)
	store.SilenceInstance(listed)
	if err := store.ForgetInstance(ctx, gone, gone.InstanceID()); err != nil {
		t.Fatal(err)
	}

	next := storetest.Open(t, url, t.TempDir())
	checkRuns(t, next, map[string]wantRun{"before the start": {stranded, flows.StatusRunning, ""}})
	serve(t, next)
	checkRuns(t, next, map[string]wantRun{
		"gone instance's":   {stranded, flows.StatusFailed, store.StrandedOther},
		"listed instance's": {other, flows.StatusRunning, ""},
	})
}
