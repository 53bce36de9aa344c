package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// TestTableRowCount checks a table's row count as rows are created one by
// one and at once, imported, deleted and cleared, and after a refused
// import, on both databases (SQLite keeps the count as rows change).
func TestTableRowCount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		tb := newTable(t, s, "Counted",
			flows.Column{Name: "key", Type: flows.TypeText, Unique: true},
			flows.Column{Name: "n", Type: flows.TypeNumber})
		other := newTable(t, s, "Other", flows.Column{Name: "n", Type: flows.TypeNumber})
		count := func(step string, want int64) {
			t.Helper()
			n, err := s.CountRows(ctx, &tb)
			if err != nil || n != want {
				t.Fatalf("after %s: %d rows (%v), want %d", step, n, err, want)
			}
		}
		count("nothing", 0)
		first := addRow(t, s, &tb, map[string]any{"key": "a", "n": 1})
		addRow(t, s, &tb, map[string]any{"key": "b", "n": 2})
		addRow(t, s, &other, map[string]any{"n": 2})
		count("two rows", 2)
		ts := flows.Tables{Store: s}
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				if _, _, err := ts.CreateRow(ctx, tb.ID, map[string]any{"key": "run" + string(rune('A'+i)), "n": i}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		count("20 rows created at once", 22)
		if _, err := s.ImportRows(ctx, &tb, []map[string]any{{"key": "c"}, {"key": "d"}}, nil); err != nil {
			t.Fatal(err)
		}
		count("an import of two", 24)
		if _, err := s.ImportRows(ctx, &tb, []map[string]any{{"key": "e"}, {"key": "a"}}, nil); err == nil {
			t.Fatal("an import repeating a unique key was not refused")
		}
		count("a refused import", 24)
		if _, err := s.UpdateRow(ctx, &tb, first.ID, map[string]any{"n": float64(5)}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteRow(ctx, &tb, first.ID); err != nil {
			t.Fatal(err)
		}
		count("an update and a delete", 23)
		if _, err := s.ClearTable(ctx, &tb); err != nil {
			t.Fatal(err)
		}
		count("clearing", 0)
		if n, err := s.CountRows(ctx, &other); err != nil || n != 1 {
			t.Errorf("the other table counts %d (%v), want 1", n, err)
		}
	})
}
