package cards

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/hookflow/hookflow/flows"
)

func jsonCards() []flows.Card {
	c := flows.CategoryJSON
	return []flows.Card{
		card("json.parse", "Parse", c, "Read JSON text into a value.", []flows.Field{req("json", "JSON", tText, "")}, out("output", "Output", tAny),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				var v any
				dec := json.NewDecoder(bytes.NewReader([]byte(text(in, "json"))))
				if err := dec.Decode(&v); err != nil || dec.More() {
					return nil, fmt.Errorf("the text is not JSON: %v", err)
				}
				return single("output", v)
			}),
		card("json.stringify", "Stringify", c, "Write a value as JSON text.", []flows.Field{opt("value", "Value", tAny, ""), opt("pretty", "Pretty", tBool, "Indent the output.")},
			out("output", "Output", tText),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				var b []byte
				var err error
				if boolean(in, "pretty") {
					b, err = json.MarshalIndent(in.Values["value"], "", "  ")
				} else {
					b, err = json.Marshal(in.Values["value"])
				}
				if err != nil {
					return nil, err
				}
				return single("output", string(b))
			}),
	}
}
