package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// hookEventJobs is a queue handler that records the Hookflow Event runs
// it is asked for.
type hookEventJobs struct {
	recordingJobs
	mu   sync.Mutex
	runs []string // flow id/event uuid
}

func (j *hookEventJobs) HookEvent(_ context.Context, flow int64, ev flows.HookEvent) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.runs = append(j.runs, flows.HookRunID(ev, flow)+"/"+ev.Target[0].ID)
	return nil
}

func (j *hookEventJobs) got() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.runs...)
}

// listening makes a flow on a Hookflow Event card for the event types,
// ON, as the lifecycle does.
func listening(t *testing.T, s *store.Store, name string, types ...flows.HookEventType) flows.Flow {
	t.Helper()
	ctx := context.Background()
	def, _ := flows.NewDefinition(flows.KindWorkspace, name)
	def.Event = flows.NewHookflowEvent()
	names := make([]string, len(types))
	for i, typ := range types {
		names[i] = string(typ)
	}
	if err := flows.SetHookTrigger(&def, names, 0, 0); err != nil {
		t.Fatal(err)
	}
	f, err := s.CreateFlow(ctx, flows.Flow{Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := flows.HookTriggerOf(f)
	if _, err := s.StartSubscription(ctx, flows.Subscription{FlowID: f.ID, Token: flows.NewEventToken(), State: flows.SubscriptionActive,
		Options: map[string]any{"hookflowEvents": tr}}); err != nil {
		t.Fatal(err)
	}
	s.RefreshHookTriggers(ctx)
	return f
}

// TestHookFlowEventRunsOnce: an event relayed twice (recorded twice, as
// after a crash between moving it and forgetting it) queues one run per
// flow listening: each of two flows gets one.
func TestHookFlowEventRunsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		jobs := &hookEventJobs{}
		s.Queue().Handle(jobs)
		a := listening(t, s, "Audit", flows.EventTableCleared)
		b := listening(t, s, "Report", flows.EventTableCleared, flows.EventFlowActivated)
		ev := flows.NewHookEvent(flows.EventTableCleared, flows.SystemActor(), "Table cleared", "",
			flows.HookActor{ID: "3", Type: "Table", DisplayName: "Orders"})
		for range 2 {
			if err := s.Emit(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		startQueue(t, s)
		waitFor(t, 10*time.Second, "the runs", func() bool { return len(jobs.got()) >= 2 })
		time.Sleep(1500 * time.Millisecond)
		got := jobs.got()
		slices.Sort(got)
		want := []string{flows.HookRunID(ev, a.ID) + "/3", flows.HookRunID(ev, b.ID) + "/3"}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("runs %v, want %v", got, want)
		}
	})
}

// TestHookFlowOutboxSurvivesCrash: with no flow on a Hookflow Event card
// ON, a failed run records no event; once one is ON, the event is in the
// outbox with the run's record, and a stop before the relay moved it
// loses nothing: after a restart the flow's run is queued, once.
func TestHookFlowOutboxSurvivesCrash(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			url, dir := db.URL(t), t.TempDir()
			s := storetest.Open(t, url, dir)
			failRun(t, s, 0)
			if n, err := store.OutboxLen(ctx, s); err != nil || n != 0 {
				t.Fatalf("with no flow listening the outbox holds %d events (%v)", n, err)
			}
			listening(t, s, "Alerts", flows.EventExecutionFailed)
			store.StopRelay(s)
			e := failRun(t, s, 1)
			if n, err := store.OutboxLen(ctx, s); err != nil || n != 1 {
				t.Fatalf("outbox holds %d events (%v), want the run's", n, err)
			}
			s.Close()

			s = storetest.Open(t, url, dir)
			jobs := &hookEventJobs{}
			s.Queue().Handle(jobs)
			startQueue(t, s)
			waitFor(t, 10*time.Second, "the run after the restart", func() bool { return len(jobs.got()) == 1 })
			time.Sleep(1500 * time.Millisecond)
			got := jobs.got()
			if len(got) != 1 || got[0][len(got[0])-len(e.ID):] != e.ID {
				t.Fatalf("runs %v, want one for %s", got, e.ID)
			}
			if n, _ := store.OutboxLen(ctx, s); n != 0 {
				t.Errorf("outbox holds %d events after the run was queued", n)
			}
		})
	}
}

// TestHasExecution: a recorded run is found by its id, an unknown id is not.
func TestHasExecution(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := failRun(t, s, 1)
		for id, want := range map[string]bool{e.ID: true, "0000000000000000000000dead": false} {
			if got, err := s.HasExecution(ctx, id); err != nil || got != want {
				t.Errorf("HasExecution(%s) = %v, %v; want %v", id, got, err, want)
			}
		}
	})
}
