package store_test

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
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

// TestExecutionRoundTrip: what is stored once (outputs equal to inputs,
// the Return card's inputs equal to the output) reads back whole.
func TestExecutionRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		at := time.Now().UTC().Truncate(time.Microsecond)
		in := map[string]any{"event": map[string]any{"uuid": "u1", "n": 2.0}}
		e := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: 1, FlowName: "f", Trigger: flows.TriggerPayload, Status: flows.StatusSucceeded,
			StartedAt: at, FinishedAt: at, Input: in, Output: map[string]any{"x": "stored-once"}, Revision: 3,
			Steps: []flows.Step{
				{CardID: "event", Type: "event.connector", Outputs: map[string]any{"event": map[string]any{"uuid": "u1", "n": 2.0}}, StartedAt: at},
				{CardID: "assign", Type: "control.assign", Inputs: map[string]any{"a": "b"}, Outputs: map[string]any{"a": "b"}, StartedAt: at, Attempts: 1},
				{CardID: "up", Type: "text.upper", Inputs: map[string]any{"text": "b"}, Outputs: map[string]any{"output": "B"}, StartedAt: at, Attempts: 1},
				{CardID: "ret", Type: "control.return", Inputs: map[string]any{"x": "stored-once"}, Outputs: map[string]any{"x": "stored-once"}, StartedAt: at, Attempts: 1},
			}}
		if err := s.RecordExecution(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		got, err := s.Execution(context.Background(), e.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i := range e.Steps {
			if !reflect.DeepEqual(got.Steps[i].Outputs, e.Steps[i].Outputs) || !reflect.DeepEqual(got.Steps[i].Inputs, e.Steps[i].Inputs) {
				t.Fatalf("step %d: got %+v, want %+v", i, got.Steps[i], e.Steps[i])
			}
		}
		if got.Revision != 3 || !reflect.DeepEqual(got.Input, in) || !reflect.DeepEqual(got.Output, e.Output) {
			t.Fatalf("got %+v", got)
		}
		docs, err := store.ExecutionDocuments(context.Background(), s)
		if err != nil || len(docs) != 1 {
			t.Fatal(docs, err)
		}
		if n := strings.Count(docs[0], "stored-once"); n != 1 {
			t.Fatalf("the output is stored %d times: %s", n, docs[0])
		}
	})
}

// TestExecutionsOfAConnector: the connector filter lists the runs of the
// connector's own flows only.
func TestExecutionsOfAConnector(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		con, err := s.CreateConnector(ctx, flows.ConnectorInfo{Name: "Acme", Auth: flows.AuthDefinition{Kind: flows.AuthNone}})
		if err != nil {
			t.Fatal(err)
		}
		def, _ := flows.NewDefinition(flows.KindHelper, "Helper")
		own, err := s.CreateFlow(ctx, flows.Flow{ConnectorID: con.ID, Definition: def})
		if err != nil {
			t.Fatal(err)
		}
		ws, _ := flows.NewDefinition(flows.KindWorkspace, "Workspace")
		other, _ := s.CreateFlow(ctx, flows.Flow{Definition: ws})
		now := time.Now()
		mine := record(t, s, own.ID, now, flows.StatusSucceeded, "a")
		record(t, s, other.ID, now, flows.StatusSucceeded, "b")
		got, err := s.Executions(ctx, store.ExecutionFilter{ConnectorID: con.ID})
		if err != nil || len(got) != 1 || got[0].ID != mine.ID {
			t.Fatalf("%d executions of the connector, %v", len(got), err)
		}
	})
}

// TestExecutionOddText: text that is not valid UTF-8 is stored mended (as
// encoding/json mends it), also in Postgres's search column; markup and
// numbers come back as they were.
func TestExecutionOddText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		at := time.Now().UTC().Truncate(time.Microsecond)
		e := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: 1, Trigger: flows.TriggerManual, Status: flows.StatusSucceeded, StartedAt: at, FinishedAt: at,
			Input: map[string]any{"raw": "a\xffb", "html": "<a href='x'>&amp;</a>", "n": 1e21, "small": 0.000001, "list": []any{}, "none": nil},
			Steps: []flows.Step{{CardID: "c", Type: "text.upper", Inputs: map[string]any{"text": "ü\xfe"}, Outputs: map[string]any{"output": "Ü"}, StartedAt: at}}}
		if err := s.RecordExecution(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		got, err := s.Execution(context.Background(), e.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"raw": "a\uFFFDb", "html": "<a href='x'>&amp;</a>", "n": 1e21, "small": 0.000001, "list": []any{}, "none": nil}
		if !reflect.DeepEqual(got.Input, want) || got.Steps[0].Inputs["text"] != "ü\uFFFD" || got.Steps[0].Attempts != 0 {
			t.Fatalf("got %#v, steps %#v", got.Input, got.Steps)
		}
	})
}

// TestExecutionPacks: the executions of deliveries finished together keep
// their documents in shared packs (one per piece of 64 deliveries), read
// back whole one by one and in lists, and a pack goes when the last
// execution using it is pruned, cleared or deleted.
func TestExecutionPacks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 2, Token: "packs", State: flows.SubscriptionActive})
		if err != nil {
			t.Fatal(err)
		}
		const n, keep = 140, 12 // 140 deliveries: packs of 64, 64 and 12
		accepts := make([]flows.Delivery, n)
		for i := range accepts {
			accepts[i] = flows.Delivery{SubscriptionID: sub.ID, Method: "POST", Headers: map[string]string{}, Query: map[string]string{}, Body: []byte("{}")}
		}
		store.CommitTogether(s, accepts, nil)
		rows, err := store.DeliveryRows(ctx, s)
		if err != nil || len(rows) != n {
			t.Fatalf("deliveries %v, %v", rows, err)
		}
		ids := slices.Sorted(maps.Keys(rows))
		at := time.Now().UTC().Truncate(time.Microsecond).Add(-time.Hour)
		var finished []flows.FinishedDelivery
		var execs []*flows.Execution
		for i, id := range ids {
			var ex []*flows.Execution
			for flow := int64(1); flow <= 2; flow++ {
				start := at.Add(time.Duration(i) * time.Second)
				word := fmt.Sprintf("word%dof%d", i, flow)
				e := &flows.Execution{ID: flows.NewExecutionID(start), FlowID: flow, FlowName: "f", Trigger: flows.TriggerPayload, Status: flows.StatusSucceeded,
					StartedAt: start, FinishedAt: start, Input: map[string]any{"w": word, "n": float64(i), "s": "shared"},
					Steps: []flows.Step{{CardID: "c", Type: "text.upper", Inputs: map[string]any{"text": word}, Outputs: map[string]any{"output": strings.ToUpper(word)}, StartedAt: start, Attempts: 1}}}
				ex = append(ex, e)
			}
			execs = append(execs, ex...)
			finished = append(finished, flows.FinishedDelivery{ID: id, Executions: ex})
		}
		if err := s.FinishDeliveries(ctx, finished); err != nil {
			t.Fatal(err)
		}
		packs := func(want int64) {
			t.Helper()
			if n, err := store.CountRows(ctx, s, "execution_packs"); err != nil || n != want {
				t.Fatalf("%d packs, %v; want %d", n, err, want)
			}
		}
		packs(3)
		same := func(got, want *flows.Execution) {
			t.Helper()
			if !reflect.DeepEqual(got.Input, want.Input) || !reflect.DeepEqual(got.Steps[0].Inputs, want.Steps[0].Inputs) ||
				!reflect.DeepEqual(got.Steps[0].Outputs, want.Steps[0].Outputs) || got.FlowID != want.FlowID {
				t.Fatalf("execution %s reads back as %+v, want %+v", want.ID, got, want)
			}
		}
		for _, e := range execs {
			got, err := s.Execution(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			same(got, e)
		}
		list, err := s.Executions(ctx, store.ExecutionFilter{FlowID: 2, Limit: 200})
		if err != nil || len(list) != n {
			t.Fatalf("%d executions of flow 2, %v", len(list), err)
		}
		for i, got := range list { // newest first
			same(got, execs[2*(n-1-i)+1])
		}
		// A word every execution holds is indexed for each: the search
		// texts of a piece, made one after the other, do not share it.
		if found, err := s.Executions(ctx, store.ExecutionFilter{FlowID: 2, Search: "shared", Limit: 200}); err != nil || len(found) != n {
			t.Fatalf("the shared word found %d of %d, %v", len(found), n, err)
		}
		if found, err := s.Executions(ctx, store.ExecutionFilter{Search: "word7of2"}); err != nil || len(found) != 1 {
			t.Fatalf("search found %d, %v", len(found), err)
		} else {
			same(found[0], execs[15])
		}

		// Each flow keeps its newest 12: the first two packs have no one left.
		if got, err := s.PruneExecutions(ctx, store.Retention{MaxPerFlow: keep}); err != nil || got != 2*(n-keep) {
			t.Fatalf("pruned %d, %v", got, err)
		}
		packs(1)
		// Flow 1's data cleared: its executions are written again, in a
		// pack of their own; the pack stays for flow 2's.
		if got, err := s.ClearFlowData(ctx, 1, false); err != nil || got != keep {
			t.Fatalf("cleared %d, %v", got, err)
		}
		packs(2)
		same(must(s.Execution(ctx, execs[2*n-1].ID)), execs[2*n-1])
		if got, err := s.ClearFlowData(ctx, 2, true); err != nil || got != keep {
			t.Fatalf("deleted %d, %v", got, err)
		}
		packs(1)
		got := must(s.Execution(ctx, execs[2*n-2].ID))
		if got.Input != nil || got.Steps[0].CardID != "c" || got.Status != flows.StatusSucceeded {
			t.Fatalf("flow 1's cleared execution: %+v", got)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
