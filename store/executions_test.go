package store_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
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

// TestReadsSeeARecordReplacedWhole reads the history while runs recorded
// as running are replaced by their final records: a read sees a record
// and its document together, never one without the other.
func TestReadsSeeARecordReplacedWhole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var failed, reads atomic.Int64
		var current atomic.Value
		current.Store("")
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					reads.Add(1)
					if _, err := s.Executions(ctx, store.ExecutionFilter{FlowID: 7}); err != nil {
						failed.Add(1)
					}
					if id := current.Load().(string); id != "" {
						if _, err := s.Execution(ctx, id); err != nil {
							failed.Add(1)
						}
					}
				}
			})
		}
		for range 100 {
			now := time.Now()
			e := &flows.Execution{ID: flows.NewExecutionID(now), FlowID: 7, FlowName: "x", Trigger: flows.TriggerAPI, Status: flows.StatusRunning, StartedAt: now, Steps: []flows.Step{}}
			if err := s.RecordExecution(ctx, e); err != nil {
				t.Fatal(err)
			}
			current.Store(e.ID)
			time.Sleep(time.Millisecond)
			e.Status, e.Error, e.FinishedAt = flows.StatusCanceled, "canceled by an admin", now.Add(time.Millisecond)
			if err := s.RecordExecution(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		close(stop)
		wg.Wait()
		if failed.Load() > 0 {
			t.Fatalf("%d of %d reads failed while records were replaced", failed.Load(), reads.Load())
		}
	})
}

// TestSearchFindsWordPrefixes: a search finds executions by the starts of
// their words, on SQLite and on Postgres, with every word required and no
// input read as query syntax.
func TestSearchFindsWordPrefixes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		for i, who := range []string{"Grace Hopper", "Ada Lovelace", "grace.brewster@example.com"} {
			at := start.Add(time.Duration(i) * time.Second)
			e := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: 1, FlowName: "People", Trigger: flows.TriggerManual,
				Status: flows.StatusSucceeded, StartedAt: at, FinishedAt: at.Add(time.Millisecond), Input: map[string]any{"who": who}}
			if err := s.RecordExecution(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			name, search string
			want         []string
		}{
			{"a prefix", "Grac", []string{"grace.brewster@example.com", "Grace Hopper"}},
			{"a whole word", "Hopper", []string{"Grace Hopper"}},
			{"two prefixes, both required", "grac hop", []string{"Grace Hopper"}},
			{"lower case finds upper", "love", []string{"Ada Lovelace"}},
			{"an email's start", "grace.brew", []string{"grace.brewster@example.com"}},
			{"no such word", "Babbage", nil},
			{"query syntax is text", `Gr* OR "Ada`, nil},
			{"only punctuation", `"*'():`, []string{"grace.brewster@example.com", "Ada Lovelace", "Grace Hopper"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.Executions(ctx, store.ExecutionFilter{Search: tt.search})
				if err != nil {
					t.Fatal(err)
				}
				var who []string
				for _, e := range got {
					who = append(who, e.Input["who"].(string))
				}
				if !reflect.DeepEqual(who, tt.want) {
					t.Fatalf("search %q found %q, want %q", tt.search, who, tt.want)
				}
			})
		}
	})
}
