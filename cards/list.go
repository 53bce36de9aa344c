package cards

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/hookflow/hookflow/flows"
)

var listIn = req("list", "List", flows.ListOf(tAny), "")

func itemAndRest() []flows.Field {
	return []flows.Field{{Key: "item", Label: "Item", Type: tAny}, {Key: "rest", Label: "Rest of the list", Type: flows.ListOf(tAny)}}
}

func listOut() []flows.Field { return out("output", "Output", flows.ListOf(tAny)) }

// key returns a comparable identity of a value, for set operations.
func key(v any) string {
	s, err := flows.ToText(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%T:%s", v, s)
}

func listCards() []flows.Card {
	c := flows.CategoryList
	set := func(typ, title, help string, keep func(inA, inB bool) bool, both bool) flows.Card {
		return card(typ, title, c, help, []flows.Field{req("a", "List a", flows.ListOf(tAny), ""), req("b", "List b", flows.ListOf(tAny), "")}, listOut(),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				a, b := list(in, "a"), list(in, "b")
				inA, inB := map[string]bool{}, map[string]bool{}
				for _, v := range a {
					inA[key(v)] = true
				}
				for _, v := range b {
					inB[key(v)] = true
				}
				res, seen := []any{}, map[string]bool{}
				src := a
				if both {
					src = append(append([]any{}, a...), b...)
				}
				for _, v := range src {
					k := key(v)
					if !seen[k] && keep(inA[k], inB[k]) {
						seen[k] = true
						res = append(res, v)
					}
				}
				return single("output", res)
			})
	}
	condFields := []flows.Field{listIn, opt("path", "Path", tText, "Field of each item to test, e.g. profile.email; empty: the item"),
		{Key: "operator", Label: "Comparison", Type: tText, Required: true, Choices: flows.Operators, Default: "equal"}, opt("value", "Value", tAny, "")}
	test := func(in flows.Input, item any) (bool, error) {
		v, err := flows.Lookup(item, text(in, "path"))
		if err != nil {
			return false, err
		}
		return flows.Compare(v, flows.Operator(text(in, "operator")), in.Values["value"])
	}
	construct := card("list.construct", "Construct", c, "Make a list of the inputs you add.", nil, listOut(),
		func(_ context.Context, in flows.Input) (flows.Output, error) {
			return single("output", extraValues(in))
		})
	construct.spec.ExtensibleInputs = true
	return []flows.Card{
		construct,
		card("list.at", "At", c, "The item at an index (from 0; negative counts from the end).", []flows.Field{listIn, req("index", "Index", tNumber, "")},
			out("item", "Item", tAny),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				l, i := list(in, "list"), int(num(in, "index"))
				if i < 0 {
					i += len(l)
				}
				if i < 0 || i >= len(l) {
					return nil, fmt.Errorf("index %v is outside the list (length %d)", num(in, "index"), len(l))
				}
				return single("item", l[i])
			}),
		card("list.length", "Length", c, "The number of items.", []flows.Field{listIn}, out("length", "Length", tNumber),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return single("length", float64(len(list(in, "list"))))
			}),
		card("list.pluck", "Pluck", c, "The value at a path of each item.", []flows.Field{listIn, req("path", "Path", tText, "")}, listOut(),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				l := list(in, "list")
				res := make([]any, len(l))
				for i, item := range l {
					v, err := flows.Lookup(item, text(in, "path"))
					if err != nil {
						return nil, fmt.Errorf("item %d: %w", i, err)
					}
					res[i] = v
				}
				return single("output", res)
			}),
		card("list.sort", "Sort", c, "Sort items (by a path of each), numbers as numbers, dates as dates.",
			[]flows.Field{listIn, opt("path", "Path", tText, ""), {Key: "order", Label: "Order", Type: tText, Choices: []string{"ascending", "descending"}, Default: "ascending"}}, listOut(),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				l := slices.Clone(list(in, "list"))
				var sortErr error
				slices.SortStableFunc(l, func(a, b any) int {
					va, _ := flows.Lookup(a, text(in, "path"))
					vb, _ := flows.Lookup(b, text(in, "path"))
					less, err := flows.Compare(va, flows.OpLess, vb)
					if err != nil {
						sortErr = err
					}
					greater, _ := flows.Compare(va, flows.OpGreater, vb)
					r := 0
					if less {
						r = -1
					} else if greater {
						r = 1
					}
					if text(in, "order") == "descending" {
						r = -r
					}
					return r
				})
				if sortErr != nil {
					return nil, sortErr
				}
				return single("output", l)
			}),
		card("list.filter", "Filter", c, "The items whose value at a path passes a comparison.", condFields, listOut(),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				res := []any{}
				for i, item := range list(in, "list") {
					ok, err := test(in, item)
					if err != nil {
						return nil, fmt.Errorf("item %d: %w", i, err)
					}
					if ok {
						res = append(res, item)
					}
				}
				return single("output", res)
			}),
		card("list.find", "Find", c, "The first item that passes a comparison, and its index (-1 when none does).", condFields,
			[]flows.Field{{Key: "item", Label: "Item", Type: tAny}, {Key: "index", Label: "Index", Type: tNumber}},
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				for i, item := range list(in, "list") {
					ok, err := test(in, item)
					if err != nil {
						return nil, fmt.Errorf("item %d: %w", i, err)
					}
					if ok {
						return flows.Output{"item": item, "index": float64(i)}, nil
					}
				}
				return flows.Output{"item": nil, "index": -1.0}, nil
			}),
		card("list.includes", "Includes", c, "Whether the list holds the value.", []flows.Field{listIn, opt("value", "Value", tAny, "")}, out("output", "Output", tBool),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				ok, err := flows.Compare(list(in, "list"), flows.OpContains, in.Values["value"])
				return flows.Output{"output": ok}, err
			}),
		card("list.flatten", "Flatten", c, "Lists inside the list become its items (one level).", []flows.Field{listIn}, listOut(),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				res := []any{}
				for _, item := range list(in, "list") {
					if inner, ok := item.([]any); ok {
						res = append(res, inner...)
					} else {
						res = append(res, item)
					}
				}
				return single("output", res)
			}),
		card("list.unique", "Remove Duplicates", c, "The list without repeated items (or items with a repeated value at a path), first occurrences kept.",
			[]flows.Field{listIn, opt("path", "Path", tText, "Field of each item that must not repeat, e.g. profile.email; empty: the whole item")}, listOut(),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				res, seen := []any{}, map[string]bool{}
				for i, item := range list(in, "list") {
					v, err := flows.Lookup(item, text(in, "path"))
					if err != nil {
						return nil, fmt.Errorf("item %d: %w", i, err)
					}
					if k := key(v); !seen[k] {
						seen[k] = true
						res = append(res, item)
					}
				}
				return single("output", res)
			}),
		set("list.union", "Union", "Items in either list, once each.", func(a, b bool) bool { return a || b }, true),
		set("list.intersection", "Intersection", "Items in both lists.", func(a, b bool) bool { return a && b }, false),
		set("list.difference", "Difference", "Items of list a that are not in list b.", func(a, b bool) bool { return a && !b }, false),
		card("list.to_text", "List to Text", c, "Join the items into text with a separator.", []flows.Field{listIn, opt("separator", "Separator", tText, "default: a comma")},
			out("output", "Output", tText),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				sep := ","
				if v, ok := in.Values["separator"].(string); ok {
					sep = v
				}
				parts := make([]string, 0, len(list(in, "list")))
				for _, item := range list(in, "list") {
					s, err := flows.ToText(item)
					if err != nil {
						return nil, err
					}
					parts = append(parts, s)
				}
				return single("output", strings.Join(parts, sep))
			}),
		card("list.first", "Get First", c, "The first item, and the list without it; an error on an empty list.", []flows.Field{listIn}, itemAndRest(),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				l := list(in, "list")
				if len(l) == 0 {
					return nil, errors.New("the list is empty")
				}
				return flows.Output{"item": l[0], "rest": slices.Clone(l[1:])}, nil
			}),
		card("list.last", "Get Last", c, "The last item, and the list without it; an error on an empty list.", []flows.Field{listIn}, itemAndRest(),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				l := list(in, "list")
				if len(l) == 0 {
					return nil, errors.New("the list is empty")
				}
				return flows.Output{"item": l[len(l)-1], "rest": slices.Clone(l[:len(l)-1])}, nil
			}),
		card("list.collapse", "Collapse", c, "One object made of a list: an item with a key field adds that key with the item's value field; "+
			"any other object item adds all its fields (later items win).",
			[]flows.Field{listIn, opt("key", "Key path", tText, "default: key"), opt("value", "Value path", tText, "default: value")},
			out("output", "Output", tObject), collapse),
		card("list.sample", "Sample", c, "Items picked at random, each at most once; the whole list shuffled when it has no more than count items.",
			[]flows.Field{listIn, {Key: "count", Label: "Count", Type: tNumber, Default: 1.0, Help: "How many items to pick (default 1)."}},
			[]flows.Field{{Key: "output", Label: "Output", Type: flows.ListOf(tAny)}, {Key: "item", Label: "First picked", Type: tAny}},
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				n := 1
				if v, ok := in.Values["count"].(float64); ok {
					if v < 0 || v != math.Trunc(v) {
						return nil, fmt.Errorf("count must be a whole number, 0 or more (got %v)", v)
					}
					n = int(min(v, 1e9))
				}
				l := slices.Clone(list(in, "list"))
				rand.Shuffle(len(l), func(i, j int) { l[i], l[j] = l[j], l[i] })
				l = l[:min(n, len(l))]
				var first any
				if len(l) > 0 {
					first = l[0]
				}
				return flows.Output{"output": l, "item": first}, nil
			}),
		card("list.append", "Add to End", c, "The list with an item added at its end.", []flows.Field{listIn, opt("item", "Item", tAny, "")}, listOut(),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return single("output", append(slices.Clone(list(in, "list")), in.Values["item"]))
			}),
	}
}

// collapse is Collapse.
func collapse(_ context.Context, in flows.Input) (flows.Output, error) {
	kp, vp := cmp.Or(text(in, "key"), "key"), cmp.Or(text(in, "value"), "value")
	res := map[string]any{}
	for i, item := range list(in, "list") {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("item %d is %s, not an object", i, flows.TypeOf(item))
		}
		k, err := flows.Lookup(m, kp)
		if err != nil || k == nil {
			maps.Copy(res, m)
			continue
		}
		ks, err := flows.ToText(k)
		if err != nil {
			return nil, fmt.Errorf("item %d: the key is %s, not text", i, flows.TypeOf(k))
		}
		v, err := flows.Lookup(m, vp)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		res[ks] = v
	}
	return single("output", res)
}
