package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// A workspace flow on a Polling Event is ON while it has an active
// subscription, as a scheduled flow is: nothing is registered, and its
// polls are the ticks of an interval schedule (schedule_run.go) that
// starts when the flow is turned ON — the first poll at once, then one
// each interval. A tick claims its poll and queues the next tick in one
// transaction (PollStore.ClaimPoll). Polls of one subscription never
// overlap: a tick that comes while the poll before is still going on is
// skipped, and the next tick polls. A poll runs the connector's Polling
// Event flow with the options, the connection and the cursor, then the
// workspace flow as the run mode says, all recorded as poll runs; the
// cursor the poll set is saved only when it succeeded and its runs were
// not cut short by a shutdown, so that a failed poll is made again from
// the old cursor.

// PollStore is what polling flows need from storage; store implements it.
type PollStore interface {
	// ClaimPoll claims a poll's tick as ScheduleStore.ClaimTick does
	// (and queues the next tick with it), and the subscription's poll
	// unless the one before still goes on (Busy), in one transaction. It
	// gives the cursor the last successful poll saved.
	ClaimPoll(ctx context.Context, c TickClaim) (PollClaim, error)
	// FinishPoll records how a claimed poll ended, saves its cursor when
	// set, and lets the next poll go.
	FinishPoll(ctx context.Context, o PollOutcome) error
	// PollState is what the subscription's polls left (zero before the first).
	PollState(ctx context.Context, subscription int64) (PollState, error)
}

// PollClaim is what claiming a poll found.
type PollClaim struct {
	// Claimed is false when the tick was run already or the subscription
	// is no longer active: nothing is to be done.
	Claimed bool
	// Busy: the subscription's poll before this one still goes on; this
	// tick is skipped.
	Busy   bool
	Cursor string
}

// PollOutcome is how one poll ended.
type PollOutcome struct {
	Subscription int64
	// Claim is the execution id the poll was claimed with: its run's id,
	// when it ran (Ran; not when the connection could not be had).
	Claim  string
	Ran    bool
	At     time.Time
	Status Status
	Error  string
	// Records is how many records the poll returned.
	Records int
	// Cursor, when set, is saved for the next poll.
	Cursor *string
}

// PollState is what a subscription's polls left: its cursor and its last poll.
type PollState struct {
	Cursor        string    `json:"-"`
	LastPollAt    time.Time `json:"lastPollAt,omitzero"`
	LastStatus    Status    `json:"lastStatus,omitempty"`
	LastError     string    `json:"lastError,omitempty"`
	LastExecution string    `json:"lastExecution,omitempty"`
	LastRecords   int       `json:"lastRecords"`
	// Polling is set while a poll goes on.
	Polling bool `json:"polling,omitempty"`
}

// PolledFlow is what the flow's page and the API show of a flow on a
// Polling Event.
type PolledFlow struct {
	// Every is the interval in words ("5 minutes"); Problem says why the
	// flow cannot poll as it is (its interval).
	Every   string `json:"every,omitempty"`
	Problem string `json:"problem,omitempty"`
	// NextPoll is when the next poll is due, while the flow is ON.
	NextPoll time.Time  `json:"nextPoll,omitzero"`
	Last     *PollState `json:"last,omitempty"`
}

func (l *Lifecycle) minPoll() time.Duration {
	if l.MinPollInterval > 0 {
		return l.MinPollInterval
	}
	return DefaultMinPollInterval
}

// eventOf is what a workspace flow's connector event card points at,
// without the connection: the deployed version and its event flow.
func (l *Lifecycle) eventOf(ctx context.Context, f Flow) (webhookTarget, error) {
	t := webhookTarget{flow: f}
	src := f.Definition.Source
	if src == nil || f.Definition.Event.Type != EventConnector {
		return t, fmt.Errorf("%w: flow %q has no connector event card to turn on", ErrInvalid, f.Definition.Name)
	}
	var err error
	if t.version, err = l.Store.Version(ctx, src.Connector, src.Version); err != nil {
		return t, err
	}
	def, ok := t.version.Export.Flow(src.Flow)
	if !ok || !(def.Kind == KindWebhookEvent && def.Webhook != nil || def.Kind == KindPollingEvent && def.Polling != nil) {
		return t, fmt.Errorf("%w: version %d of the connector has no such event", ErrInvalid, src.Version)
	}
	t.event = def
	return t, nil
}

// eventOptions are the options of a connector's Webhook or Polling Event
// card: those a user fills when placing it.
func eventOptions(def *Definition) []Field {
	if def.Kind == KindPollingEvent {
		return def.Event.Outputs
	}
	if def.Webhook != nil {
		return def.Webhook.Options
	}
	return nil
}

// registrationOf is a Webhook Event's registration flow; nil for a
// Polling Event, which registers nothing.
func registrationOf(def *Definition) *FlowLink {
	if def.Webhook == nil {
		return nil
	}
	return def.Webhook.Registration
}

// Polls reports whether a workspace flow starts with a Polling Event.
func (l *Lifecycle) Polls(ctx context.Context, f Flow) bool {
	t, err := l.eventOf(ctx, f)
	return err == nil && t.event.Kind == KindPollingEvent
}

// pollOptions are the option values a poll runs with: the event card's,
// without the interval.
func pollOptions(def *Definition) map[string]any {
	opts := optionValues(def)
	delete(opts, FieldPollInterval)
	return opts
}

// pollSchedule is a subscription's polls: every interval from when it
// was turned on (to the second).
func (l *Lifecycle) pollSchedule(sub Subscription, t webhookTarget) (*Schedule, error) {
	every, err := PollInterval(&t.flow.Definition, t.event.Polling, l.minPoll())
	if err != nil {
		return nil, err
	}
	return &Schedule{Spec: ScheduleSpec{Mode: ScheduleInterval, Every: every.String(), Timezone: "UTC"}, loc: time.UTC, every: every,
		start: sub.CreatedAt.Truncate(time.Second).UTC()}, nil
}

// onPoll turns a flow on a Polling Event ON: an active subscription and its
// first poll queued, at once. An interval the server does not take, or a
// required option without a value, leaves it OFF.
func (l *Lifecycle) onPoll(ctx context.Context, t webhookTarget) (Subscription, error) {
	if _, err := PollInterval(&t.flow.Definition, t.event.Polling, l.minPoll()); err != nil {
		return Subscription{}, err
	}
	opts := pollOptions(&t.flow.Definition)
	for _, o := range eventOptions(&t.event) {
		if _, ok := opts[o.Key]; !ok && o.Required {
			return Subscription{}, fmt.Errorf("%w: the event card's option %q is required", ErrInvalid, fieldName(o))
		}
	}
	sub, err := l.Store.StartSubscription(ctx, Subscription{FlowID: t.flow.ID, Token: NewEventToken(), State: SubscriptionActive,
		Source: *t.flow.Definition.Source, Options: opts})
	if err != nil {
		return Subscription{}, err
	}
	// The polls count from when the subscription began, as stored.
	stored, err := l.Store.Subscription(ctx, sub.ID)
	if err == nil {
		err = l.Store.QueueTick(ctx, sub.ID, stored.CreatedAt.Truncate(time.Second))
	}
	if err != nil {
		sub.State, sub.LastError = SubscriptionOff, "the first poll could not be queued"
		_ = l.Store.SaveSubscription(context.WithoutCancel(ctx), sub)
		return Subscription{}, err
	}
	return stored, nil
}

// reschedulePoll queues the next poll of a flow that is ON after it was
// saved (its interval may have changed); a poll queued on the old
// interval that the new one does not have does nothing when it comes.
func (l *Lifecycle) reschedulePoll(ctx context.Context, f Flow) error {
	sub, err := l.Store.LiveSubscription(ctx, f.ID)
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	t, err := l.eventOf(ctx, f)
	if err != nil || t.event.Kind != KindPollingEvent || sub.State != SubscriptionActive {
		return nil
	}
	s, err := l.pollSchedule(sub, t)
	if err != nil {
		return nil // the flow's page says why it does not poll
	}
	next, _ := s.Next(l.now())
	return l.Store.QueueTick(ctx, sub.ID, next)
}

// pollTick makes the poll of a tick whose time has come (Tick): it claims
// the tick, queues the next, and polls unless the poll before still goes
// on. A tick of an interval since changed does nothing; an error before
// the claim means nothing ran, and the job tries again.
func (l *Lifecycle) pollTick(ctx context.Context, sub Subscription, f Flow, tick time.Time) error {
	t, err := l.eventOf(ctx, f)
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalid) {
		return nil
	} else if err != nil {
		return err
	}
	if t.event.Kind != KindPollingEvent {
		return nil
	}
	s, err := l.pollSchedule(sub, t)
	if err != nil || !s.On(tick) {
		return nil
	}
	now := l.now()
	due, _ := s.Due(tick, now)
	c := TickClaim{Subscription: sub.ID, Tick: tick, Due: due, Execution: NewExecutionID(now)}
	c.Next, _ = s.Next(maxTime(now, due))
	pc, err := l.Store.ClaimPoll(ctx, c)
	if err != nil || !pc.Claimed || pc.Busy {
		return err
	}
	return l.poll(ctx, t, sub, pc.Cursor, c.Execution)
}

// poll runs a claimed poll (see the top of this file) and finishes it.
func (l *Lifecycle) poll(ctx context.Context, t webhookTarget, sub Subscription, cursor, id string) error {
	out := PollOutcome{Subscription: sub.ID, Claim: id, At: l.now(), Status: StatusFailed}
	finish := func() error { return l.Store.FinishPoll(context.WithoutCancel(ctx), out) }
	cc, err := l.pollContext(ctx, &t)
	if err != nil {
		out.Error = "the poll could not start: " + errorMessage(err)
		return finish()
	}
	col := &collector{}
	cur := NewCursor(cursor)
	ev, err := l.Engine.Run(ctx, RunRequest{FlowID: t.flow.Definition.Source.Flow, Definition: t.event, Input: pollOptions(&t.flow.Definition),
		Trigger: TriggerPoll, ExecutionID: id, Connector: cc, Flows: t.version.Export, Recorder: col, WorkspaceFlow: t.flow.ID, Cursor: cur})
	if err != nil {
		return errors.Join(err, finish())
	}
	out.Ran, out.Status, out.Error = true, ev.Status, ev.Error
	if ev.Status == StatusSucceeded {
		ins, n, rerr := pollInputs(*t.event.Polling, ev.Output)
		if rerr != nil {
			col.fail(ev.ID, rerr.Error())
			out.Status, out.Error = StatusFailed, rerr.Error()
		}
		out.Records = n
		for _, in := range ins {
			if ctx.Err() != nil {
				break
			}
			// The workspace flow runs without the connection, as on a payload.
			if _, err := l.Engine.Run(ctx, RunRequest{FlowID: t.flow.ID, Definition: t.flow.Definition, Input: in, Trigger: TriggerPoll,
				ParentID: ev.ID, Recorder: col, Revision: t.flow.Revision}); err != nil {
				return errors.Join(err, finish())
			}
		}
	}
	for _, e := range col.execs {
		if err := l.Store.RecordExecution(context.WithoutCancel(ctx), e); err != nil {
			return errors.Join(err, finish())
		}
	}
	if out.Status == StatusSucceeded && ctx.Err() == nil && !slices.ContainsFunc(col.execs, (*Execution).Interrupted) {
		v := cur.Value()
		out.Cursor = &v
	}
	return finish()
}

// pollContext loads the connection a poll runs with and resolves its credentials.
func (l *Lifecycle) pollContext(ctx context.Context, t *webhookTarget) (*ConnectorContext, error) {
	var err error
	if t.conn, err = connection(ctx, l.Store, t.version, t.flow.Definition.Source.Connection, "card"); err != nil {
		return nil, err
	}
	return l.connectorContext(ctx, *t)
}

func errorMessage(err error) string {
	msg, _ := ErrorText(err)
	return msg
}

// PollView reads what a flow on a Polling Event shows of its polls at
// now: its interval, when it polls next while ON, and how its last poll
// ended; nil for any other flow.
func (l *Lifecycle) PollView(ctx context.Context, f Flow, now time.Time) (*PolledFlow, error) {
	t, err := l.eventOf(ctx, f)
	if err != nil || t.event.Kind != KindPollingEvent {
		return nil, nil
	}
	v := &PolledFlow{}
	if every, err := PollInterval(&f.Definition, t.event.Polling, l.minPoll()); err != nil {
		v.Problem = errorMessage(err)
	} else {
		v.Every = durationWords(every)
	}
	sub, err := l.Store.LiveSubscription(ctx, f.ID)
	if errors.Is(err, ErrNotFound) {
		return v, nil
	} else if err != nil {
		return nil, err
	}
	if s, err := l.pollSchedule(sub, t); err == nil && sub.State == SubscriptionActive {
		v.NextPoll, _ = s.Next(now)
	}
	st, err := l.Store.PollState(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	if !st.LastPollAt.IsZero() || st.Polling {
		v.Last = &st
	}
	return v, nil
}
