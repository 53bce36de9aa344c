package cards_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/cards"
	"github.com/hookflow/hookflow/flows"
)

var reg = cards.Builtin(cards.Options{})

// cardCase is one run of one card: its inputs (already converted, as the
// interpreter hands them over), the placed card's own fields, and the
// outputs or error expected.
type cardCase struct {
	name    string
	card    string
	in      map[string]any
	inputs  []flows.Field // the node's added inputs
	outputs []flows.Field // the node's added outputs
	want    flows.Output
	wantErr string
	check   func(t *testing.T, out flows.Output)
}

func runCases(t *testing.T, cases []cardCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.card+"/"+tt.name, func(t *testing.T) {
			c, ok := reg.Lookup(tt.card)
			if !ok {
				t.Fatalf("no card %s", tt.card)
			}
			node := &flows.Node{ID: "x", Type: tt.card, Inputs: tt.inputs, Outputs: tt.outputs}
			now := func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }
			out, err := c.Run(context.Background(), flows.Input{Values: tt.in, Node: node, Now: now})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), c.Spec().Title+": ") {
					t.Errorf("error %q does not name the card", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != nil && !reflect.DeepEqual(out, tt.want) {
				t.Fatalf("out = %#v, want %#v", out, tt.want)
			}
			if tt.check != nil {
				tt.check(t, out)
			}
		})
	}
}

func TestBuiltinSpecs(t *testing.T) {
	specs := reg.Specs()
	if len(specs) < 69 {
		t.Fatalf("%d cards; the registry lost some", len(specs))
	}
	for _, s := range specs {
		if s.Title == "" || s.Category == "" || s.Help == "" || !strings.Contains(s.Type, ".") {
			t.Errorf("%s: spec incomplete: %+v", s.Type, s)
		}
		for _, f := range append(append([]flows.Field{}, s.Inputs...), s.Outputs...) {
			if f.Key == "" || f.Label == "" || !f.Type.Valid() {
				t.Errorf("%s: field %+v incomplete", s.Type, f)
			}
		}
		if c, ok := reg.Lookup(s.Type); !ok || c.Spec().Type != s.Type {
			t.Errorf("%s: lookup broken", s.Type)
		}
	}
	// Card types never collide with the interpreter's own cards.
	for _, cs := range flows.ControlSpecs() {
		if _, ok := reg.Lookup(cs.Type); ok {
			t.Errorf("%s is both a control and a function card", cs.Type)
		}
	}
}

func TestRegistryRefusesDuplicates(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a duplicate card type did not panic")
		}
	}()
	c, _ := reg.Lookup("text.upper")
	cards.New(c, c)
}

func f(key string, t flows.Type) flows.Field { return flows.Field{Key: key, Label: key, Type: t} }

func TestTextCards(t *testing.T) {
	runCases(t, []cardCase{
		{name: "compose", card: "text.compose", in: map[string]any{"text": "Hi ADA"}, want: flows.Output{"output": "Hi ADA"}},
		{name: "concatenate", card: "text.concatenate", inputs: []flows.Field{f("a", flows.TypeText), f("b", flows.TypeNumber)},
			in: map[string]any{"a": "x", "b": 2.0, "separator": "-"}, want: flows.Output{"output": "x-2"}},
		{name: "length counts characters", card: "text.length", in: map[string]any{"text": "héllo"}, want: flows.Output{"length": 5.0}},
		{name: "split", card: "text.split", in: map[string]any{"text": "a,b", "separator": ","}, want: flows.Output{"output": []any{"a", "b"}}},
		{name: "replace", card: "text.replace", in: map[string]any{"text": "a-b-c", "find": "-", "replace": "+"}, want: flows.Output{"output": "a+b+c"}},
		{name: "find", card: "text.find", in: map[string]any{"text": "héllo world", "search": "o", "start": 5.0}, want: flows.Output{"position": 7.0}},
		{name: "find nothing", card: "text.find", in: map[string]any{"text": "abc", "search": "z"}, want: flows.Output{"position": -1.0}},
		{name: "find start out of range", card: "text.find", in: map[string]any{"text": "abc", "search": "a", "start": 9.0}, wantErr: "outside the text"},
		{name: "find pattern", card: "text.find_pattern", in: map[string]any{"text": "a1b22", "pattern": "[0-9]+"}, want: flows.Output{"matches": []any{"1", "22"}}},
		{name: "bad pattern", card: "text.find_pattern", in: map[string]any{"text": "a", "pattern": "("}, wantErr: "pattern"},
		{name: "segment", card: "text.segment", in: map[string]any{"text": "héllo", "start": 1.0, "length": 3.0}, want: flows.Output{"output": "éll"}},
		{name: "segment to end", card: "text.segment", in: map[string]any{"text": "hello", "start": 3.0}, want: flows.Output{"output": "lo"}},
		{name: "upper", card: "text.upper", in: map[string]any{"text": "Ada"}, want: flows.Output{"output": "ADA"}},
		{name: "lower", card: "text.lower", in: map[string]any{"text": "Ada"}, want: flows.Output{"output": "ada"}},
		{name: "trim", card: "text.trim", in: map[string]any{"text": "  a \n"}, want: flows.Output{"output": "a"}},
		{name: "base64 encode", card: "text.base64_encode", in: map[string]any{"text": "hi?"}, want: flows.Output{"output": "aGk/"}},
		{name: "base64 url-safe", card: "text.base64_encode", in: map[string]any{"text": "hi?", "urlSafe": true}, want: flows.Output{"output": "aGk_"}},
		{name: "base64 decode", card: "text.base64_decode", in: map[string]any{"text": "aGk/"}, want: flows.Output{"output": "hi?"}},
		{name: "base64 decode garbage", card: "text.base64_decode", in: map[string]any{"text": "!!!"}, wantErr: "not Base64"},
		{name: "random", card: "text.random", in: map[string]any{"length": 12.0, "characters": "ab"}, check: func(t *testing.T, o flows.Output) {
			s := o["output"].(string)
			if len(s) != 12 || strings.Trim(s, "ab") != "" {
				t.Fatalf("random = %q", s)
			}
		}},
		{name: "random too long", card: "text.random", in: map[string]any{"length": 5000.0}, wantErr: "between 1 and 1024"},
	})
}

func TestNumberCards(t *testing.T) {
	runCases(t, []cardCase{
		{name: "add", card: "number.add", in: map[string]any{"a": 1.5, "b": 2.0}, want: flows.Output{"output": 3.5}},
		{name: "subtract", card: "number.subtract", in: map[string]any{"a": 1.0, "b": 3.0}, want: flows.Output{"output": -2.0}},
		{name: "multiply", card: "number.multiply", in: map[string]any{"a": 4.0, "b": 2.5}, want: flows.Output{"output": 10.0}},
		{name: "divide", card: "number.divide", in: map[string]any{"a": 1.0, "b": 4.0}, want: flows.Output{"output": 0.25}},
		{name: "divide by zero", card: "number.divide", in: map[string]any{"a": 1.0, "b": 0.0}, wantErr: "division by zero"},
		{name: "round", card: "number.round", in: map[string]any{"number": 2.345, "places": 2.0}, want: flows.Output{"output": 2.35}},
		{name: "round half away", card: "number.round", in: map[string]any{"number": -2.5}, want: flows.Output{"output": -3.0}},
		{name: "round bad places", card: "number.round", in: map[string]any{"number": 1.0, "places": 1.5}, wantErr: "whole number"},
		{name: "round up", card: "number.round_up", in: map[string]any{"number": 2.01}, want: flows.Output{"output": 3.0}},
		{name: "random integer", card: "number.random_integer", in: map[string]any{"min": 3.0, "max": 3.0}, want: flows.Output{"output": 3.0}},
		{name: "random integer bad range", card: "number.random_integer", in: map[string]any{"min": 5.0, "max": 1.0}, wantErr: "below min"},
		{name: "formula", card: "number.formula", inputs: []flows.Field{f("price", flows.TypeNumber), f("qty", flows.TypeNumber)},
			in: map[string]any{"expression": "(price * qty) - max(1, 2)", "price": 2.5, "qty": 4.0}, want: flows.Output{"output": 8.0}},
		{name: "formula syntax error", card: "number.formula", in: map[string]any{"expression": "1 +"}, wantErr: "expression"},
		{name: "formula unknown name", card: "number.formula", in: map[string]any{"expression": "secret + 1"}, wantErr: "expression"},
		{name: "formula no functions beyond maths", card: "number.formula", in: map[string]any{"expression": `len("abc")`}, wantErr: "expression"},
		{name: "formula division by zero", card: "number.formula", in: map[string]any{"expression": "1 / 0"}, wantErr: "not a finite number"},
	})
}

func TestBoolCards(t *testing.T) {
	runCases(t, []cardCase{
		{name: "and", card: "bool.and", in: map[string]any{"a": true, "b": false}, want: flows.Output{"output": false}},
		{name: "or", card: "bool.or", in: map[string]any{"a": true, "b": false}, want: flows.Output{"output": true}},
		{name: "not", card: "bool.not", in: map[string]any{"value": true}, want: flows.Output{"output": false}},
		{name: "compare numbers", card: "bool.compare", in: map[string]any{"a": "10", "operator": "greater", "b": 9.0}, want: flows.Output{"output": true}},
		{name: "compare ends with", card: "bool.compare", in: map[string]any{"a": "x@example.com", "operator": "ends_with", "b": "@example.com"}, want: flows.Output{"output": true}},
		{name: "compare bad operator", card: "bool.compare", in: map[string]any{"a": 1.0, "operator": "about", "b": 1.0}, wantErr: "unknown operator"},
	})
}

func TestDateCards(t *testing.T) {
	d := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	runCases(t, []cardCase{
		{name: "now", card: "date.now", want: flows.Output{"output": time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}},
		{name: "add days", card: "date.add", in: map[string]any{"date": d, "amount": 2.0, "unit": "days"}, want: flows.Output{"output": d.AddDate(0, 0, 2)}},
		{name: "add hours", card: "date.add", in: map[string]any{"date": d, "amount": 1.5, "unit": "hours"}, want: flows.Output{"output": d.Add(90 * time.Minute)}},
		{name: "subtract months", card: "date.subtract", in: map[string]any{"date": d, "amount": 1.0, "unit": "months"}, want: flows.Output{"output": d.AddDate(0, -1, 0)}},
		{name: "bad unit", card: "date.add", in: map[string]any{"date": d, "amount": 1.0, "unit": "fortnights"}, wantErr: "unknown unit"},
		{name: "difference in days", card: "date.difference", in: map[string]any{"start": d, "end": d.AddDate(0, 0, 3), "unit": "days"}, want: flows.Output{"difference": 3.0}},
		{name: "difference in months", card: "date.difference", in: map[string]any{"start": d, "end": d.AddDate(0, 14, 0), "unit": "years"}, want: flows.Output{"difference": 1.0}},
		{name: "to text ISO", card: "date.to_text", in: map[string]any{"date": d}, want: flows.Output{"output": "2026-01-31T12:00:00Z"}},
		{name: "to text pattern and zone", card: "date.to_text", in: map[string]any{"date": d, "format": "YYYY-MM-DD HH:mm", "timezone": "Asia/Tokyo"}, want: flows.Output{"output": "2026-01-31 21:00"}},
		{name: "bad zone", card: "date.to_text", in: map[string]any{"date": d, "timezone": "Mars/Base"}, wantErr: "unknown time zone"},
		{name: "from text pattern", card: "date.from_text", in: map[string]any{"text": "31/01/2026", "format": "DD/MM/YYYY"}, want: flows.Output{"output": time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)}},
		{name: "from text mismatch", card: "date.from_text", in: map[string]any{"text": "2026", "format": "DD/MM/YYYY"}, wantErr: "does not match"},
		{name: "from text ISO", card: "date.from_text", in: map[string]any{"text": "2026-01-31T12:00:00Z"}, want: flows.Output{"output": d}},
		{name: "convert", card: "date.convert", in: map[string]any{"date": d, "timezone": "America/New_York"}, check: func(t *testing.T, out flows.Output) {
			if out["output"] != "2026-01-31T07:00:00-05:00" {
				t.Errorf("output = %v", out["output"])
			}
		}},
	})
}

func TestListCards(t *testing.T) {
	people := []any{map[string]any{"name": "b", "age": 30.0}, map[string]any{"name": "a", "age": 9.0}}
	runCases(t, []cardCase{
		{name: "construct", card: "list.construct", inputs: []flows.Field{f("x", flows.TypeText), f("y", flows.TypeNumber)}, in: map[string]any{"x": "a", "y": 1.0},
			want: flows.Output{"output": []any{"a", 1.0}}},
		{name: "at", card: "list.at", in: map[string]any{"list": []any{"a", "b"}, "index": -1.0}, want: flows.Output{"item": "b"}},
		{name: "at out of range", card: "list.at", in: map[string]any{"list": []any{"a"}, "index": 3.0}, wantErr: "outside the list"},
		{name: "length", card: "list.length", in: map[string]any{"list": []any{1.0, 2.0}}, want: flows.Output{"length": 2.0}},
		{name: "pluck", card: "list.pluck", in: map[string]any{"list": people, "path": "name"}, want: flows.Output{"output": []any{"b", "a"}}},
		{name: "sort by number", card: "list.sort", in: map[string]any{"list": people, "path": "age"}, check: func(t *testing.T, o flows.Output) {
			if o["output"].([]any)[0].(map[string]any)["name"] != "a" {
				t.Fatalf("sorted = %v", o["output"])
			}
		}},
		{name: "sort descending", card: "list.sort", in: map[string]any{"list": []any{1.0, 3.0, 2.0}, "order": "descending"}, want: flows.Output{"output": []any{3.0, 2.0, 1.0}}},
		{name: "filter", card: "list.filter", in: map[string]any{"list": people, "path": "age", "operator": "greater", "value": 18.0}, want: flows.Output{"output": []any{people[0]}}},
		{name: "find", card: "list.find", in: map[string]any{"list": people, "path": "name", "operator": "equal", "value": "a"}, want: flows.Output{"item": people[1], "index": 1.0}},
		{name: "find none", card: "list.find", in: map[string]any{"list": people, "path": "name", "operator": "equal", "value": "z"}, want: flows.Output{"item": nil, "index": -1.0}},
		{name: "includes", card: "list.includes", in: map[string]any{"list": []any{"a", 2.0}, "value": 2.0}, want: flows.Output{"output": true}},
		{name: "flatten", card: "list.flatten", in: map[string]any{"list": []any{[]any{1.0}, 2.0, []any{3.0, []any{4.0}}}}, want: flows.Output{"output": []any{1.0, 2.0, 3.0, []any{4.0}}}},
		{name: "remove duplicates", card: "list.unique", in: map[string]any{"list": []any{"1", 1.0, "1"}}, want: flows.Output{"output": []any{"1", 1.0}}},
		{name: "union", card: "list.union", in: map[string]any{"a": []any{1.0, 2.0}, "b": []any{2.0, 3.0}}, want: flows.Output{"output": []any{1.0, 2.0, 3.0}}},
		{name: "intersection", card: "list.intersection", in: map[string]any{"a": []any{1.0, 2.0}, "b": []any{2.0, 3.0}}, want: flows.Output{"output": []any{2.0}}},
		{name: "difference", card: "list.difference", in: map[string]any{"a": []any{1.0, 2.0}, "b": []any{2.0, 3.0}}, want: flows.Output{"output": []any{1.0}}},
		{name: "to text", card: "list.to_text", in: map[string]any{"list": []any{"a", 1.0}, "separator": "; "}, want: flows.Output{"output": "a; 1"}},
		{name: "first", card: "list.first", in: map[string]any{"list": []any{"a", "b"}}, want: flows.Output{"item": "a", "rest": []any{"b"}}},
		{name: "first of empty", card: "list.first", in: map[string]any{"list": []any{}}, wantErr: "empty"},
		{name: "last", card: "list.last", in: map[string]any{"list": []any{"a", "b"}}, want: flows.Output{"item": "b", "rest": []any{"a"}}},
		{name: "add to end", card: "list.append", in: map[string]any{"list": []any{"a"}, "item": "b"}, want: flows.Output{"output": []any{"a", "b"}}},
	})
}

func TestObjectCards(t *testing.T) {
	obj := map[string]any{"a": map[string]any{"b": 1.0, "e": ""}, "list": []any{"x"}, "n": nil}
	runCases(t, []cardCase{
		{name: "construct", card: "object.construct", inputs: []flows.Field{f("id", flows.TypeText)}, in: map[string]any{"id": "7"}, want: flows.Output{"output": map[string]any{"id": "7"}}},
		{name: "get", card: "object.get", in: map[string]any{"object": obj, "path": "a.b"}, want: flows.Output{"value": 1.0}},
		{name: "get through text", card: "object.get", in: map[string]any{"object": map[string]any{"s": "x"}, "path": "s.t"}, wantErr: "cannot look into"},
		{name: "get multiple", card: "object.get_multiple", outputs: []flows.Field{f("a/b", flows.TypeText), f("list", flows.ListOf(flows.TypeText))},
			in: map[string]any{"object": obj}, want: flows.Output{"a/b": "1", "list": []any{"x"}}},
		{name: "set", card: "object.set", in: map[string]any{"object": obj, "path": "a.c.d", "value": true}, check: func(t *testing.T, o flows.Output) {
			got := o["output"].(map[string]any)["a"].(map[string]any)["c"].(map[string]any)["d"]
			if got != true || obj["a"].(map[string]any)["c"] != nil {
				t.Fatalf("set = %v; input changed: %v", o, obj)
			}
		}},
		{name: "set through text", card: "object.set", in: map[string]any{"object": map[string]any{"s": "x"}, "path": "s.t", "value": 1.0}, wantErr: "not an object"},
		{name: "merge shallow", card: "object.merge", in: map[string]any{"a": map[string]any{"x": map[string]any{"y": 1.0}}, "b": map[string]any{"x": map[string]any{"z": 2.0}}},
			want: flows.Output{"output": map[string]any{"x": map[string]any{"z": 2.0}}}},
		{name: "merge deep", card: "object.merge", in: map[string]any{"a": map[string]any{"x": map[string]any{"y": 1.0}}, "b": map[string]any{"x": map[string]any{"z": 2.0}}, "deep": true},
			want: flows.Output{"output": map[string]any{"x": map[string]any{"y": 1.0, "z": 2.0}}}},
		{name: "keys", card: "object.keys", in: map[string]any{"object": obj}, want: flows.Output{"output": []any{"a", "list", "n"}}},
		{name: "values", card: "object.values", in: map[string]any{"object": map[string]any{"b": 2.0, "a": 1.0}}, want: flows.Output{"output": []any{1.0, 2.0}}},
		{name: "clear empty", card: "object.clear_empty", in: map[string]any{"object": obj}, want: flows.Output{"output": map[string]any{"a": map[string]any{"b": 1.0}, "list": []any{"x"}}}},
	})
}

func TestJSONAndCryptoCards(t *testing.T) {
	runCases(t, []cardCase{
		{name: "parse", card: "json.parse", in: map[string]any{"json": `{"a":[1,"x"]}`}, want: flows.Output{"output": map[string]any{"a": []any{1.0, "x"}}}},
		{name: "parse garbage", card: "json.parse", in: map[string]any{"json": `{"a":`}, wantErr: "not JSON"},
		{name: "parse trailing", card: "json.parse", in: map[string]any{"json": `1 2`}, wantErr: "not JSON"},
		{name: "stringify", card: "json.stringify", in: map[string]any{"value": map[string]any{"b": 1.0, "a": "x"}}, want: flows.Output{"output": `{"a":"x","b":1}`}},
		{name: "hmac sha256 hex", card: "crypto.hmac", in: map[string]any{"key": "key", "message": "The quick brown fox jumps over the lazy dog", "algorithm": "sha256", "encoding": "hex"},
			want: flows.Output{"output": "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"}},
		{name: "hmac sha1 base64", card: "crypto.hmac", in: map[string]any{"key": "key", "message": "The quick brown fox jumps over the lazy dog", "algorithm": "sha1", "encoding": "base64"},
			want: flows.Output{"output": "3nybhbi3iqa8ino29wqQcBydtNk="}},
		{name: "hash sha512", card: "crypto.hash", in: map[string]any{"text": "", "algorithm": "sha512"}, check: func(t *testing.T, o flows.Output) {
			if !strings.HasPrefix(o["output"].(string), "cf83e1357eefb8bd") {
				t.Fatalf("sha512 = %v", o)
			}
		}},
		{name: "hash unknown algorithm", card: "crypto.hash", in: map[string]any{"text": "", "algorithm": "md5"}, wantErr: "unknown algorithm"},
		{name: "uuid", card: "crypto.uuid", check: func(t *testing.T, o flows.Output) {
			u := o["output"].(string)
			if len(u) != 36 || u[14] != '4' || !strings.Contains("89ab", string(u[19])) {
				t.Fatalf("uuid %q", u)
			}
		}},
	})
}

// TestInMemoryCards: the cards that compute in memory say so, and those
// that call out do not, so that only the latter get a card time limit.
func TestInMemoryCards(t *testing.T) {
	reg := cards.Builtin(cards.Options{})
	for _, tt := range []struct {
		typ  string
		want bool
	}{
		{"text.upper", true},
		{"object.construct", true},
		{"list.sort", true},
		{"http.get", false},
		{"http.raw", false},
	} {
		t.Run(tt.typ, func(t *testing.T) {
			c, ok := reg.Lookup(tt.typ)
			if !ok {
				t.Fatalf("no card %s", tt.typ)
			}
			m, ok := c.(flows.InMemoryCard)
			if got := ok && m.InMemory(); got != tt.want {
				t.Fatalf("in memory: %v, want %v", got, tt.want)
			}
		})
	}
}
