package flows

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrConvert is wrapped by every failed type conversion.
var ErrConvert = errors.New("cannot convert")

// TypeOf names the type of a runtime value.
func TypeOf(v any) Type {
	switch v.(type) {
	case nil:
		return TypeAny
	case string:
		return TypeText
	case float64, int, int64, json.Number:
		return TypeNumber
	case bool:
		return TypeBool
	case time.Time:
		return TypeDate
	case map[string]any:
		return TypeObject
	case []any:
		return ListOf(TypeAny)
	}
	return TypeAny
}

// Convert turns v into a value of type to, where there is an obvious
// conversion: text↔number, text↔true/false, date-time↔text (RFC 3339),
// object and list↔JSON text, a list element-wise. nil stays nil. Anything
// else fails with an error naming both types.
func Convert(v any, to Type) (any, error) {
	if v == nil || to == TypeAny || to == "" {
		return normalize(v), nil
	}
	if elem, ok := to.Elem(); ok {
		return convertList(v, elem)
	}
	switch to {
	case TypeText, TypePassword:
		return ToText(v)
	case TypeNumber:
		return toNumber(v)
	case TypeBool:
		return toBool(v)
	case TypeDate:
		return toDate(v)
	case TypeObject:
		switch x := v.(type) {
		case map[string]any:
			return x, nil
		case string:
			var m map[string]any
			if err := json.Unmarshal([]byte(x), &m); err != nil || m == nil {
				return nil, convErr(v, to, "the text is not a JSON object")
			}
			return m, nil
		}
	}
	if !to.Valid() {
		return nil, fmt.Errorf("unknown type %q", to)
	}
	return nil, convErr(v, to, "")
}

func convErr(v any, to Type, why string) error {
	msg := fmt.Sprintf("%s %s to %s", ErrConvert, TypeOf(v), to)
	if why != "" {
		msg += ": " + why
	}
	return fmt.Errorf("%w", &convertError{msg: msg})
}

type convertError struct{ msg string }

func (e *convertError) Error() string        { return e.msg }
func (e *convertError) Is(target error) bool { return target == ErrConvert }

// normalize turns the integer types that Go code may produce into float64,
// the one number type of flows.
func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case json.Number:
		f, _ := x.Float64()
		return f
	}
	return v
}

// ToText renders a value as text: numbers without a trailing ".0", dates in
// RFC 3339, objects and lists as compact JSON.
func ToText(v any) (string, error) {
	switch x := normalize(v).(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case float64:
		return FormatNumber(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	case map[string]any, []any:
		b, err := json.Marshal(x)
		if err != nil {
			return "", convErr(v, TypeText, err.Error())
		}
		return string(b), nil
	}
	return "", convErr(v, TypeText, "")
}

// FormatNumber writes a number as Okta does: integers without a fraction.
func FormatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func toNumber(v any) (any, error) {
	switch x := normalize(v).(type) {
	case float64:
		return x, nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, convErr(v, TypeNumber, fmt.Sprintf("%q is not a number", truncate(x, 40)))
		}
		return f, nil
	case bool:
		if x {
			return 1.0, nil
		}
		return 0.0, nil
	}
	return nil, convErr(v, TypeNumber, "")
}

func toBool(v any) (any, error) {
	switch x := normalize(v).(type) {
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "yes", "1":
			return true, nil
		case "false", "no", "0", "":
			return false, nil
		}
		return nil, convErr(v, TypeBool, fmt.Sprintf("%q is not true or false", truncate(x, 40)))
	case float64:
		return x != 0, nil
	}
	return nil, convErr(v, TypeBool, "")
}

// dateLayouts are the text forms Text-to-date conversion accepts.
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"}

func toDate(v any) (any, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		for _, l := range dateLayouts {
			if t, err := time.Parse(l, strings.TrimSpace(x)); err == nil {
				return t, nil
			}
		}
		return nil, convErr(v, TypeDate, fmt.Sprintf("%q is not an ISO 8601 date-time", truncate(x, 40)))
	case float64:
		// Seconds since the Unix epoch.
		return time.Unix(0, int64(x*1e9)).UTC(), nil
	}
	return nil, convErr(v, TypeDate, "")
}

func convertList(v any, elem Type) (any, error) {
	var list []any
	switch x := v.(type) {
	case []any:
		list = x
	case string:
		if err := json.Unmarshal([]byte(x), &list); err != nil {
			return nil, convErr(v, ListOf(elem), "the text is not a JSON list")
		}
	case []string:
		list = make([]any, len(x))
		for i, s := range x {
			list[i] = s
		}
	default:
		return nil, convErr(v, ListOf(elem), "")
	}
	if elem == TypeAny {
		return list, nil
	}
	out := make([]any, len(list))
	for i, item := range list {
		c, err := Convert(item, elem)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		out[i] = c
	}
	return out, nil
}

// Convertible reports whether a value of type from can be converted to type
// to (at save time, before any value exists). Conversions that depend on the
// value (text to number, say) count as convertible.
func Convertible(from, to Type) bool {
	from, to = textual(from), textual(to)
	if from == to || from == TypeAny || to == TypeAny || from == "" || to == "" {
		return true
	}
	fe, fromList := from.Elem()
	te, toList := to.Elem()
	switch {
	case fromList && toList:
		return Convertible(fe, te)
	case toList:
		return from == TypeText
	case fromList:
		return to == TypeText
	}
	switch to {
	case TypeText:
		return true
	case TypeNumber:
		return from == TypeText || from == TypeBool
	case TypeBool:
		return from == TypeText || from == TypeNumber
	case TypeDate:
		return from == TypeText || from == TypeNumber
	case TypeObject:
		return from == TypeText
	}
	return false
}

// textual is t, but text for a password: it converts as text does.
func textual(t Type) Type {
	if t == TypePassword {
		return TypeText
	}
	return t
}
