package store

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// TestDocumentJSON: appendDocument's JSON decodes to what encoding/json's
// encoding of the same document decodes to.
func TestDocumentJSON(t *testing.T) {
	at := time.Date(2026, 11, 23, 16, 24, 16, 940500791, time.UTC)
	// A step with every field set, so that a field added to flows.Step
	// and not to appendStep fails here.
	var full storedStep
	v := reflect.ValueOf(&full).Elem()
	for i := range v.NumField() {
		setAll(t, v.Field(i))
	}
	if full.StartedAt.IsZero() || !full.OutIsInput || full.Label == "" {
		t.Fatalf("not every field set: %+v", full)
	}
	for _, tt := range []struct {
		name string
		doc  executionData
	}{
		{"empty", executionData{}},
		{"no steps", executionData{FlowName: "f", Steps: []storedStep{}}},
		{"every step field", executionData{FlowName: "f", ErrorCard: "c", WorkspaceFlow: 7, Steps: []storedStep{full}}},
		{"reference", executionData{FlowName: "New users", Input: map[string]any{"event": map[string]any{"uuid": "2315", "actor": map[string]any{
			"alternateId": "ada@example.com", "displayName": "Ada Lovelace"}, "target": []any{map[string]any{"id": "00u2"}}}},
			Steps: []storedStep{{Step: flows.Step{CardID: "upper1", Type: "text.upper", Inputs: map[string]any{"text": "Ada"},
				Outputs: map[string]any{"output": "ADA"}, StartedAt: at, DurationUS: 2, Attempts: 1}}}}},
		{"text", executionData{FlowName: "quote\" back\\slash\n\r\t\x01\x1f <html> & é 日本 \u2028", Input: map[string]any{
			"bad utf-8": "a\xffb\xc3", "emoji": "🙂", "key \"quoted\"": "x", "": "empty key"}}},
		{"numbers", executionData{Input: map[string]any{"f": 1.5, "big": 1e21, "small": 1e-7, "neg": -0.000001, "zero": 0.0,
			"int": 7, "int64": int64(-9), "max": float64(math.MaxInt64), "third": 1.0 / 3}}},
		{"other values", executionData{Input: map[string]any{"nil": nil, "bool": true, "false": false, "list": []any{1.0, "a", nil, []any{}, map[string]any{}},
			"strings": map[string]string{"a": "b"}, "slice": []string{"x"}, "time": at, "nested": []map[string]any{{"k": "v"}}, "nilmap": map[string]any(nil)}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(&tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendDocument(nil, &tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(got) {
				t.Fatalf("invalid JSON: %s", got)
			}
			var a, b any
			json.Unmarshal(want, &a)
			json.Unmarshal(got, &b)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
	for _, bad := range []executionData{
		{Input: map[string]any{"nan": math.NaN()}},
		{Output: map[string]any{"inf": math.Inf(1)}},
		{Steps: []storedStep{{Step: flows.Step{StartedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}}},
		{Input: map[string]any{"func": func() {}}},
	} {
		if got, err := appendDocument(nil, &bad); err == nil {
			t.Errorf("encoded %s without an error", got)
		}
	}
}

// setAll sets a field to a value that is not its zero.
func setAll(t *testing.T, f reflect.Value) {
	switch f.Kind() {
	case reflect.String:
		f.SetString("s-" + strings.ToLower(f.Type().Name()))
	case reflect.Bool:
		f.SetBool(true)
	case reflect.Int, reflect.Int64:
		f.SetInt(42)
	case reflect.Map:
		f.Set(reflect.ValueOf(map[string]any{"k": "v"}))
	case reflect.Slice:
		f.Set(reflect.ValueOf([]string{"child"}))
	case reflect.Struct:
		if f.Type() == reflect.TypeOf(time.Time{}) {
			f.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)))
			return
		}
		for i := range f.NumField() {
			setAll(t, f.Field(i))
		}
	default:
		t.Fatalf("a field of kind %s: teach setAll and appendStep", f.Kind())
	}
}

// TestSameValue agrees with reflect.DeepEqual on the interpreter's values.
func TestSameValue(t *testing.T) {
	ev := func() map[string]any {
		return map[string]any{"uuid": "1", "n": 2.0, "ok": true, "none": nil, "list": []any{"a", 1.0, map[string]any{"k": "v"}}}
	}
	for _, tt := range []struct {
		name string
		a, b any
	}{
		{"equal maps", ev(), ev()},
		{"other text", map[string]any{"a": "x"}, map[string]any{"a": "y"}},
		{"other key", map[string]any{"a": "x"}, map[string]any{"b": "x"}},
		{"nil value and missing key", map[string]any{"a": nil}, map[string]any{"b": nil}},
		{"number and text", 1.0, "1"},
		{"int and float", 1, 1.0},
		{"equal ints", 7, 7},
		{"lists", []any{1.0, "a"}, []any{1.0, "a"}},
		{"longer list", []any{1.0}, []any{1.0, 2.0}},
		{"list order", []any{1.0, 2.0}, []any{2.0, 1.0}},
		{"nested difference", map[string]any{"e": ev()}, map[string]any{"e": map[string]any{"uuid": "2"}}},
		{"nil list and empty", []any(nil), []any{}},
		{"nil map and empty", map[string]any(nil), map[string]any{}},
		{"strings maps", map[string]string{"a": "b"}, map[string]string{"a": "b"}},
		{"nil and false", nil, false},
		{"NaN", math.NaN(), math.NaN()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := sameValue(tt.a, tt.b), reflect.DeepEqual(tt.a, tt.b); got != want {
				t.Fatalf("sameValue %v, reflect.DeepEqual %v", got, want)
			}
		})
	}
}
