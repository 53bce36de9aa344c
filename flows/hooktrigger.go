package flows

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A Hookflow Event card starts a workspace flow on Hookflow's own events
// (hookevents.go) while the flow is ON: the events of the types it
// chooses, optionally only those about one workspace flow or one
// connector. Each matching event starts one run, whose event card's
// outputs are the event's fields. No loops: an execution.* event is never
// delivered to the flow it is about (a flow's own failure does not start
// it), nor to any flow when the execution was itself started by a
// Hookflow event, or called by such a run (its event carries the marker
// HookEventMarker): an error flow that fails starts no other error flow.

// EventHookflow starts a workspace flow on Hookflow's own events.
const EventHookflow = "event.hookflow"

// The Hookflow Event card's settings (its input keys).
const (
	FieldHookEvents    = "events"
	FieldHookFlow      = "flow"
	FieldHookConnector = "connector"
)

// HookEventMarker is the key, in an execution.* event's Execution target's
// detailEntry, that says the run was started by a Hookflow event (or
// called by such a run): such events start no Hookflow Event flow.
const HookEventMarker = "causedByHookflowEvent"

var hookflowEventSpec = CardSpec{Type: EventHookflow, Title: "Hookflow Event", Category: CategoryEvent,
	Help: "Starts the flow once for each Hookflow event of the chosen types while it is ON (such as execution.failed: any flow failed), " +
		"optionally only events about one flow or one connector. A flow's own failure never starts it, and the runs it starts raise " +
		"execution events marked as caused by a Hookflow event, which start no Hookflow Event flow: no loops.",
	Inputs: []Field{
		{Key: FieldHookEvents, Label: "Event types", Type: ListOf(TypeText), Required: true, Help: "execution.failed, flow.activated …"},
		{Key: FieldHookFlow, Label: "Only about flow", Type: TypeNumber, Help: "a workspace flow's id (optional)"},
		{Key: FieldHookConnector, Label: "Only about connector", Type: TypeNumber, Help: "a connector's id (optional)"},
	},
	Outputs: []Field{
		{Key: "uuid", Label: "Event ID", Type: TypeText},
		{Key: "eventType", Label: "Event type", Type: TypeText},
		{Key: "published", Label: "Published", Type: TypeDate},
		{Key: "severity", Label: "Severity", Type: TypeText},
		{Key: "displayMessage", Label: "Message", Type: TypeText},
		{Key: "outcome", Label: "Outcome", Type: TypeObject, Help: "result (SUCCESS or FAILURE) and reason"},
		{Key: "result", Label: "Result", Type: TypeText, Help: "SUCCESS or FAILURE"},
		{Key: "error", Label: "Error message", Type: TypeText, Help: "Why it failed, when it did."},
		{Key: "actor", Label: "Actor", Type: TypeObject},
		{Key: "target", Label: "Targets", Type: ListOf(TypeObject)},
		{Key: "flowId", Label: "Flow ID", Type: TypeNumber, Help: "The flow the event is about, when it names one."},
		{Key: "flowName", Label: "Flow name", Type: TypeText},
		{Key: "executionId", Label: "Execution ID", Type: TypeText, Help: "The run the event is about, when it names one."},
		{Key: "connectorId", Label: "Connector ID", Type: TypeNumber},
		{Key: "connectorName", Label: "Connector name", Type: TypeText},
		{Key: "event", Label: "Event", Type: TypeObject, Help: "The whole event, as event hooks receive it."},
	}}

// HookTrigger is a Hookflow Event card's settings: the flow it starts
// (Flow), the event types it takes, and its optional filters (0: any).
type HookTrigger struct {
	Flow      int64           `json:"-"`
	Events    []HookEventType `json:"events"`
	OfFlow    int64           `json:"flow,omitempty"`
	Connector int64           `json:"connector,omitempty"`
}

// HookTriggerOf reads the settings of a flow that starts with a Hookflow
// Event card; settings that are not valid are a *ValidationError naming
// the card's fields.
func HookTriggerOf(f Flow) (HookTrigger, error) {
	if f.Definition.Event.Type != EventHookflow {
		return HookTrigger{}, fmt.Errorf("%w: flow %q does not start with a Hookflow Event card", ErrInvalid, f.Definition.Name)
	}
	t, ps := parseHookTrigger(&f.Definition.Event)
	if len(ps) > 0 {
		return HookTrigger{}, &ValidationError{Problems: ps}
	}
	t.Flow = f.ID
	return t, nil
}

// hookTrigger checks a Hookflow Event card's settings.
func (v *validator) hookTrigger(def *Definition) {
	if def.Event.Type == EventHookflow {
		_, ps := parseHookTrigger(&def.Event)
		v.problems = append(v.problems, ps...)
	}
}

func parseHookTrigger(ev *Node) (HookTrigger, []Problem) {
	var ps []Problem
	bad := func(field, format string, args ...any) {
		ps = append(ps, Problem{Card: ev.ID, Field: field, Code: "hookflow_event", Message: fmt.Sprintf(format, args...)})
	}
	var t HookTrigger
	b := ev.Bindings[FieldHookEvents]
	if b.Ref != nil || len(b.Parts) > 0 {
		bad(FieldHookEvents, "the event types are chosen, not mapped")
	}
	types, err := hookEventTypes(b.Value)
	if err != nil {
		bad(FieldHookEvents, "%s", err.Error())
	}
	t.Events = types
	id := func(key, what string) int64 {
		b := ev.Bindings[key]
		if b.Ref != nil || len(b.Parts) > 0 {
			bad(key, "the %s is chosen, not mapped", what)
			return 0
		}
		if b.Value == nil || b.Value == "" {
			return 0
		}
		v, err := Convert(b.Value, TypeNumber)
		n, _ := v.(float64)
		if err != nil || n < 0 || n != float64(int64(n)) {
			bad(key, "%v is not a %s's id", b.Value, what)
			return 0
		}
		return int64(n)
	}
	t.OfFlow = id(FieldHookFlow, "flow")
	t.Connector = id(FieldHookConnector, "connector")
	return t, ps
}

// hookEventTypes reads the chosen event types: a list of names, or names
// separated by commas; at least one, each in the catalogue, in catalogue order.
func hookEventTypes(v any) ([]HookEventType, error) {
	var names []string
	switch x := v.(type) {
	case nil:
	case string:
		names = strings.Split(x, ",")
	case []string:
		names = x
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("the event types are names such as execution.failed, not %v", e)
			}
			names = append(names, s)
		}
	default:
		return nil, fmt.Errorf("the event types are a list of names such as execution.failed")
	}
	var out []HookEventType
	for _, n := range names {
		t := HookEventType(strings.TrimSpace(n))
		switch {
		case t == "":
		case !t.Known():
			return nil, fmt.Errorf("%q is not a Hookflow event; the events are %s", string(t), hookEventList())
		case !slices.Contains(out, t):
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("choose at least one event type, such as execution.failed")
	}
	slices.SortFunc(out, func(a, b HookEventType) int {
		return slices.Index(HookEventTypes, a) - slices.Index(HookEventTypes, b)
	})
	return out, nil
}

func hookEventList() string {
	names := make([]string, len(HookEventTypes))
	for i, t := range HookEventTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// SetHookTrigger writes a Hookflow Event card's settings into def, or
// says in plain words what is wrong with them (ErrInvalid).
func SetHookTrigger(def *Definition, events []string, ofFlow, connector int64) error {
	if def.Event.Type != EventHookflow {
		return fmt.Errorf("%w: the flow does not start with a Hookflow Event card", ErrInvalid)
	}
	types, err := hookEventTypes(events)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrInvalid, err.Error())
	}
	if ofFlow < 0 || connector < 0 {
		return fmt.Errorf("%w: choose a flow and a connector from the lists", ErrInvalid)
	}
	list := make([]any, len(types))
	for i, t := range types {
		list[i] = string(t)
	}
	b := map[string]Binding{FieldHookEvents: {Value: list}}
	if ofFlow != 0 {
		b[FieldHookFlow] = Binding{Value: float64(ofFlow)}
	}
	if connector != 0 {
		b[FieldHookConnector] = Binding{Value: float64(connector)}
	}
	def.Event.Bindings = b
	return nil
}

// NewHookflowEvent is the Hookflow Event card a new flow starts with: on
// execution.failed, any flow's.
func NewHookflowEvent() Node {
	return Node{ID: "event", Type: EventHookflow, Bindings: map[string]Binding{
		FieldHookEvents: {Value: []any{string(EventExecutionFailed)}}}}
}

// Wants reports whether the trigger takes events of type t at all.
func (t HookTrigger) Wants(typ HookEventType) bool { return slices.Contains(t.Events, typ) }

// Matches reports whether ev starts the trigger's flow: its type is
// chosen, it passes the filters, and it is not an execution.* event about
// the flow itself or about a run a Hookflow event caused (no loops).
func (t HookTrigger) Matches(ev HookEvent) bool {
	if !t.Wants(ev.EventType) {
		return false
	}
	if ev.EventType == EventExecutionFailed || ev.EventType == EventExecutionSucceeded {
		if hookCaused(ev) || (t.Flow != 0 && aboutFlow(ev, t.Flow)) {
			return false
		}
	}
	if t.OfFlow != 0 && !aboutFlow(ev, t.OfFlow) {
		return false
	}
	if t.Connector != 0 && !slices.ContainsFunc(ev.Target, func(a HookActor) bool { return a.Type == "Connector" && a.ID == idText(t.Connector) }) {
		return false
	}
	return true
}

func idText(id int64) string { return strconv.FormatInt(id, 10) }

// aboutFlow reports whether ev names the workspace flow id: as its actor
// or a target, or as the workspace flow a connector's run was made for.
func aboutFlow(ev HookEvent, id int64) bool {
	for _, a := range append([]HookActor{ev.Actor}, ev.Target...) {
		if a.Type == "Flow" && a.ID == idText(id) {
			return true
		}
		if a.Type == "Execution" {
			if w, err := Convert(a.DetailEntry["workspaceFlow"], TypeNumber); err == nil && w == float64(id) {
				return true
			}
		}
	}
	return false
}

// hookCaused reports whether ev is about a run a Hookflow event caused.
func hookCaused(ev HookEvent) bool {
	for _, a := range ev.Target {
		if a.Type == "Execution" && a.DetailEntry[HookEventMarker] == true {
			return true
		}
	}
	return false
}

// HookEventInput is the outputs of a Hookflow Event card for ev: the
// event's fields, and flat fields for what it names.
func HookEventInput(ev HookEvent) map[string]any {
	in := map[string]any{"uuid": ev.UUID, "eventType": string(ev.EventType), "published": ev.Published, "severity": ev.Severity,
		"displayMessage": ev.DisplayMessage, "result": ev.Outcome.Result, "error": "",
		"outcome": map[string]any{"result": ev.Outcome.Result, "reason": nil}}
	if r := ev.Outcome.Reason; r != nil {
		in["outcome"].(map[string]any)["reason"] = *r
		if ev.Outcome.Result == "FAILURE" {
			in["error"] = *r
		}
	}
	in["actor"] = actorMap(ev.Actor)
	targets := make([]any, len(ev.Target))
	for i, a := range ev.Target {
		targets[i] = actorMap(a)
	}
	in["target"] = targets
	for _, a := range append([]HookActor{ev.Actor}, ev.Target...) {
		n, err := strconv.ParseInt(a.ID, 10, 64)
		switch {
		case a.Type == "Flow" && err == nil && in["flowId"] == nil:
			in["flowId"], in["flowName"] = float64(n), a.DisplayName
		case a.Type == "Connector" && err == nil && in["connectorId"] == nil:
			in["connectorId"], in["connectorName"] = float64(n), a.DisplayName
		case a.Type == "Execution" && in["executionId"] == nil:
			in["executionId"] = a.ID
		}
	}
	whole := map[string]any{"uuid": ev.UUID, "eventType": string(ev.EventType), "version": ev.Version, "published": ev.Published,
		"severity": ev.Severity, "displayMessage": ev.DisplayMessage, "actor": in["actor"], "target": targets, "outcome": in["outcome"]}
	in["event"] = whole
	return in
}

func actorMap(a HookActor) map[string]any {
	m := map[string]any{"id": a.ID, "type": a.Type, "displayName": a.DisplayName}
	if a.AlternateID != "" {
		m["alternateId"] = a.AlternateID
	}
	if a.DetailEntry != nil {
		m["detailEntry"] = a.DetailEntry
	}
	return m
}

// HookRunID is the execution id of the run ev starts of flow: the same
// event and flow make the same id, so that the run is made once however
// often its job runs. It sorts by the event's time, as NewExecutionID.
func HookRunID(ev HookEvent, flow int64) string {
	ms := strconv.FormatInt(ev.Published.UnixMilli(), 16)
	if len(ms) < 12 {
		ms = strings.Repeat("0", 12-len(ms)) + ms
	}
	sum := sha256.Sum256([]byte(ev.UUID + "/" + idText(flow)))
	return ms + hex.EncodeToString(sum[:7])
}

// HookTriggerStore is what flows on a Hookflow Event card need from
// storage; store implements it.
type HookTriggerStore interface {
	// RefreshHookTriggers makes the store record, from now on, the events
	// the flows on a Hookflow Event card that are ON want: call it when
	// one is turned ON or OFF or saved.
	RefreshHookTriggers(ctx context.Context)
	// HasExecution reports whether a run with the id was recorded.
	HasExecution(ctx context.Context, id string) (bool, error)
}

// onHookTrigger turns a flow on a Hookflow Event card ON: an active
// subscription, nothing to register. Settings that are not valid keep it OFF.
func (l *Lifecycle) onHookTrigger(ctx context.Context, f Flow) (Subscription, error) {
	t, err := HookTriggerOf(f)
	if err != nil {
		return Subscription{}, err
	}
	sub, err := l.Store.StartSubscription(ctx, Subscription{FlowID: f.ID, Token: NewEventToken(), State: SubscriptionActive,
		Options: map[string]any{"hookflowEvents": t}})
	if err != nil {
		return Subscription{}, err
	}
	l.Store.RefreshHookTriggers(ctx)
	return sub, nil
}

// HookEvent runs a flow on a Hookflow Event card for an event, once: not
// when the flow is OFF, no longer matches the event (its settings were
// changed), or ran for it already (its job run again after a crash).
func (l *Lifecycle) HookEvent(ctx context.Context, flowID int64, ev HookEvent) error {
	sub, err := l.Store.LiveSubscription(ctx, flowID)
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if sub.State != SubscriptionActive {
		return nil
	}
	f, err := l.Store.Flow(ctx, flowID)
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	t, err := HookTriggerOf(f)
	if err != nil || !t.Matches(ev) {
		return nil
	}
	id := HookRunID(ev, f.ID)
	if ran, err := l.Store.HasExecution(ctx, id); err != nil || ran {
		return err
	}
	_, err = l.Engine.Run(ctx, RunRequest{FlowID: f.ID, Definition: f.Definition, Input: HookEventInput(ev), Trigger: TriggerHookEvent,
		Revision: f.Revision, ExecutionID: id})
	return err
}
