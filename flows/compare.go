package flows

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
)

// Operator is a comparison of the Compare, If/Else and Continue If cards.
// Persisted in flow documents.
type Operator string

// The comparison operators.
const (
	OpEqual          Operator = "equal"
	OpNotEqual       Operator = "not_equal"
	OpGreater        Operator = "greater"
	OpGreaterOrEqual Operator = "greater_or_equal"
	OpLess           Operator = "less"
	OpLessOrEqual    Operator = "less_or_equal"
	OpContains       Operator = "contains"
	OpNotContains    Operator = "not_contains"
	OpStartsWith     Operator = "starts_with"
	OpEndsWith       Operator = "ends_with"
	OpIsEmpty        Operator = "is_empty"
	OpIsNotEmpty     Operator = "is_not_empty"
	OpIn             Operator = "in"
	OpNotIn          Operator = "not_in"
	OpHasKey         Operator = "has_key"
	OpMultipleOf     Operator = "multiple_of"
)

// Operators lists every operator, for dropdowns.
var Operators = []string{
	string(OpEqual), string(OpNotEqual), string(OpGreater), string(OpGreaterOrEqual), string(OpLess), string(OpLessOrEqual),
	string(OpContains), string(OpNotContains), string(OpStartsWith), string(OpEndsWith), string(OpIsEmpty), string(OpIsNotEmpty),
	string(OpIn), string(OpNotIn), string(OpHasKey), string(OpMultipleOf),
}

// Compare applies op to a and b, aware of their types: numbers compare as
// numbers (text that reads as a number too), date-times as instants, text
// case-sensitively; contains works on text, lists and objects (a key), in is
// contains the other way round; has key looks for a key (or a dotted path)
// in an object; multiple of divides numbers.
func Compare(a any, op Operator, b any) (bool, error) {
	a, b = normalize(a), normalize(b)
	switch op {
	case OpIsEmpty:
		return isEmpty(a), nil
	case OpIsNotEmpty:
		return !isEmpty(a), nil
	case OpContains, OpNotContains:
		in, err := contains(a, b)
		if op == OpNotContains {
			in = !in
		}
		return in, err
	case OpIn, OpNotIn:
		in, err := contains(b, a)
		if op == OpNotIn {
			in = !in
		}
		return in, err
	case OpHasKey:
		return hasKey(a, b)
	case OpMultipleOf:
		return multipleOf(a, b)
	case OpStartsWith, OpEndsWith:
		as, bs, err := texts(a, b)
		if err != nil {
			return false, err
		}
		if op == OpStartsWith {
			return strings.HasPrefix(as, bs), nil
		}
		return strings.HasSuffix(as, bs), nil
	case OpEqual, OpNotEqual, OpGreater, OpGreaterOrEqual, OpLess, OpLessOrEqual:
		c, comparable, err := order(a, b)
		if err != nil {
			return false, err
		}
		if !comparable {
			if op == OpEqual || op == OpNotEqual {
				eq := reflect.DeepEqual(a, b)
				return eq == (op == OpEqual), nil
			}
			return false, fmt.Errorf("%s and %s cannot be compared", TypeOf(a), TypeOf(b))
		}
		switch op {
		case OpEqual:
			return c == 0, nil
		case OpNotEqual:
			return c != 0, nil
		case OpGreater:
			return c > 0, nil
		case OpGreaterOrEqual:
			return c >= 0, nil
		case OpLess:
			return c < 0, nil
		default:
			return c <= 0, nil
		}
	}
	return false, fmt.Errorf("unknown operator %q", op)
}

// order compares a and b when both are of an ordered kind.
func order(a, b any) (int, bool, error) {
	switch x := a.(type) {
	case float64:
		y, err := toNumber(b)
		if err != nil {
			return 0, false, nil
		}
		return cmp3(x, y.(float64)), true, nil
	case time.Time:
		y, err := toDate(b)
		if err != nil {
			return 0, false, nil
		}
		return x.Compare(y.(time.Time)), true, nil
	case string:
		switch y := b.(type) {
		case float64, time.Time:
			c, ok, err := order(b, a)
			return -c, ok, err
		case string:
			return strings.Compare(x, y), true, nil
		case nil:
			return strings.Compare(x, ""), true, nil
		}
	case bool:
		if y, ok := b.(bool); ok {
			if x == y {
				return 0, true, nil
			}
			return 1, true, nil
		}
	case nil:
		if b == nil {
			return 0, true, nil
		}
		if y, ok := b.(string); ok {
			return strings.Compare("", y), true, nil
		}
	}
	return 0, false, nil
}

func cmp3(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func contains(a, b any) (bool, error) {
	switch x := a.(type) {
	case []any:
		for _, item := range x {
			if eq, _ := Compare(item, OpEqual, b); eq {
				return true, nil
			}
		}
		return false, nil
	case map[string]any:
		k, err := ToText(b)
		if err != nil {
			return false, err
		}
		_, ok := x[k]
		return ok, nil
	}
	as, bs, err := texts(a, b)
	if err != nil {
		return false, err
	}
	return strings.Contains(as, bs), nil
}

// texts renders both operands of a text comparison.
func texts(a, b any) (string, string, error) {
	as, err := ToText(a)
	if err != nil {
		return "", "", err
	}
	bs, err := ToText(b)
	return as, bs, err
}

// hasKey reports whether the object a has the key (or dotted path) b.
func hasKey(a, b any) (bool, error) {
	m, ok := a.(map[string]any)
	if !ok {
		if a == nil {
			return false, nil
		}
		return false, fmt.Errorf("has key needs an object, not %s", TypeOf(a))
	}
	k, err := ToText(b)
	if err != nil {
		return false, err
	}
	if _, ok := m[k]; ok {
		return true, nil
	}
	i := strings.LastIndexByte(k, '.')
	if i < 0 {
		return false, nil
	}
	parent, err := Lookup(m, k[:i])
	if err != nil {
		return false, nil
	}
	pm, ok := parent.(map[string]any)
	if !ok {
		return false, nil
	}
	_, ok = pm[k[i+1:]]
	return ok, nil
}

// multipleOf reports whether the number a is a whole multiple of b.
func multipleOf(a, b any) (bool, error) {
	x, err := toNumber(a)
	if err != nil {
		return false, fmt.Errorf("multiple of needs numbers: %w", err)
	}
	y, err := toNumber(b)
	if err != nil {
		return false, fmt.Errorf("multiple of needs numbers: %w", err)
	}
	if y.(float64) == 0 {
		return false, errors.New("multiple of 0 has no meaning")
	}
	return math.Mod(x.(float64), y.(float64)) == 0, nil
}
