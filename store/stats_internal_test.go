package store

import (
	"context"
	"strings"
	"testing"
)

// TestStatsReadTheQueueByItsIndex: on SQLite the scrape's query reads
// the queued deliveries through their partial index, never the table of
// done rows kept for dedupe.
func TestStatsReadTheQueueByItsIndex(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.readDB.QueryContext(ctx, "EXPLAIN QUERY PLAN "+statsQuery)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "idx_deliveries_queued") || strings.Contains(text, "SCAN deliveries\n") {
		t.Fatalf("the stats query's plan:\n%s", text)
	}
}
