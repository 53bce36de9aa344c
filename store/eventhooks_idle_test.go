package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// TestIdleRelayRests: with no event hook and no flow on a Hookflow Event
// card, the relay's ticks do nothing once it has looked; an event another
// instance writes meanwhile is still found and, wanted by none, deleted;
// once a hook receives events, every tick relays again.
func TestIdleRelayRests(t *testing.T) {
	const tick = 20 * time.Millisecond
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			store.RelayEvery(t, tick)
			s := storetest.Open(t, db.URL(t), t.TempDir())
			passesIn := func(d time.Duration) int64 {
				n := store.RelayPasses(s)
				time.Sleep(d)
				return store.RelayPasses(s) - n
			}
			time.Sleep(10 * tick) // its first looks
			if n := passesIn(25 * tick); n != 0 {
				t.Fatalf("idle: %d passes in 25 ticks, want none", n)
			}

			ev := flows.NewHookEvent(flows.EventTableCleared, flows.SystemActor(), "Table cleared", "",
				flows.HookActor{ID: "3", Type: "Table", DisplayName: "Orders"})
			if err := store.StageEvent(ctx, s, ev); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 5*time.Second, "the event nobody wants deleted", func() bool {
				n, err := store.OutboxLen(ctx, s)
				return err == nil && n == 0
			})
			time.Sleep(5 * tick)
			if n := passesIn(25 * tick); n != 0 {
				t.Fatalf("idle again: %d passes in 25 ticks, want none", n)
			}

			h, err := s.CreateEventHook(ctx, flows.EventHook{Name: "ops", URL: "https://hooks.example.com/in",
				Events: []flows.HookEventType{flows.EventTableCleared}, Active: true}, flows.HookSecrets{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SetEventHookState(ctx, h.ID, true, true); err != nil {
				t.Fatal(err)
			}
			if n := passesIn(25 * tick); n < 10 {
				t.Fatalf("with a hook receiving events: %d passes in 25 ticks, want one a tick", n)
			}
		})
	}
}
