package flows_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	. "github.com/hookflow/hookflow/flows/flowstest"
)

// TestRunAnswers checks the answer a run gives its caller (Respond) for
// each way it can end, and that it gives exactly one, before it is
// recorded.
func TestRunAnswers(t *testing.T) {
	tests := []struct {
		name       string
		def        flows.Definition
		wantStatus int
		wantBody   string
		wantHeader map[string]string
		// wantSteps are the cards that must have run (after an HTTP Close).
		wantSteps  []string
		wantFailed bool
	}{
		{
			name:       "return answers its fields as JSON",
			def:        Flow(Manual(), Card("ret", flows.ControlReturn, Inputs(F("id", text)), In("id", Static("42")))),
			wantStatus: 200, wantBody: `{"id":"42"}`, wantHeader: map[string]string{"Content-Type": "application/json"},
		},
		{
			name:       "no return answers an empty object",
			def:        Flow(Manual(), Card("up", "fake.upper", In("text", Static("x")))),
			wantStatus: 200, wantBody: `{}`,
		},
		{
			name: "return raw answers its status, headers and text",
			def: Flow(Manual(), Card("rr", flows.ControlReturnRaw, In("status", Static(404.0)),
				In("headers", Static(map[string]any{"X-Reason": "gone"})), In("body", Static("no such user")))),
			wantStatus: 404, wantBody: "no such user", wantHeader: map[string]string{"X-Reason": "gone", "Content-Type": "text/plain; charset=utf-8"},
		},
		{
			name:       "return raw with a status it may not send fails the run",
			def:        Flow(Manual(), Card("rr", flows.ControlReturnRaw, In("status", Static(302.0)))),
			wantStatus: 500, wantBody: `{"error":{"status":500,"message":"the status code must be 200 or 400 to 599, not \"302\""}}`,
			wantFailed: true,
		},
		{
			name:       "return error answers its status and message",
			def:        Flow(Manual(), Card("re", flows.ControlReturnError, In("status", Static(422.0)), In("message", Static("email is missing")))),
			wantStatus: 422, wantBody: `{"error":{"status":422,"message":"email is missing"}}`,
			wantFailed: true,
		},
		{
			name:       "a failing card answers 500 with its error",
			def:        Flow(Manual(), Card("bad", "fake.fail")),
			wantStatus: 500, wantBody: `{"error":{"status":500,"message":"boom"}}`,
			wantFailed: true,
		},
		{
			name: "http close answers at once and the flow goes on",
			def: Flow(Manual(),
				Card("close", flows.ControlHTTPClose, In("status", Static(202.0)), In("body", Static(map[string]any{"queued": true}))),
				Card("after", "fake.upper", In("text", Static("later"))),
				Card("ret", flows.ControlReturn, Inputs(F("done", text)), In("done", Static("yes")))),
			wantStatus: 202, wantBody: `{"queued":true}`, wantHeader: map[string]string{"Content-Type": "application/json"},
			wantSteps: []string{"event", "close", "after", "ret"},
		},
		{
			name: "a second http close does not answer again",
			def: Flow(Manual(),
				Card("close1", flows.ControlHTTPClose, In("body", Static("first"))),
				Card("close2", flows.ControlHTTPClose, In("status", Static(500.0)), In("body", Static("second")))),
			wantStatus: 200, wantBody: "first",
			wantSteps: []string{"event", "close1", "close2"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := NewRecorder()
			var answers []flows.Answer
			recordedFirst := false
			exec, err := Engine(rec, nil, flows.Limits{}).Run(context.Background(), flows.RunRequest{Definition: tc.def, Trigger: flows.TriggerAPI,
				Respond: func(a flows.Answer) {
					answers = append(answers, a)
					recordedFirst = len(rec.All()) > 0
				}})
			if err != nil {
				t.Fatal(err)
			}
			if len(answers) != 1 {
				t.Fatalf("%d answers, want 1", len(answers))
			}
			a := answers[0]
			if recordedFirst {
				t.Error("the run was recorded before it answered")
			}
			if a.Status != tc.wantStatus || string(a.Body) != tc.wantBody {
				t.Errorf("answer %d %s, want %d %s", a.Status, a.Body, tc.wantStatus, tc.wantBody)
			}
			for k, v := range tc.wantHeader {
				if a.Headers[k] != v {
					t.Errorf("header %s = %q, want %q (all: %v)", k, a.Headers[k], v, a.Headers)
				}
			}
			if a.ExecutionID != exec.ID {
				t.Errorf("answer names execution %q, the run is %q", a.ExecutionID, exec.ID)
			}
			if (exec.Status == flows.StatusFailed) != tc.wantFailed {
				t.Errorf("run %s (%s)", exec.Status, exec.Error)
			}
			if tc.wantSteps != nil && strings.Join(StepIDs(exec), ",") != strings.Join(tc.wantSteps, ",") {
				t.Errorf("steps %v, want %v", StepIDs(exec), tc.wantSteps)
			}
		})
	}
}

// TestValidateAnswerStatus checks that a static status code out of a
// card's range is a problem when the flow is saved.
func TestValidateAnswerStatus(t *testing.T) {
	tests := []struct {
		name   string
		card   flows.Node
		wantOK bool
	}{
		{"return raw 200", Card("c", flows.ControlReturnRaw, In("status", Static(200.0))), true},
		{"return raw 503", Card("c", flows.ControlReturnRaw, In("status", Static(503.0))), true},
		{"return raw 201", Card("c", flows.ControlReturnRaw, In("status", Static(201.0))), false},
		{"return raw 399", Card("c", flows.ControlReturnRaw, In("status", Static(399.0))), false},
		{"http close 202", Card("c", flows.ControlHTTPClose, In("status", Static(202.0))), true},
		{"http close 301", Card("c", flows.ControlHTTPClose, In("status", Static(301.0))), false},
		{"http close 600", Card("c", flows.ControlHTTPClose, In("status", Static(600.0))), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := flows.Validate(Flow(Event(flows.EventAPIEndpoint), tc.card), Registry())
			if (err == nil) != tc.wantOK {
				t.Errorf("Validate = %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), "the status code must be") {
				t.Errorf("Validate = %v, want the status problem", err)
			}
		})
	}
}
