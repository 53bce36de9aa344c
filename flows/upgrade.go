package flows

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// ConnectorCard is a card of a workspace flow that comes from a deployed
// connector — its event card or an action card — and the version it uses.
type ConnectorCard struct {
	Card      string
	Label     string
	Connector int64
	Version   int
	// Flow is the key of the connector flow the card runs.
	Flow int64
}

// ConnectorCards lists a workspace flow's connector cards: its event card
// first, then its action cards in order, in every lane.
func (d *Definition) ConnectorCards() []ConnectorCard {
	var out []ConnectorCard
	if s := d.Source; s != nil && d.Event.Type == EventConnector {
		out = append(out, ConnectorCard{Card: d.Event.ID, Label: d.Event.Label, Connector: s.Connector, Version: s.Version, Flow: s.Flow})
	}
	var walk func([]Node)
	walk = func(cards []Node) {
		for i := range cards {
			n := &cards[i]
			if a := n.Action; n.Type == ControlAction && a != nil {
				out = append(out, ConnectorCard{Card: n.ID, Label: n.Label, Connector: a.Connector, Version: a.Version, Flow: a.Flow})
			}
			for _, l := range n.Lanes {
				walk(l.Cards)
			}
		}
	}
	walk(d.Cards)
	return out
}

// Outdated is a connector with a newer deployed version than the oldest
// one a flow's cards use.
type Outdated struct {
	Connector int64
	From, To  int
}

// OutdatedConnectors compares the versions a flow's connector cards use
// with the newest deployed version of each connector (newest, by id).
func OutdatedConnectors(d *Definition, newest map[int64]int) []Outdated {
	var out []Outdated
	for _, c := range d.ConnectorCards() {
		to, ok := newest[c.Connector]
		if !ok || to <= c.Version {
			continue
		}
		if i := slices.IndexFunc(out, func(o Outdated) bool { return o.Connector == c.Connector }); i >= 0 {
			out[i].From = min(out[i].From, c.Version)
			continue
		}
		out = append(out, Outdated{Connector: c.Connector, From: c.Version, To: to})
	}
	return out
}

// MovedCard is a card that a change of versions moves.
type MovedCard struct {
	Card, Label string
	From, To    int
}

// UpgradePlan is a change of the connector versions a workspace flow's
// cards use, worked out before it is saved: an upgrade to another
// version of a connector, or a roll back to an earlier revision of the
// flow. It holds the flow after the change, the cards it moves, and what
// no longer resolves.
type UpgradePlan struct {
	// Flow is the flow as it is; Definition the flow after the change.
	Flow       Flow
	Definition Definition
	// Connector and To are the connector and the version an upgrade moves
	// to; ConnectorName names it.
	Connector     int64
	ConnectorName string
	To            int
	// Rollback is the revision a roll back restores (0 for an upgrade).
	Rollback int
	Moved    []MovedCard
	// Problems are the cards and bindings that no longer resolve after the
	// change (what was wrong before is not repeated); the change may still
	// be saved and the problems fixed on the canvas.
	Problems []Problem
	// Blocked says why the change cannot be made.
	Blocked []Problem
	// On reports that the flow is ON; Reregister that its registration
	// inputs change, so that saving deregisters it with the old version's
	// deregistration flow and registers it with the new version's.
	On, Reregister bool

	to   ConnectorVersion
	olds map[int]ConnectorVersion
}

// FlowRevision is one saved revision of a flow.
type FlowRevision struct {
	Revision   int
	Definition Definition
	CreatedAt  time.Time
}

// PlanMove works out moving a workspace flow's cards of connector
// to.ConnectorID — its event card and action cards — to version to. olds
// are the connector's versions the cards use now (by number), to find a
// flow of the new version by name when its key changed (a connector
// imported anew). Bindings of inputs the new version no longer has are
// dropped and listed; the flow is validated before and after, with reg.
func PlanMove(f Flow, olds map[int]ConnectorVersion, to ConnectorVersion, reg Registry) UpgradePlan {
	p := UpgradePlan{Flow: f, Connector: to.ConnectorID, ConnectorName: to.Export.Connector.Name, To: to.Version, to: to, olds: olds}
	def := f.Definition
	def.Cards = copyCards(def.Cards)
	if s := def.Source; s != nil && def.Event.Type == EventConnector && s.Connector == to.ConnectorID && s.Version != to.Version {
		p.moveEvent(&def)
	}
	p.moveActions(def.Cards)
	p.Definition = def
	broken := p.removedOutputs()
	for _, pr := range newProblems(f.Definition, def, reg) {
		if pr.Code != "bad_ref" || !broken[[3]string{pr.Card, pr.Lane, pr.Field}] {
			p.Problems = append(p.Problems, pr)
		}
	}
	return p
}

// removedOutputs lists the bindings that read an output of a moved card
// that its new version no longer has, and returns where they are (card,
// lane, field) so that validation's report of them is not repeated.
func (p *UpgradePlan) removedOutputs() map[[3]string]bool {
	outputs := map[string][]Field{}
	for _, m := range p.Moved {
		if n, ok := p.Definition.Card(m.Card); ok {
			outputs[m.Card] = n.Outputs
		}
	}
	at := map[[3]string]bool{}
	check := func(card, lane, key string, b Binding) {
		refs := []*Ref{b.Ref}
		for _, part := range b.Parts {
			refs = append(refs, part.Ref)
		}
		for _, r := range refs {
			if r == nil {
				continue
			}
			have, moved := outputs[r.Card]
			if !moved || slices.ContainsFunc(have, func(f Field) bool { return f.Key == r.Field }) || at[[3]string{card, lane, key}] {
				continue
			}
			at[[3]string{card, lane, key}] = true
			label, field := r.Card, r.Field
			if n, ok := p.Flow.Definition.Card(r.Card); ok {
				if n.Label != "" {
					label = n.Label
				}
				if i := slices.IndexFunc(n.Outputs, func(f Field) bool { return f.Key == r.Field }); i >= 0 {
					field = fieldName(n.Outputs[i])
				}
			}
			p.Problems = append(p.Problems, Problem{Card: card, Lane: lane, Field: key, Code: "output_removed",
				Message: fmt.Sprintf("it reads %q of %s, which version %d no longer has", field, label, p.To)})
		}
	}
	var walk func(cards []Node, lane string)
	walk = func(cards []Node, lane string) {
		for i := range cards {
			n := &cards[i]
			for _, k := range sortedKeys(n.Bindings) {
				check(n.ID, lane, k, n.Bindings[k])
			}
			for l := range n.Lanes {
				ln := &n.Lanes[l]
				name := n.ID + "/" + ln.Name
				for _, bs := range []map[string]Binding{ln.Bindings, ln.Outputs} {
					for _, k := range sortedKeys(bs) {
						check(n.ID, name, k, bs[k])
					}
				}
				walk(ln.Cards, name)
			}
		}
	}
	walk(p.Definition.Cards, "")
	return at
}

// moveEvent moves the event card to p.to, keeping its option values.
func (p *UpgradePlan) moveEvent(def *Definition) {
	old, src := def.Event, *def.Source
	kind := KindWebhookEvent
	if d, found := p.olds[src.Version].Export.Flow(src.Flow); found && d.Kind == KindPollingEvent {
		kind = KindPollingEvent
	}
	key, ok := p.flowIn(src.Version, src.Flow, kind)
	n, next, err := ConnectorEvent(p.to, key)
	if !ok || err != nil {
		p.block(old.ID, "version %d of %s no longer has the event of the card %q", p.To, p.ConnectorName, old.Label)
		return
	}
	n.ID, n.Bindings = old.ID, p.keep(old.ID, old.Bindings, n.Inputs, "option")
	for _, o := range n.Inputs {
		if slices.ContainsFunc(old.Inputs, func(f Field) bool { return f.Key == o.Key }) {
			continue
		}
		if b, set := n.Bindings[o.Key]; o.Required && o.Default == nil && (!set || b.Value == nil || b.Value == "") {
			p.Problems = append(p.Problems, Problem{Card: old.ID, Field: o.Key, Code: "missing_input",
				Message: fmt.Sprintf("version %d adds the required option %q: set it on the event card", p.To, fieldName(o))})
		}
	}
	next.Connection = src.Connection
	def.Event, def.Source = n, next
	p.Moved = append(p.Moved, MovedCard{Card: old.ID, Label: n.Label, From: src.Version, To: p.To})
}

// moveActions moves the action cards of p's connector to p.to.
func (p *UpgradePlan) moveActions(cards []Node) {
	for i := range cards {
		n := &cards[i]
		for l := range n.Lanes {
			p.moveActions(n.Lanes[l].Cards)
		}
		a := n.Action
		if n.Type != ControlAction || a == nil || a.Connector != p.Connector || a.Version == p.To {
			continue
		}
		key, ok := p.flowIn(a.Version, a.Flow, KindAction)
		m, err := ConnectorAction(p.to, key, a.Connection)
		if !ok || err != nil {
			p.block(n.ID, "version %d of %s no longer has the action of the card %q", p.To, p.ConnectorName, n.Label)
			continue
		}
		p.Moved = append(p.Moved, MovedCard{Card: n.ID, Label: m.Label, From: a.Version, To: p.To})
		m.ID, m.OnError, m.Bindings = n.ID, n.OnError, p.keep(n.ID, n.Bindings, m.Inputs, "input")
		*n = m
	}
}

// flowIn finds in p.to the flow of a kind that key was in version from:
// the same key, or else the only flow of that kind with the same name.
func (p *UpgradePlan) flowIn(from int, key int64, kind Kind) (int64, bool) {
	if d, ok := p.to.Export.Flow(key); ok && d.Kind == kind {
		return key, true
	}
	old, ok := p.olds[from].Export.Flow(key)
	if !ok {
		return 0, false
	}
	var found []ExportedFlow
	for _, f := range p.to.Export.FlowsOfKind(kind) {
		if f.Definition.Name == old.Name {
			found = append(found, f)
		}
	}
	if len(found) != 1 {
		return 0, false
	}
	k, err := strconv.ParseInt(found[0].Key, 10, 64)
	return k, err == nil
}

// keep returns the bindings of fields the new version still has, and lists
// the others as dropped.
func (p *UpgradePlan) keep(card string, bs map[string]Binding, fields []Field, what string) map[string]Binding {
	out := make(map[string]Binding, len(bs))
	for _, k := range sortedKeys(bs) {
		if slices.ContainsFunc(fields, func(f Field) bool { return f.Key == k }) {
			out[k] = bs[k]
			continue
		}
		p.Problems = append(p.Problems, Problem{Card: card, Field: k, Code: "input_removed",
			Message: fmt.Sprintf("version %d has no %s %q: its mapping is dropped", p.To, what, k)})
	}
	return out
}

func (p *UpgradePlan) block(card, format string, args ...any) {
	p.Blocked = append(p.Blocked, Problem{Card: card, Code: "upgrade", Message: fmt.Sprintf(format, args...)})
}

// redo makes the plan's change again on a later revision of the flow.
func (p UpgradePlan) redo(latest Flow) Definition {
	if p.Rollback != 0 {
		return p.Definition
	}
	return PlanMove(latest, p.olds, p.to, nil).Definition
}

// PlanRestore works out restoring revision rev of a flow (def) over the
// flow as it is: the cards whose connector versions differ, and what no
// longer resolves.
func PlanRestore(f Flow, rev int, def Definition, reg Registry) UpgradePlan {
	p := UpgradePlan{Flow: f, Definition: def, Rollback: rev}
	now := f.Definition.ConnectorCards()
	for _, c := range def.ConnectorCards() {
		if i := slices.IndexFunc(now, func(x ConnectorCard) bool { return x.Card == c.Card }); i >= 0 && now[i].Version != c.Version {
			p.Moved = append(p.Moved, MovedCard{Card: c.Card, Label: c.Label, From: now[i].Version, To: c.Version})
		}
	}
	p.Problems = newProblems(f.Definition, def, reg)
	return p
}

// RollbackPoint finds, among a flow's earlier revisions (newest first),
// the one to roll back to after a change of versions: the newest that uses
// other connector versions than the flow now does, when they are older.
// It returns 0 when there is none.
func RollbackPoint(now Definition, revs []FlowRevision) int {
	cur := now.ConnectorCards()
	for _, r := range revs {
		older, newer := false, false
		for _, c := range r.Definition.ConnectorCards() {
			if i := slices.IndexFunc(cur, func(x ConnectorCard) bool { return x.Card == c.Card && x.Connector == c.Connector }); i >= 0 {
				older = older || c.Version < cur[i].Version
				newer = newer || c.Version > cur[i].Version
			}
		}
		switch {
		case older && !newer:
			return r.Revision
		case older || newer:
			return 0
		}
	}
	return 0
}

// newProblems are validation's findings on after that it did not find on
// before.
func newProblems(before, after Definition, reg Registry) []Problem {
	seen := map[Problem]bool{}
	for _, p := range problemsOf(Validate(before, reg)) {
		seen[p] = true
	}
	var out []Problem
	for _, p := range problemsOf(Validate(after, reg)) {
		if !seen[p] {
			out = append(out, p)
		}
	}
	return out
}

func problemsOf(err error) []Problem {
	if ve, ok := err.(*ValidationError); ok {
		return ve.Problems
	}
	return nil
}

// copyCards copies a card list and its lanes' lists, so that cards can be
// replaced in the copy; the cards' own maps are shared.
func copyCards(cards []Node) []Node {
	out := slices.Clone(cards)
	for i := range out {
		if out[i].Lanes != nil {
			out[i].Lanes = slices.Clone(out[i].Lanes)
			for l := range out[i].Lanes {
				out[i].Lanes[l].Cards = copyCards(out[i].Lanes[l].Cards)
			}
		}
	}
	return out
}
