package flows

import (
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a flow, located so the builder can point
// at it: the card (and lane) and the field it concerns.
type Problem struct {
	Card    string `json:"card,omitempty"`
	Lane    string `json:"lane,omitempty"`
	Field   string `json:"field,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ValidationError holds every problem of a flow, or of What when set
// ("table", "row"). It matches ErrInvalid.
type ValidationError struct {
	// What is what is not valid, when it is not a flow.
	What     string
	Problems []Problem
}

// Subject is what is not valid: "flow" unless What says otherwise.
func (e *ValidationError) Subject() string {
	if e.What == "" {
		return "flow"
	}
	return e.What
}

func (e *ValidationError) Error() string {
	p := e.Problems[0]
	where := ""
	if p.Card != "" {
		where = " (card " + p.Card
		if p.Field != "" {
			where += ", field " + p.Field
		}
		where += ")"
	}
	more := ""
	if n := len(e.Problems) - 1; n > 0 {
		more = fmt.Sprintf(" and %d more", n)
	}
	return fmt.Sprintf("flows: invalid %s: %s%s%s", e.Subject(), p.Message, where, more)
}

// Is makes a ValidationError match ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Limits on names, following Okta Workflows.
const (
	MaxNameLength     = 100
	MaxFieldKeyLength = 100
)

// Validate checks a flow before it is saved: its schema and names, that
// every card type exists, that every reference points at an output of a
// card that runs before (and not in another lane), that required inputs are
// set and static values fit their types, and the webhook flow rules. It
// returns nil or a *ValidationError listing every problem.
func Validate(def Definition, reg Registry) error {
	v := &validator{reg: reg, ids: map[string]string{}}
	v.flow(&def)
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

type validator struct {
	reg      Registry
	problems []Problem
	ids      map[string]string // every card id → where it is ("" top level, or "c3/then")
	kind     Kind
	returns  []*Node
}

func (v *validator) add(card, lane, field, code, format string, args ...any) {
	v.problems = append(v.problems, Problem{Card: card, Lane: lane, Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

// scope maps the cards that have run to their output fields.
type scope map[string][]Field

func (s scope) with(id string, fields []Field) scope {
	c := make(scope, len(s)+1)
	for k, f := range s {
		c[k] = f
	}
	c[id] = fields
	return c
}

func (v *validator) flow(def *Definition) {
	v.kind = def.Kind
	if def.Schema != SchemaVersion {
		v.add("", "", "", "schema", "schema version %d is not supported (this build reads %d)", def.Schema, SchemaVersion)
	}
	name := strings.TrimSpace(def.Name)
	switch {
	case name == "":
		v.add("", "", "name", "name", "the flow needs a name")
	case len(name) > MaxNameLength:
		v.add("", "", "name", "name", "the flow name is longer than %d characters", MaxNameLength)
	}
	allowed, ok := kindEvents[def.Kind]
	if !ok {
		v.add("", "", "kind", "kind", "unknown flow kind %q", def.Kind)
	}
	ev := &def.Event
	if ev.ID == "" {
		v.add("", "", "", "card_id", "the event card has no id")
	}
	v.collectIDs([]Node{*ev}, "")
	v.collectIDs(def.Cards, "")
	spec, ok := EventSpec(ev.Type)
	if !ok || (allowed != nil && !slices.Contains(allowed, ev.Type)) {
		v.add(ev.ID, "", "", "event_type", "a %s flow cannot start with the event card %q", def.Kind, ev.Type)
	}
	v.fieldKeys(ev.ID, ev.Outputs, false)
	sc := scope{ev.ID: spec.OutputFields(ev)}
	v.cards(def.Cards, sc, "")
	v.webhook(def)
	v.schedule(def)
	v.hookTrigger(def)
	v.polling(def)
	v.unbound(def)

	switch def.Kind {
	case KindWebhookRegistration:
		if len(v.returns) == 0 {
			v.add("", "", "", "registration_return", "a Registration flow ends in a Return card holding the Registration Data")
		}
		for _, r := range v.returns {
			if r.Type != ControlReturn || len(r.Inputs) != 1 || r.Inputs[0].Key != FieldRegistrationData {
				v.add(r.ID, "", "", "registration_return", "the Return card of a Registration flow has exactly one field, Registration Data (%s)", FieldRegistrationData)
			}
		}
	case KindWebhookDeregistration:
		for _, r := range v.returns {
			v.add(r.ID, "", "", "deregistration_return", "a Deregistration flow has no Return card")
		}
	}
}

func (v *validator) collectIDs(cards []Node, lane string) {
	for i := range cards {
		n := &cards[i]
		if n.ID == "" {
			v.add("", lane, "", "card_id", "a %q card has no id", n.Type)
		} else if _, dup := v.ids[n.ID]; dup {
			v.add(n.ID, lane, "", "card_id", "two cards have the id %q", n.ID)
		} else {
			v.ids[n.ID] = lane
		}
		for _, l := range n.Lanes {
			v.collectIDs(l.Cards, n.ID+"/"+l.Name)
		}
	}
}

// fieldKeys checks a card's field keys; with conditions (Search Rows),
// the keys of its conditions' values (conditions.0.value) are allowed.
func (v *validator) fieldKeys(card string, fields []Field, conditions bool) {
	seen := map[string]bool{}
	for _, f := range fields {
		switch {
		case f.Key == "":
			v.add(card, "", "", "field_key", "a field has no key")
		case len(f.Key) > MaxFieldKeyLength:
			v.add(card, "", f.Key, "field_key", "field key %q is longer than %d characters", f.Key, MaxFieldKeyLength)
		case strings.ContainsAny(f.Key, ".[]") && !(conditions && isConditionValueKey(f.Key)):
			v.add(card, "", f.Key, "field_key", "field key %q may not contain . [ or ]", f.Key)
		case seen[f.Key]:
			v.add(card, "", f.Key, "field_key", "two fields have the key %q", f.Key)
		}
		seen[f.Key] = true
		if !f.Type.Valid() {
			v.add(card, "", f.Key, "field_type", "field %q has the unknown type %q", f.Key, f.Type)
		}
	}
}

func (v *validator) spec(typ string) (CardSpec, bool) {
	if c, ok := controls()[typ]; ok {
		return c.spec, true
	}
	if v.reg != nil {
		if c, ok := v.reg.Lookup(typ); ok {
			return c.Spec(), true
		}
	}
	return CardSpec{}, false
}

// cards checks a card list and returns the scope after it.
func (v *validator) cards(cards []Node, sc scope, lane string) scope {
	for i := range cards {
		n := &cards[i]
		if n.Type == ControlWaitFor {
			n = legacyWaitFor(n)
		}
		if lane == "" && (n.Type == ControlReturn || n.Type == ControlReturnRaw) {
			// The flow's own return: one in a lane ends only the lane.
			v.returns = append(v.returns, n)
		}
		spec, ok := v.spec(n.Type)
		if !ok {
			v.add(n.ID, lane, "", "unknown_card", "there is no card type %q", n.Type)
			continue
		}
		v.pollingCard(n, lane, spec)
		if len(n.Inputs) > 0 && !spec.ExtensibleInputs {
			v.add(n.ID, lane, "", "field_key", "%s does not take added inputs", spec.Title)
		}
		if len(n.Outputs) > 0 && !spec.ExtensibleOutputs {
			v.add(n.ID, lane, "", "field_key", "%s does not take added outputs", spec.Title)
		}
		inputs := spec.InputFields(n)
		v.fieldKeys(n.ID, inputs, n.Type == TableSearch)
		v.bindings(n.ID, lane, n.Bindings, inputs, sc, true)
		v.answerStatus(n, lane)

		for li := range n.Lanes {
			l := &n.Lanes[li]
			if len(spec.Lanes) == 0 {
				v.add(n.ID, l.Name, "", "lane", "%s has no lanes", spec.Title)
				continue
			}
			if !slices.Contains(spec.Lanes, l.Name) && !spec.LanesExtensible {
				v.add(n.ID, l.Name, "", "lane", "%s has no lane %q", spec.Title, l.Name)
			}
			laneName := n.ID + "/" + l.Name
			lsc := sc
			if n.Type == ControlIfError && l.Name == "catch" {
				lsc = sc.with(n.ID, []Field{{Key: "error", Type: TypeObject}})
			}
			if len(l.Bindings) > 0 {
				v.bindings(n.ID, laneName, l.Bindings, condition, lsc, false)
			}
			after := v.cards(l.Cards, lsc, laneName)
			v.bindings(n.ID, laneName, l.Outputs, spec.OutputFields(n), after, false)
		}
		sc = sc.with(n.ID, spec.OutputFields(n))
	}
	return sc
}

// bindings checks the bindings of one card (or lane) against its fields.
func (v *validator) bindings(card, lane string, bs map[string]Binding, fields []Field, sc scope, required bool) {
	byKey := make(map[string]*Field, len(fields))
	for i := range fields {
		byKey[fields[i].Key] = &fields[i]
	}
	for key, b := range bs {
		f, ok := byKey[key]
		if !ok {
			v.add(card, lane, key, "unknown_input", "there is no field %q here", key)
			continue
		}
		set := 0
		if b.Ref != nil {
			set++
			if t, ok := v.ref(card, lane, key, b.Ref, sc); ok && !Convertible(t, f.Type) {
				v.add(card, lane, key, "type_mismatch", "%s.%s is %s and cannot become %s", b.Ref.Card, b.Ref.Field, t, f.Type)
			}
		}
		if len(b.Parts) > 0 {
			set++
			for _, p := range b.Parts {
				if p.Ref != nil {
					v.ref(card, lane, key, p.Ref, sc)
				}
			}
			if !Convertible(TypeText, f.Type) {
				v.add(card, lane, key, "type_mismatch", "text cannot become %s", f.Type)
			}
		}
		if b.Value != nil {
			set++
			if _, err := Convert(b.Value, f.Type); err != nil {
				v.add(card, lane, key, "type_mismatch", "the value does not fit %s: %v", f.Type, err)
			} else if s, isText := b.Value.(string); isText && len(f.Choices) > 0 && !slices.Contains(f.Choices, s) {
				v.add(card, lane, key, "choice", "%q is not one of %s", s, strings.Join(f.Choices, ", "))
			}
		}
		if set > 1 {
			v.add(card, lane, key, "binding", "a field takes one source: a value, a reference or text")
		}
	}
	if !required {
		return
	}
	for _, f := range fields {
		if !f.Required || f.Default != nil {
			continue
		}
		b, ok := bs[f.Key]
		if !ok || (b.Ref == nil && len(b.Parts) == 0 && (b.Value == nil || b.Value == "")) {
			v.add(card, lane, f.Key, "missing_input", "%q is required", fieldName(f))
		}
	}
}

func fieldName(f Field) string {
	if f.Label != "" {
		return f.Label
	}
	return f.Key
}

// ref checks one reference and returns the type it yields.
func (v *validator) ref(card, lane, key string, r *Ref, sc scope) (Type, bool) {
	fields, ok := sc[r.Card]
	if !ok {
		where, exists := v.ids[r.Card]
		switch {
		case !exists:
			v.add(card, lane, key, "bad_ref", "there is no card %q", r.Card)
		case r.Card == card:
			v.add(card, lane, key, "bad_ref", "a card cannot use its own outputs")
		case where != "" && !strings.HasPrefix(lane, where):
			v.add(card, lane, key, "bad_ref", "card %q is in another branch (%s)", r.Card, where)
		default:
			v.add(card, lane, key, "bad_ref", "card %q does not run before this card", r.Card)
		}
		return "", false
	}
	for _, f := range fields {
		if f.Key == r.Field {
			if r.Path != "" {
				return TypeAny, true
			}
			return f.Type, true
		}
	}
	v.add(card, lane, key, "bad_ref", "card %q has no output %q", r.Card, r.Field)
	return "", false
}
