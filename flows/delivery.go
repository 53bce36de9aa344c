package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"slices"
	"strings"
	"sync"
	"time"
)

// collector gathers a delivery's executions so that they are stored in
// one transaction with the delivery's state. Loops with concurrency record
// into it from several goroutines.
type collector struct {
	mu    sync.Mutex
	execs []*Execution
}

func (c *collector) RecordExecution(_ context.Context, e *Execution) error {
	c.mu.Lock()
	c.execs = append(c.execs, e)
	c.mu.Unlock()
	return nil
}

// fail marks a recorded execution failed after the fact.
func (c *collector) fail(id, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.execs {
		if e.ID == id {
			e.Status, e.Error = StatusFailed, msg
		}
	}
}

// ErrRetry wraps a delivery failure worth another attempt.
var ErrRetry = errors.New("transient failure")

// Deliver runs a stored delivery: the connector's Webhook Event flow on
// the raw request, then the workspace flow once per record or once with
// the list, as the run mode says. It returns the delivery's executions, to
// be stored with the delivery's state, so that a delivery is in the
// history exactly once. When the delivery meets a transient failure with
// attempts left (final is false), the error wraps ErrRetry: its
// executions are not to be stored, and a later attempt runs it again. So
// too when the server stops while it runs (ctx ends, or its runs are
// canceled by Engine.Shutdown); a run canceled by an admin is stored.
func (l *Lifecycle) Deliver(ctx context.Context, d Delivery, final bool) ([]*Execution, error) {
	t, err := l.deliveryTarget(ctx, d.SubscriptionID)
	if err != nil {
		if !final {
			l.observer.Get().DeliveryRetried()
			return nil, fmt.Errorf("%w: %w", ErrRetry, err)
		}
		l.observer.Get().DeliveryDead()
		return nil, err
	}
	execs, transient, err := l.deliver(ctx, t, d)
	if err != nil {
		return nil, err
	}
	if err := context.Cause(ctx); err != nil { // the job's: the server stops
		return execs, fmt.Errorf("flows: delivery %d stopped: %w", d.ID, err)
	}
	if slices.ContainsFunc(execs, (*Execution).Interrupted) {
		return execs, fmt.Errorf("flows: delivery %d stopped: %w", d.ID, ErrShutdown)
	}
	if transient && !final {
		l.observer.Get().DeliveryRetried()
		return execs, fmt.Errorf("%w: delivery %d", ErrRetry, d.ID)
	}
	if transient {
		l.observer.Get().DeliveryDead() // its last attempt failed too: it stays failed in the history
	}
	return execs, nil
}

// FinishedDelivery is a delivery that has run, with its executions.
type FinishedDelivery struct {
	ID         int64
	Executions []*Execution
}

// deliveryTarget is what the deliveries of one subscription run.
type deliveryTarget struct {
	sub     Subscription
	t       webhookTarget
	cc      *ConnectorContext
	expires time.Time
}

// targetTTL is how long the lifecycle runs a subscription's deliveries on
// what it looked up, before it looks again: a flow saved meanwhile runs
// from its next delivery after that.
const targetTTL = time.Second

func (l *Lifecycle) deliveryTarget(ctx context.Context, subID int64) (*deliveryTarget, error) {
	if c, ok := l.targets.Load(subID); ok && time.Now().Before(c.(*deliveryTarget).expires) {
		return c.(*deliveryTarget), nil
	}
	sub, err := l.Store.Subscription(ctx, subID)
	if err != nil {
		return nil, err
	}
	t, err := l.target(ctx, sub.FlowID)
	if err != nil {
		return nil, err
	}
	cc, err := l.connectorContext(ctx, t)
	if err != nil {
		return nil, err
	}
	dt := &deliveryTarget{sub: sub, t: t, cc: cc, expires: time.Now().Add(targetTTL)}
	l.targets.Store(subID, dt)
	return dt, nil
}

// deliver runs one delivery and returns its executions, and whether it
// met a failure worth another try.
func (l *Lifecycle) deliver(ctx context.Context, dt *deliveryTarget, d Delivery) ([]*Execution, bool, error) {
	// The request's credentials and the Event URL's token are masked in
	// the records of both runs, wherever they show.
	sec := dt.t.event.Webhook.Security
	secrets := append(requestSecrets(d, sec.SecretHeader, sec.SignatureHeader), dt.sub.Token)
	return l.runEvent(ctx, dt, RawRequest(d), "", secrets)
}

// runEvent runs the connector's Webhook Event flow on a request (its
// input, RawRequest), then the workspace flow once per record or once
// with the list, as the run mode says. It returns the executions, the
// connector's run first, as they are to be recorded, and whether they met
// a failure worth another try. rerunOf is the connector's run a re-run
// repeats. A body the event flow cannot read fails its run at once.
func (l *Lifecycle) runEvent(ctx context.Context, dt *deliveryTarget, in map[string]any, rerunOf string, secrets []string) ([]*Execution, bool, error) {
	t := dt.t
	col := &collector{}
	trigger := TriggerPayload
	if rerunOf != "" {
		trigger = TriggerRerun
	}
	ev, err := l.Engine.Run(ctx, RunRequest{FlowID: t.flow.Definition.Source.Flow, Definition: t.event, Input: in, Trigger: trigger, RerunOf: rerunOf,
		Connector: dt.cc, Flows: t.version.Export, Recorder: col, Secrets: secrets, WorkspaceFlow: t.flow.ID, InputError: readBody(&t.event, in)})
	if err != nil {
		return nil, false, err
	}
	transient := ev.Transient()
	if ev.Status == StatusSucceeded {
		records, rerr := Records(*t.event.Webhook, ev.Output)
		if rerr != nil {
			col.fail(ev.ID, rerr.Error())
		}
		for _, rec := range records {
			// The workspace flow runs without the connection: its HTTP
			// cards reach whatever they name, with no connector's credentials.
			x, err := l.Engine.Run(ctx, RunRequest{FlowID: t.flow.ID, Definition: t.flow.Definition, Input: rec, Trigger: TriggerPayload,
				ParentID: ev.ID, Recorder: col, Revision: t.flow.Revision, Secrets: secrets})
			if err != nil {
				return nil, false, err
			}
			transient = transient || x.Transient()
		}
	}
	return col.execs, transient, nil
}

// RawRequest is the Webhook Event flow's input: method, headers, query and
// body, parsed when it is JSON.
func RawRequest(d Delivery) map[string]any {
	headers := make(map[string]any, len(d.Headers))
	for k, v := range d.Headers {
		headers[k] = v
	}
	query := make(map[string]any, len(d.Query))
	for k, v := range d.Query {
		query[k] = v
	}
	var body any = string(d.Body)
	if mt, _, _ := mime.ParseMediaType(d.Headers["content-type"]); mt == "application/json" || strings.HasSuffix(mt, "+json") {
		var v any
		if json.Unmarshal(d.Body, &v) == nil {
			body = v
		}
	}
	return map[string]any{"method": d.Method, "headers": headers, "query": query, "body": body}
}

// Records splits a Webhook Event flow's Return output into the inputs of
// the workspace flow runs: the output itself (single), or one input per
// item of the records list (each) with that item in the list's place, or
// the list (list).
func Records(w WebhookSettings, out map[string]any) ([]map[string]any, error) {
	if w.RunMode == RunSingle || w.RunMode == "" {
		return []map[string]any{out}, nil
	}
	key, items, err := recordsAt(w.RecordsPath, out)
	if err != nil {
		return nil, err
	}
	if w.RunMode == RunList {
		return []map[string]any{withRecords(out, key, items)}, nil
	}
	runs := make([]map[string]any, 0, len(items))
	for _, it := range items {
		runs = append(runs, withRecords(out, key, it))
	}
	return runs, nil
}

// recordsAt finds the records list at path in a Return output: the key of
// the output's field it is in, and its items (none when it is missing).
func recordsAt(path string, out map[string]any) (string, []any, error) {
	key, rest, _ := strings.Cut(path, ".")
	if key == "" {
		return "", nil, errors.New("the run mode needs the records path")
	}
	var list any = out[key]
	if rest != "" {
		var err error
		if list, err = Lookup(list, rest); err != nil {
			return "", nil, fmt.Errorf("records path %q: %w", path, err)
		}
	}
	items, ok := list.([]any)
	if !ok && list != nil {
		return "", nil, fmt.Errorf("records path %q is not a list", path)
	}
	return key, items, nil
}

// withRecords is a workspace run's input: the Return output with the
// records (a list, or one record) in place of the field they were in.
func withRecords(out map[string]any, key string, records any) map[string]any {
	in := clone(out)
	in[key] = records
	return in
}

func clone(m map[string]any) map[string]any {
	c := make(map[string]any, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}
