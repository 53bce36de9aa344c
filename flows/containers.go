package flows

import (
	"context"
	"errors"
	"fmt"
)

// The containers (If/Else, If/ElseIf, If Error) run their lanes here.

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
