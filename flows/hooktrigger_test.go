package flows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	. "github.com/hookflow/hookflow/flows/flowstest"
)

// failed is the execution.failed event of a run of flow, whose
// execution may be marked as caused by a Hookflow event.
func failed(flow int64, name string, marked bool) flows.HookEvent {
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	ev, _ := flows.ExecutionEvent(&flows.Execution{ID: "01run", FlowID: flow, FlowName: name, Status: flows.StatusFailed,
		Trigger: flows.TriggerAPI, StartedAt: at, FinishedAt: at, Error: "card call: HTTP 500", ByHookEvent: marked})
	return ev
}

// TestHookTriggerMatches: the chosen types pass, filtered by flow or
// connector; an execution event about the listening flow itself, or
// about a run a Hookflow event caused, never does.
func TestHookTriggerMatches(t *testing.T) {
	deployed := flows.NewHookEvent(flows.EventConnectorDeployed, flows.SystemActor(), "Connector deployed", "",
		flows.HookActor{ID: "4", Type: "Connector", DisplayName: "Acme"})
	connectorRun := failed(30, "Acme: new order", false)
	connectorRun.Target[0].DetailEntry["workspaceFlow"] = 8
	on := func(events ...flows.HookEventType) flows.HookTrigger {
		return flows.HookTrigger{Flow: 9, Events: events}
	}
	tests := []struct {
		name    string
		trigger flows.HookTrigger
		ev      flows.HookEvent
		want    bool
	}{
		{"another flow's failure", on(flows.EventExecutionFailed), failed(7, "Orders", false), true},
		{"a type not chosen", on(flows.EventFlowActivated), failed(7, "Orders", false), false},
		{"its own failure", on(flows.EventExecutionFailed), failed(9, "Alerts", false), false},
		{"a run a Hookflow event caused", on(flows.EventExecutionFailed), failed(7, "Pager", true), false},
		{"filtered on that flow", flows.HookTrigger{Flow: 9, Events: []flows.HookEventType{flows.EventExecutionFailed}, OfFlow: 7}, failed(7, "Orders", false), true},
		{"filtered on another flow", flows.HookTrigger{Flow: 9, Events: []flows.HookEventType{flows.EventExecutionFailed}, OfFlow: 8}, failed(7, "Orders", false), false},
		{"a connector's run for the flow filtered on", flows.HookTrigger{Flow: 9, Events: []flows.HookEventType{flows.EventExecutionFailed}, OfFlow: 8}, connectorRun, true},
		{"filtered on the connector", flows.HookTrigger{Flow: 9, Events: []flows.HookEventType{flows.EventConnectorDeployed}, Connector: 4}, deployed, true},
		{"filtered on another connector", flows.HookTrigger{Flow: 9, Events: []flows.HookEventType{flows.EventConnectorDeployed}, Connector: 5}, deployed, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.trigger.Matches(tc.ev); got != tc.want {
				t.Errorf("Matches = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestHookTriggerSettings: the settings are checked when the flow is
// saved, in plain words naming the field.
func TestHookTriggerSettings(t *testing.T) {
	tests := []struct {
		name   string
		events any
		want   string
	}{
		{"one type", []any{"execution.failed"}, ""},
		{"names separated by commas", "flow.activated, execution.failed", ""},
		{"none", []any{}, "choose at least one event type"},
		{"an unknown type", []any{"execution.failed", "flow.exploded"}, `"flow.exploded" is not a Hookflow event`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := Flow(flows.Node{ID: "event", Type: flows.EventHookflow, Bindings: map[string]flows.Binding{flows.FieldHookEvents: Static(tc.events)}})
			def.Kind = flows.KindWorkspace
			err := flows.Validate(def, Registry())
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "events") {
				t.Fatalf("error %v, want one saying %q about events", err, tc.want)
			}
		})
	}
	var def flows.Definition
	def.Event = flows.NewHookflowEvent()
	if err := flows.SetHookTrigger(&def, []string{"table.cleared", "execution.failed", "table.cleared"}, 7, 0); err != nil {
		t.Fatal(err)
	}
	tr, err := flows.HookTriggerOf(flows.Flow{ID: 3, Definition: def})
	if err != nil || tr.Flow != 3 || tr.OfFlow != 7 || len(tr.Events) != 2 || tr.Events[0] != flows.EventExecutionFailed {
		t.Errorf("set and read back: %+v %v", tr, err)
	}
}

// TestHookEventInput: the card's outputs are the event's fields and flat
// fields for the flow, the execution and the error.
func TestHookEventInput(t *testing.T) {
	ev := failed(7, "Orders", false)
	in := flows.HookEventInput(ev)
	for key, want := range map[string]any{"eventType": "execution.failed", "flowId": 7.0, "flowName": "Orders", "executionId": "01run",
		"error": "card call: HTTP 500", "result": "FAILURE", "uuid": ev.UUID, "displayMessage": "Flow run failed"} {
		if in[key] != want {
			t.Errorf("%s = %v, want %v", key, in[key], want)
		}
	}
	if targets, _ := in["target"].([]any); len(targets) != 2 {
		t.Errorf("target = %v", in["target"])
	}
	if a := flows.HookRunID(ev, 9); a != flows.HookRunID(ev, 9) || a == flows.HookRunID(ev, 10) || len(a) != 26 {
		t.Errorf("run ids: %s", a)
	}
}

// TestHookRunsAreMarked: a run a Hookflow event started, and a helper it
// calls that fails, raise execution events with the marker; a run
// started otherwise does not.
func TestHookRunsAreMarked(t *testing.T) {
	rec := NewRecorder()
	eng := Engine(rec, helpers, flows.Limits{})
	def := Flow(Manual(), Card("c", flows.ControlCallFlow, In("flow", Static(4.0))))
	for _, tc := range []struct {
		trigger flows.Trigger
		marked  bool
	}{{flows.TriggerHookEvent, true}, {flows.TriggerManual, false}} {
		e, err := eng.Run(context.Background(), flows.RunRequest{Definition: def, Trigger: tc.trigger})
		if err != nil || e.Status != flows.StatusFailed {
			t.Fatalf("run: %v %v", e.Status, err)
		}
		for _, x := range rec.All() {
			if x.ID != e.ID && x.ParentID != e.ID {
				continue
			}
			ev, ok := flows.ExecutionEvent(x)
			if !ok {
				t.Fatalf("no event for %s", x.ID)
			}
			if marked := ev.Target[0].DetailEntry[flows.HookEventMarker] == true; marked != tc.marked {
				t.Errorf("%s run %s (parent %q): marked %v, want %v", tc.trigger, x.ID, x.ParentID, marked, tc.marked)
			}
		}
	}
}
