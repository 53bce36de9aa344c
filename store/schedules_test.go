package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// tickingJobs is a queue handler that records the ticks it is given.
type tickingJobs struct {
	recordingJobs
	mu    sync.Mutex
	ticks []time.Time
}

func (j *tickingJobs) Tick(_ context.Context, _ int64, tick time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.ticks = append(j.ticks, tick)
	return nil
}

func (j *tickingJobs) got() []time.Time {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.ticks)
}

// TestTicksAreQueuedOnceAndRunOnTime: a tick queued twice (by two
// instances, or a save and a tick) is one job, and it runs within a
// fraction of a second of its time, not when River's leader next makes
// scheduled jobs available.
func TestTicksAreQueuedOnceAndRunOnTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		jobs := &tickingJobs{}
		s.Queue().Handle(jobs)
		if err := s.Queue().Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer func() {
			stop, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			s.Queue().Stop(stop)
		}()
		tick := time.Now().Add(1500 * time.Millisecond).Truncate(time.Second)
		for range 2 {
			if err := s.QueueTick(ctx, 7, tick); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Until(tick) + 1500*time.Millisecond)
		got := jobs.got()
		if len(got) != 1 || !got[0].Equal(tick) {
			t.Fatalf("ticks run %v, want %s once", got, tick)
		}
	})
}

// TestClaimTick: a tick is claimed once, for an active subscription, and
// never after a later one.
func TestClaimTick(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 3, Token: "sched", State: flows.SubscriptionActive})
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		claim := func(tick, due time.Time) bool {
			t.Helper()
			ok, err := s.ClaimTick(ctx, flows.TickClaim{Subscription: sub.ID, Tick: tick, Due: due, Execution: flows.NewExecutionID(tick)})
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		steps := []struct {
			name      string
			tick, due time.Time
			want      bool
		}{
			{"the first tick", t0, t0, true},
			{"the same tick again", t0, t0, false},
			{"a later tick standing for three", t0.Add(time.Minute), t0.Add(3 * time.Minute), true},
			{"a tick it stood for", t0.Add(2 * time.Minute), t0.Add(2 * time.Minute), false},
			{"the next tick", t0.Add(4 * time.Minute), t0.Add(4 * time.Minute), true},
		}
		for _, st := range steps {
			if got := claim(st.tick, st.due); got != st.want {
				t.Fatalf("%s: claimed %v, want %v", st.name, got, st.want)
			}
		}
		sub.State = flows.SubscriptionOff
		if err := s.SaveSubscription(ctx, sub); err != nil {
			t.Fatal(err)
		}
		if claim(t0.Add(5*time.Minute), t0.Add(5*time.Minute)) {
			t.Fatal("claimed a tick of a subscription turned off")
		}
	})
}
