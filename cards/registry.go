// Package cards holds Hookflow's function cards and the registry that lists
// them. Cards are values: Builtin builds the registry explicitly, and a card
// never touches the database or the web layer.
package cards

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/hookflow/hookflow/flows"
)

// Registry maps card type keys to cards. It satisfies flows.Registry.
type Registry struct {
	cards map[string]flows.Card
	specs []flows.CardSpec
}

var _ flows.Registry = (*Registry)(nil)

// New builds a registry of the given cards. A repeated type key panics: it is
// a programming error.
func New(cs ...flows.Card) *Registry {
	r := &Registry{cards: make(map[string]flows.Card, len(cs))}
	for _, c := range cs {
		s := c.Spec()
		if _, dup := r.cards[s.Type]; dup {
			panic("cards: card type registered twice: " + s.Type)
		}
		r.cards[s.Type] = c
		r.specs = append(r.specs, s)
	}
	slices.SortFunc(r.specs, func(a, b flows.CardSpec) int {
		return cmp.Or(cmp.Compare(a.Category, b.Category), cmp.Compare(a.Title, b.Title))
	})
	return r
}

// Lookup returns the card of a type key.
func (r *Registry) Lookup(typ string) (flows.Card, bool) {
	c, ok := r.cards[typ]
	return c, ok
}

// Specs lists every card's spec by category, then title.
func (r *Registry) Specs() []flows.CardSpec { return r.specs }

// fn is a card made of a spec and a run function.
type fn struct {
	spec flows.CardSpec
	run  func(ctx context.Context, in flows.Input) (flows.Output, error)
}

func (f fn) Spec() flows.CardSpec { return f.spec }

// InMemory reports whether the card computes in memory: the cards of
// these categories neither wait nor call out.
func (f fn) InMemory() bool { return inMemory[f.spec.Category] }

var inMemory = map[flows.Category]bool{
	flows.CategoryText: true, flows.CategoryNumber: true, flows.CategoryBool: true, flows.CategoryDate: true,
	flows.CategoryList: true, flows.CategoryObject: true, flows.CategoryJSON: true, flows.CategoryCrypto: true,
	flows.CategoryURL: true,
}

func (f fn) Run(ctx context.Context, in flows.Input) (flows.Output, error) {
	out, err := f.run(ctx, in)
	var words flows.Detailed
	switch {
	case errors.As(err, &words):
		return nil, err // it reads on its own, naming the call it made
	case err != nil:
		return nil, fmt.Errorf("%s: %w", f.spec.Title, err)
	}
	return out, nil
}

// card declares a function card.
func card(typ, title string, cat flows.Category, help string, inputs, outputs []flows.Field,
	run func(ctx context.Context, in flows.Input) (flows.Output, error)) fn {
	return fn{spec: flows.CardSpec{Type: typ, Title: title, Category: cat, Help: help, Inputs: inputs, Outputs: outputs}, run: run}
}

// Field constructors.
func req(key, label string, t flows.Type, help string) flows.Field {
	return flows.Field{Key: key, Label: label, Type: t, Required: true, Help: help}
}

func opt(key, label string, t flows.Type, help string) flows.Field {
	return flows.Field{Key: key, Label: label, Type: t, Help: help}
}

func out(key, label string, t flows.Type) []flows.Field {
	return []flows.Field{{Key: key, Label: label, Type: t}}
}

// single wraps a one-output result.
func single(key string, v any) (flows.Output, error) { return flows.Output{key: v}, nil }

// Typed accessors: the interpreter has converted values to the declared
// types; a value that is missing reads as the zero value.
func text(in flows.Input, key string) string  { s, _ := in.Values[key].(string); return s }
func num(in flows.Input, key string) float64  { f, _ := in.Values[key].(float64); return f }
func boolean(in flows.Input, key string) bool { b, _ := in.Values[key].(bool); return b }
func list(in flows.Input, key string) []any   { l, _ := in.Values[key].([]any); return l }
func object(in flows.Input, key string) map[string]any {
	m, _ := in.Values[key].(map[string]any)
	return m
}

// extraValues returns the values of a placed card's own (extensible) inputs, in order.
func extraValues(in flows.Input) []any {
	if in.Node == nil {
		return nil
	}
	vs := make([]any, 0, len(in.Node.Inputs))
	for _, f := range in.Node.Inputs {
		vs = append(vs, in.Values[f.Key])
	}
	return vs
}
