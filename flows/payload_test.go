package flows_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
)

func TestReadsJSONBody(t *testing.T) {
	ref := func(field, path string) flows.Binding {
		return flows.Binding{Ref: &flows.Ref{Card: "event", Field: field, Path: path}}
	}
	for _, tt := range []struct {
		name string
		b    flows.Binding
		want bool
	}{
		{"a path inside the body", ref("body", "data.events"), true},
		{"the whole body", ref("body", ""), false},
		{"a header", ref("headers", "x-id"), false},
		{"a path inside the body, in text", flows.Binding{Parts: []flows.Part{{Text: "id "}, {Ref: &flows.Ref{Card: "event", Field: "body", Path: "id"}}}}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			def, _ := flows.NewDefinition(flows.KindWebhookEvent, "Events")
			def.Event.ID = "event"
			def.Cards = []flows.Node{{ID: "if", Type: flows.ControlIfElse, Lanes: []flows.Lane{{Name: "then", Cards: []flows.Node{
				{ID: "c", Type: "text.compose", Bindings: map[string]flows.Binding{"text": tt.b}}}}}}}
			if got := def.ReadsJSONBody(); got != tt.want {
				t.Fatalf("ReadsJSONBody = %v", got)
			}
		})
	}
}

func TestRerunnable(t *testing.T) {
	workspace := flows.Flow{ID: 1, Definition: flows.Definition{Event: flows.Node{Outputs: []flows.Field{{Key: "n", Type: flows.TypeNumber}}}}}
	connector := flows.Flow{ID: 2, ConnectorID: 9}
	in := map[string]any{"n": 1.0}
	event := []flows.Step{{CardID: "event"}, {CardID: "flaky"}}
	for _, tt := range []struct {
		name string
		x    flows.Execution
		f    flows.Flow
		want string // "" when it can be re-run
	}{
		{"a failed workspace run", flows.Execution{Status: flows.StatusFailed, Revision: 3, Input: in}, workspace, ""},
		{"a running one", flows.Execution{Status: flows.StatusRunning, Revision: 3, Input: in}, workspace, "still running"},
		{"without its input", flows.Execution{Status: flows.StatusFailed, Revision: 3}, workspace, "input was not saved"},
		{"a connector's run that failed on the way", flows.Execution{Status: flows.StatusFailed, Trigger: flows.TriggerPayload, WorkspaceFlow: 1,
			ErrorCard: "flaky", Steps: event, Input: in}, connector, ""},
		{"a re-run of it", flows.Execution{Status: flows.StatusFailed, Trigger: flows.TriggerRerun, WorkspaceFlow: 1,
			ErrorCard: "flaky", Steps: event, Input: in}, connector, ""},
		{"a request that cannot be read", flows.Execution{Status: flows.StatusFailed, Trigger: flows.TriggerPayload, WorkspaceFlow: 1,
			ErrorCard: "event", Steps: event, Input: in}, connector, "fail the same way"},
		{"a connector's run that started the flow", flows.Execution{Status: flows.StatusSucceeded, Trigger: flows.TriggerPayload, WorkspaceFlow: 1,
			Steps: event, Input: in}, connector, "re-run those"},
		{"a connector's run before runs named their flow", flows.Execution{Status: flows.StatusFailed, Trigger: flows.TriggerPayload,
			ErrorCard: "flaky", Steps: event, Input: in}, connector, "re-run the flow runs it started"},
		{"a registration", flows.Execution{Status: flows.StatusFailed, Trigger: flows.TriggerRegistration, WorkspaceFlow: 1}, connector, "turned ON"},
		{"a deregistration", flows.Execution{Status: flows.StatusFailed, Trigger: flows.TriggerDeregistration, WorkspaceFlow: 1}, connector, "turned OFF"},
		{"a test run of a connector's draft", flows.Execution{Status: flows.StatusFailed, Trigger: flows.TriggerTest, Revision: 2, Input: in}, connector, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := flows.Rerunnable(&tt.x, tt.f)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("not re-runnable: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			case err != nil && !errors.Is(err, flows.ErrInvalid) && !errors.Is(err, flows.ErrConflict):
				t.Fatalf("err = %v wraps neither ErrInvalid nor ErrConflict", err)
			}
		})
	}
}
