package store

import (
	"context"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// blockingJobs runs deliveries of the subscription slow until release is
// closed, and tells quick of each delivery of any other subscription.
type blockingJobs struct {
	slow    int64
	release chan struct{}
	quick   chan int64
}

func (j *blockingJobs) Deliver(ctx context.Context, d flows.Delivery, final bool) ([]*flows.Execution, error) {
	if d.SubscriptionID == j.slow {
		<-j.release
	} else {
		j.quick <- d.ID
	}
	return nil, nil
}

func (*blockingJobs) Deregister(context.Context, int64, bool) error           { return nil }
func (*blockingJobs) Tick(context.Context, int64, time.Time) error            { return nil }
func (*blockingJobs) HookEvent(context.Context, int64, flows.HookEvent) error { return nil }

// TestRunnerLearnsAWaitingFlowAtOnce: the first payloads of a flow whose
// runs wait hold the runner once, not each until one of them has ended.
func TestRunnerLearnsAWaitingFlowAtOnce(t *testing.T) {
	s := openLiteStore(t, t.TempDir())
	jobs := &blockingJobs{slow: 1, release: make(chan struct{}), quick: make(chan int64, 1)}
	var ds []flows.Delivery
	for i := range 6 {
		ds = append(ds, flows.Delivery{ID: int64(i + 1), SubscriptionID: 1})
	}
	ds = append(ds, flows.Delivery{ID: 7, SubscriptionID: 2})
	ran := make(chan error, 1)
	go func() {
		ran <- s.pipe.runJob(context.Background(), jobs, func(context.Context) ([]flows.Delivery, error) { return ds, nil }, false)
	}()
	select {
	case <-jobs.quick:
	case <-time.After(10 * time.Second):
		t.Fatal("the quick delivery did not run while the others wait")
	}
	s.pipe.runner.mu.Lock()
	turns := s.pipe.runner.turn
	s.pipe.runner.mu.Unlock()
	close(jobs.release)
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	if turns != 1 {
		t.Fatalf("the runner handed its queue over %d times for six waiting runs; want once", turns)
	}
}

// TestPaceSlow: a run held up past runAlone marks its flow as waiting
// until a quicker run ends; a flow whose runs wait stays so.
func TestPaceSlow(t *testing.T) {
	tests := []struct {
		name  string
		runs  []time.Duration // runs ended before the slow one
		after time.Duration   // a run that ends after it (0: none)
		waits bool
	}{
		{name: "a quick flow held up once", runs: []time.Duration{100 * time.Microsecond}, waits: true},
		{name: "then a quick run ends", runs: []time.Duration{100 * time.Microsecond}, after: 100 * time.Microsecond, waits: false},
		{name: "a flow whose runs wait", runs: []time.Duration{2 * time.Second}, after: 100 * time.Microsecond, waits: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var pc pace
			for _, d := range tc.runs {
				pc.add(d)
			}
			pc.slow()
			if tc.after > 0 {
				pc.add(tc.after)
			}
			if pc.waits() != tc.waits {
				t.Fatalf("waits() = %v, want %v (average %v)", pc.waits(), tc.waits, time.Duration(pc.avg.Load()))
			}
		})
	}
}
