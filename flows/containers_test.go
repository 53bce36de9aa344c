package flows_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/hookflow/hookflow/flows"
	. "github.com/hookflow/hookflow/flows/flowstest"
)

// TestContainerLanesEndLikeHelperFlows: Return, Return Raw and Continue If
// in a lane of If/Else, If/ElseIf or If Error end that lane only: their
// values become the container's outputs and the flow goes on after it. A
// Return Error fails the lane; an If Error around it catches it with its
// status and message, and without one it fails the flow.
func TestContainerLanesEndLikeHelperFlows(t *testing.T) {
	after := Card("after", "fake.upper", In("text", Static("after")))
	tests := []struct {
		name       string
		container  flows.Node
		wantStatus flows.Status
		wantErr    string
		wantOut    map[string]any // the container's outputs
		wantSteps  []string
	}{
		{
			name: "return in an if/else lane",
			container: Card("c", flows.ControlIfElse, In("a", Static(1.0)), In("operator", Static("equal")), In("b", Static(1.0)),
				Outputs(F("who", flows.TypeText), F("n", flows.TypeNumber)),
				Lane("then", Cards(
					Card("r", flows.ControlReturn, Inputs(F("who", flows.TypeText), F("n", flows.TypeText)), In("who", Static("ada")), In("n", Static("7"))),
					Card("skipped", "fake.fail")), Sets("who", Static("not this"))),
				Lane("else", nil)),
			wantStatus: flows.StatusSucceeded,
			wantOut:    map[string]any{"who": "ada", "n": 7.0},
			wantSteps:  []string{"event", "c", "r", "after"},
		},
		{
			name: "return raw in an if/elseif lane",
			container: Card("c", flows.ControlIfElseIf, Outputs(F("status", flows.TypeNumber)),
				Lane("first", Cards(Card("rr", flows.ControlReturnRaw, In("status", Static(404.0)), In("body", Static("gone")))),
					When("a", Static(2.0)), When("operator", Static("greater")), When("b", Static(1.0))),
				Lane("else", nil, Sets("status", Static(200.0)))),
			wantStatus: flows.StatusSucceeded,
			wantOut:    map[string]any{"status": 404.0, "body": "gone", "headers": nil},
			wantSteps:  []string{"event", "c", "rr", "after"},
		},
		{
			name: "continue if in an if error's try lane",
			container: Card("c", flows.ControlIfError, Outputs(F("msg", flows.TypeText)),
				Lane("try", Cards(
					Card("ci", flows.ControlContinueIf, In("a", Static("x")), In("operator", Static("equal")), In("b", Static("y"))),
					Card("skipped", "fake.fail")), Sets("msg", Static("not this"))),
				Lane("catch", Cards(Card("never", "fake.fail")))),
			wantStatus: flows.StatusSucceeded,
			wantOut:    map[string]any{"msg": nil},
			wantSteps:  []string{"event", "c", "ci", "after"},
		},
		{
			name: "return error in a try lane is caught with its status",
			container: Card("c", flows.ControlIfError, Outputs(F("status", flows.TypeNumber)),
				Lane("try", Cards(Card("re", flows.ControlReturnError, In("status", Static(409.0)), In("message", Static("taken"))))),
				Lane("catch", Cards(Card("seen", "fake.upper", In("text", Ref("c", "error", "message")))), Sets("status", Ref("c", "error", "status")))),
			wantStatus: flows.StatusSucceeded,
			wantSteps:  []string{"event", "c", "re", "seen", "after"},
		},
		{
			name: "return error in an if/else lane fails the flow",
			container: Card("c", flows.ControlIfElse, In("a", Static(1.0)), In("operator", Static("equal")), In("b", Static(1.0)),
				Lane("then", Cards(Card("re", flows.ControlReturnError, In("message", Static("bad input"))))),
				Lane("else", nil)),
			wantStatus: flows.StatusFailed,
			wantErr:    "bad input",
			wantSteps:  []string{"event", "c", "re"},
		},
		{
			name: "return in a catch lane",
			container: Card("c", flows.ControlIfError, Outputs(F("fallback", flows.TypeText)),
				Lane("try", Cards(Card("f", "fake.fail"))),
				Lane("catch", Cards(Card("r", flows.ControlReturn, Inputs(F("fallback", flows.TypeText)), In("fallback", Static("default")))))),
			wantStatus: flows.StatusSucceeded,
			wantSteps:  []string{"event", "c", "f", "r", "after"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := Flow(Manual(), tt.container, after)
			e := Run(t, def, nil)
			if e.Status != tt.wantStatus || (tt.wantErr != "" && e.Error != tt.wantErr) {
				t.Fatalf("status %s, error %q; want %s %q", e.Status, e.Error, tt.wantStatus, tt.wantErr)
			}
			if got := StepIDs(e); !reflect.DeepEqual(got, tt.wantSteps) {
				t.Fatalf("steps %v, want %v", got, tt.wantSteps)
			}
			if tt.wantOut != nil && !reflect.DeepEqual(map[string]any(Step(t, e, "c").Outputs), tt.wantOut) {
				t.Fatalf("container outputs %v, want %v", Step(t, e, "c").Outputs, tt.wantOut)
			}
		})
	}
}

// TestIfErrorObject: the Catch lane sees the failure's message, card,
// status, flow and execution.
func TestIfErrorObject(t *testing.T) {
	def := Flow(Manual(),
		Card("c", flows.ControlIfError, Outputs(F("error", flows.TypeObject)),
			Lane("try", Cards(Card("re", flows.ControlReturnError, In("status", Static(422.0)), In("message", Static("no email"))))),
			Lane("catch", nil)))
	def.Name = "Checks users"
	e := Run(t, def, nil)
	got := Step(t, e, "c").Outputs["error"]
	want := map[string]any{"message": "no email", "card": "re", "status": 422.0, "flow": "Checks users", "flowId": 0.0, "execution": e.ID}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("error object %v, want %v", got, want)
	}
	// A card's failure has status 500 unless it was an HTTP status.
	def = Flow(Manual(), Card("c", flows.ControlIfError, Lane("try", Cards(Card("f", "fake.fail"))), Lane("catch", nil)))
	e = Run(t, def, nil)
	if info := Step(t, e, "c").Outputs["error"].(map[string]any); info["status"] != 500.0 || info["card"] != "f" || info["message"] != "boom" {
		t.Fatalf("error object %v", info)
	}
}

// TestReturnErrorStatus: Return Error fails the run with its status code,
// 500 unless given.
func TestReturnErrorStatus(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status flows.Binding
		want   float64
	}{
		{"default", flows.Binding{}, 500},
		{"given", Static(403.0), 403},
		{"not an error status", Static(200.0), 500},
	} {
		t.Run(tt.name, func(t *testing.T) {
			re := Card("re", flows.ControlReturnError, In("message", Static("no")))
			if tt.status.Value != nil {
				re.Bindings["status"] = tt.status
			}
			def := Flow(Manual(), Card("c", flows.ControlIfError, Lane("try", Cards(re)), Lane("catch", nil)))
			e := Run(t, def, nil)
			if got := Step(t, e, "c").Outputs["error"].(map[string]any)["status"]; got != tt.want {
				t.Fatalf("status %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSaveDataChangesOnlyWhatIsStored: with "save all data" off, the run
// computes the same (Call Flow still returns the helper's outputs, the
// flow's Return its output), and only what is recorded leaves them out.
func TestSaveDataChangesOnlyWhatIsStored(t *testing.T) {
	off := false
	helper := Kind(Flow(Event(flows.EventHelper, F("item", flows.TypeText)),
		Card("up", "fake.upper", In("text", Ref("event", "item"))),
		Card("ret", flows.ControlReturn, Inputs(F("output", flows.TypeText)), In("output", Ref("up", "output")))), flows.KindHelper)
	helper.SaveData = &off
	def := Flow(Manual(),
		Card("call", flows.ControlCallFlow, Inputs(F("item", flows.TypeText)), Outputs(F("output", flows.TypeText)), In("flow", Static(1.0)), In("item", Static("ada"))),
		Card("ret", flows.ControlReturn, Inputs(F("got", flows.TypeText)), In("got", Ref("call", "output"))))
	def.SaveData = &off
	rec := NewRecorder()
	e, err := Engine(rec, Flows{1: helper}, flows.Limits{}).Run(context.Background(), flows.RunRequest{Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != flows.StatusSucceeded || e.Output["got"] != "ADA" {
		t.Fatalf("run %s %q, output %v: want the helper's output", e.Status, e.Error, e.Output)
	}
	stored := rec.Get(e.ID)
	if stored.Output != nil || Step(t, stored, "call").Outputs != nil {
		t.Fatalf("stored with data: %+v", stored)
	}
	child := rec.Get(Step(t, e, "call").Children[0])
	if child.Status != flows.StatusSucceeded || child.Output != nil {
		t.Fatalf("stored helper run %+v", child)
	}
}
