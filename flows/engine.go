package flows

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Limits bound every run. Crossing one fails the run with a *LimitError.
type Limits struct {
	MaxSteps       int           // cards run in one execution, nested lanes included
	MaxDepth       int           // nested Call Flow / loop calls
	MaxRunTime     time.Duration // a whole top-level run, its children included
	MaxCardTime    time.Duration // one function card
	MaxOutputBytes int           // one card's outputs, measured as JSON
}

// DefaultLimits are the limits when Options leave them zero.
var DefaultLimits = Limits{MaxSteps: 10_000, MaxDepth: 16, MaxRunTime: 5 * time.Minute, MaxCardTime: time.Minute, MaxOutputBytes: 8 << 20}

// ErrLimit is wrapped by every *LimitError.
var ErrLimit = errors.New("limit exceeded")

// LimitError names the limit a run crossed.
type LimitError struct {
	Name  string // max_steps, max_call_depth, max_run_time, max_card_time, max_output_bytes
	Value string
}

func (e *LimitError) Error() string        { return fmt.Sprintf("limit %q (%s) exceeded", e.Name, e.Value) }
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// Options configure an Engine.
type Options struct {
	Limits   Limits
	Now      func() time.Time
	Recorder Recorder     // nil: executions are not stored
	Flows    FlowSource   // for Call Flow and the loops; nil: they fail
	Actions  ActionSource // for connector action cards; nil: they fail
	Tables   TableRows    // for the Tables cards; nil: they fail
	// Waits stores runs stopped at a Wait For, Wait Until or Pause
	// (waits.go); nil: waits hold the run in memory and Pause fails.
	Waits Waits
	// DurableAfter is the shortest Wait For or Wait Until that stores the
	// run instead of holding it in memory (0: DefaultDurableAfter).
	DurableAfter time.Duration
	// ResumeURL makes a paused run's resume URL from its token (nil:
	// the path /resume/<token> alone).
	ResumeURL func(token string) string
}

// ActionSource resolves a connector action card: the action flow as
// deployed, the version it belongs to, and the connection's credentials.
type ActionSource interface {
	Action(ctx context.Context, ref ActionRef) (Definition, ConnectorExport, *ConnectorContext, error)
}

// Engine runs flow definitions. It is safe for concurrent use.
type Engine struct {
	reg      Registry
	opts     Options
	controls map[string]control

	// base is the context of Call Flow Async children, which outlive the
	// run that started them; Shutdown cancels it.
	base context.Context
	stop context.CancelCauseFunc
	// async counts the Call Flow Async children still running.
	async sync.WaitGroup

	mu      sync.Mutex
	running map[string]*watched // watched runs, by execution id
}

// NewEngine returns an engine running function cards from reg.
func NewEngine(reg Registry, opts Options) *Engine {
	d := DefaultLimits
	l := &opts.Limits
	if l.MaxSteps <= 0 {
		l.MaxSteps = d.MaxSteps
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxRunTime <= 0 {
		l.MaxRunTime = d.MaxRunTime
	}
	if l.MaxCardTime <= 0 {
		l.MaxCardTime = d.MaxCardTime
	}
	if l.MaxOutputBytes <= 0 {
		l.MaxOutputBytes = d.MaxOutputBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.DurableAfter <= 0 {
		opts.DurableAfter = DefaultDurableAfter
	}
	if opts.ResumeURL == nil {
		opts.ResumeURL = func(token string) string { return "/resume/" + token }
	}
	base, stop := context.WithCancelCause(context.Background())
	return &Engine{reg: reg, opts: opts, controls: controls(), base: base, stop: stop, running: map[string]*watched{}}
}

// RunRequest is one run to make.
type RunRequest struct {
	FlowID     int64
	Definition Definition
	// Input holds the event card's outputs, by field key.
	Input     map[string]any
	Trigger   Trigger
	ParentID  string
	Connector *ConnectorContext
	// ExecutionID is used when set (a run already announced); otherwise one is made.
	ExecutionID string
	// Flows and Recorder, when set, replace the engine's for this run and
	// its children: a deployed connector version's flows, or a recorder
	// that stores a payload's executions together with the payload's state.
	Flows    FlowSource
	Recorder Recorder
	// Revision is the saved flow's revision being run; RerunOf the
	// execution this run repeats.
	Revision int
	RerunOf  string
	// WorkspaceFlow is the workspace flow a connector's flow runs for.
	WorkspaceFlow int64
	// InputError, when set, fails the run at its event card before any
	// card runs: the input cannot be read the way the flow expects (a
	// request's body that is not JSON, for a flow that reads into it).
	InputError error
	// Secrets are values the run's record must never hold in clear (the
	// Event URL's token, a request's credentials): they are masked
	// wherever they show in it, and in the records of the flows it calls.
	Secrets []string
	// Respond, when set, takes the run's answer to its caller, once: what
	// an HTTP Close card sends, else how the run ended (answer.go). It is
	// called before the run is recorded. Only a top-level run answers.
	Respond func(Answer)
	// Cursor is a poll's cursor, which Get Cursor and Set Cursor read and
	// write (polling.go); nil outside a poll: Get Cursor reads it empty.
	Cursor *Cursor

	depth int
	async bool // a Call Flow Async child: watched like a top-level run
	// byHookEvent: a run called by a run a Hookflow event started.
	byHookEvent bool
	// resume, when set, continues a stored run where it stopped (waits.go).
	resume *resumption
}

// Run runs a flow to its end and records the execution. A flow that fails
// is not an error of Run: the execution says so in Status and Error. Run
// returns an error only when the execution could not be recorded.
//
// The execution Run returns holds everything the run computed; only what
// is recorded leaves out the inputs and outputs when the flow's "save all
// data" is off (SavedCopy), and masks the secrets (stored).
func (e *Engine) Run(ctx context.Context, req RunRequest) (*Execution, error) {
	if req.depth == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, e.opts.Limits.MaxRunTime,
			&LimitError{Name: "max_run_time", Value: e.opts.Limits.MaxRunTime.String()})
		defer cancel()
	}
	done := func() {}
	if (req.depth == 0 || req.async) && e.opts.Recorder != nil {
		ctx, done = e.watch(ctx, &req)
	}
	exec, r := e.run(ctx, req)
	done() // before the final record, which the running one must not follow
	if r.suspend != nil {
		e.suspend(ctx, r)
	}
	if req.resume != nil && exec.Interrupted() {
		// Not recorded: its wait stays claimed, and it resumes again.
		return exec, fmt.Errorf("flows: resumed run %s: %w", exec.ID, ErrShutdown)
	}
	rec := req.Recorder
	if rec == nil {
		rec = e.opts.Recorder
	}
	if rec != nil {
		if err := rec.RecordExecution(context.WithoutCancel(ctx), e.stored(&req, exec)); err != nil {
			return exec, fmt.Errorf("flows: record execution %s: %w", exec.ID, err)
		}
	}
	return exec, nil
}

// run is the state of one execution.
type run struct {
	e      *Engine
	req    *RunRequest
	exec   *Execution
	values map[string]map[string]any // card id → its outputs
	steps  int
	mu     sync.Mutex // guards exec.Steps[i].Children from loop goroutines
	// answered is set once the run's caller has its answer (Respond).
	answered bool

	// Stopping at a wait and resuming (waits.go): done holds the cards
	// that have run (a resumed run does not run them again), token the
	// run's resume token once made, suspend why the run stops here.
	done    map[string]bool
	pending map[string]int // a resumed run's cards started, not done: their steps
	wake    *resumption
	token   string
	suspend *suspendSignal
}

// Signals that end a flow early; they travel up as errors.
type (
	// returnSignal carries a Return's outputs; raw marks a Return Raw,
	// whose outputs are the answer's status, headers and body.
	returnSignal struct {
		output map[string]any
		raw    bool
	}
	stopSignal struct{}
	// FlowError is a Return Error card's failure: a status code (500
	// unless the card says otherwise) and a message.
	FlowError struct {
		Status  int
		Message string
	}
)

func (returnSignal) Error() string { return "return" }
func (stopSignal) Error() string   { return "stopped by Continue If" }
func (e *FlowError) Error() string { return e.Message }
func isSignal(err error) bool {
	var r returnSignal
	var s stopSignal
	return errors.As(err, &r) || errors.As(err, &s) || isSuspend(err)
}

// cardError marks which card failed.
type cardError struct {
	card string
	err  error
}

func (e *cardError) Error() string { return e.err.Error() }
func (e *cardError) Unwrap() error { return e.err }

func (e *Engine) run(ctx context.Context, req RunRequest) (*Execution, *run) {
	now := e.opts.Now()
	exec := &Execution{ID: req.ExecutionID, FlowID: req.FlowID, FlowName: req.Definition.Name, ParentID: req.ParentID,
		Trigger: req.Trigger, Status: StatusRunning, StartedAt: now, Input: req.Input, Revision: req.Revision, RerunOf: req.RerunOf,
		WorkspaceFlow: req.WorkspaceFlow, kind: req.Definition.Kind}
	if exec.ID == "" {
		exec.ID = NewExecutionID(now)
	}
	exec.ByHookEvent = req.Trigger == TriggerHookEvent || req.byHookEvent
	r := &run{e: e, req: &req, exec: exec, values: make(map[string]map[string]any, len(req.Definition.Cards)+1), done: map[string]bool{}}
	var err error
	if req.resume != nil {
		err = r.restart(ctx)
	} else {
		err = r.start(ctx)
	}
	exec.FinishedAt = e.opts.Now()
	defer r.answerEnd(err)
	var ret returnSignal
	var sus *suspendSignal
	switch {
	case errors.As(err, &sus):
		r.suspend = sus
		exec.Status = StatusWaiting
		if sus.kind == WaitPause {
			exec.Status = StatusPaused
		}
		until := sus.until
		exec.ResumesAt = &until
	case err == nil:
		exec.Status = StatusSucceeded
	case errors.As(err, &ret):
		exec.Status, exec.Output = StatusSucceeded, ret.output
	case errors.As(err, new(stopSignal)):
		exec.Status = StatusStopped
	case errors.Is(err, ErrCanceledByUser) || errors.Is(context.Cause(ctx), ErrCanceledByUser):
		exec.Status, exec.Error = StatusCanceled, ErrCanceledByUser.Error()
	case errors.Is(context.Cause(ctx), ErrShutdown):
		exec.Status, exec.Error, exec.cause = StatusCanceled, ErrShutdown.Error(), ErrShutdown
	case errors.Is(err, context.Canceled) && !errors.Is(context.Cause(ctx), ErrLimit):
		exec.Status, exec.Error = StatusCanceled, "canceled"
	default:
		exec.Status, exec.Error, exec.cause = StatusFailed, err.Error(), err
		if c := context.Cause(ctx); c != nil && errors.Is(c, ErrLimit) && !errors.Is(err, ErrLimit) {
			exec.Error = c.Error()
		}
		var ce *cardError
		if errors.As(err, &ce) {
			exec.ErrorCard = ce.card
		}
	}
	return exec, r
}

// start checks the event input and runs the cards.
func (r *run) start(ctx context.Context) error {
	def := &r.req.Definition
	spec, ok := EventSpec(def.Event.Type)
	if !ok {
		return fmt.Errorf("flows: unknown event card %q", def.Event.Type)
	}
	if err := CheckBound(def); err != nil {
		return err
	}
	out := make(map[string]any, len(r.req.Input))
	for k, v := range r.req.Input {
		out[k] = v
	}
	step := Step{CardID: def.Event.ID, Type: def.Event.Type, Label: def.Event.Label, StartedAt: r.e.opts.Now()}
	for _, f := range spec.OutputFields(&def.Event) {
		v, err := Convert(out[f.Key], f.Type)
		if err != nil {
			step.Error = fmt.Sprintf("input %q: %v", f.Key, err)
			r.exec.Steps = append(r.exec.Steps, step)
			return &cardError{card: def.Event.ID, err: errors.New(step.Error)}
		}
		if v == nil && f.Required {
			step.Error = fmt.Sprintf("input %q is required", f.Key)
			r.exec.Steps = append(r.exec.Steps, step)
			return &cardError{card: def.Event.ID, err: errors.New(step.Error)}
		}
		out[f.Key] = v
	}
	step.Outputs = out
	if err := r.req.InputError; err != nil {
		step.Error, step.ErrorDetail = ErrorText(err)
		r.exec.Steps = append(r.exec.Steps, step)
		return &cardError{card: def.Event.ID, err: err}
	}
	r.exec.Steps = append(r.exec.Steps, step)
	r.values[def.Event.ID] = out
	return r.runCards(ctx, def.Cards, "")
}

func (r *run) runCards(ctx context.Context, cards []Node, lane string) error {
	for i := range cards {
		if err := r.runCard(ctx, &cards[i], lane); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) runCard(ctx context.Context, n *Node, lane string) error {
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if r.done[n.ID] {
		return nil // it ran before the run stopped at a wait
	}
	if n.Type == ControlWaitFor {
		n = legacyWaitFor(n)
	}
	started := r.e.opts.Now()
	idx, again := r.reenter(n.ID)
	if !again {
		r.steps++
		if r.steps > r.e.opts.Limits.MaxSteps {
			return &cardError{card: n.ID, err: &LimitError{Name: "max_steps", Value: fmt.Sprint(r.e.opts.Limits.MaxSteps)}}
		}
		idx = len(r.exec.Steps)
		r.exec.Steps = append(r.exec.Steps, Step{CardID: n.ID, Type: n.Type, Label: n.Label, Lane: lane, StartedAt: started})
	} else {
		started = r.exec.Steps[idx].StartedAt
	}

	ctl, isControl := r.e.controls[n.Type]
	var spec *CardSpec
	var card Card
	if isControl {
		spec = &ctl.spec
	} else {
		c, ok := r.e.reg.Lookup(n.Type)
		if !ok {
			return r.fail(idx, n, started, fmt.Errorf("flows: unknown card type %q", n.Type))
		}
		card = c
		s := c.Spec()
		spec = &s
	}
	in, err := r.inputs(n, spec)
	r.exec.Steps[idx].Inputs = in
	if err != nil {
		return r.fail(idx, n, started, err)
	}
	var out Output
	attempts := 1
	if w := r.wake; w != nil && w.card == n.ID {
		out, err = w.outputs, w.err // the wait the run stopped at ends
		r.wake = nil
	} else if isControl {
		out, err = ctl.run(r, ctx, n, in, idx)
	} else {
		out, attempts, err = r.callCard(ctx, card, n, in)
	}
	st := &r.exec.Steps[idx]
	st.Attempts = attempts
	if err == nil && len(out) > 0 {
		if size := sizeOf(map[string]any(out), r.e.opts.Limits.MaxOutputBytes); size > r.e.opts.Limits.MaxOutputBytes {
			err = &LimitError{Name: "max_output_bytes", Value: fmt.Sprint(r.e.opts.Limits.MaxOutputBytes)}
		}
	}
	var ret returnSignal
	if errors.As(err, &ret) {
		st.Outputs = ret.output
		st.DurationUS = r.e.opts.Now().Sub(started).Microseconds()
		return err
	}
	if err != nil {
		if isSignal(err) {
			st.DurationUS = r.e.opts.Now().Sub(started).Microseconds()
			return err
		}
		return r.fail(idx, n, started, err)
	}
	st.Outputs = out
	st.DurationUS = r.e.opts.Now().Sub(started).Microseconds()
	r.values[n.ID] = out
	r.done[n.ID] = true
	return nil
}

func (r *run) fail(idx int, n *Node, started time.Time, err error) error {
	st := &r.exec.Steps[idx]
	st.DurationUS = r.e.opts.Now().Sub(started).Microseconds()
	var ce *cardError
	if errors.As(err, &ce) {
		// A card inside a container failed; the container shows it too.
		if st.Error == "" {
			st.Error, st.ErrorDetail = ErrorText(err)
		}
		return err
	}
	if st.Error == "" {
		st.Error, st.ErrorDetail = ErrorText(err)
	}
	return &cardError{card: n.ID, err: err}
}

// callCard runs a function card with the card time limit and its error
// policy: retries of HTTP 429 and 5xx, then halt or default outputs.
func (r *run) callCard(ctx context.Context, card Card, n *Node, in map[string]any) (Output, int, error) {
	lim := r.e.opts.Limits.MaxCardTime
	mem, _ := card.(InMemoryCard)
	inMemory := mem != nil && mem.InMemory()
	policy := n.OnError
	attempts := 0
	for {
		attempts++
		cctx, cancel := ctx, context.CancelFunc(func() {})
		if !inMemory {
			cctx, cancel = context.WithTimeoutCause(ctx, lim, &LimitError{Name: "max_card_time", Value: lim.String()})
		}
		out, err := card.Run(cctx, Input{Values: in, Node: n, Connector: r.req.Connector, Now: r.e.opts.Now})
		if err != nil && cctx.Err() != nil && ctx.Err() == nil {
			err = context.Cause(cctx)
		}
		cancel()
		if err == nil {
			return out, attempts, nil
		}
		if policy == nil {
			return nil, attempts, err
		}
		var he *HTTPError
		if errors.As(err, &he) && he.Retryable() && attempts <= policy.Retries {
			delay := time.Duration(policy.DelayMS) * time.Millisecond << (attempts - 1)
			if he.RetryAfter > delay {
				delay = he.RetryAfter
			}
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, attempts, context.Cause(ctx)
			case <-t.C:
			}
			continue
		}
		if policy.Then == ErrorReturn {
			out := make(Output, len(policy.Outputs))
			for k, v := range policy.Outputs {
				out[k] = v
			}
			return out, attempts, nil
		}
		return nil, attempts, err
	}
}

// inputs resolves a card's bindings into values of its input types.
func (r *run) inputs(n *Node, spec *CardSpec) (map[string]any, error) {
	fields := spec.InputFields(n)
	in := make(map[string]any, len(fields))
	for i := range fields {
		f := &fields[i]
		b, bound := n.Bindings[f.Key]
		var v any
		if bound {
			var err error
			if v, err = r.resolve(b, f.Type); err != nil {
				return in, fmt.Errorf("input %q: %w", f.Key, err)
			}
		} else if f.Default != nil {
			v = f.Default
		}
		if f.Required && (v == nil || v == "") {
			return in, fmt.Errorf("input %q is required", f.Key)
		}
		in[f.Key] = v
	}
	return in, nil
}

// resolve evaluates a binding and converts it to type t.
func (r *run) resolve(b Binding, t Type) (any, error) {
	switch {
	case b.Ref != nil:
		v, err := r.ref(b.Ref)
		if err != nil {
			return nil, err
		}
		return Convert(v, t)
	case len(b.Parts) > 0:
		var sb []byte
		for _, p := range b.Parts {
			if p.Ref == nil {
				sb = append(sb, p.Text...)
				continue
			}
			v, err := r.ref(p.Ref)
			if err != nil {
				return nil, err
			}
			s, err := ToText(v)
			if err != nil {
				return nil, err
			}
			sb = append(sb, s...)
		}
		return Convert(string(sb), t)
	}
	return Convert(b.Value, t)
}

func (r *run) ref(ref *Ref) (any, error) {
	out, ok := r.values[ref.Card]
	if !ok {
		return nil, fmt.Errorf("card %q has not run", ref.Card)
	}
	return Lookup(out[ref.Field], ref.Path)
}

// sizeOf estimates the JSON size of v, stopping once it passes max.
func sizeOf(v any, max int) int {
	switch x := v.(type) {
	case string:
		return len(x) + 2
	case map[string]any:
		n := 2
		for k, val := range x {
			n += len(k) + 4 + sizeOf(val, max)
			if n > max {
				return n
			}
		}
		return n
	case []any:
		n := 2
		for _, val := range x {
			n += 1 + sizeOf(val, max)
			if n > max {
				return n
			}
		}
		return n
	}
	return 8
}
