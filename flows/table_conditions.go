package flows

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Search Rows' conditions as the builder makes them: the static list of
// its conditions input holds each condition's column and operator, and an
// added input per condition, keyed ConditionValueKey(i) and typed as the
// column, holds its value: a typed value or a reference to an earlier
// card's output. A list item's own "value" counts only when the card has
// no such input (flows written by hand or before the builder had a form).

// MaxConditions is how many conditions a Search Rows card takes.
const MaxConditions = 20

// ConditionValueKey is the key of the input holding the value of Search
// Rows' condition i (from 0).
func ConditionValueKey(i int) string { return "conditions." + strconv.Itoa(i) + ".value" }

// ConditionValueIndex reads a ConditionValueKey: the condition's index.
func ConditionValueIndex(key string) (int, bool) {
	num, ok := strings.CutPrefix(key, "conditions.")
	if !ok {
		return 0, false
	}
	if num, ok = strings.CutSuffix(num, ".value"); !ok {
		return 0, false
	}
	i, err := strconv.Atoi(num)
	return i, err == nil && i >= 0 && strconv.Itoa(i) == num
}

func isConditionValueKey(key string) bool {
	_, ok := ConditionValueIndex(key)
	return ok
}

// ColumnOperators are the operators Search Rows takes on a column of type
// t: every one on text; no contains or starts_with on numbers and
// date-times; only equal, not_equal and the emptiness tests on true or
// false.
func ColumnOperators(t Type) []Operator {
	switch t {
	case TypeText:
		return TableOperators
	case TypeBool:
		return []Operator{OpEqual, OpNotEqual, OpIsEmpty, OpIsNotEmpty}
	}
	return []Operator{OpEqual, OpNotEqual, OpLess, OpLessOrEqual, OpGreater, OpGreaterOrEqual, OpIsEmpty, OpIsNotEmpty}
}

// TakesValue says whether a condition with the operator compares with a
// value: all but is_empty and is_not_empty do.
func (o Operator) TakesValue() bool { return o != OpIsEmpty && o != OpIsNotEmpty }

// FormCondition is one condition of a Search Rows card as the builder
// shows it: its column, its operator and the input holding its value
// (Value.Key is empty when the card has none: then Static is the value
// the list item holds).
type FormCondition struct {
	Column string
	Op     Operator
	Value  Field
	Static any
}

// FormConditions are a Search Rows card's conditions as the builder edits
// them; false when its conditions input is not a list the builder can
// edit (mapped from another card, or not a list of objects).
func FormConditions(n *Node) ([]FormCondition, bool) {
	items, ok := conditionItems(n)
	if !ok {
		return nil, false
	}
	out := make([]FormCondition, len(items))
	for i, m := range items {
		col, _ := m["column"].(string)
		op, _ := m["operator"].(string)
		if op == "" {
			op = string(OpEqual)
		}
		out[i] = FormCondition{Column: col, Op: Operator(op), Static: m["value"]}
		if f, ok := conditionInput(n, i); ok {
			out[i].Value, out[i].Static = f, nil
		}
	}
	return out, true
}

// conditionItems are the items of a Search Rows card's static conditions
// list (none when unset); false when it is mapped or holds other things.
func conditionItems(n *Node) ([]map[string]any, bool) {
	b, bound := n.Bindings["conditions"]
	if !bound || (b.Ref == nil && len(b.Parts) == 0 && b.Value == nil) {
		return nil, true
	}
	list, ok := b.Value.([]any)
	if !ok {
		return nil, false
	}
	out := make([]map[string]any, len(list))
	for i, c := range list {
		if out[i], ok = c.(map[string]any); !ok {
			return nil, false
		}
	}
	return out, true
}

func setConditionItems(n *Node, items []map[string]any) {
	if n.Bindings == nil {
		n.Bindings = map[string]Binding{}
	}
	if len(items) == 0 {
		delete(n.Bindings, "conditions")
		return
	}
	list := make([]any, len(items))
	for i, m := range items {
		list[i] = m
	}
	n.Bindings["conditions"] = Binding{Value: list}
}

// conditionInput is the input holding condition i's value, if the card
// has one.
func conditionInput(n *Node, i int) (Field, bool) {
	key := ConditionValueKey(i)
	for _, f := range n.Inputs {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

// errNotForm is why the builder cannot edit a card's conditions.
var errNotForm = fmt.Errorf("%w: the conditions of this card are mapped from another card or written as JSON; remove that first to edit them here", ErrInvalid)

// AddCondition adds a condition to a Search Rows card: column equal to a
// value, on the table's first column, with an input for its value.
func AddCondition(n *Node, t *Table) error {
	items, ok := conditionItems(n)
	switch {
	case !ok:
		return errNotForm
	case len(t.Columns) == 0:
		return fmt.Errorf("%w: table %q has no columns to search", ErrInvalid, t.Name)
	case len(items) >= MaxConditions:
		return fmt.Errorf("%w: Search Rows takes at most %d conditions", ErrInvalid, MaxConditions)
	}
	c := t.Columns[0]
	items = append(items, map[string]any{"column": c.Name, "operator": string(OpEqual)})
	setConditionItems(n, items)
	setConditionInput(n, len(items)-1, c.Type)
	return nil
}

// SetCondition sets the column and operator of a Search Rows card's
// condition i (from 0). When the column changes to one that does not take
// the operator, the condition compares with equal; otherwise an operator
// the column does not take is refused. The value's input takes the
// column's type; a typed value that does not fit it is dropped, as is
// any value of is_empty and is_not_empty.
func SetCondition(n *Node, t *Table, i int, column string, op Operator) error {
	items, ok := conditionItems(n)
	if !ok {
		return errNotForm
	}
	if i < 0 || i >= len(items) {
		return fmt.Errorf("%w: there is no condition %d", ErrInvalid, i+1)
	}
	col, ok := t.Column(column)
	if !ok {
		return fmt.Errorf("%w: condition %d: table %q has no column %q", ErrInvalid, i+1, t.Name, column)
	}
	if op == "" {
		op = OpEqual
	}
	if !slices.Contains(ColumnOperators(col.Type), op) {
		if was, _ := items[i]["column"].(string); was == column {
			return fmt.Errorf("%w: condition %d: column %q holds %s, which cannot be compared with %s", ErrInvalid, i+1, col.Name, TypeWords(col.Type), op)
		}
		op = OpEqual
	}
	key := ConditionValueKey(i)
	if _, had := conditionInput(n, i); !had && items[i]["value"] != nil {
		n.Bindings[key] = Binding{Value: items[i]["value"]} // the list item's own value moves to its input
	}
	items[i] = map[string]any{"column": col.Name, "operator": string(op)}
	setConditionItems(n, items)
	setConditionInput(n, i, col.Type)
	b := n.Bindings[key]
	if !op.TakesValue() {
		delete(n.Bindings, key)
	} else if b.Value != nil {
		if _, err := Convert(b.Value, col.Type); err != nil {
			delete(n.Bindings, key)
		}
	}
	return nil
}

// RemoveCondition removes a Search Rows card's condition i (from 0) and
// its value; the conditions after it move up, their values with them.
func RemoveCondition(n *Node, i int) error {
	items, ok := conditionItems(n)
	if !ok {
		return errNotForm
	}
	if i < 0 || i >= len(items) {
		return fmt.Errorf("%w: there is no condition %d", ErrInvalid, i+1)
	}
	setConditionItems(n, slices.Delete(items, i, i+1))
	inputs := n.Inputs[:0:0]
	for _, f := range n.Inputs {
		j, isValue := ConditionValueIndex(f.Key)
		switch {
		case !isValue || j < i:
			inputs = append(inputs, f)
		case j > i:
			f.Key, f.Label = ConditionValueKey(j-1), conditionLabel(j-1)
			inputs = append(inputs, f)
		}
	}
	n.Inputs = inputs
	delete(n.Bindings, ConditionValueKey(i))
	for j := i + 1; j <= len(items); j++ {
		if b, ok := n.Bindings[ConditionValueKey(j)]; ok {
			n.Bindings[ConditionValueKey(j-1)] = b
			delete(n.Bindings, ConditionValueKey(j))
		}
	}
	return nil
}

func conditionLabel(i int) string { return fmt.Sprintf("Condition %d value", i+1) }

// setConditionInput gives condition i an input for its value, typed t.
func setConditionInput(n *Node, i int, t Type) {
	f := Field{Key: ConditionValueKey(i), Label: conditionLabel(i), Type: t}
	for j := range n.Inputs {
		if n.Inputs[j].Key == f.Key {
			n.Inputs[j] = f
			return
		}
	}
	n.Inputs = append(n.Inputs, f)
}

// conditionValue is the value condition i of a run of Search Rows
// compares with: its input's, or the list item's own.
func (tc tableCall) conditionValue(i int, item map[string]any) any {
	if _, ok := conditionInput(tc.n, i); ok {
		return tc.in[ConditionValueKey(i)]
	}
	return item["value"]
}

// searchProblems are the problems of a Search Rows card's static
// conditions against its table, each naming the card and the condition:
// a column the table does not have, an operator the column does not
// take, a typed value that does not fit the column. A value mapped from
// another card is checked when the card runs.
func searchProblems(n *Node, t *Table, name string) []Problem {
	items, ok := conditionItems(n)
	if !ok {
		return nil
	}
	var ps []Problem
	for i, m := range items {
		col, _ := m["column"].(string)
		op, _ := m["operator"].(string)
		if op == "" {
			op = string(OpEqual)
		}
		c := Condition{Column: col, Op: Operator(op), Value: m["value"]}
		mapped := false
		if _, ok := conditionInput(n, i); ok {
			b := n.Bindings[ConditionValueKey(i)]
			c.Value, mapped = b.Value, b.Ref != nil || len(b.Parts) > 0
		}
		_, err := t.CheckQuery(RowQuery{Conditions: []Condition{c}})
		var ve *ValidationError
		if !errors.As(err, &ve) {
			continue
		}
		for _, p := range ve.Problems {
			part, _ := strings.CutPrefix(p.Field, "conditions.0.")
			field := fmt.Sprintf("conditions.%d.%s", i, part)
			switch {
			case part == "column":
				ps = append(ps, Problem{Card: n.ID, Field: field, Code: "column",
					Message: fmt.Sprintf("card %s: condition %d names the column %q, which table %q does not have", name, i+1, col, t.Name)})
			case part == "value" && mapped:
			default:
				ps = append(ps, Problem{Card: n.ID, Field: field, Code: "condition",
					Message: fmt.Sprintf("card %s: condition %d: %s", name, i+1, p.Message)})
			}
		}
	}
	return ps
}
