package flows

import (
	"fmt"
	"slices"
	"strings"
)

// The builder edits a flow document through these operations; each keeps
// the document consistent (ids unique, references to deleted cards and
// fields removed) and leaves the rest to Validate, which then says what is
// missing where.

// Place is where a card goes: a lane ("" for the top level, or
// "<container id>/<lane name>") and an index within it.
type Place struct {
	Lane  string
	Index int
}

// ErrNoCard is wrapped when an edit names a card the flow does not have.
var ErrNoCard = fmt.Errorf("%w: no such card", ErrNotFound)

// Card finds a card anywhere in the flow, the event card included.
func (d *Definition) Card(id string) (*Node, bool) {
	if d.Event.ID == id {
		return &d.Event, true
	}
	return findCard(d.Cards, id)
}

func findCard(cards []Node, id string) (*Node, bool) {
	for i := range cards {
		if cards[i].ID == id {
			return &cards[i], true
		}
		for l := range cards[i].Lanes {
			if n, ok := findCard(cards[i].Lanes[l].Cards, id); ok {
				return n, true
			}
		}
	}
	return nil, false
}

// lane returns the card list a place names.
func (d *Definition) lane(name string) (*[]Node, error) {
	if name == "" {
		return &d.Cards, nil
	}
	id, laneName, ok := strings.Cut(name, "/")
	n, found := d.Card(id)
	if !ok || !found {
		return nil, fmt.Errorf("flows: %w: lane %q", ErrNotFound, name)
	}
	for i := range n.Lanes {
		if n.Lanes[i].Name == laneName {
			return &n.Lanes[i].Cards, nil
		}
	}
	return nil, fmt.Errorf("flows: %w: lane %q", ErrNotFound, name)
}

// NewCardID returns an id for a new card of a type: the type's last part
// and the first free number ("upper1", "upper2" …).
func (d *Definition) NewCardID(typ string) string {
	base := typ[strings.LastIndex(typ, ".")+1:]
	base = strings.ReplaceAll(base, "_", "")
	for i := 1; ; i++ {
		id := fmt.Sprintf("%s%d", base, i)
		if _, taken := d.Card(id); !taken {
			return id
		}
	}
}

// AddCard inserts a card at a place; an index past the end appends.
// Containers get their lanes from the spec's lane names.
func (d *Definition) AddCard(p Place, n Node, spec CardSpec) error {
	if n.ID == "" {
		n.ID = d.NewCardID(n.Type)
	}
	if _, taken := d.Card(n.ID); taken {
		return fmt.Errorf("flows: %w: a card already has the id %q", ErrConflict, n.ID)
	}
	if n.Bindings == nil {
		n.Bindings = map[string]Binding{}
	}
	if len(n.Lanes) == 0 {
		for _, name := range spec.Lanes {
			n.Lanes = append(n.Lanes, Lane{Name: name, Cards: []Node{}})
		}
	}
	list, err := d.lane(p.Lane)
	if err != nil {
		return err
	}
	i := min(max(p.Index, 0), len(*list))
	*list = slices.Insert(*list, i, n)
	return nil
}

// RemoveCard deletes a card (with the cards in its lanes) and every mapping
// from their outputs. It returns the inputs that lost their mapping, as
// "card.field", so the builder can show what is now missing.
func (d *Definition) RemoveCard(id string) ([]string, error) {
	if id == d.Event.ID {
		return nil, fmt.Errorf("flows: %w: the event card cannot be deleted", ErrInvalid)
	}
	n, ok := d.Card(id)
	if !ok {
		return nil, fmt.Errorf("flows: %w %q", ErrNoCard, id)
	}
	if d.Kind == KindWebhookRegistration && n.Type == ControlReturn {
		return nil, fmt.Errorf("flows: %w: the Registration flow's Return card holds its Registration Data and cannot be deleted", ErrInvalid)
	}
	gone := map[string]bool{}
	markAll([]Node{*n}, gone)
	d.Cards = without(d.Cards, id)
	var lost []string
	d.eachBindings(func(card, key string, bs map[string]Binding) {
		b := bs[key]
		if refersTo(b, gone) {
			delete(bs, key)
			lost = append(lost, card+"."+key)
		}
	})
	slices.Sort(lost)
	return lost, nil
}

func markAll(cards []Node, set map[string]bool) {
	for _, c := range cards {
		set[c.ID] = true
		for _, l := range c.Lanes {
			markAll(l.Cards, set)
		}
	}
}

func without(cards []Node, id string) []Node {
	out := cards[:0:0]
	for _, c := range cards {
		if c.ID == id {
			continue
		}
		for l := range c.Lanes {
			c.Lanes[l].Cards = without(c.Lanes[l].Cards, id)
		}
		out = append(out, c)
	}
	return out
}

func refersTo(b Binding, cards map[string]bool) bool {
	if b.Ref != nil && cards[b.Ref.Card] {
		return true
	}
	for _, p := range b.Parts {
		if p.Ref != nil && cards[p.Ref.Card] {
			return true
		}
	}
	return false
}

// eachBindings visits every binding map of the flow (cards, lane
// conditions, lane outputs) with the card the key belongs to.
func (d *Definition) eachBindings(fn func(card, key string, bs map[string]Binding)) {
	var walk func(cards []Node)
	walk = func(cards []Node) {
		for i := range cards {
			n := &cards[i]
			for _, k := range sortedKeys(n.Bindings) {
				fn(n.ID, k, n.Bindings)
			}
			for l := range n.Lanes {
				lane := &n.Lanes[l]
				for _, k := range sortedKeys(lane.Bindings) {
					fn(n.ID+"/"+lane.Name, k, lane.Bindings)
				}
				for _, k := range sortedKeys(lane.Outputs) {
					fn(n.ID+"/"+lane.Name, k, lane.Outputs)
				}
				walk(lane.Cards)
			}
		}
	}
	walk(d.Cards)
}

func sortedKeys(m map[string]Binding) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// MoveCard moves a card to another place. References that now point at a
// card running later are left for Validate to report.
func (d *Definition) MoveCard(id string, to Place) error {
	n, ok := d.Card(id)
	if !ok || id == d.Event.ID {
		return fmt.Errorf("flows: %w %q", ErrNoCard, id)
	}
	if strings.HasPrefix(to.Lane+"/", id+"/") || laneInside(*n, to.Lane) {
		return fmt.Errorf("flows: %w: a card cannot move into its own lanes", ErrInvalid)
	}
	moving := *n
	from, fromIndex := d.placeOf(id)
	d.Cards = without(d.Cards, id)
	if from == to.Lane && to.Index > fromIndex {
		to.Index-- // the card left a gap before the target
	}
	list, err := d.lane(to.Lane)
	if err != nil {
		return err
	}
	i := min(max(to.Index, 0), len(*list))
	*list = slices.Insert(*list, i, moving)
	return nil
}

func laneInside(n Node, lane string) bool {
	for _, l := range n.Lanes {
		for _, c := range l.Cards {
			if strings.HasPrefix(lane, c.ID+"/") || laneInside(c, lane) {
				return true
			}
		}
	}
	return false
}

// placeOf finds the lane and index of a card.
func (d *Definition) placeOf(id string) (string, int) {
	var find func(cards []Node, lane string) (string, int, bool)
	find = func(cards []Node, lane string) (string, int, bool) {
		for i, c := range cards {
			if c.ID == id {
				return lane, i, true
			}
			for _, l := range c.Lanes {
				if ln, li, ok := find(l.Cards, c.ID+"/"+l.Name); ok {
					return ln, li, true
				}
			}
		}
		return "", 0, false
	}
	lane, i, _ := find(d.Cards, "")
	return lane, i
}

// Bind sets one input of a card (replacing its mapping: an input takes one source).
func (d *Definition) Bind(card, field string, b Binding) error {
	n, ok := d.Card(card)
	if !ok {
		return fmt.Errorf("flows: %w %q", ErrNoCard, card)
	}
	if n.Bindings == nil {
		n.Bindings = map[string]Binding{}
	}
	n.Bindings[field] = b
	return nil
}

// Unbind removes the mapping or value of one input.
func (d *Definition) Unbind(card, field string) error {
	n, ok := d.Card(card)
	if !ok {
		return fmt.Errorf("flows: %w %q", ErrNoCard, card)
	}
	delete(n.Bindings, field)
	return nil
}

// AddField adds a user-defined input (or output) to an extensible card.
func (d *Definition) AddField(card string, output bool, f Field) error {
	n, ok := d.Card(card)
	if !ok {
		return fmt.Errorf("flows: %w %q", ErrNoCard, card)
	}
	fields := &n.Inputs
	if output {
		fields = &n.Outputs
	}
	if slices.ContainsFunc(*fields, func(x Field) bool { return x.Key == f.Key }) {
		return fmt.Errorf("flows: %w: the card already has a field %q", ErrConflict, f.Key)
	}
	*fields = append(*fields, f)
	return nil
}

// UpdateField renames and retypes a user-defined field. Renaming an input
// moves its mapping; renaming an output moves every mapping from it.
func (d *Definition) UpdateField(card string, output bool, key string, f Field) error {
	n, ok := d.Card(card)
	if !ok {
		return fmt.Errorf("flows: %w %q", ErrNoCard, card)
	}
	if d.Kind == KindWebhookRegistration && n.Type == ControlReturn && key == FieldRegistrationData && f.Key != key {
		return fmt.Errorf("flows: %w: Registration Data cannot be renamed", ErrInvalid)
	}
	fields := &n.Inputs
	if output {
		fields = &n.Outputs
	}
	i := slices.IndexFunc(*fields, func(x Field) bool { return x.Key == key })
	if i < 0 {
		return fmt.Errorf("flows: %w: no field %q on card %q", ErrNotFound, key, card)
	}
	if f.Key != key && slices.ContainsFunc(*fields, func(x Field) bool { return x.Key == f.Key }) {
		return fmt.Errorf("flows: %w: the card already has a field %q", ErrConflict, f.Key)
	}
	(*fields)[i] = f
	if f.Key == key {
		return nil
	}
	if b, ok := n.Bindings[key]; ok && !output {
		delete(n.Bindings, key)
		n.Bindings[f.Key] = b
	}
	if output || mirrors(n.Type) {
		d.eachBindings(func(_, k string, bs map[string]Binding) {
			b := bs[k]
			if b.Ref != nil && b.Ref.Card == card && b.Ref.Field == key {
				r := *b.Ref
				r.Field = f.Key
				b.Ref = &r
			}
			for pi, p := range b.Parts {
				if p.Ref != nil && p.Ref.Card == card && p.Ref.Field == key {
					r := *p.Ref
					r.Field = f.Key
					b.Parts[pi].Ref = &r
				}
			}
			bs[k] = b
		})
	}
	return nil
}

// mirrors reports whether a card type's outputs are its inputs.
func mirrors(typ string) bool { return typ == ControlAssign || typ == ControlReturn }

// RemoveField removes a user-defined field, its mapping, and (for an
// output) every mapping from it. It returns the inputs that lost theirs.
func (d *Definition) RemoveField(card string, output bool, key string) ([]string, error) {
	n, ok := d.Card(card)
	if !ok {
		return nil, fmt.Errorf("flows: %w %q", ErrNoCard, card)
	}
	if d.Kind == KindWebhookRegistration && n.Type == ControlReturn && key == FieldRegistrationData {
		return nil, fmt.Errorf("flows: %w: Registration Data cannot be removed from the Return card", ErrInvalid)
	}
	fields := &n.Inputs
	if output {
		fields = &n.Outputs
	}
	i := slices.IndexFunc(*fields, func(x Field) bool { return x.Key == key })
	if i < 0 {
		return nil, fmt.Errorf("flows: %w: no field %q on card %q", ErrNotFound, key, card)
	}
	*fields = slices.Delete(*fields, i, i+1)
	if !output {
		delete(n.Bindings, key)
	}
	var lost []string
	if output || mirrors(n.Type) {
		d.eachBindings(func(c, k string, bs map[string]Binding) {
			b := bs[k]
			uses := b.Ref != nil && b.Ref.Card == card && b.Ref.Field == key
			for _, p := range b.Parts {
				uses = uses || (p.Ref != nil && p.Ref.Card == card && p.Ref.Field == key)
			}
			if uses {
				delete(bs, k)
				lost = append(lost, c+"."+k)
			}
		})
	}
	return lost, nil
}

// laneOf finds a container's lane by name.
func (d *Definition) laneOf(card, lane string) (*Lane, error) {
	n, ok := d.Card(card)
	if !ok {
		return nil, fmt.Errorf("flows: %w %q", ErrNoCard, card)
	}
	for i := range n.Lanes {
		if n.Lanes[i].Name == lane {
			return &n.Lanes[i], nil
		}
	}
	return nil, fmt.Errorf("flows: %w: card %q has no lane %q", ErrNotFound, card, lane)
}

// BindLane sets one binding of a lane: a condition input ("a", "operator",
// "b" of an If/ElseIf lane) or, with output set, one of the container's
// outputs when that lane runs. A zero binding removes it.
func (d *Definition) BindLane(card, lane, field string, output bool, b Binding) error {
	l, err := d.laneOf(card, lane)
	if err != nil {
		return err
	}
	m := &l.Bindings
	if output {
		m = &l.Outputs
	}
	if b.Ref == nil && b.Parts == nil && b.Value == nil {
		delete(*m, field)
		return nil
	}
	if *m == nil {
		*m = map[string]Binding{}
	}
	(*m)[field] = b
	return nil
}

// AddLane adds a condition lane to an If/ElseIf card, before its else lane.
func (d *Definition) AddLane(card string) (string, error) {
	n, ok := d.Card(card)
	if !ok {
		return "", fmt.Errorf("flows: %w %q", ErrNoCard, card)
	}
	if n.Type != ControlIfElseIf {
		return "", fmt.Errorf("flows: %w: only If/ElseIf takes more lanes", ErrInvalid)
	}
	name := ""
	for i := 1; ; i++ {
		name = fmt.Sprintf("if%d", i)
		if !slices.ContainsFunc(n.Lanes, func(l Lane) bool { return l.Name == name }) {
			break
		}
	}
	at := slices.IndexFunc(n.Lanes, func(l Lane) bool { return l.Name == "else" })
	if at < 0 {
		at = len(n.Lanes)
	}
	n.Lanes = slices.Insert(n.Lanes, at, Lane{Name: name, Cards: []Node{}})
	return name, nil
}
