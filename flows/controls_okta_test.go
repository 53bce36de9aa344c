package flows_test

import (
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	. "github.com/hookflow/hookflow/flows/flowstest"
)

func TestCompareOktaOperators(t *testing.T) {
	user := map[string]any{"profile": map[string]any{"email": "a@x"}, "id": "1"}
	tests := []struct {
		name    string
		a       any
		op      flows.Operator
		b       any
		want    bool
		wantErr string
	}{
		{"in a list", "b", flows.OpIn, []any{"a", "b"}, true, ""},
		{"number in a list of numeric text", 2.0, flows.OpIn, []any{"1", "2"}, true, ""},
		{"not in a list", "c", flows.OpNotIn, []any{"a", "b"}, true, ""},
		{"in a text", "lo w", flows.OpIn, "hello world", true, ""},
		{"a key in an object", "id", flows.OpIn, user, true, ""},
		{"in a list, absent", "z", flows.OpIn, []any{"a"}, false, ""},
		{"has key", user, flows.OpHasKey, "id", true, ""},
		{"has key by path", user, flows.OpHasKey, "profile.email", true, ""},
		{"has key, absent", user, flows.OpHasKey, "profile.phone", false, ""},
		{"has key of nothing", nil, flows.OpHasKey, "id", false, ""},
		{"has key of a list", []any{1.0}, flows.OpHasKey, "0", false, "has key needs an object, not list"},
		{"multiple of", 12.0, flows.OpMultipleOf, 4.0, true, ""},
		{"multiple of numeric text", "12", flows.OpMultipleOf, "5", false, ""},
		{"multiple of a fraction", 1.5, flows.OpMultipleOf, 0.5, true, ""},
		{"multiple of 0", 3.0, flows.OpMultipleOf, 0.0, false, "multiple of 0"},
		{"multiple of text", "twelve", flows.OpMultipleOf, 3.0, false, "multiple of needs numbers"},
		{"is empty (Okta)", map[string]any{}, flows.OpIsEmpty, nil, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := flows.Compare(tt.a, tt.op, tt.b)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Compare(%v %s %v) = %v, %v; want %v", tt.a, tt.op, tt.b, got, err, tt.want)
			}
		})
	}
	for _, op := range []flows.Operator{flows.OpIn, flows.OpNotIn, flows.OpHasKey, flows.OpMultipleOf} {
		if !strings.Contains(strings.Join(flows.Operators, " "), string(op)) {
			t.Errorf("%s is not offered in the comparison dropdowns", op)
		}
	}
}

func TestAssignIfCompares(t *testing.T) {
	tests := []struct {
		name string
		card flows.Node
		want any
	}{
		{"condition, as before", Card("c", flows.ControlAssignIf, In("condition", Static(true)), In("then", Static("y")), In("else", Static("n"))), "y"},
		{"false condition", Card("c", flows.ControlAssignIf, In("condition", Static(false)), In("then", Static("y")), In("else", Static("n"))), "n"},
		{"a in b", Card("c", flows.ControlAssignIf, In("a", Static("x")), In("operator", Static("in")), In("b", Static([]any{"x"})),
			In("then", Static("y")), In("else", Static("n"))), "y"},
		{"a greater than b", Card("c", flows.ControlAssignIf, In("a", Static(1.0)), In("operator", Static("greater")), In("b", Static(2.0)),
			In("then", Static("y")), In("else", Static("n"))), "n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := Flow(Manual(), tt.card)
			if err := flows.Validate(def, Registry()); err != nil {
				t.Fatal(err)
			}
			e, _ := runWith(t, def, flows.Limits{})
			if e.Status != flows.StatusSucceeded {
				t.Fatalf("status %s: %s", e.Status, e.Error)
			}
			if got := Step(t, e, "c").Outputs["output"]; got != tt.want {
				t.Fatalf("output = %v, want %v", got, tt.want)
			}
		})
	}
}

// oktaHelpers are the helper flows of the tests below, beside helpers.
var oktaHelpers = func() Flows {
	f := maps.Clone(helpers)
	f[10] = Kind(Flow(Event(flows.EventHelper, F("key", text), F("value", text)),
		Card("ret", flows.ControlReturn, Inputs(F("pair", text)), In("pair", Text(Ref("event", "key"), "=", Ref("event", "value"))))), flows.KindHelper)
	// 11 fails on the item "bad".
	f[11] = Kind(Flow(Event(flows.EventHelper, F("item", text)),
		Card("check", flows.ControlReturnErrorIf, In("a", Ref("event", "item")), In("operator", Static("equal")), In("b", Static("bad")),
			In("message", Static("bad item")))), flows.KindHelper)
	return f
}()

func TestOktaLoops(t *testing.T) {
	tests := []struct {
		name     string
		card     flows.Node
		want     map[string]any
		wantErr  string
		children int
		limits   flows.Limits
	}{
		{"map to list, keys in order", Card("c", flows.ControlMapToList, In("object", Static(map[string]any{"b": "2", "a": "1"})), In("flow", Static(10.0))),
			map[string]any{"output": []any{"a=1", "b=2"}}, "", 2, flows.Limits{}},
		{"map to list of an empty object", Card("c", flows.ControlMapToList, In("object", Static(map[string]any{})), In("flow", Static(10.0))),
			map[string]any{"output": []any{}}, "", 0, flows.Limits{}},
		{"map to list stops at a failure", Card("c", flows.ControlMapToList, In("object", Static(map[string]any{"a": "1"})), In("flow", Static(4.0))),
			nil, "item 0", 1, flows.Limits{}},
		{"for each goes past failures", Card("c", flows.ControlForEachIgnoreError, In("list", Static([]any{"ok", "bad", "ok", "bad"})), In("flow", Static(11.0)),
			In("concurrency", Static(2.0))), nil, "", 4, flows.Limits{}},
		{"for each, none failing", Card("c", flows.ControlForEachIgnoreError, In("list", Static([]any{"ok"})), In("flow", Static(11.0))),
			map[string]any{"failed": 0.0, "errors": []any{}}, "", 1, flows.Limits{}},
		{"for each still stops at a limit a call crosses", Card("c", flows.ControlForEachIgnoreError, In("list", Static([]any{"x", "y"})), In("flow", Static(5.0))),
			nil, `limit "max_call_depth" (1) exceeded`, 1, flows.Limits{MaxDepth: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := Flow(Manual(), tt.card)
			if err := flows.Validate(def, Registry()); err != nil {
				t.Fatal(err)
			}
			e, err := Engine(NewRecorder(), oktaHelpers, tt.limits).Run(context.Background(), flows.RunRequest{Definition: def, Trigger: flows.TriggerTest})
			if err != nil {
				t.Fatal(err)
			}
			step := Step(t, e, "c")
			if len(step.Children) != tt.children {
				t.Errorf("children = %d, want %d", len(step.Children), tt.children)
			}
			if tt.wantErr != "" {
				if e.Status != flows.StatusFailed || !strings.Contains(e.Error, tt.wantErr) {
					t.Fatalf("status %s, error %q; want failed with %q", e.Status, e.Error, tt.wantErr)
				}
				return
			}
			if e.Status != flows.StatusSucceeded {
				t.Fatalf("status %s: %s", e.Status, e.Error)
			}
			if tt.want != nil && !reflect.DeepEqual(map[string]any(step.Outputs), tt.want) {
				t.Fatalf("outputs = %#v, want %#v", step.Outputs, tt.want)
			}
			if tt.want == nil {
				errs := step.Outputs["errors"].([]any)
				if step.Outputs["failed"] != 2.0 || len(errs) != 2 || errs[0].(map[string]any)["index"] != 1.0 ||
					!strings.Contains(errs[0].(map[string]any)["message"].(string), "bad item") {
					t.Fatalf("outputs = %#v", step.Outputs)
				}
			}
		})
	}
}

func TestExportFlow(t *testing.T) {
	def := Flow(Manual(), Card("c", flows.FlowExport, In("flow", Static(1.0))))
	if err := flows.Validate(def, Registry()); err != nil {
		t.Fatal(err)
	}
	e, _ := runWith(t, def, flows.Limits{})
	if e.Status != flows.StatusSucceeded {
		t.Fatalf("status %s: %s", e.Status, e.Error)
	}
	out := Step(t, e, "c").Outputs
	back, err := flows.ParseDefinition([]byte(out["json"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := flows.MarshalDefinition(helpers[1])
	got, _ := flows.MarshalDefinition(back)
	if string(got) != string(want) {
		t.Fatalf("exported %s, want %s", got, want)
	}
	var doc map[string]any
	_ = json.Unmarshal(want, &doc)
	if !reflect.DeepEqual(out["flow"], doc) || out["name"] != helpers[1].Name {
		t.Fatalf("flow = %v, name = %v", out["flow"], out["name"])
	}

	missing, _ := runWith(t, Flow(Manual(), Card("c", flows.FlowExport, In("flow", Static(99.0)))), flows.Limits{})
	if missing.Status != flows.StatusFailed || !strings.Contains(missing.Error, "flow 99") {
		t.Fatalf("export of a missing flow: %s %q", missing.Status, missing.Error)
	}
}

func TestOktaCardsCallFlows(t *testing.T) {
	for _, typ := range []string{flows.ControlMapToList, flows.ControlForEachIgnoreError, flows.FlowExport} {
		def := Flow(Manual(), Card("c", typ, In("flow", Static(7.0))))
		if !def.Calls(7) {
			t.Errorf("%s: the flow it names is not counted as used", typ)
		}
	}
}
