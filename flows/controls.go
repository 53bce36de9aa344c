package flows

import (
	"context"
	"errors"
	"fmt"
)

// control is one of the interpreter's own cards.
type control struct {
	spec CardSpec
	run  func(r *run, ctx context.Context, n *Node, in map[string]any, step int) (Output, error)
}

// Control card types.
const (
	ControlAssign        = "control.assign"
	ControlAssignIf      = "control.assign_if"
	ControlContinueIf    = "control.continue_if"
	ControlIfElse        = "control.if_else"
	ControlIfElseIf      = "control.if_elseif"
	ControlLookup        = "control.lookup"
	ControlIfError       = "control.if_error"
	ControlReturn        = "control.return"
	ControlReturnRaw     = "control.return_raw"
	ControlHTTPClose     = "control.http_close"
	ControlReturnError   = "control.return_error"
	ControlReturnErrorIf = "control.return_error_if"
	ControlCallFlow      = "control.call_flow"
	ControlCallFlowAsync = "control.call_flow_async"
	ControlForEach       = "control.for_each"
	ControlMap           = "control.map"
	ControlFilter        = "control.filter"
	ControlReduce        = "control.reduce"
	ControlRepeat        = "control.repeat"
	ControlWaitFor       = "control.wait_for"
	ControlWaitUntil     = "control.wait_until"
	ControlPause         = "control.pause"
	ControlResumeURL     = "control.resume_url"
	ControlComment       = "control.comment"
	// Okta Workflows' cards (controls_okta.go).
	ControlMapToList          = "control.map_to_list"
	ControlForEachIgnoreError = "control.for_each_ignore_errors"
	FlowExport                = "flow.export"
	// ControlAction is a deployed connector's action card in a workspace
	// flow; Node.Action says which. It is not in the palette's Control group.
	ControlAction = "connector.action"
)

var (
	condA  = Field{Key: "a", Label: "Value a", Type: TypeAny}
	condOp = Field{Key: "operator", Label: "Comparison", Type: TypeText, Required: true, Choices: Operators, Default: string(OpEqual)}
	condB  = Field{Key: "b", Label: "Value b", Type: TypeAny}
	// condition are the inputs of a card that compares a with b.
	condition = []Field{condA, condOp, condB}

	flowField        = Field{Key: "flow", Label: "Flow", Type: TypeNumber, Required: true, Help: "The helper flow to call."}
	listField        = Field{Key: "list", Label: "List", Type: ListOf(TypeAny), Required: true}
	concurrencyField = Field{Key: "concurrency", Label: "Concurrency", Type: TypeNumber, Default: 1.0, Help: "How many calls run at once (1 to 20)."}
)

// ControlSpec returns the spec of a control card type, the connector
// action card included.
func ControlSpec(typ string) (CardSpec, bool) {
	c, ok := controls()[typ]
	return c.spec, ok
}

// ControlSpecs lists the interpreter's own cards, for the palette and the docs.
func ControlSpecs() []CardSpec {
	cs := controls()
	out := make([]CardSpec, 0, len(cs))
	for _, typ := range controlOrder {
		out = append(out, cs[typ].spec)
	}
	return out
}

var controlOrder = []string{ControlAssign, ControlAssignIf, ControlContinueIf, ControlIfElse, ControlIfElseIf, ControlLookup,
	ControlIfError, ControlReturn, ControlReturnRaw, ControlHTTPClose, ControlReturnError, ControlReturnErrorIf, ControlCallFlow,
	ControlCallFlowAsync, ControlForEach, ControlForEachIgnoreError, ControlMap, ControlMapToList, ControlFilter, ControlReduce, ControlRepeat, ControlWaitFor, ControlWaitUntil, ControlPause, ControlResumeURL, ControlComment, FlowExport,
	PollingGetCursor, PollingSetCursor, TableCreateRow, TableReadRow, TableUpdateRow, TableDeleteRow, TableSearch, TableReadAll,
	TableClear, TableExportCSV}

func spec(typ, title, help string, inputs, outputs []Field) CardSpec {
	return CardSpec{Type: typ, Title: title, Category: CategoryControl, Help: help, Inputs: inputs, Outputs: outputs}
}

func controls() map[string]control {
	m := map[string]control{}
	add := func(s CardSpec, run func(r *run, ctx context.Context, n *Node, in map[string]any, step int) (Output, error)) {
		m[s.Type] = control{spec: s, run: run}
	}

	s := spec(ControlAssign, "Assign", "Give values names, to use later in the flow.", nil, nil)
	s.ExtensibleInputs, s.MirrorInputs = true, true
	add(s, func(_ *run, _ context.Context, _ *Node, in map[string]any, _ int) (Output, error) { return in, nil })

	add(spec(ControlAssignIf, "Assign If", "Pass one value or another, depending on a condition: a true/false, or value a compared with value b.",
		[]Field{{Key: "condition", Label: "Condition", Type: TypeBool, Help: "Empty: compare a with b."},
			condA, {Key: "operator", Label: "Comparison", Type: TypeText, Choices: Operators, Default: string(OpEqual)}, condB,
			{Key: "then", Label: "Value if true", Type: TypeAny}, {Key: "else", Label: "Value if false", Type: TypeAny}},
		[]Field{{Key: "output", Label: "Output", Type: TypeAny}}),
		func(_ *run, _ context.Context, _ *Node, in map[string]any, _ int) (Output, error) {
			ok, given := in["condition"].(bool)
			if !given {
				var err error
				if ok, err = compareInputs(in); err != nil {
					return nil, err
				}
			}
			if ok {
				return Output{"output": in["then"]}, nil
			}
			return Output{"output": in["else"]}, nil
		})

	add(spec(ControlContinueIf, "Continue If", "Go on only when the condition holds; otherwise end the flow, without error.", condition, nil),
		func(_ *run, _ context.Context, _ *Node, in map[string]any, _ int) (Output, error) {
			ok, err := compareInputs(in)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, stopSignal{}
			}
			return Output{}, nil
		})

	s = spec(ControlIfElse, "If/Else", "Run the Then lane when the condition holds, the Else lane otherwise. Each lane sets the card's outputs.", condition, nil)
	s.ExtensibleOutputs, s.Lanes = true, []string{"then", "else"}
	add(s, func(r *run, ctx context.Context, n *Node, in map[string]any, _ int) (Output, error) {
		ok, err := compareInputs(in)
		if err != nil {
			return nil, err
		}
		name := "else"
		if ok {
			name = "then"
		}
		return r.runLane(ctx, n, laneByName(n, name))
	})

	s = spec(ControlIfElseIf, "If/ElseIf", "Run the first lane whose condition holds, or the Else lane.", nil, nil)
	s.ExtensibleOutputs, s.Lanes, s.LanesExtensible = true, []string{"if", "else"}, true
	add(s, func(r *run, ctx context.Context, n *Node, _ map[string]any, _ int) (Output, error) {
		for i := range n.Lanes {
			l := &n.Lanes[i]
			if l.Name == "else" {
				continue
			}
			cond := make(map[string]any, 3)
			for _, f := range condition {
				v := f.Default
				if b, ok := l.Bindings[f.Key]; ok {
					var err error
					if v, err = r.resolve(b, f.Type); err != nil {
						return nil, fmt.Errorf("lane %q %s: %w", l.Name, f.Key, err)
					}
				}
				cond[f.Key] = v
			}
			ok, err := compareInputs(cond)
			if err != nil {
				return nil, fmt.Errorf("lane %q: %w", l.Name, err)
			}
			if ok {
				return r.runLane(ctx, n, l)
			}
		}
		return r.runLane(ctx, n, laneByName(n, "else"))
	})

	add(spec(ControlLookup, "Lookup", "Find a value in a table of cases; the default when none matches.",
		[]Field{{Key: "value", Label: "Value", Type: TypeText, Required: true}, {Key: "cases", Label: "Cases", Type: TypeObject, Help: "An object: each key a value to match, its value the result."}, {Key: "default", Label: "Default", Type: TypeAny}},
		[]Field{{Key: "result", Label: "Result", Type: TypeAny}}),
		func(_ *run, _ context.Context, _ *Node, in map[string]any, _ int) (Output, error) {
			cases, _ := in["cases"].(map[string]any)
			if v, ok := cases[in["value"].(string)]; ok {
				return Output{"result": v}, nil
			}
			return Output{"result": in["default"]}, nil
		})

	s = spec(ControlIfError, "If Error", "Run the Try lane; if a card in it fails (or a Return Error ends it), run the Catch lane, which sees the Error.", nil,
		[]Field{{Key: "error", Label: "Error", Type: TypeObject, Help: "In the Catch lane: message, card, status, flow, flowId and execution of the failure."}})
	s.ExtensibleOutputs, s.Lanes = true, []string{"try", "catch"}
	add(s, func(r *run, ctx context.Context, n *Node, _ map[string]any, _ int) (Output, error) {
		info, caught := r.values[n.ID]["error"] // a resumed run that stopped in the Catch lane
		if !caught {
			out, err := r.runLane(ctx, n, laneByName(n, "try"))
			if err == nil || errors.Is(err, ErrLimit) || ctx.Err() != nil || isSuspend(err) {
				return out, err
			}
			info = r.errorObject(err)
			r.values[n.ID] = map[string]any{"error": info}
		}
		out, err := r.runLane(ctx, n, laneByName(n, "catch"))
		if out != nil {
			out["error"] = info
		}
		return out, err
	})

	s = spec(ControlReturn, "Return", "End the flow and return its outputs to the caller.", nil, nil)
	s.ExtensibleInputs, s.MirrorInputs = true, true
	add(s, func(_ *run, _ context.Context, _ *Node, in map[string]any, _ int) (Output, error) {
		return nil, returnSignal{output: in}
	})

	add(spec(ControlReturnRaw, "Return Raw", "End the flow and answer the request with this status, headers and body.",
		answerFields(returnRawStatuses), nil),
		func(_ *run, _ context.Context, _ *Node, in map[string]any, _ int) (Output, error) {
			if err := returnRawStatuses.check(in["status"]); err != nil {
				return nil, err
			}
			return nil, returnSignal{output: in, raw: true}
		})

	add(spec(ControlHTTPClose, "HTTP Close", "Answer the caller of an API Endpoint flow now with this status, headers and body, and go on with the flow.",
		answerFields(closeStatuses), nil), runHTTPClose)

	statusField := Field{Key: "status", Label: "Status code", Type: TypeNumber, Default: 500.0, Help: "The HTTP status of the failure (400 to 599)."}
	add(spec(ControlReturnError, "Return Error", "End the flow as failed, with this status code and message; an If Error around it catches it.",
		[]Field{statusField, {Key: "message", Label: "Message", Type: TypeText, Required: true}}, nil),
		func(_ *run, _ context.Context, _ *Node, in map[string]any, _ int) (Output, error) {
			return nil, flowError(in)
		})

	add(spec(ControlReturnErrorIf, "Return Error If", "End the flow as failed when the condition holds.",
		append(append([]Field{}, condition...), statusField, Field{Key: "message", Label: "Message", Type: TypeText, Required: true}), nil),
		func(_ *run, _ context.Context, _ *Node, in map[string]any, _ int) (Output, error) {
			ok, err := compareInputs(in)
			if err != nil {
				return nil, err
			}
			if ok {
				return nil, flowError(in)
			}
			return Output{}, nil
		})

	s = spec(ControlCallFlow, "Call Flow", "Run a helper flow with these inputs and wait for its Return.", []Field{flowField}, nil)
	s.ExtensibleInputs, s.ExtensibleOutputs = true, true
	add(s, func(r *run, ctx context.Context, n *Node, in map[string]any, step int) (Output, error) {
		child, err := r.call(ctx, in["flow"], extra(in, "flow"), step)
		if err != nil {
			return nil, err
		}
		return child.Output, nil
	})

	s = CardSpec{Type: ControlAction, Title: "Connector action", Category: CategoryConnector, ExtensibleInputs: true, ExtensibleOutputs: true,
		Help: "Runs an action flow of a deployed connector with its connection; its outputs are the action's Return fields."}
	add(s, func(r *run, ctx context.Context, n *Node, in map[string]any, step int) (Output, error) {
		if n.Action == nil {
			return nil, errors.New("the card names no connector action")
		}
		if r.e.opts.Actions == nil {
			return nil, errors.New("no connector actions here")
		}
		if r.req.depth+1 > r.e.opts.Limits.MaxDepth {
			return nil, &LimitError{Name: "max_call_depth", Value: fmt.Sprint(r.e.opts.Limits.MaxDepth)}
		}
		def, version, cc, err := r.e.opts.Actions.Action(ctx, *n.Action)
		if err != nil {
			return nil, err
		}
		child, err := r.runChild(ctx, RunRequest{FlowID: n.Action.Flow, Definition: def, Input: in, Connector: cc, Flows: version}, step)
		if err != nil {
			return nil, err
		}
		return child.Output, nil
	})

	s = spec(ControlCallFlowAsync, "Call Flow Async", "Start a helper flow with these inputs and go on without waiting.", []Field{flowField}, nil)
	s.ExtensibleInputs = true
	add(s, func(r *run, ctx context.Context, n *Node, in map[string]any, step int) (Output, error) {
		def, id, err := r.helper(ctx, in["flow"])
		if err != nil {
			return nil, err
		}
		childID := NewExecutionID(r.e.opts.Now())
		r.addChild(step, childID)
		// The child outlives this run, and its own record is the engine's:
		// a run whose executions are recorded together (a payload's) may
		// be stored before the child ends.
		req := RunRequest{FlowID: id, Definition: def, Input: extra(in, "flow"), Trigger: TriggerHelper, ParentID: r.exec.ID,
			Connector: r.req.Connector, ExecutionID: childID, Flows: r.req.Flows, Secrets: r.req.Secrets, depth: r.req.depth + 1, async: true,
			byHookEvent: r.exec.ByHookEvent}
		r.e.async.Add(1)
		go func() {
			defer r.e.async.Done()
			// Canceled with the run that started it (Cancel) or at shutdown,
			// and bounded by the run-time limit.
			cctx, stop := context.WithCancelCause(r.e.base)
			defer stop(nil)
			if w, ok := ctx.Value(watchedKey{}).(string); ok {
				cctx = context.WithValue(cctx, watchedKey{}, w)
			}
			lim := r.e.opts.Limits.MaxRunTime
			cctx, cancel := context.WithTimeoutCause(cctx, lim, &LimitError{Name: "max_run_time", Value: lim.String()})
			defer cancel()
			r.e.Run(cctx, req)
		}()
		return Output{"execution": childID}, nil
	})

	loop := func(typ, title, help string, outputs []Field, collect func(items []any, outs []map[string]any) (Output, error)) {
		s := spec(typ, title, help, []Field{listField, flowField, concurrencyField}, outputs)
		s.ExtensibleInputs = true
		add(s, func(r *run, ctx context.Context, n *Node, in map[string]any, step int) (Output, error) {
			items, _ := in["list"].([]any)
			outs, err := r.each(ctx, in, items, step)
			if err != nil {
				return nil, err
			}
			return collect(items, outs)
		})
	}
	loop(ControlForEach, "For Each", "Call a helper flow once for each item of a list (with item and index).", nil,
		func([]any, []map[string]any) (Output, error) { return Output{}, nil })
	loop(ControlMap, "Map", "Call a helper flow for each item and collect what each returns.",
		[]Field{{Key: "output", Label: "Output", Type: ListOf(TypeAny)}},
		func(_ []any, outs []map[string]any) (Output, error) {
			list := make([]any, len(outs))
			for i, o := range outs {
				list[i] = single(o)
			}
			return Output{"output": list}, nil
		})
	loop(ControlFilter, "Filter", "Keep the items for which a helper flow returns true.",
		[]Field{{Key: "output", Label: "Output", Type: ListOf(TypeAny)}},
		func(items []any, outs []map[string]any) (Output, error) {
			kept := []any{}
			for i, o := range outs {
				keep, err := Convert(single(o), TypeBool)
				if err != nil {
					return nil, fmt.Errorf("item %d: the helper flow must return true or false: %w", i, err)
				}
				if keep == true {
					kept = append(kept, items[i])
				}
			}
			return Output{"output": kept}, nil
		})

	s = spec(ControlReduce, "Reduce", "Fold a list into one value: a helper flow gets item, index and memo and returns the new memo.",
		[]Field{listField, flowField, {Key: "memo", Label: "Initial memo", Type: TypeAny}}, []Field{{Key: "output", Label: "Output", Type: TypeAny}})
	s.ExtensibleInputs = true
	add(s, func(r *run, ctx context.Context, n *Node, in map[string]any, step int) (Output, error) {
		items, _ := in["list"].([]any)
		memo := in["memo"]
		base := extra(in, "list", "flow", "memo")
		for i, item := range items {
			input := withItem(base, item, i)
			input["memo"] = memo
			child, err := r.call(ctx, in["flow"], input, step)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
			memo = single(child.Output)
		}
		return Output{"output": memo}, nil
	})

	s = spec(ControlRepeat, "Repeat", "Call a helper flow a number of times (with index) and collect what each returns.",
		[]Field{flowField, {Key: "times", Label: "Times", Type: TypeNumber, Required: true}, concurrencyField}, []Field{{Key: "output", Label: "Output", Type: ListOf(TypeAny)}})
	s.ExtensibleInputs = true
	add(s, func(r *run, ctx context.Context, n *Node, in map[string]any, step int) (Output, error) {
		times := int(in["times"].(float64))
		if times < 0 || times > r.e.opts.Limits.MaxSteps {
			return nil, fmt.Errorf("times must be between 0 and %d", r.e.opts.Limits.MaxSteps)
		}
		items := make([]any, times)
		for i := range items {
			items[i] = float64(i)
		}
		outs, err := r.each(ctx, in, items, step)
		if err != nil {
			return nil, err
		}
		list := make([]any, len(outs))
		for i, o := range outs {
			list[i] = single(o)
		}
		return Output{"output": list}, nil
	})

	addWaits(add)
	addOktaControls(add)

	add(spec(ControlComment, "Comment", "A note in the flow; does nothing.", []Field{{Key: "text", Label: "Text", Type: TypeText}}, nil),
		func(*run, context.Context, *Node, map[string]any, int) (Output, error) { return Output{}, nil })
	addCursorCards(add)
	addTableCards(add)
	addUnboundCard(add)
	return m
}

func compareInputs(in map[string]any) (bool, error) {
	op, _ := in["operator"].(string)
	if op == "" {
		op = string(OpEqual)
	}
	return Compare(in["a"], Operator(op), in["b"])
}
