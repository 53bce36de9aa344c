package flows

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
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
	ControlComment       = "control.comment"
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
	ControlIfError, ControlReturn, ControlReturnRaw, ControlReturnError, ControlReturnErrorIf, ControlCallFlow,
	ControlCallFlowAsync, ControlForEach, ControlMap, ControlFilter, ControlReduce, ControlRepeat, ControlWaitFor, ControlComment}

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

	add(spec(ControlAssignIf, "Assign If", "Pass one value or another, depending on a condition.",
		[]Field{{Key: "condition", Label: "Condition", Type: TypeBool, Required: true}, {Key: "then", Label: "Value if true", Type: TypeAny}, {Key: "else", Label: "Value if false", Type: TypeAny}},
		[]Field{{Key: "output", Label: "Output", Type: TypeAny}}),
		func(_ *run, _ context.Context, _ *Node, in map[string]any, _ int) (Output, error) {
			if in["condition"] == true {
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
		out, err := r.runLane(ctx, n, laneByName(n, "try"))
		if err == nil || errors.Is(err, ErrLimit) || ctx.Err() != nil {
			return out, err
		}
		info := r.errorObject(err)
		r.values[n.ID] = map[string]any{"error": info}
		out, err = r.runLane(ctx, n, laneByName(n, "catch"))
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
		[]Field{{Key: "status", Label: "Status code", Type: TypeNumber, Default: 200.0}, {Key: "headers", Label: "Headers", Type: TypeObject}, {Key: "body", Label: "Body", Type: TypeAny}}, nil),
		func(_ *run, _ context.Context, _ *Node, in map[string]any, _ int) (Output, error) {
			return nil, returnSignal{output: in}
		})

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
			Connector: r.req.Connector, ExecutionID: childID, Flows: r.req.Flows, depth: r.req.depth + 1, async: true}
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

	add(spec(ControlWaitFor, "Wait For", "Pause the flow for a number of seconds.",
		[]Field{{Key: "seconds", Label: "Seconds", Type: TypeNumber, Required: true}}, nil),
		func(r *run, ctx context.Context, _ *Node, in map[string]any, _ int) (Output, error) {
			d := time.Duration(in["seconds"].(float64) * float64(time.Second))
			if d < 0 {
				return nil, errors.New("seconds must not be negative")
			}
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return nil, context.Cause(ctx)
			case <-t.C:
				return Output{}, nil
			}
		})

	add(spec(ControlComment, "Comment", "A note in the flow; does nothing.", []Field{{Key: "text", Label: "Text", Type: TypeText}}, nil),
		func(*run, context.Context, *Node, map[string]any, int) (Output, error) { return Output{}, nil })
	return m
}

func compareInputs(in map[string]any) (bool, error) {
	op, _ := in["operator"].(string)
	if op == "" {
		op = string(OpEqual)
	}
	return Compare(in["a"], Operator(op), in["b"])
}

func laneByName(n *Node, name string) *Lane {
	for i := range n.Lanes {
		if n.Lanes[i].Name == name {
			return &n.Lanes[i]
		}
	}
	return nil
}

// runLane runs a container's lane and evaluates the container's outputs
// from the lane's output bindings. A container's lane is like a helper
// flow of its own: a Return or Return Raw in it ends the lane and its
// values become the container's outputs, a Continue If that does not hold
// ends the lane with none, and the flow goes on after the container. A
// Return Error fails the lane, as a helper flow's failure fails the Call
// Flow card: an If Error around it catches it.
func (r *run) runLane(ctx context.Context, n *Node, l *Lane) (Output, error) {
	if l == nil {
		return Output{}, nil
	}
	var ret returnSignal
	switch err := r.runCards(ctx, l.Cards, n.ID+"/"+l.Name); {
	case errors.As(err, &ret):
		return r.laneReturned(n, ret.output)
	case errors.As(err, new(stopSignal)):
		return r.laneReturned(n, nil)
	case err != nil:
		return nil, err
	}
	out := make(Output, len(n.Outputs))
	for _, f := range n.Outputs {
		b, ok := l.Outputs[f.Key]
		if !ok {
			out[f.Key] = nil
			continue
		}
		v, err := r.resolve(b, f.Type)
		if err != nil {
			return nil, fmt.Errorf("lane %q output %q: %w", l.Name, f.Key, err)
		}
		out[f.Key] = v
	}
	return out, nil
}

// laneReturned is a container's outputs when a Return in a lane handed it
// values: each of the container's outputs takes the value of the same key,
// converted to the output's type; values of other keys are passed on too.
func (r *run) laneReturned(n *Node, values map[string]any) (Output, error) {
	out := make(Output, len(values)+len(n.Outputs))
	for k, v := range values {
		out[k] = v
	}
	for _, f := range n.Outputs {
		v, err := Convert(values[f.Key], f.Type)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", f.Key, err)
		}
		out[f.Key] = v
	}
	return out, nil
}

// errorObject is what an If Error's Catch lane sees of a failure: its
// message, the card that failed, a status (the HTTP or Return Error
// status, else 500), and the flow and execution it failed in.
func (r *run) errorObject(err error) map[string]any {
	info := map[string]any{"message": err.Error(), "status": 500.0, "flow": r.req.Definition.Name,
		"flowId": float64(r.req.FlowID), "execution": r.exec.ID}
	var ce *cardError
	if errors.As(err, &ce) {
		info["card"] = ce.card
	}
	var he *HTTPError
	var fe *FlowError
	switch {
	case errors.As(err, &fe):
		info["message"], info["status"] = fe.Message, float64(fe.Status)
	case errors.As(err, &he):
		info["status"] = float64(he.Status)
	}
	return info
}

// flowError is the failure of a Return Error card with these inputs.
func flowError(in map[string]any) *FlowError {
	status := 500
	if v, ok := in["status"].(float64); ok && v >= 400 && v <= 599 {
		status = int(v)
	}
	return &FlowError{Status: status, Message: in["message"].(string)}
}

// extra copies in without the named keys: what a call passes on.
func extra(in map[string]any, drop ...string) map[string]any {
	out := make(map[string]any, len(in))
outer:
	for k, v := range in {
		for _, d := range drop {
			if k == d {
				continue outer
			}
		}
		out[k] = v
	}
	return out
}

func withItem(base map[string]any, item any, i int) map[string]any {
	m := make(map[string]any, len(base)+2)
	for k, v := range base {
		m[k] = v
	}
	m["item"], m["index"] = item, float64(i)
	return m
}

// single is what a helper flow returned: its one output, or all of them.
func single(o map[string]any) any {
	if len(o) == 1 {
		for _, v := range o {
			return v
		}
	}
	if o == nil {
		return nil
	}
	return o
}

func (r *run) helper(ctx context.Context, flow any) (Definition, int64, error) {
	id := int64(flow.(float64))
	src := r.req.Flows
	if src == nil {
		src = r.e.opts.Flows
	}
	if src == nil {
		return Definition{}, 0, errors.New("no flows to call")
	}
	if r.req.depth+1 > r.e.opts.Limits.MaxDepth {
		return Definition{}, 0, &LimitError{Name: "max_call_depth", Value: fmt.Sprint(r.e.opts.Limits.MaxDepth)}
	}
	def, err := src.FlowDefinition(ctx, id)
	if err != nil {
		return Definition{}, 0, fmt.Errorf("flow %d: %w", id, err)
	}
	return def, id, nil
}

func (r *run) addChild(step int, id string) {
	r.mu.Lock()
	r.exec.Steps[step].Children = append(r.exec.Steps[step].Children, id)
	r.mu.Unlock()
}

// call runs a helper flow as a child execution and waits for it.
func (r *run) call(ctx context.Context, flow any, input map[string]any, step int) (*Execution, error) {
	def, id, err := r.helper(ctx, flow)
	if err != nil {
		return nil, err
	}
	return r.runChild(ctx, RunRequest{FlowID: id, Definition: def, Input: input, Connector: r.req.Connector, Flows: r.req.Flows}, step)
}

// runChild runs req as a child execution of this run and waits for it; a
// child that fails fails the card.
func (r *run) runChild(ctx context.Context, req RunRequest, step int) (*Execution, error) {
	def := req.Definition
	childID := NewExecutionID(r.e.opts.Now())
	r.addChild(step, childID)
	req.Trigger, req.ParentID, req.ExecutionID, req.Recorder, req.depth = TriggerHelper, r.exec.ID, childID, r.req.Recorder, r.req.depth+1
	child, err := r.e.Run(ctx, req)
	if err != nil {
		return nil, err
	}
	switch child.Status {
	case StatusSucceeded, StatusStopped:
		return child, nil
	case StatusCanceled:
		return nil, context.Canceled
	}
	if c := context.Cause(ctx); c != nil {
		return nil, c
	}
	if le := limitIn(child.Error); le != nil {
		return nil, le
	}
	return nil, fmt.Errorf("flow %q failed: %s", def.Name, child.Error)
}

// limitIn recovers a limit error from a child's error text, so that a limit
// crossed in a child ends the parent too.
func limitIn(msg string) *LimitError {
	var name, value string
	if _, err := fmt.Sscanf(msg, "limit %q (%s) exceeded", &name, &value); err == nil {
		return &LimitError{Name: name, Value: value[:len(value)-1]}
	}
	return nil
}

// each calls the helper flow once per item, at most concurrency at a time,
// and returns each call's output in item order.
func (r *run) each(ctx context.Context, in map[string]any, items []any, step int) ([]map[string]any, error) {
	conc := 1
	if c, ok := in["concurrency"].(float64); ok && c >= 1 {
		conc = min(int(c), 20)
	}
	base := extra(in, "list", "flow", "concurrency", "times")
	outs := make([]map[string]any, len(items))
	// The first item to fail cancels the others; its error is the one
	// reported, not the cancellations it caused.
	var first error
	var once sync.Once
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i, item := range items {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			child, err := r.call(ctx, in["flow"], withItem(base, item, i), step)
			if err != nil {
				once.Do(func() { first = fmt.Errorf("item %d: %w", i, err) })
				cancel()
				return
			}
			outs[i] = child.Output
		}()
	}
	wg.Wait()
	if err := context.Cause(parent); err != nil {
		return nil, err
	}
	return outs, first
}
