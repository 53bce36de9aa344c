package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

// finishedPayloadRun waits until the flow has a payload run that has
// ended, and returns it.
func finishedPayloadRun(t *testing.T, srv *webtest.Server, flowID int64) *flows.Execution {
	t.Helper()
	var e *flows.Execution
	webtest.WaitFor(t, fmt.Sprintf("a finished payload run of flow %d", flowID), func() bool {
		for _, x := range webtest.PayloadRuns(t, srv.Store, flowID) {
			if x.Status.IsFinal() {
				e = x
				return true
			}
		}
		return false
	})
	return e
}

// helperFlow saves a helper flow with the inputs and cards given and
// returns its id.
func helperFlow(t *testing.T, srv *webtest.Server, name string, inputs []flows.Field, cards ...flows.Node) int64 {
	t.Helper()
	def, err := flows.NewDefinition(flows.KindHelper, name)
	if err != nil {
		t.Fatal(err)
	}
	def.Event.Outputs = inputs
	def.Cards = cards
	f, err := srv.Store.CreateFlow(context.Background(), flows.Flow{Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	return f.ID
}

// stepOf returns the run's step of the card.
func stepOf(t *testing.T, e *flows.Execution, card string) flows.Step {
	t.Helper()
	for _, s := range e.Steps {
		if s.CardID == card {
			return s
		}
	}
	t.Fatalf("execution %s has no step of card %q: %+v", e.ID, card, e.Steps)
	return flows.Step{}
}

// waitCase is a first card that keeps a payload run waiting.
type waitCase struct {
	name     string
	postgres bool
	// setup starts what the case's outside service needs and returns the
	// waiting flow's cards, a channel closed once its run has started
	// (nil: the run's running record tells), and what lets the run go.
	setup func(t *testing.T) (cards []flows.Node, started <-chan struct{}, release func())
	// check runs while the waiting run still waits.
	check func(t *testing.T)
}

// TestWaitingRunsHoldBackNoOther: a payload run that waits — at Wait For,
// in its card's retry delay after a Retry-After, on a slow outside
// service — holds up no other flow's payloads: the next payload's run is
// recorded within a second while the first still waits.
func TestWaitingRunsHoldBackNoOther(t *testing.T) {
	waitFor30 := func(t *testing.T) ([]flows.Node, <-chan struct{}, func()) {
		return []flows.Node{{ID: "wait", Type: flows.ControlWaitFor, Bindings: map[string]flows.Binding{"seconds": {Value: 30.0}}}}, nil, func() {}
	}
	var retryCalls atomic.Int64
	retryAfter := func(t *testing.T) ([]flows.Node, <-chan struct{}, func()) {
		started, once := make(chan struct{}), sync.Once{}
		retryCalls.Store(0)
		service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			retryCalls.Add(1)
			once.Do(func() { close(started) })
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		t.Cleanup(service.Close)
		return []flows.Node{{ID: "call", Type: "http.get", Bindings: map[string]flows.Binding{"url": {Value: service.URL + "/busy"}},
			OnError: &flows.ErrorPolicy{Retries: 3, DelayMS: 100, Then: flows.ErrorHalt}}}, started, func() {}
	}
	blocking := func(t *testing.T) ([]flows.Node, <-chan struct{}, func()) {
		started, once := make(chan struct{}), sync.Once{}
		released, releaseOnce := make(chan struct{}), sync.Once{}
		service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			once.Do(func() { close(started) })
			select {
			case <-released:
			case <-r.Context().Done():
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"ok":true}`)
		}))
		release := func() { releaseOnce.Do(func() { close(released) }) }
		// Cleanups run last first: the server closes after the release.
		t.Cleanup(service.Close)
		t.Cleanup(release)
		return []flows.Node{{ID: "call", Type: "http.get", Bindings: map[string]flows.Binding{"url": {Value: service.URL + "/slow"}}}}, started, release
	}
	tests := []waitCase{
		{name: "wait for", setup: waitFor30},
		{name: "wait for on postgres", postgres: true, setup: waitFor30},
		{name: "retry after", setup: retryAfter, check: func(t *testing.T) {
			if n := retryCalls.Load(); n != 1 {
				t.Fatalf("the service was called %d times, want 1 (the retry waits 30 s)", n)
			}
		}},
		{name: "slow service", setup: blocking},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := webtest.Options{StartQueue: true}
			if tt.postgres {
				o.DatabaseURL = storetest.PostgresURL(t)
			}
			cards, started, release := tt.setup(t)
			srv := webtest.StartWith(t, o)
			quick := []flows.Node{{ID: "who", Type: "text.upper", Bindings: map[string]flows.Binding{"text": webtest.Ref("event", "event", "actor.displayName")}}}
			ids, hooks := webtest.OktaFlows(t, srv, cards, quick)
			aID, aHook, bID, bHook := ids[0], hooks[0], ids[1], hooks[1]
			if hooks[0] == hooks[1] {
				t.Fatal("the two flows share an Event URL")
			}
			webtest.CancelOnFailure(t, srv, aID, release)

			webtest.PostOktaEvent(t, srv, aHook, 1)
			if started != nil {
				select {
				case <-started:
				case <-time.After(30 * time.Second):
					t.Fatal("the waiting flow's run did not reach its service")
				}
			} else {
				webtest.WaitPayloadRun(t, srv, aID, flows.StatusRunning)
			}

			began := time.Now()
			webtest.PostOktaEvent(t, srv, bHook, 2)
			for runCount(t, srv, bID) == 0 {
				if time.Since(began) > time.Second {
					t.Fatalf("the quick flow's payload run was not recorded within 1 s while another waits")
				}
				time.Sleep(5 * time.Millisecond)
			}
			took := time.Since(began)
			if b := webtest.PayloadRuns(t, srv.Store, bID); len(b) != 1 || b[0].Status != flows.StatusSucceeded {
				t.Fatalf("the quick flow's runs: %+v", b)
			}
			for _, e := range webtest.PayloadRuns(t, srv.Store, aID) {
				if e.Status.IsFinal() {
					t.Fatalf("the waiting run ended (%s: %s) before the check", e.Status, e.Error)
				}
			}
			if tt.check != nil {
				tt.check(t)
			}
			t.Logf("the quick run was recorded %v after its payload was posted", took)

			// End the waiting run: it is canceled and recorded so.
			a := webtest.WaitPayloadRun(t, srv, aID, flows.StatusRunning)
			if !srv.Engine.Cancel(a.ID) {
				t.Fatalf("run %s is not going on in the engine", a.ID)
			}
			// The cancel alone ends it, even in the middle of a call that
			// has not answered; the service is let go only afterwards.
			if e := finishedPayloadRun(t, srv, aID); e.ID != a.ID || e.Status != flows.StatusCanceled {
				t.Fatalf("the waiting run ended %s (%s), want canceled", e.Status, e.Error)
			}
			release()
			webtest.WaitFor(t, "both deliveries done", func() bool {
				n, err := srv.Store.CountQueuedDeliveries(t.Context())
				return err == nil && n == 0
			})
		})
	}
}

// TestLoopsRunItemsAtOnceInPayloadRuns: a payload run's For Each with a
// concurrency of 4 calls its helper flow for 4 items at once.
func TestLoopsRunItemsAtOnceInPayloadRuns(t *testing.T) {
	const n = 4
	var inFlight, most atomic.Int64
	all, allOnce := make(chan struct{}), sync.Once{}
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); cur > m && !most.CompareAndSwap(m, cur); m = most.Load() {
		}
		if cur >= n {
			allOnce.Do(func() { close(all) })
		}
		select {
		case <-all:
		case <-time.After(5 * time.Second):
			http.Error(w, "the requests did not come at once", http.StatusInternalServerError)
			return
		case <-r.Context().Done():
			return
		}
		time.Sleep(200 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(service.Close)
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	helper := helperFlow(t, srv, "Fetch", []flows.Field{{Key: "item", Type: flows.TypeNumber}, {Key: "index", Type: flows.TypeNumber}},
		flows.Node{ID: "get", Type: "http.get", Bindings: map[string]flows.Binding{"url": {Value: service.URL + "/item"}}})
	flowID, hook := webtest.OktaFlowWith(t, srv, flows.Node{ID: "loop", Type: flows.ControlForEach, Bindings: map[string]flows.Binding{
		"list": {Value: []any{1.0, 2.0, 3.0, 4.0}}, "flow": {Value: float64(helper)}, "concurrency": {Value: float64(n)}}})

	webtest.PostOktaEvent(t, srv, hook, 1)
	run := finishedPayloadRun(t, srv, flowID)
	if run.Status != flows.StatusSucceeded {
		t.Fatalf("the payload run %s: %s", run.Status, run.Error)
	}
	if m := most.Load(); m != n {
		t.Fatalf("at most %d requests were in flight at once, want %d", m, n)
	}
	step := stepOf(t, run, "loop")
	if d := time.Duration(step.DurationUS) * time.Microsecond; d >= 700*time.Millisecond {
		t.Fatalf("For Each took %v: its items did not run at once (one at a time takes 800 ms)", d)
	}
	if len(step.Children) != n {
		t.Fatalf("For Each has %d children, want %d", len(step.Children), n)
	}
	for _, id := range step.Children {
		c, err := srv.Store.Execution(t.Context(), id)
		if err != nil || c.ParentID != run.ID || c.FlowID != helper || c.Status != flows.StatusSucceeded {
			t.Fatalf("child %s = %+v, %v", id, c, err)
		}
	}
	t.Logf("For Each took %v", time.Duration(step.DurationUS)*time.Microsecond)
}

// TestAsyncChildrenOfPayloadRunsReachTheHistory: a helper flow a payload
// run starts with Call Flow Async, and which ends after the payload run,
// is recorded in the history as the payload run's child.
func TestAsyncChildrenOfPayloadRunsReachTheHistory(t *testing.T) {
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	helper := helperFlow(t, srv, "Later", nil,
		flows.Node{ID: "wait", Type: flows.ControlWaitFor, Bindings: map[string]flows.Binding{"seconds": {Value: 0.3}}})
	flowID, hook := webtest.OktaFlowWith(t, srv, flows.Node{ID: "start", Type: flows.ControlCallFlowAsync, Bindings: map[string]flows.Binding{
		"flow": {Value: float64(helper)}}})

	webtest.PostOktaEvent(t, srv, hook, 1)
	run := finishedPayloadRun(t, srv, flowID)
	if run.Status != flows.StatusSucceeded {
		t.Fatalf("the payload run %s: %s", run.Status, run.Error)
	}
	step := stepOf(t, run, "start")
	if len(step.Children) != 1 {
		t.Fatalf("Call Flow Async has children %v, want one", step.Children)
	}
	id := step.Children[0]
	var child *flows.Execution
	webtest.WaitFor(t, "the async child in the history", func() bool {
		c, err := srv.Store.Execution(t.Context(), id)
		if err != nil || !c.Status.IsFinal() {
			return false
		}
		child = c
		return true
	})
	if child.ParentID != run.ID || child.FlowID != helper || child.Trigger != flows.TriggerHelper || child.Status != flows.StatusSucceeded {
		t.Fatalf("the async child = parent %q (want %q), flow %d (want %d), trigger %s, status %s (%s)",
			child.ParentID, run.ID, child.FlowID, helper, child.Trigger, child.Status, child.Error)
	}
	if d := time.Duration(stepOf(t, child, "wait").DurationUS) * time.Microsecond; d < 300*time.Millisecond {
		t.Fatalf("the child's Wait For took %v, want 0.3 s", d)
	}
}

// TestCancelPayloadRun: a payload run still going after a second shows as
// running and is canceled, with the helper flow it waits on, through the
// API and through the history's form; its delivery is done.
func TestCancelPayloadRun(t *testing.T) {
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	ctx := context.Background()
	helper := helperFlow(t, srv, "Slow", nil,
		flows.Node{ID: "wait", Type: flows.ControlWaitFor, Bindings: map[string]flows.Binding{"seconds": {Value: 30.0}}})
	flowID, hook := webtest.OktaFlowWith(t, srv, flows.Node{ID: "call", Type: flows.ControlCallFlow, Bindings: map[string]flows.Binding{
		"flow": {Value: float64(helper)}}})
	webtest.CancelOnFailure(t, srv, flowID, nil)

	// ended checks a canceled run and the helper flow it called.
	ended := func(t *testing.T, id string) {
		t.Helper()
		run, err := srv.Store.Execution(ctx, id)
		if err != nil || run.Status != flows.StatusCanceled || run.Trigger != flows.TriggerPayload {
			t.Fatalf("the run = %+v, %v", run, err)
		}
		step := stepOf(t, run, "call")
		if len(step.Children) != 1 {
			t.Fatalf("Call Flow has children %v, want one", step.Children)
		}
		child, err := srv.Store.Execution(ctx, step.Children[0])
		if err != nil || child.ParentID != id || child.FlowID != helper || child.Status != flows.StatusCanceled {
			t.Fatalf("the helper's run = %+v, %v", child, err)
		}
		webtest.WaitFor(t, "the delivery done", func() bool {
			n, err := srv.Store.CountQueuedDeliveries(ctx)
			return err == nil && n == 0
		})
	}

	t.Run("api", func(t *testing.T) {
		webtest.PostOktaEvent(t, srv, hook, 1)
		running := webtest.WaitPayloadRun(t, srv, flowID, flows.StatusRunning)
		_, body := srv.SignedIn(t).Get(t, "/executions?status=running")
		rows := parse(t, body).Find(`[data-testid="execution-row"][data-id="` + running.ID + `"]`)
		if rows.Length() != 1 || rows.AttrOr("data-status", "") != string(flows.StatusRunning) {
			t.Fatalf("the list of running executions does not show %s: %d rows", running.ID, rows.Length())
		}
		x := webtest.APIJSON(t, srv.NewClient(), srv.Token(t), http.MethodPost, "/api/v1/executions/"+running.ID+"/cancel", nil, http.StatusOK)
		if x["id"] != running.ID || x["status"] != string(flows.StatusCanceled) {
			t.Fatalf("cancel answered %v", x)
		}
		ended(t, running.ID)
		// An execution that has ended cannot be canceled again.
		webtest.APIJSON(t, srv.NewClient(), srv.Token(t), http.MethodPost, "/api/v1/executions/"+running.ID+"/cancel", nil, http.StatusConflict)
	})

	t.Run("form", func(t *testing.T) {
		webtest.PostOktaEvent(t, srv, hook, 2)
		running := webtest.WaitPayloadRun(t, srv, flowID, flows.StatusRunning)
		if res, _ := webtest.PostConnectorForm(t, srv.SignedIn(t), "/executions/"+running.ID+"/cancel", url.Values{}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("cancel: %d", res.StatusCode)
		}
		webtest.WaitFor(t, "the run canceled", func() bool {
			e, err := srv.Store.Execution(ctx, running.ID)
			return err == nil && e.Status.IsFinal()
		})
		ended(t, running.ID)
		if n := len(webtest.PayloadRuns(t, srv.Store, flowID)); n != 2 {
			t.Fatalf("%d payload runs, want 2", n)
		}
	})
}

// TestCancelReachesTheInstanceThatRuns runs two servers on one Postgres:
// a run going on in one is canceled through the other's API.
func TestCancelReachesTheInstanceThatRuns(t *testing.T) {
	url := storetest.PostgresURL(t)
	runner := webtest.StartWith(t, webtest.Options{DatabaseURL: url})
	other := webtest.StartWith(t, webtest.Options{DatabaseURL: url})
	ctx := context.Background()
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Slow")
	def.Cards = []flows.Node{{ID: "wait", Type: flows.ControlWaitFor, Bindings: map[string]flows.Binding{"seconds": {Value: 30.0}}}}
	f, err := runner.Store.CreateFlow(ctx, flows.Flow{Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	token := runner.Token(t)
	done := make(chan map[string]any, 1)
	go func() {
		code, body := runner.NewClient().API(t, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", f.ID), `{"input":{}}`)
		m := map[string]any{"code": code}
		if code == http.StatusOK {
			m = apiBody(body)
		}
		done <- m
	}()
	var running []*flows.Execution
	webtest.WaitFor(t, "the run to show as running", func() bool {
		running, _ = other.Store.Executions(ctx, store.ExecutionFilter{FlowID: f.ID, Status: flows.StatusRunning})
		return len(running) == 1
	})
	if other.Engine.Running(running[0].ID) || !runner.Engine.Running(running[0].ID) {
		t.Fatal("the run is not the first server's alone")
	}
	got := webtest.APIJSON(t, other.NewClient(), token, "POST", "/api/v1/executions/"+running[0].ID+"/cancel", nil, http.StatusOK)
	if got["status"] != string(flows.StatusCanceled) {
		t.Fatalf("cancel through the other server answered %v", got)
	}
	select {
	case m := <-done:
		if m["status"] != string(flows.StatusCanceled) || m["id"] != running[0].ID {
			t.Fatalf("the run ended %v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the run was not canceled")
	}
}

// apiBody decodes an API answer.
func apiBody(body string) map[string]any {
	var m map[string]any
	json.Unmarshal([]byte(body), &m)
	return m
}
