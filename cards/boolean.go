package cards

import (
	"context"

	"github.com/hookflow/hookflow/flows"
)

func boolCards() []flows.Card {
	c := flows.CategoryBool
	ab := []flows.Field{req("a", "a", tBool, ""), req("b", "b", tBool, "")}
	return []flows.Card{
		card("bool.and", "And", c, "True when both are true.", ab, out("output", "Output", tBool),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return single("output", boolean(in, "a") && boolean(in, "b"))
			}),
		card("bool.or", "Or", c, "True when either is true.", ab, out("output", "Output", tBool),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return single("output", boolean(in, "a") || boolean(in, "b"))
			}),
		card("bool.xor", "Or (Exclusive)", c, "True when exactly one is true.", ab, out("output", "Output", tBool),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return single("output", boolean(in, "a") != boolean(in, "b"))
			}),
		card("bool.not", "Not", c, "The opposite.", []flows.Field{req("value", "Value", tBool, "")}, out("output", "Output", tBool),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return single("output", !boolean(in, "value"))
			}),
		card("bool.compare", "Compare", c, "Compare a with b, aware of their types: numbers as numbers, dates as dates, text case-sensitively.",
			[]flows.Field{opt("a", "Value a", tAny, ""), {Key: "operator", Label: "Comparison", Type: tText, Required: true, Choices: flows.Operators, Default: "equal"}, opt("b", "Value b", tAny, "")},
			out("output", "Output", tBool),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				ok, err := flows.Compare(in.Values["a"], flows.Operator(text(in, "operator")), in.Values["b"])
				if err != nil {
					return nil, err
				}
				return single("output", ok)
			}),
	}
}
