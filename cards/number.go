package cards

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/hookflow/hookflow/flows"
)

func numberCards() []flows.Card {
	c := flows.CategoryNumber
	ab := []flows.Field{req("a", "a", tNumber, ""), req("b", "b", tNumber, "")}
	arith := func(typ, title, help string, f func(a, b float64) (float64, error)) flows.Card {
		return card(typ, title, c, help, ab, out("output", "Output", tNumber),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				v, err := f(num(in, "a"), num(in, "b"))
				if err != nil {
					return nil, err
				}
				if math.IsInf(v, 0) || math.IsNaN(v) {
					return nil, errors.New("the result is not a finite number")
				}
				return single("output", v)
			})
	}
	round := func(typ, title, help string, f func(float64) float64) flows.Card {
		return card(typ, title, c, help, []flows.Field{req("number", "Number", tNumber, ""), opt("places", "Decimal places", tNumber, "0 to 10")},
			out("output", "Output", tNumber),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				p := num(in, "places")
				if p < 0 || p > 10 || p != math.Trunc(p) {
					return nil, errors.New("decimal places must be a whole number from 0 to 10")
				}
				m := math.Pow(10, p)
				return single("output", f(num(in, "number")*m)/m)
			})
	}
	return []flows.Card{
		arith("number.add", "Add", "a + b", func(a, b float64) (float64, error) { return a + b, nil }),
		arith("number.subtract", "Subtract", "a − b", func(a, b float64) (float64, error) { return a - b, nil }),
		arith("number.multiply", "Multiply", "a × b", func(a, b float64) (float64, error) { return a * b, nil }),
		arith("number.divide", "Divide", "a ÷ b", func(a, b float64) (float64, error) {
			if b == 0 {
				return 0, errors.New("division by zero")
			}
			return a / b, nil
		}),
		round("number.round", "Round", "Round to the nearest, halves away from zero.", math.Round),
		round("number.round_up", "Round Up", "Round towards positive infinity.", math.Ceil),
		card("number.random_integer", "Random Integer", c, "A random whole number from min to max, both included.",
			[]flows.Field{req("min", "Min", tNumber, ""), req("max", "Max", tNumber, "")}, out("output", "Output", tNumber),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				lo, hi := math.Ceil(num(in, "min")), math.Floor(num(in, "max"))
				if hi < lo {
					return nil, fmt.Errorf("max %v is below min %v", hi, lo)
				}
				if hi-lo > 1<<53 {
					return nil, errors.New("the range is too large")
				}
				k, err := rand.Int(rand.Reader, big.NewInt(int64(hi-lo)+1))
				if err != nil {
					return nil, err
				}
				return single("output", lo+float64(k.Int64()))
			}),
		formulaCard(),
	}
}
