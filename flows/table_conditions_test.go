package flows_test

import (
	"errors"
	"testing"

	"github.com/hookflow/hookflow/flows"
)

// TestConditionForm edits Search Rows' conditions as the builder's form
// does: a condition is added on the first column; changing its column to
// one that does not take its operator compares with equal, while that
// operator on the same column is refused; a value that no longer fits
// the column, or any value of is_empty, is dropped; a list item's own
// value moves to the condition's input; removing a condition moves the
// later ones up with their values.
func TestConditionForm(t *testing.T) {
	tb := flows.Table{Name: "People", Columns: []flows.Column{{Name: "email", Type: flows.TypeText}, {Name: "age", Type: flows.TypeNumber}}}
	n := flows.Node{ID: "find", Type: flows.TableSearch}
	for range 3 {
		if err := flows.AddCondition(&n, &tb); err != nil {
			t.Fatal(err)
		}
	}
	n.Bindings["conditions.0.value"] = flows.Binding{Value: "ann"}
	n.Bindings["conditions.2.value"] = flows.Binding{Ref: &flows.Ref{Card: "event", Field: "min"}}
	if err := flows.SetCondition(&n, &tb, 0, "email", flows.OpContains); err != nil {
		t.Fatal(err)
	}
	if err := flows.SetCondition(&n, &tb, 0, "age", flows.OpContains); err != nil {
		t.Fatal(err)
	}
	conds, _ := flows.FormConditions(&n)
	if c := conds[0]; c.Column != "age" || c.Op != flows.OpEqual || c.Value.Type != flows.TypeNumber || n.Bindings["conditions.0.value"].Value != nil {
		t.Errorf("condition 1 moved to age: %+v, value %v", c, n.Bindings["conditions.0.value"])
	}
	if err := flows.SetCondition(&n, &tb, 0, "age", flows.OpStartsWith); !errors.Is(err, flows.ErrInvalid) {
		t.Errorf("starts_with on a number: %v", err)
	}
	if err := flows.SetCondition(&n, &tb, 0, "nope", flows.OpEqual); !errors.Is(err, flows.ErrInvalid) {
		t.Errorf("an unknown column: %v", err)
	}
	if err := flows.SetCondition(&n, &tb, 1, "email", flows.OpIsEmpty); err != nil {
		t.Fatal(err)
	}
	if err := flows.RemoveCondition(&n, 0); err != nil {
		t.Fatal(err)
	}
	conds, _ = flows.FormConditions(&n)
	if len(conds) != 2 || conds[0].Op != flows.OpIsEmpty || conds[1].Value.Key != "conditions.1.value" || conds[1].Value.Label != "Condition 2 value" ||
		n.Bindings["conditions.1.value"].Ref == nil || len(n.Inputs) != 2 {
		t.Errorf("after removing condition 1: %+v, bindings %v", conds, n.Bindings)
	}
	if _, ok := n.Bindings["conditions.2.value"]; ok {
		t.Errorf("the last condition's old value stays")
	}

	legacy := flows.Node{ID: "old", Type: flows.TableSearch, Bindings: map[string]flows.Binding{
		"conditions": {Value: []any{map[string]any{"column": "age", "operator": "greater", "value": 30.0}}}}}
	if conds, ok := flows.FormConditions(&legacy); !ok || conds[0].Static != 30.0 || conds[0].Value.Key != "" {
		t.Errorf("a condition written as JSON: %+v", conds)
	}
	if err := flows.SetCondition(&legacy, &tb, 0, "age", flows.OpLess); err != nil || legacy.Bindings["conditions.0.value"].Value != 30.0 {
		t.Errorf("its value moves to its input: %v %v", err, legacy.Bindings)
	}
	mapped := flows.Node{ID: "m", Type: flows.TableSearch, Bindings: map[string]flows.Binding{"conditions": {Ref: &flows.Ref{Card: "event", Field: "where"}}}}
	if _, ok := flows.FormConditions(&mapped); ok || !errors.Is(flows.AddCondition(&mapped, &tb), flows.ErrInvalid) {
		t.Error("mapped conditions are edited by the form")
	}
}

// TestConditionValueIndex reads the keys of conditions' values.
func TestConditionValueIndex(t *testing.T) {
	for _, c := range []struct {
		key  string
		want int
		ok   bool
	}{{"conditions.0.value", 0, true}, {"conditions.12.value", 12, true}, {"conditions.01.value", 0, false},
		{"conditions.-1.value", 0, false}, {"conditions.x.value", 0, false}, {"conditions.0.column", 0, false}, {"value", 0, false}} {
		t.Run(c.key, func(t *testing.T) {
			i, ok := flows.ConditionValueIndex(c.key)
			if ok != c.ok || (ok && i != c.want) || (ok && flows.ConditionValueKey(i) != c.key) {
				t.Errorf("= %d %v, want %d %v", i, ok, c.want, c.ok)
			}
		})
	}
}
