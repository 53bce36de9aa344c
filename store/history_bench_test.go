package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// benchExecutions is how many executions the history benchmarks seed, in
// benchDir under the temp dir (a new name when what is stored changes).
const (
	benchExecutions = 1_000_000
	benchDir        = "hookflow-history-bench-v3"
)

// referenceExecution is a realistic execution of the reference flow of
// make bench: the Okta user event in, {id, who, email, internal} out,
// every card's inputs and outputs saved.
func referenceExecution(i int, at time.Time) *flows.Execution {
	uuid := fmt.Sprintf("evt-%08d", i)
	name := fmt.Sprintf("User %d", i)
	email := fmt.Sprintf("user%d@example.com", i)
	if i%7 == 0 {
		email = fmt.Sprintf("user%d@partner.org", i)
	}
	ev := map[string]any{"uuid": uuid, "eventType": "user.lifecycle.create", "published": at.Format(time.RFC3339),
		"actor":   map[string]any{"id": "00u1", "type": "User", "displayName": name, "alternateId": email},
		"target":  []any{map[string]any{"id": "00u2", "type": "User", "displayName": "Charles Babbage", "alternateId": "charles@example.org"}},
		"outcome": map[string]any{"result": "SUCCESS"}}
	who := fmt.Sprintf("USER %d", i)
	internal := i%7 != 0
	e := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: int64(1 + i%10), FlowName: fmt.Sprintf("Flow %d", 1+i%10),
		Trigger: flows.TriggerPayload, Status: flows.StatusSucceeded, StartedAt: at, FinishedAt: at.Add(900 * time.Microsecond),
		Input: map[string]any{"event": ev}, Revision: 1,
		Steps: []flows.Step{
			{CardID: "event", Type: flows.EventConnector, Outputs: map[string]any{"event": ev}, StartedAt: at},
			{CardID: "upper1", Type: "text.upper", Inputs: map[string]any{"text": name}, Outputs: map[string]any{"output": who}, StartedAt: at, DurationUS: 3, Attempts: 1},
			{CardID: "construct1", Type: "object.construct", Inputs: map[string]any{"id": uuid, "who": who, "email": email},
				Outputs: map[string]any{"output": map[string]any{"id": uuid, "who": who, "email": email}}, StartedAt: at, DurationUS: 4, Attempts: 1},
			{CardID: "ifelse1", Type: flows.ControlIfElse, Inputs: map[string]any{"a": email, "operator": "ends_with", "b": "@example.com"},
				Outputs: map[string]any{"internal": internal}, StartedAt: at, DurationUS: 6, Attempts: 1},
		}}
	switch {
	case i%25 == 0:
		e.Status, e.Error, e.ErrorCard = flows.StatusFailed, "card construct1: http status 503: service unavailable", "construct1"
	case i%100 == 1:
		e.Status = flows.StatusStopped
	}
	return e
}

// benchStore opens (seeding it the first time, then reusing it from the
// temp dir) a SQLite store holding benchExecutions executions over 30 days.
func benchStore(b *testing.B) *Store {
	b.Helper()
	dir := filepath.Join(os.TempDir(), benchDir)
	ctx := context.Background()
	_, statErr := os.Stat(filepath.Join(dir, "seeded"))
	s, err := Open(ctx, Config{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if statErr == nil {
		return s
	}
	start := time.Now().Add(-30 * 24 * time.Hour)
	step := 30 * 24 * time.Hour / benchExecutions
	began := time.Now()
	// Through the pipeline, as runs are recorded: pieces of maxPiece, many
	// at once.
	errs := make(chan error, benchExecutions/maxPiece+1)
	pieces := 0
	for i := 0; i < benchExecutions; pieces++ {
		var piece []*flows.Execution
		for end := min(i+maxPiece, benchExecutions); i < end; i++ {
			piece = append(piece, referenceExecution(i, start.Add(time.Duration(i)*step)))
		}
		s.pipe.finish(&finished{runs: []flows.FinishedDelivery{{Executions: piece}}, done: func(err error) { errs <- err }})
	}
	for range pieces {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	if err := s.hist.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(filepath.Join(dir, historyFile))
	b.Logf("seeded %d executions in %s: %d bytes, %d bytes per execution", benchExecutions, time.Since(began).Round(time.Second), fi.Size(), fi.Size()/benchExecutions)
	os.WriteFile(filepath.Join(dir, "seeded"), []byte(fmt.Sprint(fi.Size())), 0o600)
	return s
}

// BenchmarkHistory measures the execution list on a million executions:
// go test -tags sqlite_fts5 -run '^$' -bench History -count 5 ./store/
func BenchmarkHistory(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	if fi, err := os.Stat(filepath.Join(os.TempDir(), benchDir, historyFile)); err == nil {
		b.Logf("database: %d bytes, %d bytes per execution", fi.Size(), fi.Size()/benchExecutions)
	}
	cases := []struct {
		name string
		f    ExecutionFilter
		want int
	}{
		{"first page", ExecutionFilter{Limit: 50}, 50},
		{"failed of one flow", ExecutionFilter{FlowID: 6, Status: flows.StatusFailed, Limit: 50}, 50},
		{"payloads in a day", ExecutionFilter{Trigger: flows.TriggerPayload, From: time.Now().Add(-15 * 24 * time.Hour), To: time.Now().Add(-14 * 24 * time.Hour), Limit: 50}, 50},
		{"search an email", ExecutionFilter{Search: "user123457@example.com", Limit: 50}, 1},
		{"search an error", ExecutionFilter{Search: "503 unavailable", Limit: 50}, 50},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				got, err := s.Executions(ctx, c.f)
				if err != nil || len(got) != c.want {
					b.Fatalf("%d executions, %v", len(got), err)
				}
			}
		})
	}
}
