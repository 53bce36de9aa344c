package flows

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Durable waits. A run that reaches a Wait For or Wait Until of at least
// Options.DurableAfter, or a Pause, stops there: the engine stores it
// (Waits) and records it as waiting or paused, and nothing holds it while
// it waits. When its time comes, or its resume URL is posted to, the store
// hands it back (Resume) and the engine runs the same definition again
// from its saved state: the cards that ran before are not run again (their
// outputs and steps are kept), a container around the wait enters the
// same lane again, the wait card ends, and the run goes on.
//
// Only a run that the history shows on its own stops so: a run of a
// workspace flow that starts it (top level, or a Call Flow Async child).
// In the flows a run calls and waits for (Call Flow, For Each …) and in
// connector flows a Wait For or Wait Until holds the run in memory, and a
// Pause fails. Waits shorter than DurableAfter hold it in memory too: a
// payload's run that waits is safe across restarts anyway (its delivery
// runs again), and a stored wait costs two writes.

// DefaultDurableAfter is the shortest wait stored when Options leave it 0.
const DefaultDurableAfter = 5 * time.Second

// DefaultPauseTimeout is how long a Pause waits for its resume URL when
// its card does not say.
const DefaultPauseTimeout = 30 * 24 * time.Hour

// WaitKind is what a stored run waits for. Persisted; the tokens never change.
type WaitKind string

// The kinds of waits: a time (Wait For, Wait Until), or a POST to the
// run's resume URL (Pause).
const (
	WaitTime  WaitKind = "wait"
	WaitPause WaitKind = "pause"
)

// Wait is a run stopped at a wait card, as it is stored.
type Wait struct {
	ExecutionID string
	FlowID      int64
	Kind        WaitKind
	// Until is when the run resumes (WaitTime), or when its Pause times out.
	Until time.Time
	// Token is a paused run's resume token; the store keeps its hash for
	// lookups, and the token itself only sealed.
	Token string
	// State is everything the run needs to go on, as the engine encodes
	// it; it may hold a payload's data: the store seals it.
	State []byte
}

// Waits stores runs stopped at a wait card; store implements it.
// SaveWait stores a wait, in place of the run's earlier one, together with
// the job that resumes it. CancelWait removes a wait that is not resuming
// and returns it; ErrNotFound when there is none, ErrConflict when it is
// resuming (the run goes on somewhere and is canceled as a running one).
type Waits interface {
	SaveWait(ctx context.Context, w *Wait) error
	CancelWait(ctx context.Context, id string) (*Wait, error)
}

// suspendSignal ends a run at a wait card: the run is stored to resume.
type suspendSignal struct {
	kind    WaitKind
	until   time.Time
	card    string
	timeout string // a Pause's timeout, in words
}

func (*suspendSignal) Error() string { return "the run waits" }

func isSuspend(err error) bool {
	var s *suspendSignal
	return errors.As(err, &s)
}

// resumption is how a stored run goes on: its saved state, and what the
// wait card it stopped at gives (outputs, or the error that fails it).
type resumption struct {
	state   *savedRun
	card    string
	outputs Output
	err     error
}

// savedRun is a stopped run's state: the request that started it, what
// its cards computed, its steps so far, and the wait it stopped at.
type savedRun struct {
	Definition    Definition                `json:"definition"`
	FlowID        int64                     `json:"flowId"`
	Trigger       Trigger                   `json:"trigger"`
	ParentID      string                    `json:"parentId,omitempty"`
	Revision      int                       `json:"revision,omitempty"`
	RerunOf       string                    `json:"rerunOf,omitempty"`
	WorkspaceFlow int64                     `json:"workspaceFlow,omitempty"`
	Secrets       []string                  `json:"secrets,omitempty"`
	Input         map[string]any            `json:"input,omitempty"`
	StartedAt     time.Time                 `json:"startedAt"`
	Values        map[string]map[string]any `json:"values"`
	Done          []string                  `json:"done"`
	Steps         []Step                    `json:"steps"`
	Count         int                       `json:"count"`
	Card          string                    `json:"card"`
	Kind          WaitKind                  `json:"kind"`
	Until         time.Time                 `json:"until"`
	Token         string                    `json:"token,omitempty"`
	Timeout       string                    `json:"timeout,omitempty"`
}

// durable reports whether this run stops at a wait card to be stored.
func (r *run) durable() bool {
	q := r.req
	return r.e.opts.Waits != nil && q.Connector == nil && q.Flows == nil && (q.depth == 0 || q.async)
}

// waitUntil waits for until: at once when it has passed, stored when the
// run may be and the wait is long enough, otherwise in memory.
func (r *run) waitUntil(ctx context.Context, n *Node, until time.Time) (Output, error) {
	d := until.Sub(r.e.opts.Now())
	if d <= 0 {
		return Output{}, nil
	}
	if d >= r.e.opts.DurableAfter && r.durable() {
		return nil, &suspendSignal{kind: WaitTime, until: until, card: n.ID}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	case <-t.C:
		return Output{}, nil
	}
}

// ErrPauseNested is why a Pause fails in a flow that a run calls.
var ErrPauseNested = errors.New("a Pause works only in the flow that starts the run, not in a flow it calls (Call Flow, For Each …) or in a connector's flow")

// errNoWaits is why a Pause fails on an engine that cannot store runs.
var errNoWaits = errors.New("this server cannot store paused runs")

// pause stops the run until its resume URL is posted to, or timeout passes.
func (r *run) pause(n *Node, in map[string]any) (Output, error) {
	if r.e.opts.Waits == nil {
		return nil, errNoWaits
	}
	if !r.durable() {
		return nil, ErrPauseNested
	}
	d, words, err := duration(in, DefaultPauseTimeout)
	if err != nil {
		return nil, err
	}
	if d <= 0 {
		return nil, errors.New("the timeout must be more than 0")
	}
	if _, err := r.resumeToken(); err != nil {
		return nil, err
	}
	return nil, &suspendSignal{kind: WaitPause, until: r.e.opts.Now().Add(d), card: n.ID, timeout: words}
}

// resumeToken is the run's resume token, made the first time it is asked
// for: 128 random bits. One run has one resume URL, whichever Pause it
// stops at.
func (r *run) resumeToken() (string, error) {
	if r.token == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("make a resume token: %w", err)
		}
		r.token = base64.RawURLEncoding.EncodeToString(b[:])
	}
	return r.token, nil
}

// units are a wait's units, in seconds.
var units = []struct {
	name string
	d    time.Duration
}{{"seconds", time.Second}, {"minutes", time.Minute}, {"hours", time.Hour}, {"days", 24 * time.Hour}}

// WaitUnits are the units a Wait For and a Pause's timeout take.
var WaitUnits = []string{"seconds", "minutes", "hours", "days"}

// duration reads an amount and a unit; with no amount, def.
func duration(in map[string]any, def time.Duration) (time.Duration, string, error) {
	amount, ok := in["amount"].(float64)
	if !ok {
		return def, fmt.Sprintf("%d days", int(def/(24*time.Hour))), nil
	}
	unit, _ := in["unit"].(string)
	if unit == "" {
		unit = "seconds"
	}
	if amount < 0 {
		return 0, "", errors.New("the amount must not be negative")
	}
	for _, u := range units {
		if u.name == unit {
			if amount > float64(3650*24*time.Hour/u.d) {
				return 0, "", errors.New("the wait must be at most 10 years")
			}
			words := strconv.FormatFloat(amount, 'f', -1, 64) + " " + unit
			if amount == 1 {
				words = words[:len(words)-1]
			}
			return time.Duration(amount * float64(u.d)), words, nil
		}
	}
	return 0, "", fmt.Errorf("unknown unit %q: use seconds, minutes, hours or days", unit)
}

// legacyWaitFor is a Wait For card saved before it took a unit (its one
// input was seconds) as it is now: amount in seconds.
func legacyWaitFor(n *Node) *Node {
	b, old := n.Bindings["seconds"]
	if !old {
		return n
	}
	c := *n
	c.Bindings = make(map[string]Binding, len(n.Bindings)+1)
	for k, v := range n.Bindings {
		if k != "seconds" {
			c.Bindings[k] = v
		}
	}
	if _, ok := c.Bindings["amount"]; !ok {
		c.Bindings["amount"] = b
		c.Bindings["unit"] = Binding{Value: "seconds"}
	}
	return &c
}

// UpgradeCards rewrites the cards of a definition saved by an earlier
// build as this build reads them: a Wait For saved with seconds takes an
// amount and a unit. The store calls it on every definition it loads; the
// engine and validation read such cards as well.
func (d *Definition) UpgradeCards() { upgradeCards(d.Cards) }

func upgradeCards(ns []Node) {
	for i := range ns {
		if ns[i].Type == ControlWaitFor {
			ns[i] = *legacyWaitFor(&ns[i])
		}
		for j := range ns[i].Lanes {
			upgradeCards(ns[i].Lanes[j].Cards)
		}
	}
}

// restart continues a stored run where it stopped (see waits.go's top).
func (r *run) restart(ctx context.Context) error {
	w := r.req.resume
	st := w.state
	r.exec.StartedAt, r.exec.Steps, r.steps, r.token, r.wake = st.StartedAt, st.Steps, st.Count, st.Token, w
	if st.Values != nil {
		r.values = st.Values
	}
	for _, id := range st.Done {
		r.done[id] = true
	}
	r.pending = map[string]int{}
	for i, s := range r.exec.Steps {
		if !r.done[s.CardID] {
			r.pending[s.CardID] = i
		}
	}
	return r.runCards(ctx, r.req.Definition.Cards, "")
}

// reenter gives, in a resumed run, the step of a card that had started
// but not ended when the run stopped: a container around the wait, or the
// wait card itself. Its step is used again.
func (r *run) reenter(id string) (int, bool) {
	i, ok := r.pending[id]
	if ok {
		delete(r.pending, id)
	}
	return i, ok
}

// suspend stores a run that stopped at a wait card; should that fail, the
// run fails.
func (e *Engine) suspend(ctx context.Context, r *run) {
	s, x := r.suspend, r.exec
	q := r.req
	done := make([]string, 0, len(r.done))
	for id := range r.done {
		done = append(done, id)
	}
	saved := savedRun{Definition: q.Definition, FlowID: q.FlowID, Trigger: q.Trigger, ParentID: q.ParentID, Revision: q.Revision,
		RerunOf: q.RerunOf, WorkspaceFlow: q.WorkspaceFlow, Secrets: q.Secrets, Input: q.Input, StartedAt: x.StartedAt,
		Values: r.values, Done: done, Steps: x.Steps, Count: r.steps, Card: s.card, Kind: s.kind, Until: s.until, Timeout: s.timeout}
	w := &Wait{ExecutionID: x.ID, FlowID: q.FlowID, Kind: s.kind, Until: s.until}
	if s.kind == WaitPause {
		saved.Token, w.Token = r.token, r.token
	} else if r.token != "" {
		saved.Token = r.token // a Resume URL card made it: a later Pause uses it
	}
	var err error
	if w.State, err = json.Marshal(&saved); err == nil {
		err = e.opts.Waits.SaveWait(context.WithoutCancel(ctx), w)
	}
	if err != nil {
		msg, _ := ErrorText(err)
		x.Status, x.ResumesAt, x.ErrorCard, x.cause = StatusFailed, nil, s.card, err
		x.Error = "the run could not be stored to wait: " + msg
		for i := len(x.Steps) - 1; i >= 0; i-- {
			if x.Steps[i].CardID == s.card {
				x.Steps[i].Error = x.Error
				break
			}
		}
		return
	}
	if s.kind == WaitPause {
		x.ResumeToken, x.ResumeURL = r.token, e.opts.ResumeURL(r.token)
	}
}

// Resume continues a stored run: its wait has passed (WaitTime), its
// resume URL received body (a Pause; body is the request's JSON), or its
// Pause timed out (timedOut). The run goes on as the same execution and is
// recorded as it ends, or stops again at its next wait.
func (e *Engine) Resume(ctx context.Context, w *Wait, body []byte, timedOut bool) (*Execution, error) {
	var st savedRun
	if err := json.Unmarshal(w.State, &st); err != nil {
		return nil, fmt.Errorf("flows: read the state of waiting run %s: %w", w.ExecutionID, err)
	}
	res := &resumption{state: &st, card: st.Card, outputs: Output{}}
	if st.Kind == WaitPause {
		if timedOut {
			res.err = &PauseTimeoutError{After: st.Timeout}
		} else {
			n, _ := st.Definition.Card(st.Card)
			if res.outputs, res.err = pauseOutputs(n, body, e.opts.ResumeURL(st.Token)); res.err != nil {
				res.outputs = nil
			}
		}
	}
	return e.Run(ctx, RunRequest{ExecutionID: w.ExecutionID, FlowID: st.FlowID, Definition: st.Definition, Input: st.Input, Trigger: st.Trigger,
		ParentID: st.ParentID, Revision: st.Revision, RerunOf: st.RerunOf, WorkspaceFlow: st.WorkspaceFlow, Secrets: st.Secrets, resume: res})
}

// PauseTimeoutError fails a Pause whose resume URL was not posted to in time.
type PauseTimeoutError struct{ After string }

func (e *PauseTimeoutError) Error() string { return "Pause timed out after " + e.After }

// pauseOutputs are a Pause card's outputs when its resume URL received
// body: the whole body, its resume URL, and each output field the card
// declares taken from the body's key of that name.
func pauseOutputs(n *Node, body []byte, url string) (Output, error) {
	var v any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, errors.New("the resume request's body is not JSON")
		}
	}
	out := Output{"body": v, "resumeUrl": url}
	if n == nil {
		return out, nil
	}
	obj, _ := v.(map[string]any)
	for _, f := range n.Outputs {
		c, err := Convert(obj[f.Key], f.Type)
		if err != nil {
			return nil, fmt.Errorf("the resume request's %q: %w", f.Key, err)
		}
		out[f.Key] = c
	}
	return out, nil
}

// CancelWaiting cancels a run stored waiting or paused: its wait is
// removed (the job that would resume it finds nothing) and it is recorded
// as canceled. ErrNotFound when it has no wait, ErrConflict when it is
// resuming: it then runs, and is canceled as a running run.
func (e *Engine) CancelWaiting(ctx context.Context, id string) (*Execution, error) {
	if e.opts.Waits == nil {
		return nil, ErrNotFound
	}
	w, err := e.opts.Waits.CancelWait(ctx, id)
	if err != nil {
		return nil, err
	}
	var st savedRun
	if err := json.Unmarshal(w.State, &st); err != nil {
		return nil, fmt.Errorf("flows: read the state of waiting run %s: %w", id, err)
	}
	x := &Execution{ID: id, FlowID: st.FlowID, FlowName: st.Definition.Name, ParentID: st.ParentID, Trigger: st.Trigger,
		Status: StatusCanceled, Error: ErrCanceledByUser.Error(), StartedAt: st.StartedAt, FinishedAt: e.opts.Now(), Input: st.Input,
		Revision: st.Revision, RerunOf: st.RerunOf, WorkspaceFlow: st.WorkspaceFlow, Steps: st.Steps}
	for i := range x.Steps {
		if s := &x.Steps[i]; s.CardID == st.Card {
			s.Error = ErrCanceledByUser.Error()
		}
	}
	req := RunRequest{Definition: st.Definition, Secrets: st.Secrets}
	if e.opts.Recorder != nil {
		if err := e.opts.Recorder.RecordExecution(ctx, e.stored(&req, x)); err != nil {
			return nil, fmt.Errorf("flows: record canceled execution %s: %w", id, err)
		}
	}
	return x, nil
}
