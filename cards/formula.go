package cards

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/expr-lang/expr"

	"github.com/hookflow/hookflow/flows"
)

// maxFormulaLength bounds a formula's source, and with it its evaluation.
const maxFormulaLength = 1000

// formulaCard evaluates an arithmetic expression over the card's own
// inputs, e.g. "(price * quantity) * (1 - discount)".
func formulaCard() flows.Card {
	f := card("number.formula", "Formula", flows.CategoryNumber,
		"An arithmetic expression over the inputs you add, e.g. (price * quantity) - discount. Operators + - * / % ^, parentheses, abs, ceil, floor, round, min, max.",
		[]flows.Field{req("expression", "Expression", tText, "")}, out("output", "Output", tNumber),
		func(ctx context.Context, in flows.Input) (flows.Output, error) {
			src := text(in, "expression")
			if len(src) > maxFormulaLength {
				return nil, fmt.Errorf("the expression is longer than %d characters", maxFormulaLength)
			}
			env := map[string]any{}
			if in.Node != nil {
				for _, fld := range in.Node.Inputs {
					env[fld.Key] = num(in, fld.Key)
				}
			}
			prog, err := expr.Compile(src, expr.Env(env), expr.AsFloat64(), expr.MaxNodes(500),
				expr.DisableAllBuiltins(), expr.EnableBuiltin("abs"), expr.EnableBuiltin("ceil"), expr.EnableBuiltin("floor"),
				expr.EnableBuiltin("round"), expr.EnableBuiltin("min"), expr.EnableBuiltin("max"))
			if err != nil {
				return nil, fmt.Errorf("expression: %w", err)
			}
			v, err := expr.Run(prog, env)
			if err != nil {
				return nil, fmt.Errorf("expression: %w", err)
			}
			x, _ := v.(float64)
			if math.IsInf(x, 0) || math.IsNaN(x) {
				return nil, errors.New("the result is not a finite number")
			}
			return single("output", x)
		})
	f.spec.ExtensibleInputs = true
	return f
}
