package flows_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	. "github.com/hookflow/hookflow/flows/flowstest"
)

var (
	text   = flows.TypeText
	number = flows.TypeNumber
	object = flows.TypeObject
)

func TestEngineRunsCards(t *testing.T) {
	tests := []struct {
		name       string
		def        flows.Definition
		input      map[string]any
		wantStatus flows.Status
		wantErr    string // part of the execution's error
		wantOutput map[string]any
		check      func(t *testing.T, e *flows.Execution)
	}{
		{
			name: "reference and text binding",
			def: Flow(Manual(F("name", text)),
				Card("up", "fake.upper", In("text", Ref("event", "name"))),
				Card("greet", "fake.concat", In("a", Text("Hello, ", Ref("up", "output"))), In("b", Static("!"))),
				Card("ret", flows.ControlReturn, Inputs(F("greeting", text)), In("greeting", Ref("greet", "output")))),
			input:      map[string]any{"name": "ada"},
			wantStatus: flows.StatusSucceeded,
			wantOutput: map[string]any{"greeting": "Hello, ADA!"},
			check: func(t *testing.T, e *flows.Execution) {
				if got := StepIDs(e); !reflect.DeepEqual(got, []string{"event", "up", "greet", "ret"}) {
					t.Errorf("steps = %v", got)
				}
				if s := Step(t, e, "up"); s.Inputs["text"] != "ada" || s.Outputs["output"] != "ADA" {
					t.Errorf("step up = %+v", s)
				}
			},
		},
		{
			name: "path into an object and conversion number to text",
			def: Flow(Manual(F("user", object)),
				Card("up", "fake.upper", In("text", Ref("event", "user", "emails", "1"))),
				Card("n", "fake.concat", In("a", Ref("event", "user", "age")))),
			input:      map[string]any{"user": map[string]any{"age": 36.0, "emails": []any{"a@x", "b@x"}}},
			wantStatus: flows.StatusSucceeded,
			check: func(t *testing.T, e *flows.Execution) {
				if Step(t, e, "up").Outputs["output"] != "B@X" || Step(t, e, "n").Outputs["output"] != "36" {
					t.Errorf("outputs %v %v", Step(t, e, "up").Outputs, Step(t, e, "n").Outputs)
				}
			},
		},
		{
			name:       "impossible conversion fails clearly",
			def:        Flow(Manual(F("o", object)), Card("up", "fake.upper", In("text", Static(map[string]any{"a": 1.0})))),
			input:      map[string]any{"o": map[string]any{}},
			wantStatus: flows.StatusSucceeded, // an object becomes its JSON text
		},
		{
			name:       "text that is not a number",
			def:        Flow(Manual(F("n", number))),
			input:      map[string]any{"n": "twelve"},
			wantStatus: flows.StatusFailed,
			wantErr:    `cannot convert text to number: "twelve" is not a number`,
		},
		{
			name: "assign and assign if",
			def: Flow(Manual(F("x", number)),
				Card("as", flows.ControlAssign, Inputs(F("double", number)), In("double", Ref("event", "x"))),
				Card("ai", flows.ControlAssignIf, In("condition", Static(true)), In("then", Ref("as", "double")), In("else", Static("no")))),
			input:      map[string]any{"x": "21"},
			wantStatus: flows.StatusSucceeded,
			check: func(t *testing.T, e *flows.Execution) {
				if Step(t, e, "as").Outputs["double"] != 21.0 || Step(t, e, "ai").Outputs["output"] != 21.0 {
					t.Errorf("assign %v, assign if %v", Step(t, e, "as").Outputs, Step(t, e, "ai").Outputs)
				}
			},
		},
		{
			name: "continue if stops without error",
			def: Flow(Manual(F("x", text)),
				Card("ci", flows.ControlContinueIf, In("a", Ref("event", "x")), In("operator", Static("equal")), In("b", Static("go"))),
				Card("never", "fake.fail")),
			input:      map[string]any{"x": "stop"},
			wantStatus: flows.StatusStopped,
			check: func(t *testing.T, e *flows.Execution) {
				if len(e.Steps) != 2 || e.Error != "" {
					t.Errorf("steps %v error %q", StepIDs(e), e.Error)
				}
			},
		},
		{
			name: "if else takes the else lane and sets outputs",
			def: Flow(Manual(F("email", text)),
				Card("branch", flows.ControlIfElse, In("a", Ref("event", "email")), In("operator", Static("ends_with")), In("b", Static("@example.com")),
					Outputs(F("internal", flows.TypeBool)),
					Lane("then", Cards(Card("t", "fake.upper", In("text", Static("in")))), Sets("internal", Static(true))),
					Lane("else", Cards(Card("e", "fake.upper", In("text", Static("out")))), Sets("internal", Static(false)))),
				Card("ret", flows.ControlReturn, Inputs(F("internal", flows.TypeBool)), In("internal", Ref("branch", "internal")))),
			input:      map[string]any{"email": "charles@example.org"},
			wantStatus: flows.StatusSucceeded,
			wantOutput: map[string]any{"internal": false},
			check: func(t *testing.T, e *flows.Execution) {
				if got := StepIDs(e); !reflect.DeepEqual(got, []string{"event", "branch", "e", "ret"}) {
					t.Errorf("steps = %v", got)
				}
				if Step(t, e, "e").Lane != "branch/else" {
					t.Errorf("lane = %q", Step(t, e, "e").Lane)
				}
			},
		},
		{
			name: "if elseif picks the first matching lane",
			def: Flow(Manual(F("n", number)),
				Card("b", flows.ControlIfElseIf, Outputs(F("size", text)),
					Lane("small", nil, When("a", Ref("event", "n")), When("operator", Static("less")), When("b", Static(10.0)), Sets("size", Static("small"))),
					Lane("medium", nil, When("a", Ref("event", "n")), When("operator", Static("less")), When("b", Static(100.0)), Sets("size", Static("medium"))),
					Lane("else", nil, Sets("size", Static("large"))))),
			input:      map[string]any{"n": 42.0},
			wantStatus: flows.StatusSucceeded,
			check: func(t *testing.T, e *flows.Execution) {
				if got := Step(t, e, "b").Outputs["size"]; got != "medium" {
					t.Errorf("size = %v", got)
				}
			},
		},
		{
			name: "lookup",
			def: Flow(Manual(F("code", text)),
				Card("l", flows.ControlLookup, In("value", Ref("event", "code")), In("cases", Static(map[string]any{"fr": "French", "de": "German"})), In("default", Static("Unknown")))),
			input:      map[string]any{"code": "de"},
			wantStatus: flows.StatusSucceeded,
			check: func(t *testing.T, e *flows.Execution) {
				if Step(t, e, "l").Outputs["result"] != "German" {
					t.Errorf("result = %v", Step(t, e, "l").Outputs)
				}
			},
		},
		{
			name: "if error catches with the error object",
			def: Flow(Manual(),
				Card("ie", flows.ControlIfError, Outputs(F("msg", text)),
					Lane("try", Cards(Card("f", "fake.fail")), Sets("msg", Static("fine"))),
					Lane("catch", Cards(Card("c", "fake.upper", In("text", Ref("ie", "error", "message")))), Sets("msg", Ref("c", "output")))),
				Card("after", "fake.upper", In("text", Ref("ie", "msg")))),
			wantStatus: flows.StatusSucceeded,
			check: func(t *testing.T, e *flows.Execution) {
				if got := Step(t, e, "after").Outputs["output"]; got != "BOOM" {
					t.Errorf("after = %v", got)
				}
				if Step(t, e, "f").Error != "boom" {
					t.Errorf("failing step error = %q", Step(t, e, "f").Error)
				}
			},
		},
		{
			name:       "return error fails with its message",
			def:        Flow(Manual(), Card("re", flows.ControlReturnError, In("message", Static("no such user"))), Card("never", "fake.fail")),
			wantStatus: flows.StatusFailed,
			wantErr:    "no such user",
			check: func(t *testing.T, e *flows.Execution) {
				if e.ErrorCard != "re" {
					t.Errorf("error card = %q", e.ErrorCard)
				}
			},
		},
		{
			name: "return error if",
			def: Flow(Manual(F("n", number)),
				Card("r", flows.ControlReturnErrorIf, In("a", Ref("event", "n")), In("operator", Static("greater")), In("b", Static(5.0)), In("message", Static("too big")))),
			input:      map[string]any{"n": 9.0},
			wantStatus: flows.StatusFailed,
			wantErr:    "too big",
		},
		{
			name:       "return raw",
			def:        Flow(Manual(), Card("rr", flows.ControlReturnRaw, In("status", Static(200.0)), In("body", Static("created")))),
			wantStatus: flows.StatusSucceeded,
			wantOutput: map[string]any{"status": 200.0, "headers": nil, "body": "created"},
		},
		{
			name:       "a failing card fails the run and is named",
			def:        Flow(Manual(), Card("ok", "fake.upper", In("text", Static("x"))), Card("bad", "fake.fail"), Card("never", "fake.upper", In("text", Static("y")))),
			wantStatus: flows.StatusFailed,
			wantErr:    "boom",
			check: func(t *testing.T, e *flows.Execution) {
				if e.ErrorCard != "bad" || len(e.Steps) != 3 {
					t.Errorf("error card %q, steps %v", e.ErrorCard, StepIDs(e))
				}
			},
		},
		{
			name:       "missing required input",
			def:        Flow(Manual(), Card("up", "fake.upper")),
			wantStatus: flows.StatusFailed,
			wantErr:    `input "text" is required`,
		},
		{
			name:       "wait for and comment",
			def:        Flow(Manual(), Card("w", flows.ControlWaitFor, In("seconds", Static(0.01))), Card("c", flows.ControlComment, In("text", Static("note")))),
			wantStatus: flows.StatusSucceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Run(t, tt.def, tt.input)
			if e.Status != tt.wantStatus {
				t.Fatalf("status = %s (error %q), want %s; steps %v", e.Status, e.Error, tt.wantStatus, StepIDs(e))
			}
			if tt.wantErr != "" && !strings.Contains(e.Error, tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", e.Error, tt.wantErr)
			}
			if tt.wantOutput != nil && !reflect.DeepEqual(e.Output, tt.wantOutput) {
				t.Errorf("output = %#v, want %#v", e.Output, tt.wantOutput)
			}
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

// helpers are the helper flows the calling cards use, by id.
var helpers = Flows{
	1: Kind(Flow(Event(flows.EventHelper, F("item", text), F("index", number)),
		Card("up", "fake.upper", In("text", Ref("event", "item"))),
		Card("ret", flows.ControlReturn, Inputs(F("output", text)), In("output", Ref("up", "output")))), flows.KindHelper),
	2: Kind(Flow(Event(flows.EventHelper, F("item", number)),
		Card("ret", flows.ControlReturn, Inputs(F("keep", flows.TypeBool)), In("keep", Static(false))),
	), flows.KindHelper),
	3: Kind(Flow(Event(flows.EventHelper, F("item", number), F("memo", text)),
		Card("sum", flows.ControlAssign, Inputs(F("s", text)), In("s", Text(Ref("event", "memo"), "+", Ref("event", "item")))),
		Card("ret", flows.ControlReturn, Inputs(F("memo", text)), In("memo", Ref("sum", "s")))), flows.KindHelper),
	4: Kind(Flow(Event(flows.EventHelper), Card("f", "fake.fail")), flows.KindHelper),
	5: Kind(Flow(Event(flows.EventHelper), Card("again", flows.ControlCallFlow, In("flow", Static(5.0)))), flows.KindHelper),
}

func runWith(t *testing.T, def flows.Definition, limits flows.Limits) (*flows.Execution, *Recorder) {
	t.Helper()
	rec := NewRecorder()
	e, err := Engine(rec, helpers, limits).Run(context.Background(), flows.RunRequest{Definition: def, Trigger: flows.TriggerTest})
	if err != nil {
		t.Fatal(err)
	}
	return e, rec
}

func TestCallingCards(t *testing.T) {
	list := Static([]any{"a", "b", "c"})
	tests := []struct {
		name     string
		card     flows.Node
		want     any
		children int
	}{
		{"call flow", Card("c", flows.ControlCallFlow, Inputs(F("item", text)), In("flow", Static(1.0)), In("item", Static("x"))), map[string]any{"output": "X"}, 1},
		{"for each", Card("c", flows.ControlForEach, In("list", list), In("flow", Static(1.0))), nil, 3},
		{"map keeps order under concurrency", Card("c", flows.ControlMap, In("list", list), In("flow", Static(1.0)), In("concurrency", Static(3.0))), []any{"A", "B", "C"}, 3},
		{"filter", Card("c", flows.ControlFilter, In("list", Static([]any{1.0, 2.0})), In("flow", Static(2.0))), []any{}, 2},
		{"reduce", Card("c", flows.ControlReduce, In("list", Static([]any{1.0, 2.0})), In("flow", Static(3.0)), In("memo", Static(0.0))), "0+1+2", 2},
		{"repeat", Card("c", flows.ControlRepeat, In("times", Static(2.0)), In("flow", Static(1.0))), []any{"0", "1"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rec := runWith(t, Flow(Manual(), tt.card), flows.Limits{})
			if e.Status != flows.StatusSucceeded {
				t.Fatalf("status %s: %s", e.Status, e.Error)
			}
			step := Step(t, e, "c")
			if tt.want != nil {
				got := any(step.Outputs)
				if _, ok := tt.want.(map[string]any); !ok {
					got = step.Outputs["output"]
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("output = %#v, want %#v", got, tt.want)
				}
			}
			if len(step.Children) != tt.children {
				t.Fatalf("children = %d, want %d", len(step.Children), tt.children)
			}
			// Parent and children link both ways.
			for _, id := range step.Children {
				child := rec.Get(id)
				if child == nil || child.ParentID != e.ID || child.Trigger != flows.TriggerHelper {
					t.Fatalf("child %s = %+v, not linked to parent %s", id, child, e.ID)
				}
			}
		})
	}
}

func TestCallFlowAsync(t *testing.T) {
	rec := NewRecorder()
	eng := Engine(rec, helpers, flows.Limits{})
	def := Flow(Manual(), Card("c", flows.ControlCallFlowAsync, Inputs(F("item", text)), In("flow", Static(1.0)), In("item", Static("later"))))
	e, err := eng.Run(context.Background(), flows.RunRequest{Definition: def})
	if err != nil || e.Status != flows.StatusSucceeded {
		t.Fatalf("%v %s", err, e.Error)
	}
	if err := eng.Shutdown(context.Background(), context.Background()); err != nil {
		t.Fatal(err)
	}
	child := rec.Get(Step(t, e, "c").Children[0])
	if child == nil || child.Output["output"] != "LATER" || child.ParentID != e.ID {
		t.Fatalf("async child = %+v", child)
	}
}

func TestCallFlowAsyncIsBoundedByRunTime(t *testing.T) {
	rec := NewRecorder()
	slow := Flows{9: Kind(Flow(Event(flows.EventHelper), Card("w", flows.ControlWaitFor, In("seconds", Static(30.0)))), flows.KindHelper)}
	eng := Engine(rec, slow, flows.Limits{MaxRunTime: 50 * time.Millisecond})
	e, _ := eng.Run(context.Background(), flows.RunRequest{Definition: Flow(Manual(), Card("c", flows.ControlCallFlowAsync, In("flow", Static(9.0))))})
	if err := eng.Shutdown(context.Background(), context.Background()); err != nil {
		t.Fatal(err)
	}
	child := rec.Get(Step(t, e, "c").Children[0])
	if child.Status != flows.StatusFailed || !strings.Contains(child.Error, "max_run_time") {
		t.Fatalf("async child = %s %q", child.Status, child.Error)
	}
}

func TestChildFailureFailsParent(t *testing.T) {
	for _, conc := range []float64{1, 4} {
		e, _ := runWith(t, Flow(Manual(), Card("c", flows.ControlForEach, In("list", Static([]any{1.0, 2.0, 3.0, 4.0})), In("flow", Static(4.0)), In("concurrency", Static(conc)))), flows.Limits{})
		if e.Status != flows.StatusFailed || !strings.Contains(e.Error, "boom") || e.ErrorCard != "c" {
			t.Fatalf("concurrency %v: status %s error %q card %q", conc, e.Status, e.Error, e.ErrorCard)
		}
	}
}

func TestErrorPolicy(t *testing.T) {
	tests := []struct {
		name       string
		status, ok float64
		policy     flows.ErrorPolicy
		wantStatus flows.Status
		wantTries  int
		wantOut    any
	}{
		{"retries 429 until it works", 429, 3, flows.ErrorPolicy{Retries: 3, DelayMS: 1}, flows.StatusSucceeded, 3, 3.0},
		{"retries 503", 503, 2, flows.ErrorPolicy{Retries: 1, DelayMS: 1}, flows.StatusSucceeded, 2, 2.0},
		{"gives up after retries", 500, 10, flows.ErrorPolicy{Retries: 2, DelayMS: 1}, flows.StatusFailed, 3, nil},
		{"does not retry 400", 400, 2, flows.ErrorPolicy{Retries: 3, DelayMS: 1}, flows.StatusFailed, 1, nil},
		{"returns default outputs", 500, 10, flows.ErrorPolicy{Retries: 1, DelayMS: 1, Then: flows.ErrorReturn, Outputs: map[string]any{"attempts": -1.0}}, flows.StatusSucceeded, 2, -1.0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			Attempts.Store(0)
			e := Run(t, Flow(Manual(), Card("f", "fake.flaky", In("status", Static(tt.status)), In("ok", Static(tt.ok)), OnError(tt.policy))), nil)
			if e.Status != tt.wantStatus {
				t.Fatalf("status %s (%s)", e.Status, e.Error)
			}
			s := Step(t, e, "f")
			if s.Attempts != tt.wantTries || int(Attempts.Load()) != tt.wantTries {
				t.Errorf("attempts = %d (calls %d), want %d", s.Attempts, Attempts.Load(), tt.wantTries)
			}
			if tt.wantOut != nil && s.Outputs["attempts"] != tt.wantOut {
				t.Errorf("outputs = %v", s.Outputs)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	many := make([]flows.Node, 20)
	for i := range many {
		many[i] = Card(string(rune('a'+i)), flows.ControlComment)
	}
	tests := []struct {
		name   string
		def    flows.Definition
		limits flows.Limits
		want   string
	}{
		{"steps", Flow(Manual(), many...), flows.Limits{MaxSteps: 10}, `limit "max_steps" (10) exceeded`},
		{"call depth", Flow(Manual(), Card("c", flows.ControlCallFlow, In("flow", Static(5.0)))), flows.Limits{MaxDepth: 3}, `limit "max_call_depth" (3) exceeded`},
		{"card time", Flow(Manual(), Card("s", "fake.slow", In("ms", Static(2000.0)))), flows.Limits{MaxCardTime: 20 * time.Millisecond}, `limit "max_card_time" (20ms) exceeded`},
		{"run time", Flow(Manual(), Card("w", flows.ControlWaitFor, In("seconds", Static(2.0)))), flows.Limits{MaxRunTime: 30 * time.Millisecond}, `limit "max_run_time" (30ms) exceeded`},
		{"output size", Flow(Manual(), Card("b", "fake.big", In("size", Static(5000.0)))), flows.Limits{MaxOutputBytes: 1000}, `limit "max_output_bytes" (1000) exceeded`},
		{"not caught by if error", Flow(Manual(), Card("ie", flows.ControlIfError,
			Lane("try", Cards(Card("b", "fake.big", In("size", Static(5000.0))))), Lane("catch", nil))), flows.Limits{MaxOutputBytes: 1000}, `limit "max_output_bytes"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := runWith(t, tt.def, tt.limits)
			if e.Status != flows.StatusFailed || !strings.Contains(e.Error, tt.want) {
				t.Fatalf("status %s error %q, want failed with %q", e.Status, e.Error, tt.want)
			}
		})
	}
}

// TestInMemoryCardsRunWithoutACardTimeLimit: a card that computes in
// memory runs within the run's time limit only, without a limit (and its
// timer) of its own; any other card runs within the card time limit.
func TestInMemoryCardsRunWithoutACardTimeLimit(t *testing.T) {
	e, _ := runWith(t, Flow(Manual(), Card("d", "fake.deadline"), Card("m", "fake.memdeadline")), flows.Limits{MaxCardTime: time.Minute, MaxRunTime: time.Hour})
	if left, _ := e.Steps[1].Outputs["left"].(float64); left <= 0 || left > 60 {
		t.Fatalf("a card that calls out has %vs left, want the card time limit", left)
	}
	if left, _ := e.Steps[2].Outputs["left"].(float64); left <= 60 {
		t.Fatalf("a card in memory has %vs left, want the run's hour", left)
	}
}

func TestCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	eng := Engine(NewRecorder(), helpers, flows.Limits{})
	go func() { time.Sleep(30 * time.Millisecond); cancel() }()
	e, err := eng.Run(ctx, flows.RunRequest{Definition: Flow(Manual(), Card("s", "fake.slow", In("ms", Static(5000.0))), Card("never", "fake.fail"))})
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != flows.StatusCanceled || len(e.Steps) != 2 {
		t.Fatalf("status %s steps %v", e.Status, StepIDs(e))
	}
}

func TestExecutionIDsSortByTime(t *testing.T) {
	a := flows.NewExecutionID(time.Unix(1000, 0))
	b := flows.NewExecutionID(time.Unix(1001, 0))
	c := flows.NewExecutionID(time.Unix(1001, 0))
	if !(a < b) || b == c || len(a) != 26 {
		t.Fatalf("ids %s %s %s", a, b, c)
	}
}

func TestRecorderErrorIsReturned(t *testing.T) {
	eng := flows.NewEngine(Registry(), flows.Options{Recorder: failing{}})
	_, err := eng.Run(context.Background(), flows.RunRequest{Definition: Flow(Manual())})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
}

type failing struct{}

func (failing) RecordExecution(context.Context, *flows.Execution) error {
	return errors.New("disk full")
}
