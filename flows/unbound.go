package flows

import (
	"context"
	"fmt"
	"strings"
	"unicode"
)

// An imported flow (an Okta Workflows flopack) may start on an app event,
// or use an app's action, that Hookflow cannot run on its own: the import
// keeps them as unbound cards, which name the app and what it did, until
// the user binds them to a connector's Webhook Event or action card. A
// flow holding one saves, with a problem on each such card, but cannot run
// or be turned ON.
const (
	// EventUnbound is a workspace flow's event card for an app event that
	// waits for a connector's Webhook Event card (Node.Unbound says which).
	EventUnbound = "event.unbound"
	// CardUnbound is a placeholder for an app's action card: it keeps its
	// input bindings until the user binds it to a connector action card.
	CardUnbound = "card.unbound"
)

// Unbound says what an unbound card stood for: the app, the event or
// action's name and the address it had where it came from.
type Unbound struct {
	App     string `json:"app,omitempty"`
	Name    string `json:"name"`
	Address string `json:"address,omitempty"`
}

// ErrUnbound is wrapped when a flow holding unbound cards is run or turned ON.
var ErrUnbound = fmt.Errorf("%w: the flow has cards to bind", ErrInvalid)

var unboundEventSpec = CardSpec{Type: EventUnbound, Title: "App event (not bound)", Category: CategoryEvent, ExtensibleOutputs: true,
	Help: "An app event Hookflow cannot receive on its own: choose a connector's Webhook Event card for it."}

func addUnboundCard(add func(CardSpec, func(r *run, ctx context.Context, n *Node, in map[string]any, step int) (Output, error))) {
	s := CardSpec{Type: CardUnbound, Title: "App action (not bound)", Category: CategoryConnector, ExtensibleInputs: true, ExtensibleOutputs: true,
		Help: "An app's action Hookflow has no card for: bind it to a connector action card."}
	add(s, func(_ *run, _ context.Context, n *Node, _ map[string]any, _ int) (Output, error) {
		return nil, fmt.Errorf("%w: %s", ErrUnbound, unboundCardText(n))
	})
}

func unboundName(n *Node) (app, name, address string) {
	if u := n.Unbound; u != nil {
		app, name, address = u.App, u.Name, u.Address
	}
	if name == "" {
		name = n.Label
	}
	if app == "" {
		app = "an app"
	}
	return app, name, address
}

func unboundEventText(n *Node) string {
	app, name, address := unboundName(n)
	where := ""
	if address != "" {
		where = " (" + address + ")"
	}
	return fmt.Sprintf("the flow starts on the %s event %q%s, which Hookflow cannot receive on its own: choose a connector's Webhook Event card for it on the flow's page", app, name, where)
}

func unboundCardText(n *Node) string {
	app, name, address := unboundName(n)
	where := ""
	if address != "" {
		where = " (" + address + ")"
	}
	return fmt.Sprintf("%q is the %s action %q%s, which Hookflow has no card for: bind it to a connector action card on the flow's page", n.Label, app, name, where)
}

// unbound adds a problem for the flow's unbound event card and for each
// unbound action card.
func (v *validator) unbound(def *Definition) {
	for _, p := range UnboundProblems(def) {
		v.problems = append(v.problems, p)
	}
}

// UnboundProblems lists the unbound cards of a flow, the event card first,
// as problems with the codes "unbound_event" and "unbound_card".
func UnboundProblems(def *Definition) []Problem {
	var ps []Problem
	if def.Event.Type == EventUnbound {
		ps = append(ps, Problem{Card: def.Event.ID, Code: "unbound_event", Message: unboundEventText(&def.Event)})
	}
	var walk func(cards []Node, lane string)
	walk = func(cards []Node, lane string) {
		for i := range cards {
			n := &cards[i]
			if n.Type == CardUnbound {
				ps = append(ps, Problem{Card: n.ID, Lane: lane, Code: "unbound_card", Message: unboundCardText(n)})
			}
			for _, l := range n.Lanes {
				walk(l.Cards, n.ID+"/"+l.Name)
			}
		}
	}
	walk(def.Cards, "")
	return ps
}

// CheckBound returns nil when the flow holds no unbound card, or an error
// (matching ErrUnbound and ErrInvalid) saying in words what to bind.
func CheckBound(def *Definition) error {
	ps := UnboundProblems(def)
	if len(ps) == 0 {
		return nil
	}
	msg := ps[0].Message
	if len(ps) > 1 {
		msg += fmt.Sprintf(" (and %d more cards to bind)", len(ps)-1)
	}
	return &unboundError{msg: msg}
}

type unboundError struct{ msg string }

func (e *unboundError) Error() string        { return e.msg }
func (e *unboundError) Is(target error) bool { return target == ErrUnbound || target == ErrInvalid }

// BindEvent binds a flow's unbound event card to a connector's Webhook
// Event card of type eventType (EventConnector) from src. The event card
// keeps its id and its fields, so the references to them keep working;
// BindEventTo takes the connector's own event card instead.
func BindEvent(def *Definition, src EventSource, eventType string) error {
	if def.Event.Type != EventUnbound {
		return fmt.Errorf("%w: the flow's event card is bound already", ErrInvalid)
	}
	if eventType != EventConnector {
		return fmt.Errorf("%w: an app event binds to a connector's Webhook Event card, not %q", ErrInvalid, eventType)
	}
	ev := Node{Type: eventType, Label: def.Event.Label, Outputs: def.Event.Outputs}
	return BindEventTo(def, ev, src)
}

// BindEventTo replaces a flow's unbound event card by ev, a connector's
// event card (ConnectorEvent makes it). The card keeps its id; references
// to its outputs keep working where the new card has an output of the same
// name (ignoring case, spaces and punctuation, the reference then takes the
// new key); the others are left for validation to show.
func BindEventTo(def *Definition, ev Node, src EventSource) error {
	if def.Event.Type != EventUnbound {
		return fmt.Errorf("%w: the flow's event card is bound already", ErrInvalid)
	}
	if ev.Type != EventConnector {
		return fmt.Errorf("%w: an app event binds to a connector's Webhook Event card", ErrInvalid)
	}
	id := def.Event.ID
	names := map[string]string{}
	for _, f := range ev.Outputs {
		names[looseName(f.Key)] = f.Key
	}
	ev.ID = id
	def.Event, def.Source = ev, &src
	def.eachRef(func(r *Ref) {
		if r.Card != id {
			return
		}
		if key, ok := names[looseName(r.Field)]; ok {
			r.Field = key
		}
	})
	return nil
}

// BindCard replaces the unbound card nodeID by a card of type cardType,
// keeping its id, label and input bindings (validation shows those the new
// card has no input for). BindCardTo takes a whole card, such as a
// connector action card.
func BindCard(def *Definition, nodeID, cardType string) error {
	if cardType == "" || cardType == CardUnbound {
		return fmt.Errorf("%w: choose a card to bind %q to", ErrInvalid, nodeID)
	}
	n, err := unboundCard(def, nodeID)
	if err != nil {
		return err
	}
	n.Type, n.Unbound, n.Inputs, n.Outputs = cardType, nil, nil, nil
	return nil
}

// BindCardTo replaces the unbound card nodeID by card (ConnectorAction
// makes a connector action card), keeping the card's id and label and the
// input bindings whose keys are among card's inputs. References to the
// placeholder's outputs keep working where the new card has an output of
// the same name.
func BindCardTo(def *Definition, nodeID string, card Node) error {
	n, err := unboundCard(def, nodeID)
	if err != nil {
		return err
	}
	if card.Type == "" || card.Type == CardUnbound {
		return fmt.Errorf("%w: choose a card to bind %q to", ErrInvalid, nodeID)
	}
	keep := map[string]bool{}
	for _, f := range card.Inputs {
		keep[f.Key] = true
	}
	bs := map[string]Binding{}
	for k, b := range card.Bindings {
		bs[k] = b
	}
	for k, b := range n.Bindings {
		if keep[k] {
			bs[k] = b
		}
	}
	names := map[string]string{}
	for _, f := range card.Outputs {
		names[looseName(f.Key)] = f.Key
	}
	card.ID, card.Bindings, card.Unbound = n.ID, bs, nil
	if n.Label != "" {
		card.Label = n.Label
	}
	*n = card
	def.eachRef(func(r *Ref) {
		if r.Card != nodeID {
			return
		}
		if key, ok := names[looseName(r.Field)]; ok {
			r.Field = key
		}
	})
	return nil
}

func unboundCard(def *Definition, id string) (*Node, error) {
	n, ok := findCard(def.Cards, id)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoCard, id)
	}
	if n.Type != CardUnbound {
		return nil, fmt.Errorf("%w: card %q is not waiting to be bound", ErrInvalid, id)
	}
	return n, nil
}

// eachRef visits every reference of the flow's cards, lanes included.
func (d *Definition) eachRef(fn func(*Ref)) {
	d.eachBindings(func(_, key string, bs map[string]Binding) {
		b := bs[key]
		if b.Ref != nil {
			fn(b.Ref)
		}
		for i := range b.Parts {
			if b.Parts[i].Ref != nil {
				fn(b.Parts[i].Ref)
			}
		}
	})
}

// looseName is a field name without case, spaces or punctuation, so that
// "Okta User" finds "oktaUser".
func looseName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
