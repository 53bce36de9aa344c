package flows

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SubscriptionState is where a flow's webhook subscription stands. Persisted.
type SubscriptionState string

// The subscription states. A flow is ON while its subscription is active.
const (
	SubscriptionRegistering   SubscriptionState = "registering"
	SubscriptionActive        SubscriptionState = "active"
	SubscriptionDeregistering SubscriptionState = "deregistering"
	// SubscriptionFailed: deregistration gave up after its retries; the
	// admin may turn the flow off anyway.
	SubscriptionFailed SubscriptionState = "failed"
	SubscriptionOff    SubscriptionState = "off"
)

// Live reports whether the subscription still holds the flow (not off).
func (s SubscriptionState) Live() bool { return s != SubscriptionOff && s != "" }

// Subscription is what turning a flow ON creates: the Event URL token, the
// Registration Data the registration flow returned, and the state.
type Subscription struct {
	ID           int64
	FlowID       int64
	Token        string
	State        SubscriptionState
	Source       EventSource
	Options      map[string]any
	Registration any
	LastError    string
	// RegistrationExecution and DeregistrationExecution are the runs of
	// the connector's registration and deregistration flows.
	RegistrationExecution   string
	DeregistrationExecution string
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

// EventSource is where a workspace flow's events come from: the Webhook
// Event flow (by its key) of a deployed connector version, and the
// connection it runs with.
type EventSource struct {
	Connector  int64 `json:"connector"`
	Version    int   `json:"version"`
	Flow       int64 `json:"flow"`
	Connection int64 `json:"connection,omitempty"`
}

// Delivery is one request that arrived at an Event URL, stored before it
// was acknowledged.
type Delivery struct {
	ID             int64
	SubscriptionID int64
	Method         string
	Headers        map[string]string // lower-case names
	Query          map[string]string
	Body           []byte
	DedupeKey      string
	ReceivedAt     time.Time
}

// LifecycleStore is what the lifecycle needs from storage; store implements it.
type LifecycleStore interface {
	Flow(ctx context.Context, id int64) (Flow, error)
	Version(ctx context.Context, connectorID int64, version int) (ConnectorVersion, error)
	Connection(ctx context.Context, id int64) (Connection, error)
	// StartSubscription saves a new subscription in state registering; it
	// fails with ErrConflict while the flow has a live one.
	StartSubscription(ctx context.Context, s Subscription) (Subscription, error)
	SaveSubscription(ctx context.Context, s Subscription) error
	Subscription(ctx context.Context, id int64) (Subscription, error)
	SubscriptionByToken(ctx context.Context, token string) (Subscription, error)
	// LiveSubscription is the flow's subscription that is not off, or ErrNotFound.
	LiveSubscription(ctx context.Context, flowID int64) (Subscription, error)
	// StopSubscription moves an active subscription to deregistering and
	// queues its deregistration, in one transaction.
	StopSubscription(ctx context.Context, id int64) error
	// AcceptDelivery stores a delivery and queues its job in one
	// transaction; duplicate is true (and nothing queued) when the
	// subscription already has a delivery with the same dedupe key.
	AcceptDelivery(ctx context.Context, d Delivery) (duplicate bool, err error)
	// FinishDeliveries records deliveries' executions and marks them done,
	// each delivery in one transaction with its executions; one that was
	// done already is skipped.
	FinishDeliveries(ctx context.Context, ds []FinishedDelivery) error
}

// Lifecycle turns flows ON and OFF and runs what arrives at Event URLs.
type Lifecycle struct {
	Store   LifecycleStore
	Engine  *Engine
	Tokens  Credentials
	BaseURL string // Event URLs are BaseURL + "/hooks/" + token

	// hooks caches Event URL lookups: dropped here when a flow turns OFF,
	// and kept at most hookTTL, for servers that share a database.
	hooks sync.Map // token → cachedHook
	// hookGen changes whenever a flow turns OFF: a lookup that raced with
	// it is not cached.
	hookGen atomic.Int64
	// targets caches what deliveries run, by subscription, for targetTTL.
	targets sync.Map
}

type cachedHook struct {
	hook    Hook
	expires time.Time
}

// hookTTL is how long an Event URL's lookup is trusted without the database.
const hookTTL = 2 * time.Second

// RegistrationError is a failed registration: the flow stays OFF.
type RegistrationError struct {
	Execution string
	Message   string
}

func (e *RegistrationError) Error() string { return "registration failed: " + e.Message }

// EventURL is the Event URL of a token.
func (l *Lifecycle) EventURL(token string) string { return l.BaseURL + "/hooks/" + token }

// NewEventToken returns a fresh unguessable Event URL token (256 bits).
func NewEventToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// webhookTarget is everything a workspace flow's event card points at.
type webhookTarget struct {
	flow    Flow
	version ConnectorVersion
	event   Definition // the connector's Webhook Event flow
	conn    *Connection
}

func (l *Lifecycle) target(ctx context.Context, flowID int64) (webhookTarget, error) {
	var t webhookTarget
	var err error
	if t.flow, err = l.Store.Flow(ctx, flowID); err != nil {
		return t, err
	}
	src := t.flow.Definition.Source
	if src == nil {
		return t, fmt.Errorf("%w: flow %q has no webhook event card to turn on", ErrInvalid, t.flow.Definition.Name)
	}
	if t.version, err = l.Store.Version(ctx, src.Connector, src.Version); err != nil {
		return t, err
	}
	def, ok := t.version.Export.Flow(src.Flow)
	if !ok || def.Kind != KindWebhookEvent || def.Webhook == nil {
		return t, fmt.Errorf("%w: version %d of the connector has no such webhook event", ErrInvalid, src.Version)
	}
	t.event = def
	t.conn, err = connection(ctx, l.Store, t.version, src.Connection, "card")
	return t, err
}

// optionValues are the static values the flow gives its event card's options.
func optionValues(d *Definition) map[string]any {
	out := map[string]any{}
	for _, f := range d.Event.Inputs {
		if b, ok := d.Event.Bindings[f.Key]; ok && b.Value != nil {
			if v, err := Convert(b.Value, f.Type); err == nil {
				out[f.Key] = v
			}
		}
	}
	return out
}

// linkInput resolves a FlowLink's inputs from the options.
func linkInput(link *FlowLink, options map[string]any) map[string]any {
	in := map[string]any{}
	for k, b := range link.Inputs {
		switch {
		case b.Ref != nil && b.Ref.Card == OptionsCard:
			if v, ok := options[b.Ref.Field]; ok {
				in[k] = v
			}
		case b.Value != nil:
			in[k] = b.Value
		}
	}
	return in
}

func (l *Lifecycle) connectorContext(ctx context.Context, t webhookTarget) (*ConnectorContext, error) {
	return l.Tokens.ConnectorContext(ctx, t.version.Export.Connector, t.conn)
}

// On turns a flow ON: a fresh Event URL, the registration flow run with it,
// the mapped options and the connection, and its Registration Data kept;
// only then is the subscription active. When registration fails the flow
// stays OFF and the error is a *RegistrationError naming the execution.
func (l *Lifecycle) On(ctx context.Context, flowID int64) (Subscription, error) {
	t, err := l.target(ctx, flowID)
	if err != nil {
		return Subscription{}, err
	}
	opts := optionValues(&t.flow.Definition)
	for _, o := range t.event.Webhook.Options {
		if _, ok := opts[o.Key]; !ok && o.Required {
			return Subscription{}, fmt.Errorf("%w: the event card's option %q is required", ErrInvalid, o.Label)
		}
	}
	sub, err := l.Store.StartSubscription(ctx, Subscription{FlowID: flowID, Token: NewEventToken(), State: SubscriptionRegistering,
		Source: *t.flow.Definition.Source, Options: opts})
	if err != nil {
		return Subscription{}, err
	}
	link := t.event.Webhook.Registration
	if link == nil {
		sub.State = SubscriptionActive
		return sub, l.Store.SaveSubscription(ctx, sub)
	}
	fail := func(msg, exec string) (Subscription, error) {
		sub.State, sub.LastError, sub.RegistrationExecution = SubscriptionOff, msg, exec
		if err := l.Store.SaveSubscription(context.WithoutCancel(ctx), sub); err != nil {
			return sub, err
		}
		return sub, &RegistrationError{Execution: exec, Message: msg}
	}
	cc, err := l.connectorContext(ctx, t)
	if err != nil {
		return fail(err.Error(), "")
	}
	def, ok := t.version.Export.Flow(link.Flow)
	if !ok {
		return fail("the registration flow is missing from the deployed version", "")
	}
	in := linkInput(link, opts)
	in[FieldEventURL] = l.EventURL(sub.Token)
	exec, err := l.Engine.Run(ctx, RunRequest{FlowID: link.Flow, Definition: def, Input: in, Trigger: TriggerRegistration,
		Connector: cc, Flows: t.version.Export})
	if err != nil {
		return fail(err.Error(), "")
	}
	if exec.Status != StatusSucceeded {
		msg := exec.Error
		if msg == "" {
			msg = "the registration flow ended " + string(exec.Status)
		}
		return fail(msg, exec.ID)
	}
	sub.State, sub.LastError, sub.RegistrationExecution = SubscriptionActive, "", exec.ID
	sub.Registration = exec.Output[FieldRegistrationData]
	if err := l.Store.SaveSubscription(context.WithoutCancel(ctx), sub); err != nil {
		return sub, err
	}
	return sub, nil
}

// Off turns a flow OFF: its Event URL refuses at once and the
// deregistration is queued (retried with backoff until it succeeds or
// gives up).
func (l *Lifecycle) Off(ctx context.Context, flowID int64) (Subscription, error) {
	sub, err := l.Store.LiveSubscription(ctx, flowID)
	if err != nil {
		return Subscription{}, err
	}
	switch sub.State {
	case SubscriptionRegistering:
		return sub, fmt.Errorf("%w: the flow is being turned on; try again in a moment", ErrConflict)
	case SubscriptionDeregistering, SubscriptionFailed:
		return sub, nil
	}
	l.hookGen.Add(1)
	l.hooks.Delete(sub.Token)
	l.targets.Delete(sub.ID)
	err = l.Store.StopSubscription(ctx, sub.ID)
	l.hookGen.Add(1)
	l.hooks.Delete(sub.Token)
	if err != nil {
		return sub, err
	}
	return l.Store.Subscription(ctx, sub.ID)
}

// OffAnyway ends a subscription whose deregistration failed or is still
// being retried, without deregistering: the admin's "turn off anyway".
func (l *Lifecycle) OffAnyway(ctx context.Context, flowID int64) error {
	sub, err := l.Store.LiveSubscription(ctx, flowID)
	if err != nil {
		return err
	}
	if sub.State != SubscriptionFailed && sub.State != SubscriptionDeregistering {
		return fmt.Errorf("%w: only a flow whose deregistration failed can be turned off anyway", ErrConflict)
	}
	sub.State = SubscriptionOff
	l.hookGen.Add(1)
	l.hooks.Delete(sub.Token)
	l.targets.Delete(sub.ID)
	return l.Store.SaveSubscription(ctx, sub)
}

// Deregister runs a stopped subscription's deregistration flow with its
// Registration Data and options. An error asks for a retry; on the final
// attempt a failure leaves the subscription failed, shown on the flow.
func (l *Lifecycle) Deregister(ctx context.Context, subID int64, final bool) error {
	sub, err := l.Store.Subscription(ctx, subID)
	if err != nil {
		return err
	}
	if sub.State != SubscriptionDeregistering {
		return nil // done, or turned off anyway
	}
	t, err := l.target(ctx, sub.FlowID)
	if err == nil && t.event.Webhook.Deregistration == nil {
		sub.State, sub.LastError = SubscriptionOff, ""
		return l.Store.SaveSubscription(ctx, sub)
	}
	var exec *Execution
	if err == nil {
		exec, err = l.deregister(ctx, t, sub)
	}
	if err == nil {
		sub.State, sub.LastError, sub.DeregistrationExecution = SubscriptionOff, "", exec.ID
		return l.Store.SaveSubscription(ctx, sub)
	}
	sub.LastError = "deregistration failed: " + err.Error()
	if exec != nil {
		sub.DeregistrationExecution = exec.ID
	}
	if final {
		sub.State = SubscriptionFailed
	}
	if serr := l.Store.SaveSubscription(context.WithoutCancel(ctx), sub); serr != nil {
		return serr
	}
	return err
}

func (l *Lifecycle) deregister(ctx context.Context, t webhookTarget, sub Subscription) (*Execution, error) {
	link := t.event.Webhook.Deregistration
	def, ok := t.version.Export.Flow(link.Flow)
	if !ok {
		return nil, errors.New("the deregistration flow is missing from the deployed version")
	}
	cc, err := l.connectorContext(ctx, t)
	if err != nil {
		return nil, err
	}
	in := linkInput(link, sub.Options)
	in[FieldRegistrationData] = sub.Registration
	exec, err := l.Engine.Run(ctx, RunRequest{FlowID: link.Flow, Definition: def, Input: in, Trigger: TriggerDeregistration,
		Connector: cc, Flows: t.version.Export})
	if err != nil {
		return nil, err
	}
	if exec.Status != StatusSucceeded {
		return exec, errors.New(exec.Error)
	}
	return exec, nil
}

// Hook is what an Event URL's handler needs to check and accept a request.
type Hook struct {
	Subscription Subscription
	Settings     WebhookSettings
	// Secret is the resolved secret of the secret-header or signature check.
	Secret string
}

// ErrGone is returned for the Event URL of a flow that is OFF.
var ErrGone = errors.New("this Event URL is turned off")

// Hook looks up an Event URL token: ErrNotFound for an unknown token,
// ErrGone when its flow is not ON.
func (l *Lifecycle) Hook(ctx context.Context, token string) (Hook, error) {
	if c, ok := l.hooks.Load(token); ok && time.Now().Before(c.(cachedHook).expires) {
		return c.(cachedHook).hook, nil
	}
	gen := l.hookGen.Load()
	h, err := l.lookupHook(ctx, token)
	if err == nil && l.hookGen.Load() == gen {
		l.hooks.Store(token, cachedHook{hook: h, expires: time.Now().Add(hookTTL)})
	} else {
		l.hooks.Delete(token)
	}
	return h, err
}

func (l *Lifecycle) lookupHook(ctx context.Context, token string) (Hook, error) {
	sub, err := l.Store.SubscriptionByToken(ctx, token)
	if err != nil {
		return Hook{}, err
	}
	if sub.State != SubscriptionActive {
		return Hook{}, ErrGone
	}
	v, err := l.Store.Version(ctx, sub.Source.Connector, sub.Source.Version)
	if err != nil {
		return Hook{}, err
	}
	def, ok := v.Export.Flow(sub.Source.Flow)
	if !ok || def.Webhook == nil {
		return Hook{}, fmt.Errorf("%w: the webhook event is missing from version %d", ErrNotFound, sub.Source.Version)
	}
	h := Hook{Subscription: sub, Settings: *def.Webhook}
	if src := h.Settings.Security.Secret; src != "" {
		if h.Secret, err = l.secret(ctx, sub, src); err != nil {
			return Hook{}, err
		}
	}
	return h, nil
}

// secret resolves "connection.<field>" or "registration.<path>".
func (l *Lifecycle) secret(ctx context.Context, sub Subscription, src string) (string, error) {
	if key, ok := strings.CutPrefix(src, "connection."); ok {
		if sub.Source.Connection == 0 {
			return "", fmt.Errorf("%w: the flow has no connection for the secret %s", ErrInvalid, src)
		}
		c, err := l.Store.Connection(ctx, sub.Source.Connection)
		if err != nil {
			return "", err
		}
		return c.Values[key], nil
	}
	if path, ok := strings.CutPrefix(src, "registration"); ok {
		v := sub.Registration
		if path = strings.TrimPrefix(path, "."); path != "" {
			var err error
			if v, err = Lookup(v, path); err != nil {
				return "", fmt.Errorf("%w: the secret %s: %v", ErrInvalid, src, err)
			}
		}
		s, _ := Convert(v, TypeText)
		t, _ := s.(string)
		return t, nil
	}
	return "", fmt.Errorf("%w: unknown secret source %q", ErrInvalid, src)
}

// Rejection is why a request at an Event URL was refused.
type Rejection struct {
	Status int    // 401 or 403
	Reason string // for the log and the metric label
}

func (r *Rejection) Error() string { return r.Reason }

// Check applies the Event URL's secret header or HMAC-SHA256 signature
// rule to a request, comparing in constant time. headers have lower-case
// names.
func (h Hook) Check(headers map[string]string, body []byte) error {
	sec := h.Settings.Security
	if sec.SecretHeader != "" {
		got, ok := headers[strings.ToLower(sec.SecretHeader)]
		if !ok {
			return &Rejection{Status: 401, Reason: "missing_secret"}
		}
		if h.Secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(h.Secret)) != 1 {
			return &Rejection{Status: 403, Reason: "bad_secret"}
		}
	}
	if sec.SignatureHeader != "" {
		got, ok := headers[strings.ToLower(sec.SignatureHeader)]
		if !ok {
			return &Rejection{Status: 401, Reason: "missing_signature"}
		}
		mac := hmac.New(sha256.New, []byte(h.Secret))
		mac.Write(body)
		sum := mac.Sum(nil)
		got = strings.TrimPrefix(strings.TrimSpace(got), "sha256=")
		want := []byte(hex.EncodeToString(sum))
		if b64 := base64.StdEncoding.EncodeToString(sum); len(got) == len(b64) {
			want = []byte(b64)
		}
		if h.Secret == "" || !hmac.Equal([]byte(strings.ToLower(got)), want) && !hmac.Equal([]byte(got), want) {
			return &Rejection{Status: 403, Reason: "bad_signature"}
		}
	}
	return nil
}

// DedupeKey is the request's dedupe key by the Event URL's rule, or "".
func (h Hook) DedupeKey(headers map[string]string, body []byte) string {
	sec := h.Settings.Security
	if sec.DedupeHeader != "" {
		return headers[strings.ToLower(sec.DedupeHeader)]
	}
	if sec.DedupePath != "" {
		var v any
		if json.Unmarshal(body, &v) != nil {
			return ""
		}
		x, err := Lookup(v, sec.DedupePath)
		if err != nil || x == nil {
			return ""
		}
		s, _ := Convert(x, TypeText)
		t, _ := s.(string)
		return t
	}
	return ""
}

// AckStatus is the status that acknowledges an accepted request.
func (h Hook) AckStatus() int {
	if h.Settings.AckStatus == 0 {
		return 202
	}
	return h.Settings.AckStatus
}

// Allows reports whether the Event URL accepts the method.
func (h Hook) Allows(method string) bool {
	if len(h.Settings.Methods) == 0 {
		return method == "POST"
	}
	for _, m := range h.Settings.Methods {
		if strings.EqualFold(m, method) {
			return true
		}
	}
	return false
}

// Accept stores a checked request with its job; it is then safe to
// acknowledge. duplicate reports a repeated delivery that will not run.
// Credentials in the request (Authorization, cookies, the secret header)
// are masked before it is stored: they never reach the history.
func (l *Lifecycle) Accept(ctx context.Context, h Hook, d Delivery) (duplicate bool, err error) {
	d.SubscriptionID = h.Subscription.ID
	d.DedupeKey = h.DedupeKey(d.Headers, d.Body)
	for _, name := range []string{"authorization", "proxy-authorization", "cookie", strings.ToLower(h.Settings.Security.SecretHeader)} {
		if _, ok := d.Headers[name]; ok && name != "" {
			d.Headers[name] = Masked
		}
	}
	return l.Store.AcceptDelivery(ctx, d)
}

// Masked replaces a secret wherever Hookflow stores or shows a request.
const Masked = "[masked]"

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
			return nil, fmt.Errorf("%w: %w", ErrRetry, err)
		}
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
		return execs, fmt.Errorf("%w: delivery %d", ErrRetry, d.ID)
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
	sub, t := dt.sub, dt.t
	col := &collector{}
	ev, err := l.Engine.Run(ctx, RunRequest{FlowID: sub.Source.Flow, Definition: t.event, Input: RawRequest(d), Trigger: TriggerPayload,
		Connector: dt.cc, Flows: t.version.Export, Recorder: col})
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
			x, err := l.Engine.Run(ctx, RunRequest{FlowID: sub.FlowID, Definition: t.flow.Definition, Input: rec, Trigger: TriggerPayload,
				ParentID: ev.ID, Recorder: col, Revision: t.flow.Revision})
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
	key, rest, _ := strings.Cut(w.RecordsPath, ".")
	if key == "" {
		return nil, errors.New("the run mode needs the records path")
	}
	var list any = out[key]
	if rest != "" {
		var err error
		if list, err = Lookup(list, rest); err != nil {
			return nil, fmt.Errorf("records path %q: %w", w.RecordsPath, err)
		}
	}
	items, ok := list.([]any)
	if !ok {
		if list == nil {
			items = nil
		} else {
			return nil, fmt.Errorf("records path %q is not a list", w.RecordsPath)
		}
	}
	if w.RunMode == RunList {
		in := clone(out)
		in[key] = items
		return []map[string]any{in}, nil
	}
	runs := make([]map[string]any, 0, len(items))
	for _, it := range items {
		in := clone(out)
		in[key] = it
		runs = append(runs, in)
	}
	return runs, nil
}

func clone(m map[string]any) map[string]any {
	c := make(map[string]any, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}
