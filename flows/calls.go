package flows

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Call Flow, the connector action card and the loops run helper flows
// as child executions here.

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
	req.Secrets, req.byHookEvent = r.req.Secrets, r.exec.ByHookEvent
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
	// A limit crossed in the child ends this run too.
	var le *LimitError
	if errors.As(child.cause, &le) {
		return nil, le
	}
	return nil, fmt.Errorf("flow %q failed: %s", def.Name, child.Error)
}

// each calls the helper flow once per item, at most concurrency at a time,
// and returns each call's output in item order.
func (r *run) each(ctx context.Context, in map[string]any, items []any, step int) ([]map[string]any, error) {
	base := extra(in, "list", "flow", "concurrency", "times")
	inputs := make([]map[string]any, len(items))
	for i, item := range items {
		inputs[i] = withItem(base, item, i)
	}
	outs, _, err := r.calls(ctx, in, inputs, step, false)
	return outs, err
}

// calls calls the helper flow once per input, at most concurrency at a
// time, and returns each call's output in input order. The first call to
// fail cancels the others, unless keepGoing: then each failure is in errs
// (at its call's index) and the others go on; a limit or a cancellation
// still ends them all.
func (r *run) calls(ctx context.Context, in map[string]any, inputs []map[string]any, step int, keepGoing bool) ([]map[string]any, []error, error) {
	conc := 1
	if c, ok := in["concurrency"].(float64); ok && c >= 1 {
		conc = min(int(c), 20)
	}
	outs := make([]map[string]any, len(inputs))
	errs := make([]error, len(inputs))
	// The first item to fail cancels the others; its error is the one
	// reported, not the cancellations it caused.
	var first error
	var once sync.Once
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i, input := range inputs {
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
			child, err := r.call(ctx, in["flow"], input, step)
			if err != nil {
				if keepGoing && !errors.Is(err, ErrLimit) && ctx.Err() == nil {
					errs[i] = err
					return
				}
				once.Do(func() { first = fmt.Errorf("item %d: %w", i, err) })
				cancel()
				return
			}
			outs[i] = child.Output
		}()
	}
	wg.Wait()
	if err := context.Cause(parent); err != nil {
		return nil, nil, err
	}
	return outs, errs, first
}
