package flows

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// An engine watches the runs the history shows while they go on: it can
// cancel them, records them as running after a second, and stops them at
// shutdown.

// ErrCanceledByUser is why a run canceled from the history stopped.
var ErrCanceledByUser = errors.New("canceled by an admin")

// ErrShutdown is why a run stopped when the server shut down.
var ErrShutdown = errors.New("the server shut down while it ran")

// watched is a run the history shows while it goes on: a top-level run or
// a Call Flow Async child. parent is the watched run it was started from.
type watched struct {
	cancel context.CancelCauseFunc
	parent string
}

// Cancel cancels a running execution of this engine with the flows it
// called, and the flows those started with Call Flow Async; false when no
// such run is going on here.
func (e *Engine) Cancel(id string) bool {
	e.mu.Lock()
	var cancels []context.CancelCauseFunc
	ids := []string{id}
	for len(ids) > 0 {
		cur := ids[0]
		ids = ids[1:]
		if w, ok := e.running[cur]; ok {
			cancels = append(cancels, w.cancel)
		}
		for child, w := range e.running {
			if w.parent == cur {
				ids = append(ids, child)
			}
		}
	}
	e.mu.Unlock()
	for _, c := range cancels {
		c(ErrCanceledByUser)
	}
	return len(cancels) > 0
}

// Running reports whether a run with this execution id goes on in this
// engine.
func (e *Engine) Running(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.running[id]
	return ok
}

// watchedKey carries the id of the watched run a context belongs to.
type watchedKey struct{}

// watch makes a run visible while it goes on: it can be canceled by its
// id (Cancel), and if it is still running after a second the engine's
// recorder records it as running, whoever records its end (a payload's
// runs are recorded with the payload). done ends both; the finished run's
// own record then replaces the running one.
func (e *Engine) watch(ctx context.Context, req *RunRequest) (context.Context, func()) {
	if req.ExecutionID == "" {
		req.ExecutionID = NewExecutionID(e.opts.Now())
	}
	id := req.ExecutionID
	parent, _ := ctx.Value(watchedKey{}).(string)
	ctx, stop := context.WithCancelCause(ctx)
	ctx = context.WithValue(ctx, watchedKey{}, id)
	e.mu.Lock()
	e.running[id] = &watched{cancel: stop, parent: parent}
	e.mu.Unlock()
	var mu sync.Mutex
	finished := false
	started := e.opts.Now()
	t := time.AfterFunc(time.Second, func() {
		mu.Lock()
		defer mu.Unlock()
		if finished || req.resume != nil {
			return // a resumed run keeps its record as waiting until it ends
		}
		snap := &Execution{ID: id, FlowID: req.FlowID, FlowName: req.Definition.Name, ParentID: req.ParentID, Trigger: req.Trigger,
			Status: StatusRunning, StartedAt: started, Input: req.Input, Revision: req.Revision, RerunOf: req.RerunOf, WorkspaceFlow: req.WorkspaceFlow, Steps: []Step{}}
		_ = e.opts.Recorder.RecordExecution(context.WithoutCancel(ctx), e.stored(req, snap))
	})
	return ctx, func() {
		t.Stop()
		mu.Lock()
		finished = true
		mu.Unlock()
		e.mu.Lock()
		delete(e.running, id)
		e.mu.Unlock()
		stop(nil)
	}
}

// Shutdown waits for the runs started with Call Flow Async until drain
// ends; then it cancels every run still going here (ErrShutdown), those of
// requests and jobs not yet drained too, and waits for the Call Flow Async
// runs to record how they ended until hard ends.
func (e *Engine) Shutdown(drain, hard context.Context) error {
	idle := make(chan struct{})
	go func() { e.async.Wait(); close(idle) }()
	select {
	case <-idle:
		return nil
	case <-drain.Done():
	}
	e.stop(ErrShutdown)
	e.mu.Lock()
	for _, w := range e.running {
		w.cancel(ErrShutdown)
	}
	e.mu.Unlock()
	select {
	case <-idle:
	case <-hard.Done():
	}
	return fmt.Errorf("flows: runs still going at shutdown were canceled: %w", context.Cause(drain))
}
