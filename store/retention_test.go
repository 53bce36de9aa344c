package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

func record(t *testing.T, s *store.Store, flowID int64, at time.Time, status flows.Status, word string) *flows.Execution {
	t.Helper()
	e := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: flowID, FlowName: "f", Trigger: flows.TriggerManual, Status: status,
		StartedAt: at, Input: map[string]any{"w": word}, Steps: []flows.Step{{CardID: "c", Type: "t", Outputs: map[string]any{"o": word}}}}
	if status.IsFinal() {
		e.FinishedAt = at
	}
	if err := s.RecordExecution(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now()
		old := now.Add(-40 * 24 * time.Hour)
		record(t, s, 1, old, flows.StatusSucceeded, "oldone")
		running := record(t, s, 1, old.Add(time.Second), flows.StatusRunning, "oldrunning")
		for i := range 5 {
			record(t, s, 2, now.Add(time.Duration(i)*time.Second), flows.StatusFailed, "recent")
		}
		n, err := s.PruneExecutions(ctx, store.Retention{MaxAge: 30 * 24 * time.Hour, MaxPerFlow: 3})
		if err != nil || n != 3 {
			t.Fatalf("pruned %d, %v; want the old one and 2 over the count", n, err)
		}
		if _, err := s.Execution(ctx, running.ID); err != nil {
			t.Fatalf("a running execution was pruned: %v", err)
		}
		if got, _ := s.Executions(ctx, store.ExecutionFilter{FlowID: 2}); len(got) != 3 {
			t.Fatalf("flow 2 keeps %d", len(got))
		}
		if got, _ := s.Executions(ctx, store.ExecutionFilter{Search: "oldone"}); len(got) != 0 {
			t.Fatal("a pruned execution is still found by search")
		}
	})
}

func TestClearFlowData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now()
		e := record(t, s, 1, now, flows.StatusSucceeded, "secretish")
		running := record(t, s, 1, now.Add(time.Second), flows.StatusRunning, "stillhere")
		record(t, s, 2, now, flows.StatusSucceeded, "otherflow")
		if n, err := s.ClearFlowData(ctx, 1, false); err != nil || n != 1 {
			t.Fatalf("cleared %d, %v", n, err)
		}
		got, _ := s.Execution(ctx, e.ID)
		if got.Input != nil || got.Steps[0].Outputs != nil || got.Steps[0].CardID != "c" || got.Status != flows.StatusSucceeded {
			t.Fatalf("after clearing data: %+v", got)
		}
		if found, _ := s.Executions(ctx, store.ExecutionFilter{Search: "secretish"}); len(found) != 0 {
			t.Fatal("cleared data is still found by search")
		}
		if n, err := s.ClearFlowData(ctx, 1, true); err != nil || n != 1 {
			t.Fatalf("cleared everything: %d, %v", n, err)
		}
		if _, err := s.Execution(ctx, running.ID); err != nil {
			t.Fatal("a running execution was cleared")
		}
		if found, _ := s.Executions(ctx, store.ExecutionFilter{Search: "otherflow"}); len(found) != 1 {
			t.Fatal("another flow's execution was cleared")
		}
	})
}
