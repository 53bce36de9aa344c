package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// The control cards Okta Workflows has and the loops above do not: Object
// Map to List, For Each – Ignore Errors and Export Flow.
func addOktaControls(add func(CardSpec, func(r *run, ctx context.Context, n *Node, in map[string]any, step int) (Output, error))) {
	s := spec(ControlMapToList, "Map to List", "Call a helper flow for each key of an object (with key and value, keys in order) and collect what each returns.",
		[]Field{{Key: "object", Label: "Object", Type: TypeObject, Required: true}, flowField, concurrencyField},
		[]Field{{Key: "output", Label: "Output", Type: ListOf(TypeAny)}})
	s.ExtensibleInputs = true
	add(s, func(r *run, ctx context.Context, n *Node, in map[string]any, step int) (Output, error) {
		obj, _ := in["object"].(map[string]any)
		base := extra(in, "object", "flow", "concurrency")
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		inputs := make([]map[string]any, len(keys))
		for i, k := range keys {
			m := extra(base)
			m["key"], m["value"], m["index"] = k, obj[k], float64(i)
			inputs[i] = m
		}
		outs, _, err := r.calls(ctx, in, inputs, step, false)
		if err != nil {
			return nil, err
		}
		list := make([]any, len(outs))
		for i, o := range outs {
			list[i] = single(o)
		}
		return Output{"output": list}, nil
	})

	s = spec(ControlForEachIgnoreError, "For Each – Ignore Errors",
		"Call a helper flow once for each item of a list (with item and index); an item whose call fails does not stop the others.",
		[]Field{listField, flowField, concurrencyField},
		[]Field{{Key: "failed", Label: "Failed", Type: TypeNumber, Help: "How many calls failed."},
			{Key: "errors", Label: "Errors", Type: ListOf(TypeObject), Help: "One {index, message} per failed call."}})
	s.ExtensibleInputs = true
	add(s, func(r *run, ctx context.Context, n *Node, in map[string]any, step int) (Output, error) {
		items, _ := in["list"].([]any)
		base := extra(in, "list", "flow", "concurrency")
		inputs := make([]map[string]any, len(items))
		for i, item := range items {
			inputs[i] = withItem(base, item, i)
		}
		_, errs, err := r.calls(ctx, in, inputs, step, true)
		if err != nil {
			return nil, err
		}
		failed := []any{}
		for i, e := range errs {
			if e != nil {
				failed = append(failed, map[string]any{"index": float64(i), "message": e.Error()})
			}
		}
		return Output{"failed": float64(len(failed)), "errors": failed}, nil
	})

	add(spec(FlowExport, "Export Flow", "The document of a workspace flow, as JSON text and as an object, e.g. to keep a copy elsewhere.",
		[]Field{{Key: "flow", Label: "Flow", Type: TypeNumber, Required: true, Help: "The flow to export."}},
		[]Field{{Key: "json", Label: "JSON", Type: TypeText}, {Key: "flow", Label: "Flow", Type: TypeObject}, {Key: "name", Label: "Name", Type: TypeText}}),
		func(r *run, ctx context.Context, _ *Node, in map[string]any, _ int) (Output, error) {
			src := r.req.Flows
			if src == nil {
				src = r.e.opts.Flows
			}
			if src == nil {
				return nil, errors.New("no flows to export here")
			}
			id := int64(in["flow"].(float64))
			def, err := src.FlowDefinition(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("flow %d: %w", id, err)
			}
			b, err := MarshalDefinition(def)
			if err != nil {
				return nil, fmt.Errorf("flow %d: %w", id, err)
			}
			var doc map[string]any
			if err := json.Unmarshal(b, &doc); err != nil {
				return nil, fmt.Errorf("flow %d: %w", id, err)
			}
			return Output{"json": string(b), "flow": doc, "name": def.Name}, nil
		})
}
