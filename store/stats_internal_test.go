package store

import (
	"context"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
)

// TestStatsReadTheQueueByItsIndex: on SQLite the scrape's query reads
// the queued deliveries through the index of their jobs, never the table
// of done rows kept for dedupe; a delivery done and kept for dedupe
// leaves that index.
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
	if !strings.Contains(text, "idx_deliveries_job") || strings.Contains(text, "SCAN deliveries\n") {
		t.Fatalf("the stats query's plan:\n%s", text)
	}

	sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 1, Token: "kept", State: flows.SubscriptionActive})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptDelivery(ctx, flows.Delivery{SubscriptionID: sub.ID, DedupeKey: "k", Method: "POST", Headers: map[string]string{},
		Query: map[string]string{}, Body: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishDeliveries(ctx, []flows.FinishedDelivery{{ID: 1}}); err != nil {
		t.Fatal(err)
	}
	var kept, withJob int64
	if err := s.db.Raw("SELECT COUNT(*), COUNT(job_id) FROM deliveries").Row().Scan(&kept, &withJob); err != nil || kept != 1 || withJob != 0 {
		t.Fatalf("%d deliveries kept, %d of them with a job (%v): want 1, none", kept, withJob, err)
	}
}
