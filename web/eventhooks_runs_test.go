package web_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

// hookTally is what a HookReceiver got: each event's times received by
// uuid, each delivery's eventId's times, and the events by run.
type hookTally struct {
	byUUID     map[string]int
	byDelivery map[string]int
	byRun      map[string][]flows.HookEvent
}

// tallyHook reads the deliveries r received.
func tallyHook(t *testing.T, r *webtest.HookReceiver) hookTally {
	t.Helper()
	n := hookTally{byUUID: map[string]int{}, byDelivery: map[string]int{}, byRun: map[string][]flows.HookEvent{}}
	for _, p := range r.Received() {
		var env flows.HookEnvelope
		if err := json.Unmarshal(p.Body, &env); err != nil {
			t.Fatalf("a delivery's body %s: %v", p.Body, err)
		}
		if h := p.Header.Get(flows.HeaderHookEventID); h != env.EventID {
			t.Errorf("a delivery's %s header %q, its eventId %q", flows.HeaderHookEventID, h, env.EventID)
		}
		n.byDelivery[env.EventID]++
		for _, raw := range env.Data.Events {
			var ev flows.HookEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			n.byUUID[ev.UUID]++
			if len(ev.Target) > 0 {
				n.byRun[ev.Target[0].ID] = append(n.byRun[ev.Target[0].ID], ev)
			}
		}
	}
	return n
}

// once checks that the run raised one event, of type want, received once,
// and that no delivery was sent twice.
func (n hookTally) once(t *testing.T, what, run string, want flows.HookEventType) {
	t.Helper()
	evs := n.byRun[run]
	if len(evs) != 1 || evs[0].EventType != want {
		t.Errorf("%s (%s) raised %+v, want one %s", what, run, evs, want)
		return
	}
	if c := n.byUUID[evs[0].UUID]; c != 1 {
		t.Errorf("%s's event %s received %d times", what, evs[0].UUID, c)
	}
	for id, c := range n.byDelivery {
		if c != 1 {
			t.Errorf("delivery %s sent %d times", id, c)
		}
	}
}

// receivingHook creates an event hook at r for the events, through the
// API, and verifies it.
func receivingHook(t *testing.T, srv *webtest.Server, r *webtest.HookReceiver, events ...flows.HookEventType) {
	t.Helper()
	c, token := srv.NewClient(), srv.Token(t)
	types, _ := json.Marshal(events)
	created := webtest.APICall(t, c, token, "POST", "/api/v1/event-hooks", fmt.Sprintf(`{"name":"Runs","url":%q,"events":%s}`, r.URL+"/hook", types), 201)
	webtest.APICall(t, c, token, "POST", fmt.Sprintf("/api/v1/event-hooks/%d/verify", int64(created["id"].(float64))), "", 200)
}

// hookRunsTiming sends a batch 20 ms after its first event.
var hookRunsTiming = flows.HookTiming{BatchWait: 20 * time.Millisecond}

// settle is long enough for an event sent again to arrive: the relay
// looks every second, a batch waits 20 ms.
const settle = 2500 * time.Millisecond

func failCard(msg string) flows.Node {
	return flows.Node{ID: "fail", Type: flows.ControlReturnError, Bindings: map[string]flows.Binding{"message": {Value: msg}}}
}

// TestHookWaitingRunFailsOnce: a payload run stored waiting at a Wait For
// raises nothing while it waits, and, resumed, fails and raises one
// execution.failed, received once, on SQLite and Postgres.
func TestHookWaitingRunFailsOnce(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			srv := webtest.WaitsServer(t, webtest.Options{DatabaseURL: db.URL(t), HookTiming: hookRunsTiming})
			r := webtest.NewHookReceiver(t)
			receivingHook(t, srv, r, flows.EventExecutionFailed, flows.EventExecutionSucceeded)
			flowID, hook := webtest.OktaFlowWith(t, srv, webtest.WaitForNode(1.5, "seconds"), failCard("out of stock"))
			webtest.PostOktaEvent(t, srv, hook, 1)
			x := webtest.WaitPayloadRun(t, srv, flowID, flows.StatusWaiting)
			// Its record as waiting is written: an event of it would
			// arrive within a batch's wait.
			time.Sleep(500 * time.Millisecond)
			if evs := tallyHook(t, r).byRun[x.ID]; len(evs) > 0 {
				t.Fatalf("the waiting run raised %+v", evs)
			}
			if e := endedRun(t, srv, x.ID); e.Status != flows.StatusFailed {
				t.Fatalf("the run ended %s (%s), want failed", e.Status, e.Error)
			}
			webtest.WaitFor(t, "the run's event", func() bool { return len(tallyHook(t, r).byRun[x.ID]) > 0 })
			time.Sleep(settle)
			n := tallyHook(t, r)
			n.once(t, "the run", x.ID, flows.EventExecutionFailed)
			n.once(t, "the connector's run", x.ParentID, flows.EventExecutionSucceeded)
			if len(n.byUUID) != 2 {
				t.Errorf("%d events received, want 2 (the run's and its connector run's): %v", len(n.byUUID), n.byRun)
			}
		})
	}
}

// TestHookAsyncChildFailsOnce: payload runs each start a helper flow with
// Call Flow Async and succeed; the helper fails, at once, after a wait
// held in memory, or after a wait it is stored for. Each child raises one
// execution.failed and each parent one execution.succeeded, each received
// once, on SQLite and Postgres.
func TestHookAsyncChildFailsOnce(t *testing.T) {
	cases := []struct {
		name  string
		cards []flows.Node
	}{
		{"fails at once", nil},
		{"fails after a wait in memory", []flows.Node{webtest.WaitForNode(0.1, "seconds")}},
		{"fails after a stored wait", []flows.Node{webtest.WaitForNode(1, "seconds")}},
	}
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			srv := webtest.WaitsServer(t, webtest.Options{DatabaseURL: db.URL(t), HookTiming: hookRunsTiming})
			r := webtest.NewHookReceiver(t)
			receivingHook(t, srv, r, flows.EventExecutionFailed, flows.EventExecutionSucceeded)
			var starts [][]flows.Node
			for _, tt := range cases {
				helper := helperFlow(t, srv, "Refund "+tt.name, nil, append(tt.cards, failCard("refund refused"))...)
				starts = append(starts, []flows.Node{{ID: "start", Type: flows.ControlCallFlowAsync,
					Bindings: map[string]flows.Binding{"flow": {Value: float64(helper)}}}})
			}
			ids, hooks := webtest.OktaFlows(t, srv, starts...)
			for i, tt := range cases {
				t.Run(tt.name, func(t *testing.T) {
					webtest.PostOktaEvent(t, srv, hooks[i], i+1)
					parent := finishedPayloadRun(t, srv, ids[i])
					if parent.Status != flows.StatusSucceeded {
						t.Fatalf("the payload run %s (%s), want succeeded", parent.Status, parent.Error)
					}
					child := stepOf(t, parent, "start").Children[0]
					if e := endedRun(t, srv, child); e.Status != flows.StatusFailed {
						t.Fatalf("the child ended %s (%s), want failed", e.Status, e.Error)
					}
					webtest.WaitFor(t, "both runs' events", func() bool {
						n := tallyHook(t, r)
						return len(n.byRun[child]) > 0 && len(n.byRun[parent.ID]) > 0
					})
					time.Sleep(settle)
					n := tallyHook(t, r)
					n.once(t, "the child", child, flows.EventExecutionFailed)
					n.once(t, "the parent", parent.ID, flows.EventExecutionSucceeded)
					n.once(t, "the connector's run", parent.ParentID, flows.EventExecutionSucceeded)
				})
			}
			// Nothing else was raised: per payload, the connector's run, the
			// workspace run and its child.
			if n := tallyHook(t, r); len(n.byUUID) != 3*len(cases) {
				t.Errorf("%d events received, want %d: %v", len(n.byUUID), 3*len(cases), n.byRun)
			}
		})
	}
}
