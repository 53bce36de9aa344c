package flows_test

import (
	"encoding/json"
	"testing"

	"github.com/hookflow/hookflow/flows"
)

func TestDescribeJSONError(t *testing.T) {
	type leaf struct {
		B int               `json:"b"`
		M map[string]string `json:"m"`
	}
	type doc struct {
		A    []leaf   `json:"a"`
		Deep [][]leaf `json:"deep"`
		On   bool     `json:"on"`
	}
	tests := []struct {
		name, body, want string
	}{
		{"second item of a list", `{"a": [ {"b": 1}, {"b": "x"} ]}`, `the field "a[1].b" must be a whole number, not text`},
		{"after a nested object", `{"a": [{"m": {"k": "v"}, "b": true}]}`, `the field "a[0].b" must be a whole number, not true or false`},
		{"map value", `{"a": [{"m": {"k": [1]}}]}`, `the field "a[0].m.k" must be text, not a list`},
		{"list in a list", `{"deep": [[], [{"b": 2}, {"b": 2.5}]]}`, `the field "deep[1][1].b" must be a whole number, not 2.5`},
		{"object for a flag", "{\n  \"on\": {\"x\": 1}\n}", `the field "on" must be true or false, not an object`},
		{"the document", `"text"`, `the body must be an object, not text`},
		{"syntax", "{\"a\": [\n  {\"b\": 1,}]}", `the body is not valid JSON: invalid character '}' looking for beginning of object key string (line 2, column 11)`},
		{"cut short", `{"a": [`, `the body is not valid JSON: unexpected end of JSON input (line 1, column 7)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d doc
			err := json.Unmarshal([]byte(tt.body), &d)
			if err == nil {
				t.Fatal("no error")
			}
			if got := flows.DescribeJSONError([]byte(tt.body), err); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
