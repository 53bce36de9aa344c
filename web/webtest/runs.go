package webtest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
)

// HTTPFailFlow is a manual flow whose HTTP card calls url, which answers 500.
func HTTPFailFlow(name, url string) string {
	return fmt.Sprintf(`{"schema":1,"kind":"workspace","name":%q,"event":{"id":"event","type":"event.manual"},
		"cards":[{"id":"call","type":"http.get","bindings":{"url":{"value":%q}}}]}`, name, url)
}

// APIFlowCreate creates a flow from its document def through the API and
// returns its id.
func APIFlowCreate(t *testing.T, c *Client, token, def string) int64 {
	t.Helper()
	out := APICall(t, c, token, "POST", "/api/v1/flows", def, 201)
	return int64(out["id"].(float64))
}

// PayloadRunWith returns the flow's payload run with the status, or nil.
func PayloadRunWith(t *testing.T, srv *Server, flowID int64, status flows.Status) *flows.Execution {
	t.Helper()
	for _, e := range PayloadRuns(t, srv.Store, flowID) {
		if e.Status == status {
			return e
		}
	}
	return nil
}

// WaitPayloadRun waits until the flow has a payload run with the status.
func WaitPayloadRun(t *testing.T, srv *Server, flowID int64, status flows.Status) *flows.Execution {
	t.Helper()
	var e *flows.Execution
	WaitFor(t, fmt.Sprintf("a payload run of flow %d with status %s", flowID, status), func() bool {
		e = PayloadRunWith(t, srv, flowID, status)
		return e != nil
	})
	return e
}

// CancelOnFailure lets a waiting run go when the test ends (release, if
// not nil), and, should the test fail before it canceled the flow's
// payload runs, cancels those still going, so that the server stops at
// once. Call it after webtest.StartWith: cleanups run last first.
func CancelOnFailure(t *testing.T, srv *Server, flowID int64, release func()) {
	t.Cleanup(func() {
		if release != nil {
			release()
		}
		if !t.Failed() {
			return
		}
		// A run shows as running after a second.
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			es, _ := srv.Store.Executions(context.Background(), store.ExecutionFilter{FlowID: flowID, Trigger: flows.TriggerPayload, Status: flows.StatusRunning})
			canceled := false
			for _, e := range es {
				canceled = srv.Engine.Cancel(e.ID) || canceled
			}
			if canceled {
				return
			}
		}
	})
}

// WaitsServer starts a server whose Wait For and Wait Until cards store
// the run from 200 ms on, with its queue running.
func WaitsServer(t *testing.T, o Options) *Server {
	t.Helper()
	o.StartQueue, o.DurableWait = true, 200*time.Millisecond
	return StartWith(t, o)
}

// WorkspaceFlow saves a workspace flow with the cards.
func WorkspaceFlow(t *testing.T, srv *Server, saveData bool, cards ...flows.Node) int64 {
	t.Helper()
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Waits")
	def.Cards = cards
	if !saveData {
		def.SaveData = new(bool)
	}
	if err := flows.Validate(def, srv.Web.Registry()); err != nil {
		t.Fatal(err)
	}
	f, err := srv.Store.CreateFlow(context.Background(), flows.Flow{Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	return f.ID
}

// StartRun runs a flow through the API and returns the execution as the
// run answered.
func StartRun(t *testing.T, srv *Server, token string, flowID int64) map[string]any {
	t.Helper()
	return APIJSON(t, srv.NewClient(), token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", flowID), `{"input":{}}`, http.StatusOK)
}

// WaitForNode is a Wait For card that waits d of unit (seconds, minutes…).
func WaitForNode(d float64, unit string) flows.Node {
	return flows.Node{ID: "wait", Type: flows.ControlWaitFor, Bindings: map[string]flows.Binding{"amount": {Value: d}, "unit": {Value: unit}}}
}

// PauseFlow is Resume URL → Pause (approved, note) → Return approved.
func PauseFlow(t *testing.T, srv *Server, amount float64, unit string) int64 {
	return WorkspaceFlow(t, srv, true,
		flows.Node{ID: "url", Type: flows.ControlResumeURL},
		flows.Node{ID: "pause", Type: flows.ControlPause, Outputs: []flows.Field{{Key: "approved", Type: flows.TypeBool}, {Key: "note", Type: flows.TypeText}},
			Bindings: map[string]flows.Binding{"amount": {Value: amount}, "unit": {Value: unit}}},
		flows.Node{ID: "return", Type: flows.ControlReturn, Inputs: []flows.Field{{Key: "approved", Type: flows.TypeBool}},
			Bindings: map[string]flows.Binding{"approved": {Ref: &flows.Ref{Card: "pause", Field: "approved"}}}})
}

// ScheduledFlow saves a workspace flow that starts with a Schedule card
// of the given settings and composes a text from its tick.
func ScheduledFlow(t *testing.T, c *Client, token string, settings map[string]string) int64 {
	t.Helper()
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Every so often")
	def.Event = flows.Node{ID: "event", Type: flows.EventSchedule, Bindings: map[string]flows.Binding{}}
	for k, v := range settings {
		def.Event.Bindings[k] = flows.Binding{Value: v}
	}
	def.Cards = []flows.Node{{ID: "say", Type: "text.compose", Bindings: map[string]flows.Binding{
		"text": {Parts: []flows.Part{{Text: "tick "}, {Ref: &flows.Ref{Card: "event", Field: flows.FieldScheduledAt}}}}}}}
	doc, _ := flows.MarshalDefinition(def)
	return int64(APIJSON(t, c, token, "POST", "/api/v1/flows", string(doc), http.StatusCreated)["id"].(float64))
}

// ScheduleRuns lists a flow's schedule runs, oldest first.
func ScheduleRuns(t *testing.T, st *store.Store, flowID int64) []*flows.Execution {
	t.Helper()
	var out []*flows.Execution
	err := st.EachExecution(context.Background(), store.ExecutionFilter{FlowID: flowID, Trigger: flows.TriggerSchedule}, func(e *flows.Execution) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(out, func(a, b *flows.Execution) int { return a.StartedAt.Compare(b.StartedAt) })
	return out
}
