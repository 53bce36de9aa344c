package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store/storetest"
)

// TestStats reads the queue and the subscriptions as a scrape of
// /metrics does, on SQLite and on Postgres: the deliveries not run yet
// and the oldest of them, leaving out duplicates and the done rows kept
// for dedupe, and the subscriptions by state.
func TestStats(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, db.URL(t), t.TempDir())
			st, err := s.Stats(ctx)
			if err != nil || st.QueuedDeliveries != 0 || !st.OldestQueued.IsZero() || len(st.Subscriptions) != 0 {
				t.Fatalf("an empty store's stats: %+v %v", st, err)
			}
			sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 1, Token: "stats", State: flows.SubscriptionActive})
			if err != nil {
				t.Fatal(err)
			}
			for i, state := range []flows.SubscriptionState{flows.SubscriptionFailed, flows.SubscriptionOff, flows.SubscriptionOff} {
				if _, err := s.StartSubscription(ctx, flows.Subscription{FlowID: int64(2 + i), Token: "stats" + string(state) + string(rune('a'+i)), State: state}); err != nil {
					t.Fatal(err)
				}
			}
			now := time.Now().UTC().Truncate(time.Millisecond)
			accept := func(key string, age time.Duration) {
				t.Helper()
				if _, err := s.AcceptDelivery(ctx, flows.Delivery{SubscriptionID: sub.ID, DedupeKey: key, Method: "POST", Headers: map[string]string{},
					Query: map[string]string{}, Body: []byte("{}"), ReceivedAt: now.Add(-age)}); err != nil {
					t.Fatal(err)
				}
			}
			accept("k1", 90*time.Second) // id 1, the oldest
			accept("k2", 30*time.Second) // id 2
			accept("", 10*time.Second)   // id 3
			accept("k1", time.Second)    // a duplicate: not stored
			st, err = s.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := map[flows.SubscriptionState]int64{flows.SubscriptionActive: 1, flows.SubscriptionFailed: 1, flows.SubscriptionOff: 2}
			if st.QueuedDeliveries != 3 || !st.OldestQueued.Equal(now.Add(-90*time.Second)) || len(st.Subscriptions) != 3 {
				t.Fatalf("stats: %+v, want 3 queued, the oldest at %s", st, now.Add(-90*time.Second))
			}
			for state, n := range want {
				if st.Subscriptions[state] != n {
					t.Errorf("%s subscriptions: %d, want %d", state, st.Subscriptions[state], n)
				}
			}
			// The oldest runs: its row stays, done, for dedupe, and the
			// next oldest is the queue's oldest.
			if err := s.FinishDeliveries(ctx, []flows.FinishedDelivery{{ID: 1}}); err != nil {
				t.Fatal(err)
			}
			st, err = s.Stats(ctx)
			if err != nil || st.QueuedDeliveries != 2 || !st.OldestQueued.Equal(now.Add(-30*time.Second)) {
				t.Fatalf("stats after the oldest ran: %+v %v, want 2 queued, the oldest at %s", st, err, now.Add(-30*time.Second))
			}
		})
	}
}
