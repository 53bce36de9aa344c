package flows

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// FlowName names a flow the history shows runs of: a workspace flow, or
// a flow of a connector (ConnectorID and Connector set), whose runs are
// the connector's part of the workspace flows' events.
type FlowName struct {
	ID          int64
	Name        string
	ConnectorID int64
	Connector   string
}

// RevisionStore gives flows as they were at a revision.
type RevisionStore interface {
	Flow(ctx context.Context, id int64) (Flow, error)
	FlowRevision(ctx context.Context, id int64, revision int) (Definition, error)
}

// Rerun runs a workspace flow's execution again with the same input, as a
// new execution linked to it: on the flow as it is now, or (original) on
// the revision the execution ran with. Runs of a connector's flows are
// re-run by Lifecycle.Rerun.
func Rerun(ctx context.Context, e *Engine, src RevisionStore, x *Execution, original bool) (*Execution, error) {
	f, err := src.Flow(ctx, x.FlowID)
	if err != nil {
		return nil, err
	}
	if err := Rerunnable(x, f); err != nil {
		return nil, err
	}
	if connectorRun(x, f) {
		return nil, fmt.Errorf("%w: a run of a connector's flow is re-run through the workspace flow it ran for", ErrInvalid)
	}
	def, rev := f.Definition, f.Revision
	if original {
		if def, err = src.FlowRevision(ctx, x.FlowID, x.Revision); err != nil {
			return nil, fmt.Errorf("%w: revision %d of the flow is not kept", ErrInvalid, x.Revision)
		}
		rev = x.Revision
	}
	return e.Run(ctx, RunRequest{FlowID: x.FlowID, Definition: def, Input: x.Input, Trigger: TriggerRerun, RerunOf: x.ID, Revision: rev})
}

// CancelRequester asks every instance sharing the database to cancel a
// run; store implements it.
type CancelRequester interface {
	RequestCancel(ctx context.Context, id string) error
}

// ExecutionSource loads executions; store implements it.
type ExecutionSource interface {
	Execution(ctx context.Context, id string) (*Execution, error)
}

// cancelWait is how long Cancel waits for a canceled run to end.
const cancelWait = 3 * time.Second

// Cancel cancels a running execution with the flows it called, whichever
// instance runs it: this engine, or another sharing the database, asked
// through everywhere. It waits up to cancelWait for the run to end, and
// returns the execution as it then stands: still running when the
// instance that runs it has not stopped it yet (it stops at its next
// card). An execution that has ended is a conflict.
func Cancel(ctx context.Context, e *Engine, everywhere CancelRequester, src ExecutionSource, id string) (*Execution, error) {
	x, err := src.Execution(ctx, id)
	if err != nil {
		return nil, err
	}
	if x.Status.IsFinal() {
		return x, fmt.Errorf("%w: the execution has already ended (%s)", ErrConflict, x.Status)
	}
	if x.Status.Suspended() && !e.Cancel(id) {
		switch c, err := e.CancelWaiting(ctx, id); {
		case err == nil:
			return c, nil
		case errors.Is(err, ErrNotFound):
			// Recorded waiting, but no wait is stored (the server stopped
			// before it was): nothing will resume it.
			c := *x
			c.Status, c.Error, c.FinishedAt, c.ResumesAt = StatusCanceled, ErrCanceledByUser.Error(), e.opts.Now(), nil
			if e.opts.Recorder != nil {
				if err := e.opts.Recorder.RecordExecution(ctx, &c); err != nil {
					return nil, err
				}
			}
			return &c, nil
		case !errors.Is(err, ErrConflict):
			return nil, err
		}
		// Resuming: it runs somewhere, and is canceled as a running run.
	}
	if !e.Cancel(id) {
		if err := everywhere.RequestCancel(ctx, id); err != nil {
			return nil, err
		}
	}
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for deadline := time.Now().Add(cancelWait); time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return x, nil
		case <-t.C:
		}
		if x, err = src.Execution(ctx, id); err != nil || x.Status.IsFinal() {
			return x, err
		}
	}
	return x, nil
}
