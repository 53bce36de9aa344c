package flows

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
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
	// SaveSubscriptionFrom saves s only while its stored state is still
	// from; saved is false, and nothing written, when it changed meanwhile.
	SaveSubscriptionFrom(ctx context.Context, s Subscription, from SubscriptionState) (saved bool, err error)
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
	// SaveUpgrade saves a flow's next revision (ErrConflict when it was
	// saved since f.Revision) and, unless sub is nil, the subscription's
	// source, options, state and Registration Data, in one transaction.
	SaveUpgrade(ctx context.Context, f Flow, sub *Subscription) (Flow, error)
	// FlowRevision is a flow's definition as it was at a revision.
	FlowRevision(ctx context.Context, id int64, revision int) (Definition, error)
	// Recorder stores the executions of a connector's run re-run.
	Recorder
	// EndpointStore keeps API Endpoint flows' settings.
	EndpointStore
	// ScheduleStore queues and claims the ticks of scheduled flows.
	ScheduleStore
	// PollStore claims and finishes the polls of flows on a Polling Event.
	PollStore
	// HookTriggerStore serves flows on a Hookflow Event card (hooktrigger.go).
	HookTriggerStore
}

// Lifecycle turns flows ON and OFF and runs what arrives at Event URLs.
type Lifecycle struct {
	Store   LifecycleStore
	Engine  *Engine
	Tokens  Credentials
	BaseURL string // Event URLs are BaseURL + "/hooks/" + token
	// MinPollInterval is the shortest interval flows on a Polling Event
	// poll at (0: DefaultMinPollInterval).
	MinPollInterval time.Duration

	// hooks caches Event URL lookups: dropped here when a flow turns OFF,
	// and kept at most hookTTL, for servers that share a database.
	hooks sync.Map // token → cachedHook
	// hookGen changes whenever a flow turns OFF: a lookup that raced with
	// it is not cached.
	hookGen atomic.Int64
	// targets caches what deliveries run, by subscription, for targetTTL.
	targets sync.Map
	// endpoints caches invoke URL lookups (endpoint.go), by alias;
	// endpointGen changes whenever one is dropped.
	endpoints   sync.Map
	endpointGen atomic.Int64
	// invoking bounds the invoked runs not yet recorded (endpoint.go).
	invoking     chan struct{}
	invokingOnce sync.Once
	// observer is told of retries, failed registrations, late schedules.
	observer ObserverSlot
}

// Observe makes o the observer of the lifecycle's events (Observer).
func (l *Lifecycle) Observe(o Observer) { l.observer.Set(o) }

type cachedHook struct {
	hook    Hook
	expires time.Time
}

// hookTTL is how long an Event URL's lookup is trusted without the database.
const hookTTL = 2 * time.Second

// RegistrationError is a failed registration: the flow stays OFF. It
// reads as the flow's page shows it: "Registration failed: the service at
// 127.0.0.1:18911 refused the connection (POST /subscriptions)".
type RegistrationError struct {
	// Execution is the registration flow's failed run, if it ran; its
	// failing card keeps the raw details.
	Execution string
	Message   string
}

func (e *RegistrationError) Error() string { return "Registration failed: " + e.Message }

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
	f, err := l.Store.Flow(ctx, flowID)
	if err != nil {
		return webhookTarget{}, err
	}
	return l.targetOf(ctx, f)
}

// targetOf is what the event card of flow f points at.
func (l *Lifecycle) targetOf(ctx context.Context, f Flow) (webhookTarget, error) {
	t, err := l.eventOf(ctx, f)
	if err != nil {
		return t, err
	}
	t.conn, err = connection(ctx, l.Store, t.version, f.Definition.Source.Connection, "card")
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

// On turns a flow ON. A scheduled flow's first tick is queued
// (schedule_run.go), as is the first poll of a flow on a Polling Event
// (polling_run.go). Otherwise: a fresh Event URL, the registration flow run with it,
// the mapped options and the connection, and its Registration Data kept;
// only then is the subscription active. When registration fails the flow
// stays OFF and the error is a *RegistrationError naming the execution.
func (l *Lifecycle) On(ctx context.Context, flowID int64) (Subscription, error) {
	f, err := l.Store.Flow(ctx, flowID)
	if err != nil {
		return Subscription{}, err
	}
	if err := CheckBound(&f.Definition); err != nil {
		return Subscription{}, err
	}
	if f.ConnectorID == 0 && f.Definition.Event.Type == EventAPIEndpoint {
		return l.endpointOn(ctx, f)
	}
	if f.Definition.Event.Type == EventSchedule {
		return l.onSchedule(ctx, f)
	}
	if f.Definition.Event.Type == EventHookflow {
		return l.onHookTrigger(ctx, f)
	}
	t, err := l.targetOf(ctx, f)
	if err != nil {
		return Subscription{}, err
	}
	if t.event.Kind == KindPollingEvent {
		return l.onPoll(ctx, t)
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
	if t.event.Webhook.Registration == nil {
		sub.State = SubscriptionActive
		return sub, l.Store.SaveSubscription(ctx, sub)
	}
	exec, data, err := l.register(ctx, t, sub.Token, opts)
	var re *RegistrationError
	if errors.As(err, &re) {
		l.observer.Get().RegistrationFailed()
		sub.State, sub.LastError, sub.RegistrationExecution = SubscriptionOff, re.Error(), re.Execution
		if err := l.Store.SaveSubscription(context.WithoutCancel(ctx), sub); err != nil {
			return sub, err
		}
		return sub, re
	}
	sub.State, sub.LastError, sub.RegistrationExecution = SubscriptionActive, "", exec
	sub.Registration = data
	if err := l.Store.SaveSubscription(context.WithoutCancel(ctx), sub); err != nil {
		return sub, err
	}
	return sub, nil
}

// register runs the registration flow of t's event with the Event URL of
// token, the options and the connection. It returns the run's execution
// and the Registration Data, or a *RegistrationError; an event without a
// registration flow registers nothing.
func (l *Lifecycle) register(ctx context.Context, t webhookTarget, token string, opts map[string]any) (string, any, error) {
	link := t.event.Webhook.Registration
	if link == nil {
		return "", nil, nil
	}
	fail := func(msg, exec string) (string, any, error) {
		return exec, nil, &RegistrationError{Execution: exec, Message: msg}
	}
	cc, err := l.connectorContext(ctx, t)
	if err != nil {
		msg, _ := ErrorText(err)
		return fail(msg, "")
	}
	def, ok := t.version.Export.Flow(link.Flow)
	if !ok {
		return fail("the registration flow is missing from the deployed version", "")
	}
	in := linkInput(link, opts)
	in[FieldEventURL] = l.EventURL(token)
	// The Event URL's token is its secret: the run's record masks it. The
	// Registration Data the run returns is masked there too (mask.go).
	exec, err := l.Engine.Run(ctx, RunRequest{FlowID: link.Flow, Definition: def, Input: in, Trigger: TriggerRegistration,
		Connector: cc, Flows: t.version.Export, Secrets: []string{token}, WorkspaceFlow: t.flow.ID})
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
	return exec.ID, exec.Output[FieldRegistrationData], nil
}

// Off turns a flow OFF: a scheduled flow's ticks stop at once; a webhook
// flow's Event URL refuses at once and the deregistration is queued
// (retried with backoff until it succeeds or gives up).
func (l *Lifecycle) Off(ctx context.Context, flowID int64) (Subscription, error) {
	sub, err := l.Store.LiveSubscription(ctx, flowID)
	if err != nil {
		return Subscription{}, err
	}
	if f, err := l.Store.Flow(ctx, flowID); err != nil {
		return sub, err
	} else if f.Definition.Event.Type == EventSchedule || l.Polls(ctx, f) {
		return l.offSchedule(ctx, sub)
	} else if f.Definition.Event.Type == EventHookflow {
		defer l.Store.RefreshHookTriggers(context.WithoutCancel(ctx))
		return l.offSchedule(ctx, sub)
	}
	if sub.Source == (EventSource{}) && sub.State == SubscriptionActive {
		return l.endpointOff(ctx, sub) // nothing registered, nothing to deregister
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
	// Each save below is made only while the subscription is still being
	// deregistered: the admin may have turned the flow off anyway
	// meanwhile, and that stands.
	save := func(sub Subscription) (bool, error) {
		return l.Store.SaveSubscriptionFrom(context.WithoutCancel(ctx), sub, SubscriptionDeregistering)
	}
	t, err := l.target(ctx, sub.FlowID)
	if err == nil && t.event.Webhook.Deregistration == nil {
		sub.State, sub.LastError = SubscriptionOff, ""
		_, err := save(sub)
		return err
	}
	var exec *Execution
	if err == nil {
		exec, err = l.deregister(ctx, t, sub)
	}
	if err == nil {
		sub.State, sub.LastError, sub.DeregistrationExecution = SubscriptionOff, "", exec.ID
		_, err := save(sub)
		return err
	}
	msg, _ := ErrorText(err)
	sub.LastError = "Deregistration failed: " + msg
	if exec != nil {
		sub.DeregistrationExecution = exec.ID
	}
	if final {
		sub.State = SubscriptionFailed
	}
	saved, serr := save(sub)
	if serr != nil {
		return serr
	}
	if !saved {
		return nil // turned off anyway: nothing to retry
	}
	l.observer.Get().DeregistrationFailed()
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
		Connector: cc, Flows: t.version.Export, Secrets: []string{sub.Token}, WorkspaceFlow: sub.FlowID})
	if err != nil {
		return nil, err
	}
	if exec.Status != StatusSucceeded {
		return exec, errors.New(exec.Error)
	}
	return exec, nil
}
