package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// FieldBody is the request's body among a Webhook Event flow's event
// outputs (method, headers, query, body).
const FieldBody = "body"

// ReadsJSONBody reports whether a Webhook Event flow reads inside its
// request's body (a reference to a path within the event card's body):
// it expects the body to be JSON.
func (d *Definition) ReadsJSONBody() bool {
	reads := func(r *Ref) bool { return r != nil && r.Card == d.Event.ID && r.Field == FieldBody && r.Path != "" }
	found := false
	d.eachBindings(func(_, key string, bs map[string]Binding) {
		b := bs[key]
		found = found || reads(b.Ref)
		for _, p := range b.Parts {
			found = found || reads(p.Ref)
		}
	})
	return found
}

// BodyError is a request's body that cannot be read as the connector's
// Webhook Event flow expects: "the body is not JSON: …".
type BodyError struct {
	Reason string
}

func (e *BodyError) Error() string { return "the body is not JSON: " + e.Reason }

// readBody makes a request's body JSON when the Webhook Event flow reads
// inside it, whatever its content type said; in is the flow's input
// (RawRequest). A body that is not JSON is a *BodyError.
func readBody(def *Definition, in map[string]any) error {
	text, ok := in[FieldBody].(string)
	if !ok || !def.ReadsJSONBody() {
		return nil
	}
	if strings.TrimSpace(text) == "" {
		return &BodyError{Reason: "it is empty"}
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return &BodyError{Reason: jsonReason([]byte(text), err)}
	}
	in[FieldBody] = v
	return nil
}

// jsonReason says where a JSON document goes wrong.
func jsonReason(b []byte, err error) string {
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax):
		line, col := position(b, syntax.Offset)
		return fmt.Sprintf("%s (line %d, column %d)", strings.TrimPrefix(syntax.Error(), "json: "), line, col)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "it ends before its JSON document does"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// connectorRun reports whether x is a run of a deployed connector
// version's flow f (not a test run of the connector's draft).
func connectorRun(x *Execution, f Flow) bool { return x.Revision == 0 && f.ConnectorID != 0 }

// Rerunnable says whether an execution can be re-run, and when not, why,
// in words (an error wrapping ErrConflict or ErrInvalid); f is its flow.
// A workspace run is re-run with its input. A run of a connector's Webhook
// Event flow that failed, and so started no workspace run, is re-run
// through the workspace flow it ran for (Lifecycle.Rerun), unless the
// request itself could not be read: it would fail the same way.
func Rerunnable(x *Execution, f Flow) error {
	if err := RerunCheck(x, connectorRun(x, f)); err != nil {
		return err
	}
	if x.Input == nil && (len(f.Definition.Event.Outputs) > 0 || connectorRun(x, f)) {
		return fmt.Errorf("%w: the run's input was not saved (the flow keeps metadata only)", ErrInvalid)
	}
	return nil
}

// RerunCheck is Rerunnable as far as the execution itself tells, without
// its flow's definition: connector says it ran a deployed connector
// version's flow. The list of executions offers re-runs by it.
func RerunCheck(x *Execution, connector bool) error {
	if !x.Status.IsFinal() {
		return fmt.Errorf("%w: the execution is still running", ErrConflict)
	}
	if connector {
		switch {
		case x.Trigger == TriggerRegistration:
			return fmt.Errorf("%w: a registration runs when its flow is turned ON: turn the flow OFF and ON to run it again", ErrInvalid)
		case x.Trigger == TriggerDeregistration:
			return fmt.Errorf("%w: a deregistration runs when its flow is turned OFF", ErrInvalid)
		case x.Trigger != TriggerPayload && x.Trigger != TriggerRerun || x.WorkspaceFlow == 0:
			return fmt.Errorf("%w: this is a run of a connector's deployed flow: re-run the flow runs it started", ErrInvalid)
		case x.Status != StatusFailed:
			return fmt.Errorf("%w: this run of the connector's event started the workspace flow's runs: re-run those", ErrInvalid)
		case len(x.Steps) > 0 && x.ErrorCard == x.Steps[0].CardID:
			return fmt.Errorf("%w: the request could not be read as the connector's event expects, and a re-run would fail the same way", ErrInvalid)
		}
	}
	return nil
}

// Rerun re-runs an execution as a new one linked to it (see Rerunnable):
// a workspace run on its flow (as it is now, or on the revision it ran
// with when original), a failed run of a connector's Webhook Event flow
// through the workspace flow it ran for, as it is now.
func (l *Lifecycle) Rerun(ctx context.Context, src RevisionStore, x *Execution, original bool) (*Execution, error) {
	f, err := src.Flow(ctx, x.FlowID)
	if err != nil {
		return nil, err
	}
	if err := Rerunnable(x, f); err != nil {
		return nil, err
	}
	if !connectorRun(x, f) {
		return Rerun(ctx, l.Engine, src, x, original)
	}
	t, err := l.target(ctx, x.WorkspaceFlow)
	if err != nil {
		return nil, err
	}
	if t.flow.Definition.Source.Flow != x.FlowID {
		return nil, fmt.Errorf("%w: the flow %q no longer starts from this connector's event", ErrInvalid, t.flow.Definition.Name)
	}
	cc, err := l.connectorContext(ctx, t)
	if err != nil {
		return nil, err
	}
	var secrets []string // the request's credentials were masked when it was stored
	if sub, err := l.Store.LiveSubscription(ctx, x.WorkspaceFlow); err == nil {
		secrets = append(secrets, sub.Token)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	in := make(map[string]any, len(x.Input))
	for k, v := range x.Input {
		in[k] = v
	}
	execs, _, err := l.runEvent(ctx, &deliveryTarget{t: t, cc: cc}, in, x.ID, secrets)
	if err != nil {
		return nil, err
	}
	for _, e := range execs {
		if err := l.Store.RecordExecution(context.WithoutCancel(ctx), e); err != nil {
			return nil, err
		}
	}
	return execs[0], nil
}
