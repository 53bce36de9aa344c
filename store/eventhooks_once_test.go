package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// TestHookEachEventOnce: a receiver that answers 200 at once gets each
// event of a burst of failed runs exactly once, and nothing else; so too
// when the flow's data is cleared afterwards, which records its runs again
// without their data but raises no event again.
func TestHookEachEventOnce(t *testing.T) {
	const burst = 1000
	for _, tt := range []struct {
		name  string
		clear bool
	}{{"a burst", false}, {"a burst, then the flow's data cleared", true}} {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				ctx := context.Background()
				r := newReceiver(t)
				activeHook(t, hookService(t, s, fast), r, flows.EventExecutionFailed)
				var mu sync.Mutex
				want := map[string]bool{} // the runs' ids
				var next atomic.Int64
				var wg sync.WaitGroup
				for range 16 {
					wg.Go(func() {
						for i := int(next.Add(1)); i <= burst; i = int(next.Add(1)) {
							e := failRun(t, s, i)
							mu.Lock()
							want[e.ID] = true
							mu.Unlock()
						}
					})
				}
				wg.Wait()
				got := func() map[string]int { // times received, by run
					n := map[string]int{}
					for _, p := range r.posts() {
						_, evs := envelope(t, p.body)
						for _, ev := range evs {
							n[ev.Target[0].ID]++
						}
					}
					return n
				}
				waitFor(t, 30*time.Second, "every event", func() bool { return len(got()) >= burst })
				if tt.clear {
					if n, err := s.ClearFlowData(ctx, 7, false); err != nil || n != burst {
						t.Fatalf("clear: %d, %v", n, err)
					}
				}
				// Long enough for anything sent again to arrive: the relay
				// looks every second, a batch waits 50 ms.
				time.Sleep(2500 * time.Millisecond)
				n := got()
				for id, c := range n {
					if !want[id] {
						t.Errorf("an event of run %s, which is not of the burst", id)
					} else if c != 1 {
						t.Errorf("the event of run %s received %d times", id, c)
					}
				}
				if len(n) != burst {
					t.Errorf("%d runs' events received, want %d", len(n), burst)
				}
			})
		})
	}
}
