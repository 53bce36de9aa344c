package flopack

import (
	"strings"
	"unicode"

	"github.com/hookflow/hookflow/flows"
)

// card translates one Okta card by its rule; a card without one becomes
// an unbound placeholder.
func (x *flowTx) card(m *rawMethod, r rule, known bool) flows.Node {
	if !known || r.Type == "" || r.How == eventCard {
		return x.unboundNode(m)
	}
	if r.How == tableCard {
		if n, ok := x.tableNode(m, r); ok {
			return x.policy(m, n)
		}
		return x.unboundNode(m)
	}
	x.ids[m.UUID] = true
	n := flows.Node{ID: m.UUID, Type: r.Type, Label: m.title(), Bindings: map[string]flows.Binding{}}
	if app, _ := channel(m.Address); app == "httpfunctions" && hasConfig(m) {
		x.note("the HTTP card %q used an Okta connection for its credentials: give them to it as headers (or use a connector action)", m.title())
	}
	switch r.How {
	case ifElseIf:
		x.branchNode(m, &n)
	case ifError:
		x.tryNode(m, &n)
		return n
	case compose:
		x.composeNode(m, &n)
	case formula:
		x.formulaNode(m, &n)
	case callFlow, loop:
		x.callNode(m, r, &n)
	case addedInputs, mirror:
		if r.Type == "object.construct" {
			x.constructNode(m, &n)
		} else {
			x.addedInputs(m, &n)
		}
	case pick:
		x.mappedInputs(m, r, &n)
		for _, f := range m.outputs() {
			n.Outputs = append(n.Outputs, flows.Field{Key: pickKey(f.Key), Type: fieldType(&f)})
		}
		n.Outputs = uniqueFields(n.Outputs)
	case lookup:
		x.lookupNode(m, r, &n)
	default:
		x.mappedInputs(m, r, &n)
	}
	return x.policy(m, n)
}

func pickKey(k string) string {
	return fieldKey(strings.ReplaceAll(strings.TrimSpace(k), ".", "/"))
}

// unboundNode is a placeholder for a card Hookflow has no card for: it
// names the app and the action and keeps the card's inputs and bindings.
func (x *flowTx) unboundNode(m *rawMethod) flows.Node {
	x.ids[m.UUID] = true
	app, action := channel(m.Address)
	if app == "" {
		app, action = "Okta Workflows", m.Node.Key
		if action == "" {
			action = m.Node.Model.Key
		}
	}
	n := flows.Node{ID: m.UUID, Type: flows.CardUnbound, Label: m.title(), Bindings: map[string]flows.Binding{},
		Unbound: &flows.Unbound{App: app, Name: action, Address: addressKey(m.Address)}}
	for _, f := range m.inputs() {
		if f.typeName() == "flo" {
			continue
		}
		fl := field(&f)
		n.Inputs = append(n.Inputs, fl)
		if b, ok := x.inputBinding(m, &f); ok {
			n.Bindings[fl.Key] = b
		}
	}
	for _, f := range m.outputs() {
		n.Outputs = append(n.Outputs, field(&f))
	}
	n.Inputs, n.Outputs = uniqueFields(n.Inputs), uniqueFields(n.Outputs)
	x.unsupported(m)
	x.placeholders[m.UUID] = true
	return n
}

// inputBinding is what sets an Okta input: the pin into it, else its
// static value.
func (x *flowTx) inputBinding(m *rawMethod, f *rawField) (flows.Binding, bool) {
	for _, src := range x.incoming[m.UUID][f.ID] {
		if b, ok := x.sourceBinding(src, m.UUID+"-"+fieldKey(f.Key)); ok {
			return b, true
		}
	}
	if f.typeName() == "flo" {
		return flows.Binding{}, false
	}
	switch v := f.data().(type) {
	case nil:
		return flows.Binding{}, false
	case string:
		if v == "" {
			return flows.Binding{}, false
		}
	case map[string]any:
		if len(v) == 0 {
			return flows.Binding{}, false
		}
	case []any:
		if len(v) == 0 {
			return flows.Binding{}, false
		}
	}
	return flows.Binding{Value: f.data()}, true
}

// mappedInputs binds a card's inputs by the rule's names: by rename, by
// the same name, then in order.
func (x *flowTx) mappedInputs(m *rawMethod, r rule, n *flows.Node) {
	order, rename := keys(r.In)
	ins := m.inputs()
	target := make([]string, len(ins))
	taken := map[string]bool{}
	for i := range ins {
		k := ins[i].Key
		if r.How == condition {
			if c, ok := conditionKeys[k]; ok {
				k = c
			}
		}
		if to, ok := rename[k]; ok {
			target[i] = to
		} else if to, ok := loosely(order, k); ok {
			target[i] = to
		}
		taken[target[i]] = true
	}
	for i := range ins {
		if target[i] != "" || ins[i].typeName() == "flo" {
			continue
		}
		for _, o := range order {
			if !taken[o] {
				target[i], taken[o] = o, true
				break
			}
		}
		if target[i] == "" {
			target[i] = fieldKey(ins[i].Key)
		}
	}
	for i := range ins {
		if target[i] == "" {
			continue
		}
		if b, ok := x.inputBinding(m, &ins[i]); ok {
			n.Bindings[target[i]] = unitValue(target[i], operatorValue(target[i], b))
		}
	}
}

// loosely finds k among keys, ignoring case, spaces and punctuation.
func loosely(keys []string, k string) (string, bool) {
	lk := looseName(k)
	for _, o := range keys {
		if looseName(o) == lk {
			return o, true
		}
	}
	return "", false
}

func looseName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// operatorValue renames Okta's comparison operators.
func operatorValue(key string, b flows.Binding) flows.Binding {
	if s, ok := b.Value.(string); ok && key == "operator" {
		if op, ok := operators[strings.ToLower(strings.TrimSpace(s))]; ok {
			b.Value = op
		}
	}
	return b
}

// unitValue writes Okta's time units ("second", "Minute", "hrs") as
// Hookflow's ("seconds", "minutes", "hours").
func unitValue(key string, b flows.Binding) flows.Binding {
	s, ok := b.Value.(string)
	if !ok || key != "unit" {
		return b
	}
	u := strings.ToLower(strings.TrimSpace(s))
	for _, full := range []string{"milliseconds", "seconds", "minutes", "hours", "days", "weeks", "months", "years"} {
		if u == full || u+"s" == full || (len(u) >= 2 && strings.HasPrefix(full, u) && u != "m") {
			b.Value = full
			return b
		}
	}
	switch u {
	case "ms":
		b.Value = "milliseconds"
	case "m":
		b.Value = "minutes"
	case "hrs", "hr", "h":
		b.Value = "hours"
	case "s", "sec", "secs":
		b.Value = "seconds"
	case "d":
		b.Value = "days"
	}
	return b
}

// conditionInputs binds a container's comparison (a, operator, b).
func (x *flowTx) conditionInputs(m *rawMethod, n *flows.Node) {
	for _, f := range m.inputs() {
		if k, ok := conditionKeys[f.Key]; ok {
			if b, ok := x.inputBinding(m, &f); ok {
				n.Bindings[k] = operatorValue(k, b)
			}
		}
	}
}

// addedInputs makes each Okta input an added input of the same name
// (Concatenate, List Construct, Assign, Return).
func (x *flowTx) addedInputs(m *rawMethod, n *flows.Node) {
	for _, f := range m.inputs() {
		fl := field(&f)
		n.Inputs = append(n.Inputs, fl)
		if b, ok := x.inputBinding(m, &f); ok {
			n.Bindings[fl.Key] = b
		}
	}
	n.Inputs = uniqueFields(n.Inputs)
}

// outputKey is the Hookflow output an Okta card's output pin becomes.
func (x *flowTx) outputKey(m *rawMethod, pin string) string {
	f := outputField(m, pin)
	if f == nil {
		return fieldKey(pin)
	}
	r, known := ruleFor(m.Address)
	if !known || x.placeholders[m.UUID] {
		return fieldKey(f.Key)
	}
	switch r.How {
	case pick:
		return pickKey(f.Key)
	case mirror, callFlow, ifElseIf, ifError:
		return fieldKey(f.Key)
	case eventCard:
		return fieldKey(f.Key)
	}
	if r.Type == "" {
		return fieldKey(f.Key)
	}
	order, rename := keys(r.Out)
	if to, ok := rename[f.Key]; ok {
		return to
	}
	if to, ok := loosely(order, f.Key); ok {
		return to
	}
	if len(order) > 0 {
		return order[0]
	}
	return fieldKey(f.Key)
}

// sourceBinding is the binding a pin from src makes: a reference to the
// card's output (through an expand card, a path into it; from an inline
// lane's entry, what its container was given), converted as the pin says.
func (x *flowTx) sourceBinding(src source, hint string) (flows.Binding, bool) {
	m := x.methods[src.card]
	if m == nil {
		return flows.Binding{}, false
	}
	var b flows.Binding
	var ok bool
	switch {
	case src.card == x.rootID:
		b, ok = x.eventRef(m, src.pin)
	case x.joins[src.card] != "":
		f := outputField(m, src.pin)
		if f == nil {
			return flows.Binding{}, false
		}
		b, ok = flows.Binding{Ref: &flows.Ref{Card: x.joins[src.card], Field: fieldKey(f.Key)}}, true
	case x.entries[src.card] != "":
		b, ok = x.entryBinding(m, src)
	case addressKey(m.Address) == "root:kernel:object:expand":
		b, ok = x.expandBinding(m, src)
	default:
		b, ok = flows.Binding{Ref: &flows.Ref{Card: src.card, Field: x.outputKey(m, src.pin)}}, true
	}
	if !ok {
		return b, false
	}
	if src.convert != "" {
		b = x.convert(b, src.convert, hint)
	}
	return b, true
}

// expandBinding is a reference through a hidden expand card: to what
// feeds the expand card, with the output's path added.
func (x *flowTx) expandBinding(m *rawMethod, src source) (flows.Binding, bool) {
	f := outputField(m, src.pin)
	if f == nil {
		return flows.Binding{}, false
	}
	path := f.Metadata.Path
	if path == "" {
		path = f.Key
	}
	if x.expanding[m.UUID] {
		return flows.Binding{}, false // an expand card fed by itself
	}
	x.expanding[m.UUID] = true
	defer delete(x.expanding, m.UUID)
	for _, in := range m.inputs() {
		for _, s := range x.incoming[m.UUID][in.ID] {
			s.convert = ""
			b, ok := x.sourceBinding(s, "")
			if !ok || b.Ref == nil {
				continue
			}
			r := *b.Ref
			if r.Path != "" {
				r.Path += "." + path
			} else {
				r.Path = path
			}
			return flows.Binding{Ref: &r}, true
		}
	}
	return flows.Binding{}, false
}

// conversions are the cards that make Okta's pin conversions: the card
// type, its input, its output and the input's type for an Assign.
var conversions = map[string]struct {
	typ, in, out string
	t            flows.Type
}{
	"parse":           {"json.parse", "json", "output", ""},
	"stringify":       {"json.stringify", "value", "output", ""},
	"toString":        {flows.ControlAssign, "value", "value", flows.TypeText},
	"booleanToString": {flows.ControlAssign, "value", "value", flows.TypeText},
	"isoString":       {flows.ControlAssign, "value", "value", flows.TypeText},
	"parseFloat":      {flows.ControlAssign, "value", "value", flows.TypeNumber},
	"dateTime":        {flows.ControlAssign, "value", "value", flows.TypeDate},
	"wrapArray":       {"list.construct", "item", "output", flows.TypeAny},
}

// convert places a card that converts b as Okta's conversion says, before
// the card being translated, and returns a reference to its output.
func (x *flowTx) convert(b flows.Binding, conv, hint string) flows.Binding {
	c, ok := conversions[conv]
	if !ok {
		x.note("the conversion %q is not known; the value is passed as it is", conv)
		return b
	}
	id := x.newID(hint + "-" + conv)
	n := flows.Node{ID: id, Type: c.typ, Label: "Convert (" + conv + ")", Bindings: map[string]flows.Binding{c.in: b}}
	if c.t != "" {
		n.Inputs = []flows.Field{{Key: c.in, Type: c.t}}
	}
	x.pending = append(x.pending, n)
	return flows.Binding{Ref: &flows.Ref{Card: id, Field: c.out}}
}

// newID is a card id not taken yet, made of base.
func (x *flowTx) newID(base string) string {
	if base == "" || strings.HasPrefix(base, "-") {
		base = "card" + base
	}
	id := base
	for i := 2; x.ids[id] || x.methods[id] != nil || id == "event"; i++ {
		id = base + "-" + itoa(i)
	}
	x.ids[id] = true
	return id
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// hasConfig reports whether a card names a connection.
func hasConfig(m *rawMethod) bool {
	c := strings.TrimSpace(string(m.Node.Model.Config))
	return c != "" && c != "null" && c != `""`
}
