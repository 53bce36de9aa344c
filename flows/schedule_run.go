package flows

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// A scheduled flow is ON while it has an active subscription, as a
// webhook flow is; it has no Event URL and nothing to register. Each tick
// is a queued job (ScheduleStore.QueueTick) that, when it comes, queues
// the next tick and runs the flow. The next tick is the first after both
// now and this tick: ticks missed while no server ran are run once, as
// the latest of them, not as a burst. Turning the flow OFF, or saving a
// schedule that no longer has a tick at that time, leaves the queued tick
// to do nothing.

// ScheduleStore is what scheduled flows need from storage; store implements it.
type ScheduleStore interface {
	// QueueTick queues a subscription's tick: one job per subscription
	// and tick, however often it is asked for.
	QueueTick(ctx context.Context, subscription int64, tick time.Time) error
	// ClaimTick records that the tick's run is made, and queues the next
	// tick (unless it is zero), in one transaction. It claims nothing
	// (false) when the subscription is no longer active, or a run was
	// made for this tick or a later one already.
	ClaimTick(ctx context.Context, c TickClaim) (bool, error)
}

// TickClaim is the run of one tick of a schedule: Tick is the tick its job
// was queued for, Due the latest tick it stands for (Tick, unless ticks
// were missed), Execution the run's id, Next the tick to queue next.
type TickClaim struct {
	Subscription int64
	Tick, Due    time.Time
	Execution    string
	Next         time.Time
}

// ScheduledFlow is what the flow's page and the API show of a schedule.
type ScheduledFlow struct {
	Spec        ScheduleSpec `json:"spec"`
	Description string       `json:"description"`
	// NextRuns are the next ticks, in the schedule's time zone.
	NextRuns []time.Time `json:"nextRuns"`
	// Ended is set when no tick is left (past the end date).
	Ended bool `json:"ended,omitempty"`
}

// NextRunsShown is how many next runs a schedule shows.
const NextRunsShown = 5

// ScheduleView reads a scheduled flow's schedule as its page shows it
// at now; a schedule that is not valid is a *ValidationError.
func ScheduleView(def *Definition, reg Registry, now time.Time) (*ScheduledFlow, error) {
	s, err := ScheduleOf(def, reg)
	if err != nil {
		return nil, err
	}
	v := &ScheduledFlow{Spec: s.Spec, Description: s.Describe(), NextRuns: s.NextN(now, NextRunsShown)}
	v.Ended = len(v.NextRuns) == 0
	return v, nil
}

func (l *Lifecycle) now() time.Time { return l.Engine.opts.Now() }

// onSchedule turns a scheduled flow ON: an active subscription, and its
// first tick queued. A schedule that is not valid, or has ended, stays OFF.
func (l *Lifecycle) onSchedule(ctx context.Context, f Flow) (Subscription, error) {
	s, err := ScheduleOf(&f.Definition, l.Engine.reg)
	if err != nil {
		return Subscription{}, err
	}
	first, ok := s.Next(l.now())
	if !ok {
		return Subscription{}, fmt.Errorf("%w: the schedule has ended: no tick is left before its end date", ErrInvalid)
	}
	sub, err := l.Store.StartSubscription(ctx, Subscription{FlowID: f.ID, Token: NewEventToken(), State: SubscriptionActive,
		Options: map[string]any{"schedule": s.Spec}})
	if err != nil {
		return Subscription{}, err
	}
	if err := l.Store.QueueTick(ctx, sub.ID, first); err != nil {
		sub.State, sub.LastError = SubscriptionOff, "the first tick could not be queued"
		_ = l.Store.SaveSubscription(context.WithoutCancel(ctx), sub)
		return Subscription{}, err
	}
	return sub, nil
}

// offSchedule turns a scheduled flow OFF: its subscription ends at once,
// and a tick queued for it does nothing (ClaimTick claims ticks of active
// subscriptions only). A run whose tick came before ends as it would.
func (l *Lifecycle) offSchedule(ctx context.Context, sub Subscription) (Subscription, error) {
	sub.State, sub.LastError = SubscriptionOff, ""
	if err := l.Store.SaveSubscription(ctx, sub); err != nil {
		return sub, err
	}
	return l.Store.Subscription(ctx, sub.ID)
}

// Reschedule queues the next tick of a scheduled flow that is ON, after
// its schedule was saved: a tick queued on the old schedule that the new
// one does not have does nothing when it comes. A flow that is OFF, or
// whose schedule is not valid (its page says why), is left as it is.
func (l *Lifecycle) Reschedule(ctx context.Context, f Flow) error {
	if f.Definition.Event.Type == EventConnector {
		return l.reschedulePoll(ctx, f)
	}
	if f.Definition.Event.Type == EventHookflow {
		l.Store.RefreshHookTriggers(ctx) // its settings apply at once
		return nil
	}
	if f.Definition.Event.Type != EventSchedule {
		return nil
	}
	sub, err := l.Store.LiveSubscription(ctx, f.ID)
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	s, err := ScheduleOf(&f.Definition, l.Engine.reg)
	if err != nil || sub.State != SubscriptionActive {
		return nil
	}
	if next, ok := s.Next(l.now()); ok {
		return l.Store.QueueTick(ctx, sub.ID, next)
	}
	return nil
}

// Tick runs a scheduled flow for a tick whose time has come: it queues
// the next tick and runs the flow once, with the tick in the Schedule
// card's outputs, recorded as a schedule run. A tick of a flow turned OFF
// or of a schedule since changed does nothing; so does a tick already run
// (its job run again after its server died). An error before the run
// means nothing ran, and the job tries again; a tick that ran never runs
// again.
func (l *Lifecycle) Tick(ctx context.Context, subID int64, tick time.Time) error {
	sub, err := l.Store.Subscription(ctx, subID)
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if sub.State != SubscriptionActive {
		return nil
	}
	f, err := l.Store.Flow(ctx, sub.FlowID)
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if f.Definition.Event.Type == EventConnector {
		return l.pollTick(ctx, sub, f, tick)
	}
	s, err := ScheduleOf(&f.Definition, l.Engine.reg)
	if err != nil || !s.On(tick) {
		return nil
	}
	now := l.now()
	due, missed := s.Due(tick, now)
	c := TickClaim{Subscription: subID, Tick: tick, Due: due, Execution: NewExecutionID(now)}
	c.Next, _ = s.Next(maxTime(now, due))
	claimed, err := l.Store.ClaimTick(ctx, c)
	if err != nil || !claimed {
		return err
	}
	l.observer.Get().ScheduleLate(now.Sub(due))
	in := map[string]any{FieldScheduledAt: due, FieldFiredAt: now, FieldMissed: float64(missed)}
	_, err = l.Engine.Run(ctx, RunRequest{FlowID: f.ID, Definition: f.Definition, Input: in, Trigger: TriggerSchedule,
		Revision: f.Revision, ExecutionID: c.Execution})
	return err
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
