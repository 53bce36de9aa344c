package store

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// TestHookRefreshesInOrder: a refresh that read the hooks before a hook
// started receiving, and would store what it read after that change's own
// refresh, does not undo it: the runs ended next still raise events.
func TestHookRefreshesInOrder(t *testing.T) {
	s := openLiteStore(t, t.TempDir())
	ctx := context.Background()
	h, err := s.CreateEventHook(ctx, flows.EventHook{Name: "ops", URL: "https://hooks.example.com/in",
		Events: []flows.HookEventType{flows.EventExecutionFailed}}, flows.HookSecrets{})
	if err != nil {
		t.Fatal(err)
	}
	// The first refresh below reads no receiving hook (not on yet),
	// then waits before it stores that.
	read, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	s.hooks.refreshing.Lock() // the relay's own refreshes read it too
	s.hooks.afterRead = func() {
		if first.CompareAndSwap(false, true) {
			close(read)
			<-release
		}
	}
	s.hooks.refreshing.Unlock()
	stale := make(chan struct{})
	go func() { defer close(stale); s.hooks.refresh(ctx) }()
	<-read
	changed := make(chan error, 1)
	go func() { // verified: the change refreshes the hooks itself
		_, err := s.SetEventHookState(ctx, h.ID, true, true)
		changed <- err
	}()
	select {
	case err := <-changed:
		changed <- err
	case <-time.After(200 * time.Millisecond): // it waits for the first refresh
	}
	close(release)
	<-stale
	if err := <-changed; err != nil {
		t.Fatal(err)
	}
	if !s.hooks.want(flows.EventExecutionFailed) {
		t.Fatal("a refresh that read the hooks before the change stored them after it: failed runs raise no event")
	}
}
