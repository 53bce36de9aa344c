package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

func TestExecutionsRecordAndLoad(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		e := &flows.Execution{ID: flows.NewExecutionID(start), FlowID: 7, FlowName: "Greeter", ParentID: "parent1", Trigger: flows.TriggerAPI,
			Status: flows.StatusFailed, StartedAt: start, FinishedAt: start.Add(1500 * time.Microsecond),
			Input: map[string]any{"name": "ada"}, Error: "boom", ErrorCard: "bad",
			Steps: []flows.Step{{CardID: "bad", Type: "fake.fail", Inputs: map[string]any{"x": 1.0}, Error: "boom", StartedAt: start, DurationUS: 12, Attempts: 2}}}
		if err := s.RecordExecution(ctx, e); err != nil {
			t.Fatal(err)
		}
		got, err := s.Execution(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		got.StartedAt, got.FinishedAt = got.StartedAt.UTC(), got.FinishedAt.UTC()
		got.Steps[0].StartedAt = got.Steps[0].StartedAt.UTC()
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("loaded\n%+v\nwant\n%+v", got, e)
		}
		// Recording again updates the same execution.
		e.Status, e.Error = flows.StatusSucceeded, ""
		if err := s.RecordExecution(ctx, e); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Execution(ctx, e.ID); got.Status != flows.StatusSucceeded {
			t.Fatalf("status after update = %s", got.Status)
		}
		if n, _ := s.CountExecutions(ctx, store.ExecutionFilter{}); n != 1 {
			t.Fatalf("count = %d", n)
		}
		if _, err := s.Execution(ctx, "nope"); !errors.Is(err, flows.ErrNotFound) {
			t.Fatalf("missing execution: %v", err)
		}
	})
}
