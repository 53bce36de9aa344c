package flows

import (
	"context"
	"errors"
	"fmt"
	"reflect"
)

// DeregistrationError is a deregistration that failed while an ON flow
// changed connector versions: nothing was changed, the flow is still ON on
// the version it used.
type DeregistrationError struct {
	Execution string
	Message   string
}

func (e *DeregistrationError) Error() string { return "deregistration failed: " + e.Message }

// PlanUpgrade works out moving workspace flow flowID's cards of a
// connector to one of its deployed versions (see PlanMove), and what that
// does to the flow's subscription while it is ON.
func (l *Lifecycle) PlanUpgrade(ctx context.Context, flowID, connector int64, version int, reg Registry) (UpgradePlan, error) {
	f, err := l.Store.Flow(ctx, flowID)
	if err != nil {
		return UpgradePlan{}, err
	}
	to, err := l.Store.Version(ctx, connector, version)
	if errors.Is(err, ErrNotFound) {
		return UpgradePlan{}, fmt.Errorf("%w: version %d of the connector is not deployed", ErrInvalid, version)
	} else if err != nil {
		return UpgradePlan{}, err
	}
	olds := map[int]ConnectorVersion{}
	for _, c := range f.Definition.ConnectorCards() {
		if _, seen := olds[c.Version]; c.Connector != connector || seen {
			continue
		}
		if v, err := l.Store.Version(ctx, connector, c.Version); err == nil {
			olds[c.Version] = v
		} else if !errors.Is(err, ErrNotFound) {
			return UpgradePlan{}, err
		}
	}
	p := PlanMove(f, olds, to, reg)
	if len(p.Moved) == 0 && len(p.Blocked) == 0 {
		return p, fmt.Errorf("%w: the flow already uses version %d of %s", ErrInvalid, version, p.ConnectorName)
	}
	return p, l.planSubscription(ctx, &p)
}

// PlanRollback works out restoring revision rev of workspace flow flowID,
// and what that does to the flow's subscription while it is ON.
func (l *Lifecycle) PlanRollback(ctx context.Context, flowID int64, rev int, reg Registry) (UpgradePlan, error) {
	f, err := l.Store.Flow(ctx, flowID)
	if err != nil {
		return UpgradePlan{}, err
	}
	if rev <= 0 || rev >= f.Revision {
		return UpgradePlan{}, fmt.Errorf("%w: revision %d is not an earlier revision of the flow", ErrInvalid, rev)
	}
	def, err := l.Store.FlowRevision(ctx, flowID, rev)
	if err != nil {
		return UpgradePlan{}, err
	}
	p := PlanRestore(f, rev, def, reg)
	return p, l.planSubscription(ctx, &p)
}

// planSubscription fills in whether the flow is ON and whether the change
// re-registers it.
func (l *Lifecycle) planSubscription(ctx context.Context, p *UpgradePlan) error {
	sub, err := l.Store.LiveSubscription(ctx, p.Flow.ID)
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if sub.State != SubscriptionActive {
		p.Blocked = append(p.Blocked, Problem{Code: "subscription", Message: fmt.Sprintf(
			"the flow is being turned on or off (its subscription is %s); change its version once it is ON or OFF", sub.State)})
		return nil
	}
	p.On = true
	if sameSource(p.Flow.Definition.Source, p.Definition.Source) {
		return nil
	}
	after := p.Flow
	after.Definition = p.Definition
	before, err := l.targetOf(ctx, p.Flow)
	if err != nil {
		return err
	}
	next, err := l.targetOf(ctx, after)
	if err != nil {
		return err
	}
	opts := optionValues(&p.Definition)
	for _, o := range eventOptions(&next.event) {
		if _, ok := opts[o.Key]; !ok && o.Required {
			p.Blocked = append(p.Blocked, Problem{Card: p.Definition.Event.ID, Field: o.Key, Code: "subscription", Message: fmt.Sprintf(
				"the flow is ON and the new version needs its option %q, which it has no value for: turn the flow OFF, make the change, set the option and turn it ON again", fieldName(o))})
		}
	}
	p.Reregister = registrationChanged(before, sub.Options, next, opts)
	return nil
}

func sameSource(a, b *EventSource) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// registrationChanged reports whether the registration inputs of the
// flow's event (the mapped options, as the subscription registered them)
// differ between two versions, or only one of them registers.
func registrationChanged(before webhookTarget, opts map[string]any, after webhookTarget, nextOpts map[string]any) bool {
	a, b := registrationOf(&before.event), registrationOf(&after.event)
	if a == nil || b == nil {
		return a != b
	}
	return !reflect.DeepEqual(linkInput(a, opts), linkInput(b, nextOpts))
}

// ApplyUpgrade saves a plan as the flow's next revision; the one before
// stays in its history to roll back to. An OFF flow is only saved. An ON
// flow keeps its Event URL: when its registration inputs are unchanged,
// its subscription just moves to the new version with it; when they
// changed, it is first deregistered with the old version's deregistration
// flow and registered again with the new version's registration flow. If
// that deregistration fails nothing is saved and the error is a
// *DeregistrationError; if the registration fails, the flow is saved but
// OFF and the error is a *RegistrationError.
func (l *Lifecycle) ApplyUpgrade(ctx context.Context, p UpgradePlan) (Flow, error) {
	if len(p.Blocked) > 0 {
		return Flow{}, fmt.Errorf("%w: %s", ErrInvalid, p.Blocked[0].Message)
	}
	f := p.Flow
	f.Definition = p.Definition
	sub, err := l.Store.LiveSubscription(ctx, f.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		return l.saveUpgrade(ctx, p, f, nil)
	case err != nil:
		return Flow{}, err
	case sub.State != SubscriptionActive:
		return Flow{}, fmt.Errorf("%w: the flow is being turned on or off; change its version once it is ON or OFF", ErrConflict)
	case sameSource(p.Flow.Definition.Source, f.Definition.Source):
		return l.saveUpgrade(ctx, p, f, nil)
	}
	before, err := l.targetOf(ctx, p.Flow)
	if err != nil {
		return Flow{}, err
	}
	next, err := l.targetOf(ctx, f)
	if err != nil {
		return Flow{}, err
	}
	opts := optionValues(&f.Definition)
	for _, o := range eventOptions(&next.event) {
		if _, ok := opts[o.Key]; !ok && o.Required {
			return Flow{}, fmt.Errorf("%w: the event card's option %q is required", ErrInvalid, fieldName(o))
		}
	}
	defer l.forget(sub)
	if !registrationChanged(before, sub.Options, next, opts) {
		sub.Source, sub.Options = *f.Definition.Source, opts
		return l.saveUpgrade(ctx, p, f, &sub)
	}
	// What the service holds was registered with the old version: it is
	// removed with that version's flow before the new one registers.
	if cur, err := l.Store.Flow(ctx, f.ID); err != nil {
		return Flow{}, err
	} else if cur.Revision != p.Flow.Revision {
		return Flow{}, fmt.Errorf("%w: the flow was changed since revision %d; look at the change again", ErrConflict, p.Flow.Revision)
	}
	if before.event.Webhook.Deregistration != nil {
		exec, err := l.deregister(ctx, before, sub)
		if err != nil {
			de := &DeregistrationError{Message: err.Error()}
			if exec != nil {
				de.Execution = exec.ID
			}
			return Flow{}, de
		}
		sub.DeregistrationExecution = exec.ID
	}
	sub.Source, sub.Options, sub.Registration = *f.Definition.Source, opts, nil
	exec, data, regErr := l.register(ctx, next, sub.Token, opts)
	if re := (*RegistrationError)(nil); errors.As(regErr, &re) {
		sub.State, sub.LastError, sub.RegistrationExecution = SubscriptionOff, re.Error(), re.Execution
	} else {
		sub.LastError, sub.RegistrationExecution, sub.Registration = "", exec, data
	}
	saved, err := l.saveUpgrade(context.WithoutCancel(ctx), p, f, &sub)
	if err != nil {
		return saved, err
	}
	return saved, regErr
}

// saveUpgrade saves the flow (and the subscription). When the flow was
// saved meanwhile — from the canvas, while the service was called — the
// change is made again on the latest revision.
func (l *Lifecycle) saveUpgrade(ctx context.Context, p UpgradePlan, f Flow, sub *Subscription) (Flow, error) {
	for try := 1; ; try++ {
		saved, err := l.Store.SaveUpgrade(ctx, f, sub)
		if !errors.Is(err, ErrConflict) || try == 3 {
			return saved, err
		}
		latest, lerr := l.Store.Flow(ctx, f.ID)
		if lerr != nil {
			return Flow{}, lerr
		}
		f = latest
		f.Definition = p.redo(latest)
	}
}

// forget drops what the lifecycle cached of a subscription: its Event
// URL's lookup and its deliveries' target.
func (l *Lifecycle) forget(sub Subscription) {
	l.hookGen.Add(1)
	l.hooks.Delete(sub.Token)
	l.targets.Delete(sub.ID)
}
