package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// benchRows is how many rows the tables benchmark seeds, in
// benchTablesDir under the temp dir (a new name when what is stored
// changes).
const (
	benchRows      = 1_000_000
	benchTablesDir = "hookflow-tables-bench-v2"
)

// benchTable opens (seeding it the first time, then reusing it from the
// temp dir) a SQLite store with one table of benchRows customers.
func benchTable(b *testing.B) (*store.Store, flows.Table) {
	b.Helper()
	ctx := context.Background()
	dir := filepath.Join(os.TempDir(), benchTablesDir)
	_, statErr := os.Stat(filepath.Join(dir, "seeded"))
	s, err := store.Open(ctx, store.Config{DataDir: dir, EncryptionKey: storetest.TestKey})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if statErr == nil {
		ts, err := s.Tables(ctx)
		if err != nil || len(ts) != 1 {
			b.Fatalf("the seeded tables: %v, %v", ts, err)
		}
		return s, ts[0]
	}
	tb := flows.Table{Name: "Customers", Columns: []flows.Column{
		{Name: "email", Type: flows.TypeText, Unique: true},
		{Name: "name", Type: flows.TypeText},
		{Name: "city", Type: flows.TypeText},
		{Name: "age", Type: flows.TypeNumber},
		{Name: "active", Type: flows.TypeBool},
		{Name: "joined", Type: flows.TypeDate},
	}}
	if err := flows.CheckTable(&tb); err != nil {
		b.Fatal(err)
	}
	if tb, err = s.CreateTable(ctx, tb); err != nil {
		b.Fatal(err)
	}
	began := time.Now()
	const chunk = 10_000
	for i := 0; i < benchRows; i += chunk {
		rows := make([]map[string]any, 0, chunk)
		for j := i; j < i+chunk; j++ {
			rows = append(rows, benchCustomer(j))
		}
		if _, err := s.ImportRows(ctx, &tb, rows, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d rows in %s", benchRows, time.Since(began).Round(time.Second))
	os.WriteFile(filepath.Join(dir, "seeded"), nil, 0o600)
	return s, tb
}

func benchCustomer(i int) map[string]any {
	return map[string]any{
		"email":  fmt.Sprintf("user%d@example.com", i),
		"name":   fmt.Sprintf("Customer %d %s", i, []string{"Smith", "Jones", "Garcia", "Müller", "Rossi"}[i%5]),
		"city":   fmt.Sprintf("City %d", i%1000),
		"age":    float64(18 + i%70),
		"active": i%3 != 0,
		"joined": time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute),
	}
}

// BenchmarkTables measures Search Rows and the table's pages on a table
// of a million rows on SQLite, reporting each case's median latency:
// go test -tags sqlite_fts5 -run '^$' -bench Tables -benchtime 200x ./store/
func BenchmarkTables(b *testing.B) {
	s, tb := benchTable(b)
	ctx := context.Background()
	cond := func(col string, op flows.Operator, v any) []flows.Condition {
		return []flows.Condition{{Column: col, Op: op, Value: v}}
	}
	cases := []struct {
		name string
		q    flows.RowQuery
		want int
	}{
		{"equal unique column", flows.RowQuery{Conditions: cond("email", flows.OpEqual, "user765432@example.com")}, 1},
		{"equal column, first 100", flows.RowQuery{Conditions: cond("city", flows.OpEqual, "City 421"), Limit: 100}, 100},
		{"equal column, first match only", flows.RowQuery{Conditions: cond("age", flows.OpEqual, 40), Limit: 1}, 1},
		{"first page", flows.RowQuery{Limit: 50}, 50},
		{"first page sorted by name", flows.RowQuery{Sort: "name", Limit: 50}, 50},
		{"last page sorted by joined, descending", flows.RowQuery{Sort: "joined", Desc: true, Limit: 50}, 50},
		{"text search, one row", flows.RowQuery{Text: "user765432@", Limit: 50}, 1},
		{"text search, many rows", flows.RowQuery{Text: "Müller", Limit: 50}, 50},
		// Every row holds each three letters of "tomer 12345 ": the index
		// reads all their entries to find the one row holding them all.
		{"text search, a rare text of common letters", flows.RowQuery{Text: "tomer 12345 ", Limit: 50}, 1},
		{"contains in a column", flows.RowQuery{Conditions: cond("name", flows.OpContains, "tomer 12345 "), Limit: 50}, 1},
		{"starts with", flows.RowQuery{Conditions: cond("email", flows.OpStartsWith, "user99999"), Limit: 50}, 11},
		// Ranges and prefixes in id order, which no index gives in that
		// order: matches among the first rows, few matches all among the
		// last rows, and many matches all after the first third.
		{"range, most rows", flows.RowQuery{Conditions: cond("age", flows.OpGreater, 20), Limit: 50}, 50},
		{"starts with, every row", flows.RowQuery{Conditions: cond("email", flows.OpStartsWith, "user"), Limit: 50}, 50},
		{"range, few rows, all among the last", flows.RowQuery{Conditions: cond("joined", flows.OpGreater, "2021-11-25T00:00:00Z"), Limit: 50}, 50},
		{"range, the last two thirds", flows.RowQuery{Conditions: cond("joined", flows.OpGreater, "2020-08-01T00:00:00Z"), Limit: 50}, 50},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			q, err := tb.CheckQuery(c.q)
			if err != nil {
				b.Fatal(err)
			}
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				page, err := s.SearchRows(ctx, &tb, q)
				took = append(took, time.Since(start))
				if err != nil || len(page.Rows) != c.want {
					b.Fatalf("%d rows, %v", len(page.Rows), err)
				}
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-median")
		})
	}
	b.Run("count rows", func(b *testing.B) {
		var took []time.Duration
		for b.Loop() {
			start := time.Now()
			n, err := s.CountRows(ctx, &tb)
			took = append(took, time.Since(start))
			if err != nil || n < benchRows {
				b.Fatalf("%d rows, %v", n, err)
			}
		}
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-median")
	})
	b.Run("create row, 32 runs at once", func(b *testing.B) {
		ts := flows.Tables{Store: s}
		var n atomic.Int64
		start := time.Now()
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(n.Add(1))
				row := benchCustomer(benchRows + i)
				// Unique across runs, and unlike the seeded rows that the
				// searches count.
				row["email"] = fmt.Sprintf("run%d-%d@example.net", start.UnixNano(), i)
				// As the Create Row card does: the table's schema, the
				// values checked, the row written.
				if _, _, err := ts.CreateRow(ctx, tb.ID, row); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "rows/s")
	})
}
