package cards

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hookflow/hookflow/flows"
)

var objIn = req("object", "Object", tObject, "")

func objectCards() []flows.Card {
	c := flows.CategoryObject
	construct := card("object.construct", "Construct", c,
		"Make an object of the inputs you add. A key that is a path (commands/0/type) builds nested objects, and lists where a part is a number.",
		nil, out("output", "Output", tObject),
		func(_ context.Context, in flows.Input) (flows.Output, error) {
			var m any = make(map[string]any, len(in.Node.Inputs))
			for _, f := range in.Node.Inputs {
				var err error
				parts := splitKey(f.Key)
				if len(parts) == 0 {
					parts = []string{f.Key}
				}
				if m, err = buildPath(m, parts, in.Values[f.Key]); err != nil {
					return nil, fmt.Errorf("%s: %w", f.Key, err)
				}
			}
			return single("output", m)
		})
	construct.spec.ExtensibleInputs = true
	getMulti := card("object.get_multiple", "Get Multiple", c, "Each output you add is the value at the path named by its key (use / for nesting, e.g. profile/email).",
		[]flows.Field{objIn}, nil,
		func(_ context.Context, in flows.Input) (flows.Output, error) {
			res := flows.Output{}
			for _, f := range in.Node.Outputs {
				v, err := flows.Lookup(object(in, "object"), strings.ReplaceAll(f.Key, "/", "."))
				if err != nil {
					return nil, fmt.Errorf("%s: %w", f.Key, err)
				}
				cv, err := flows.Convert(v, f.Type)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", f.Key, err)
				}
				res[f.Key] = cv
			}
			return res, nil
		})
	getMulti.spec.ExtensibleOutputs = true
	return []flows.Card{
		construct, getMulti,
		card("object.get", "Get", c, "The value at a dotted path, e.g. data.events.0.uuid.", []flows.Field{objIn, req("path", "Path", tText, "")},
			out("value", "Value", tAny),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				v, err := flows.Lookup(object(in, "object"), text(in, "path"))
				if err != nil {
					return nil, err
				}
				return single("value", v)
			}),
		card("object.set", "Set", c, "A copy of the object with the value at a dotted path (objects on the way are made).",
			[]flows.Field{objIn, req("path", "Path", tText, ""), opt("value", "Value", tAny, "")}, out("output", "Output", tObject),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				res, err := setPath(object(in, "object"), strings.Split(text(in, "path"), "."), in.Values["value"])
				if err != nil {
					return nil, err
				}
				return single("output", res)
			}),
		card("object.merge", "Merge", c, "b's keys over a's; deep merges nested objects too.",
			[]flows.Field{req("a", "Object a", tObject, ""), req("b", "Object b", tObject, ""), opt("deep", "Deep", tBool, "")}, out("output", "Output", tObject),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return single("output", merge(object(in, "a"), object(in, "b"), boolean(in, "deep")))
			}),
		card("object.keys", "Keys", c, "The object's keys, sorted.", []flows.Field{objIn}, out("output", "Output", flows.ListOf(tText)),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return single("output", textList(sortedKeys(object(in, "object"))))
			}),
		card("object.values", "Values", c, "The object's values, in key order.", []flows.Field{objIn}, out("output", "Output", flows.ListOf(tAny)),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				m := object(in, "object")
				l := []any{}
				for _, k := range sortedKeys(m) {
					l = append(l, m[k])
				}
				return single("output", l)
			}),
		card("object.clear_empty", "Clear Empty", c, "A copy without keys whose value is null, empty text, an empty list or an empty object (nested too).",
			[]flows.Field{objIn}, out("output", "Output", tObject),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return single("output", clearEmpty(object(in, "object")))
			}),
	}
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func setPath(m map[string]any, path []string, v any) (map[string]any, error) {
	if len(path) == 0 || path[0] == "" {
		return nil, errors.New("the path is empty")
	}
	res := make(map[string]any, len(m)+1)
	for k, x := range m {
		res[k] = x
	}
	if len(path) == 1 {
		res[path[0]] = v
		return res, nil
	}
	child, ok := res[path[0]].(map[string]any)
	if !ok && res[path[0]] != nil {
		if _, err := strconv.Atoi(path[1]); err == nil {
			return nil, fmt.Errorf("setting into lists is not supported (at %q)", path[0])
		}
		return nil, fmt.Errorf("%q is not an object", path[0])
	}
	nc, err := setPath(child, path[1:], v)
	if err != nil {
		return nil, err
	}
	res[path[0]] = nc
	return res, nil
}

func merge(a, b map[string]any, deep bool) map[string]any {
	res := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		res[k] = v
	}
	for k, v := range b {
		am, aok := res[k].(map[string]any)
		bm, bok := v.(map[string]any)
		if deep && aok && bok {
			res[k] = merge(am, bm, true)
		} else {
			res[k] = v
		}
	}
	return res
}

func clearEmpty(m map[string]any) map[string]any {
	res := map[string]any{}
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			continue
		case string:
			if x == "" {
				continue
			}
		case []any:
			if len(x) == 0 {
				continue
			}
		case map[string]any:
			x = clearEmpty(x)
			if len(x) == 0 {
				continue
			}
			v = x
		}
		res[k] = v
	}
	return res
}

// splitKey cuts a Construct key into path parts at / (and at ., as Okta
// writes them).
func splitKey(k string) []string {
	return strings.FieldsFunc(k, func(r rune) bool { return r == '/' || r == '.' })
}

// maxConstructIndex bounds a list index in a Construct key.
const maxConstructIndex = 10000

// buildPath sets v at path in cur (an object, a list or nil), making the
// objects and lists on the way as lodash's set does: a new container is a
// list when its part is a whole number, an object otherwise; an object takes
// numbers as field names.
func buildPath(cur any, path []string, v any) (any, error) {
	if len(path) == 0 {
		return v, nil
	}
	part := path[0]
	i, numErr := strconv.Atoi(part)
	if cur == nil && numErr == nil {
		cur = []any{}
	}
	switch x := cur.(type) {
	case []any:
		if numErr != nil {
			return nil, fmt.Errorf("%q is a field name, but another key made this a list", part)
		}
		if i < 0 || i > maxConstructIndex {
			return nil, fmt.Errorf("the list index %d is out of range (0 to %d)", i, maxConstructIndex)
		}
		x = slices.Clone(x) // never change a value an input gave
		for len(x) <= i {
			x = append(x, nil)
		}
		next, err := buildPath(x[i], path[1:], v)
		if err != nil {
			return nil, err
		}
		x[i] = next
		return x, nil
	case map[string]any:
		next, err := buildPath(x[part], path[1:], v)
		if err != nil {
			return nil, err
		}
		x = maps.Clone(x)
		x[part] = next
		return x, nil
	case nil:
		next, err := buildPath(nil, path[1:], v)
		if err != nil {
			return nil, err
		}
		return map[string]any{part: next}, nil
	}
	return nil, fmt.Errorf("another key set a value at %q, so it cannot hold fields", part)
}
