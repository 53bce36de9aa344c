package store_test

import (
	"context"
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
			def, _ := flows.NewDefinition(flows.KindWorkspace, "Alerts")
			def.Event = flows.NewHookflowEvent()
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
