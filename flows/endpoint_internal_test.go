package flows

import (
	"context"
	"sync"
	"testing"
	"time"
)

type noCards struct{}

func (noCards) Lookup(string) (Card, bool) { return nil, false }
func (noCards) Specs() []CardSpec          { return nil }

// heldRecorder records only once it is let go.
type heldRecorder struct {
	hold chan struct{}
	mu   sync.Mutex
	n    int
}

func (r *heldRecorder) RecordExecution(context.Context, *Execution) error {
	<-r.hold
	r.mu.Lock()
	r.n++
	r.mu.Unlock()
	return nil
}

// TestInvokeWaitsForRecording checks that invocations wait while as many
// invoked runs as the bound allows are not recorded yet, and answer 503
// when the wait ends first.
func TestInvokeWaitsForRecording(t *testing.T) {
	rec := &heldRecorder{hold: make(chan struct{})}
	l := &Lifecycle{Engine: NewEngine(noCards{}, Options{Recorder: rec})}
	l.invokingOnce.Do(func() { l.invoking = make(chan struct{}, 1) })
	target := &EndpointTarget{Flow: Flow{ID: 1, Definition: Definition{Schema: SchemaVersion, Kind: KindWorkspace, Name: "E",
		Event: Node{ID: "event", Type: EventAPIEndpoint}}}}
	req := func() Delivery {
		return Delivery{Method: "GET", Headers: map[string]string{}, Query: map[string]string{}}
	}
	ctx := context.Background()
	if a := l.Invoke(ctx, target, req(), time.Second); a.Status != 200 || a.ExecutionID == "" {
		t.Fatalf("first answer %d %s", a.Status, a.Body)
	}
	if a := l.Invoke(ctx, target, req(), 100*time.Millisecond); a.Status != 503 || a.ExecutionID != "" {
		t.Fatalf("while the first run is not recorded: %d %s", a.Status, a.Body)
	}
	close(rec.hold)
	if a := l.Invoke(ctx, target, req(), time.Second); a.Status != 200 {
		t.Fatalf("once it is recorded: %d %s", a.Status, a.Body)
	}
	l.Engine.async.Wait()
	if rec.n != 2 {
		t.Fatalf("%d runs recorded, want 2", rec.n)
	}
}
