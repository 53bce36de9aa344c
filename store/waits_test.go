package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	. "github.com/hookflow/hookflow/flows/flowstest"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// waitsEngine is an engine on s that stores waits of 100 ms and more,
// with s's queue resuming them.
func waitsEngine(t *testing.T, s *store.Store) *flows.Engine {
	t.Helper()
	e := flows.NewEngine(Registry(), flows.Options{Recorder: s, Waits: s, DurableAfter: 100 * time.Millisecond})
	s.Queue().HandleResumes(e)
	if err := s.Queue().Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Queue().StopAndCancel(context.Background()) })
	return e
}

// eventually polls until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestWaitsResumeOnBothDatabases: a run waits, is resumed by its job,
// pauses, is resumed by a body posted to its token (a second post is
// refused), and ends; its wait is gone then. The stored state is sealed.
func TestWaitsResumeOnBothDatabases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := waitsEngine(t, s)
		def := Flow(Manual(F("secret", flows.TypeText)),
			Card("wait", flows.ControlWaitFor, In("amount", Static(0.3))),
			Card("pause", flows.ControlPause, Outputs(F("answer", flows.TypeText))),
			Card("ret", flows.ControlReturn, Inputs(F("answer", flows.TypeText), F("secret", flows.TypeText)),
				In("answer", Ref("pause", "answer")), In("secret", Ref("event", "secret"))))
		x, err := e.Run(ctx, flows.RunRequest{FlowID: 1, Definition: def, Input: map[string]any{"secret": "sealed-at-rest-42"}, Trigger: flows.TriggerAPI})
		if err != nil || x.Status != flows.StatusWaiting {
			t.Fatalf("first stop: %v %v", x.Status, err)
		}
		text, err := store.TableText(ctx, s, "waits")
		if err != nil || text == "" || strings.Contains(text, "sealed-at-rest-42") {
			t.Fatalf("the waits table holds the run's data in the clear (%v): %s", err, text)
		}
		var paused *flows.Execution
		defer func() {
			if t.Failed() {
				x, err := s.Execution(ctx, x.ID)
				t.Logf("the run: %+v %v", x, err)
			}
		}()
		eventually(t, "the run to pause", func() bool {
			paused, err = s.Execution(ctx, x.ID)
			return err == nil && paused.Status == flows.StatusPaused
		})
		if paused.ResumeToken == "" || paused.ResumesAt == nil || paused.ResumesAt.Before(time.Now().Add(29*24*time.Hour)) {
			t.Fatalf("the paused run: token %q, times out %v", paused.ResumeToken, paused.ResumesAt)
		}
		if _, err := s.PostResume(ctx, paused.ResumeToken, []byte(`{"answer":"yes"}`)); err != nil {
			t.Fatal(err)
		}
		// A second post is refused: as already resumed, or, once the
		// resumed run has ended and its wait is gone, as unknown.
		if _, err := s.PostResume(ctx, paused.ResumeToken, []byte(`{"answer":"no"}`)); !errors.Is(err, store.ErrAlreadyResumed) && !errors.Is(err, flows.ErrNotFound) {
			t.Fatalf("a second post: %v", err)
		}
		var done *flows.Execution
		eventually(t, "the run to end", func() bool {
			done, err = s.Execution(ctx, x.ID)
			return err == nil && done.Status.IsFinal()
		})
		if done.Status != flows.StatusSucceeded || done.Output["answer"] != "yes" || done.Output["secret"] != "sealed-at-rest-42" {
			t.Fatalf("ended %s (%s) with %v", done.Status, done.Error, done.Output)
		}
		eventually(t, "the wait to go", func() bool {
			_, err := s.CancelWait(ctx, x.ID)
			return errors.Is(err, flows.ErrNotFound)
		})
		if _, err := s.PostResume(ctx, paused.ResumeToken, []byte(`{}`)); !errors.Is(err, flows.ErrNotFound) {
			t.Fatalf("a post after the end: %v", err)
		}
	})
}

// TestWaitWithoutItsRecordIsDropped: a wait stored by a run whose record
// never came (the server stopped between the two) is dropped by its job
// once the grace has passed, and resumes nothing.
func TestWaitWithoutItsRecordIsDropped(t *testing.T) {
	defer store.SetWaitRecordGrace(store.SetWaitRecordGrace(0))
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		waitsEngine(t, s)
		w := &flows.Wait{ExecutionID: flows.NewExecutionID(time.Now()), FlowID: 1, Kind: flows.WaitTime, Until: time.Now(), State: []byte(`{}`)}
		if err := s.SaveWait(ctx, w); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the wait to be dropped", func() bool {
			_, err := s.CancelWait(ctx, w.ExecutionID)
			return errors.Is(err, flows.ErrNotFound)
		})
		if _, err := s.Execution(ctx, w.ExecutionID); !errors.Is(err, flows.ErrNotFound) {
			t.Fatalf("a run was recorded: %v", err)
		}
	})
}
