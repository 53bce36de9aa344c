package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// BenchmarkDeliveryWrites measures the store's part of a payload on SQLite:
// accepting it (group commit, 64 at a time) and finishing it with the two
// executions of the reference flow (the connector's run and the flow's):
// go test -tags sqlite_fts5 -run '^$' -bench DeliveryWrites -benchmem ./store/
func BenchmarkDeliveryWrites(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	deliveryWrites(b, s)
}

// deliveryWrites is the loop of BenchmarkDeliveryWrites on s.
func deliveryWrites(b *testing.B, s *Store) {
	ctx := context.Background()
	sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 1, Token: "bench", State: flows.SubscriptionActive})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 64
	body := []byte(`{"eventType":"com.okta.event_hook","data":{"events":[{"uuid":"1"}]}}`)
	headers := map[string]string{"content-type": "application/json", "user-agent": "bench"}
	b.ResetTimer()
	for n := 0; n < b.N; n += batch {
		var wg sync.WaitGroup
		for range batch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.AcceptDelivery(ctx, flows.Delivery{SubscriptionID: sub.ID, Method: "POST", Headers: headers, Query: map[string]string{}, Body: body}); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
		var ids []int64
		if err := s.db.Raw("SELECT id FROM deliveries WHERE state = ?", deliveryQueued).Scan(&ids).Error; err != nil {
			b.Fatal(err)
		}
		done := make([]flows.FinishedDelivery, len(ids))
		at := time.Now()
		for i, id := range ids {
			flowRun := referenceExecution(n+i, at)
			connectorRun := referenceExecution(n+i, at)
			connectorRun.FlowName, connectorRun.FlowID = fmt.Sprintf("Event hook %d", n), 100
			done[i] = flows.FinishedDelivery{ID: id, Executions: []*flows.Execution{connectorRun, flowRun}}
		}
		if err := s.FinishDeliveries(ctx, done); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunningReplaced measures the store's part of a run that goes on
// for more than a second on SQLite: its record as running, then its final
// record in place of that one, 64 runs at a time:
// go test -tags sqlite_fts5 -run '^$' -bench RunningReplaced -benchmem ./store/
func BenchmarkRunningReplaced(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const batch = 64
	record := func(es []*flows.Execution) {
		var wg sync.WaitGroup
		for _, e := range es {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.RecordExecution(ctx, e); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	b.ResetTimer()
	for n := 0; n < b.N; n += batch {
		at := time.Now()
		finals := make([]*flows.Execution, batch)
		running := make([]*flows.Execution, batch)
		for i := range batch {
			finals[i] = referenceExecution(n+i, at)
			running[i] = &flows.Execution{ID: finals[i].ID, FlowID: finals[i].FlowID, FlowName: finals[i].FlowName, Trigger: finals[i].Trigger,
				Status: flows.StatusRunning, StartedAt: at, Input: finals[i].Input, Steps: []flows.Step{}}
		}
		record(running)
		record(finals)
	}
}
