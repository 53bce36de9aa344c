package flopack

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/hookflow/hookflow/flows"
)

// lane translates an inline flow into a container's lane: its entry card
// stands for what the container passes in.
func (x *flowTx) lane(container string, d *rawFlowData, catch bool) []flows.Node {
	root := x.root(d)
	if root == "" {
		return []flows.Node{}
	}
	x.entries[root] = container
	x.catches[root] = catch
	x.visited[root] = true
	saved := x.pending
	x.pending = nil
	cards := x.chain(x.next(root, ""), "")
	x.pending = saved
	return cards
}

// entryBinding is an output of a lane's entry card: the If Error's error
// in its catch lane, else the container's input of the same key.
func (x *flowTx) entryBinding(m *rawMethod, src source) (flows.Binding, bool) {
	container := x.entries[src.card]
	f := outputField(m, src.pin)
	if f == nil {
		return flows.Binding{}, false
	}
	if x.catches[src.card] && (strings.EqualFold(f.Key, "error") || f.group() == "context") {
		return flows.Binding{Ref: &flows.Ref{Card: container, Field: "error"}}, true
	}
	b, ok := x.passed[container][fieldKey(f.Key)]
	return b, ok
}

// passedInputs notes the inputs of a container that its lanes read
// (anything but its lanes and its condition).
func (x *flowTx) passedInputs(m *rawMethod, skip func(*rawField) bool) {
	if x.passed == nil {
		x.passed = map[string]map[string]flows.Binding{}
	}
	x.passed[m.UUID] = map[string]flows.Binding{}
	for _, f := range m.inputs() {
		if f.typeName() == "flo" || skip(&f) {
			continue
		}
		if b, ok := x.inputBinding(m, &f); ok {
			x.passed[m.UUID][fieldKey(f.Key)] = b
		}
	}
}

// branchNode makes an If/ElseIf of Okta's: each inline flow a lane, with
// the comparison of its group as the lane's condition; the one keyed or
// grouped "else" the else lane.
func (x *flowTx) branchNode(m *rawMethod, n *flows.Node) {
	x.passedInputs(m, func(f *rawField) bool { _, cond := conditionKeys[f.Key]; return cond })
	conds := map[string]map[string]flows.Binding{}
	for _, f := range m.inputs() {
		if k, ok := conditionKeys[f.Key]; ok {
			if b, ok := x.inputBinding(m, &f); ok {
				if conds[f.group()] == nil {
					conds[f.group()] = map[string]flows.Binding{}
				}
				conds[f.group()][k] = operatorValue(k, b)
			}
		}
	}
	var elseLane *flows.Lane
	i := 0
	for _, f := range m.inputs() {
		d := inlineFlow(f.Value.Data)
		if f.typeName() != "flo" || d == nil {
			continue
		}
		if isElse(f.Key) || isElse(f.group()) {
			elseLane = &flows.Lane{Name: "else", Cards: x.lane(n.ID, d, false)}
			continue
		}
		name := "if"
		if i > 0 {
			name = "if" + strconv.Itoa(i)
		}
		i++
		n.Lanes = append(n.Lanes, flows.Lane{Name: name, Bindings: conds[f.group()], Cards: x.lane(n.ID, d, false)})
	}
	if elseLane != nil {
		n.Lanes = append(n.Lanes, *elseLane)
	}
	x.containerOutputs(m, n)
}

func isElse(s string) bool { return strings.EqualFold(strings.TrimSpace(s), "else") }

func (x *flowTx) containerOutputs(m *rawMethod, n *flows.Node) {
	for _, f := range m.outputs() {
		if n.Type == flows.ControlIfError && strings.EqualFold(f.Key, "error") {
			continue
		}
		n.Outputs = append(n.Outputs, field(&f))
	}
	n.Outputs = uniqueFields(n.Outputs)
}

// tryNode makes an If Error of Okta's: the inline flow in its flo input
// is the try lane, its handler policy's flow the catch lane.
func (x *flowTx) tryNode(m *rawMethod, n *flows.Node) {
	x.passedInputs(m, func(*rawField) bool { return false })
	try := flows.Lane{Name: "try", Cards: []flows.Node{}}
	for _, f := range m.inputs() {
		if d := inlineFlow(f.Value.Data); d != nil && f.typeName() == "flo" {
			try.Cards = x.lane(n.ID, d, false)
			break
		}
	}
	catch := flows.Lane{Name: "catch", Cards: []flows.Node{}}
	if pol := m.Node.Model.Policy.Error; pol != nil {
		if d := inlineFlow(pol.Flo); d != nil {
			catch.Cards = x.lane(n.ID, d, true)
		}
	}
	n.Lanes = []flows.Lane{try, catch}
	x.containerOutputs(m, n)
}

var placeholder = regexp.MustCompile(`\{\{\{([^{}]*)\}\}\}`)

// placeholders splits Okta's text with {{{key}}} placeholders into text
// and the keys.
func placeholders(text string, each func(lit string), key func(k string)) {
	last := 0
	for _, loc := range placeholder.FindAllStringSubmatchIndex(text, -1) {
		if loc[0] > last {
			each(text[last:loc[0]])
		}
		key(text[loc[2]:loc[3]])
		last = loc[1]
	}
	if last < len(text) {
		each(text[last:])
	}
}

// byKey finds the input a placeholder names, by key or by id.
func byKey(fs rawFields, k string) *rawField {
	for i := range fs {
		if fs[i].Key == k {
			return &fs[i]
		}
	}
	for i := range fs {
		if fs[i].ID == k {
			return &fs[i]
		}
	}
	return nil
}

// composeNode makes a Compose whose text mixes the static parts and
// references to what fills each placeholder.
func (x *flowTx) composeNode(m *rawMethod, n *flows.Node) {
	ins := m.inputs()
	t := byKey(ins, "_text_")
	if t == nil {
		return
	}
	if len(x.incoming[m.UUID][t.ID]) > 0 {
		if b, ok := x.inputBinding(m, t); ok {
			n.Bindings["text"] = b
		}
		return
	}
	text, _ := t.data().(string)
	var parts []flows.Part
	addText := func(s string) {
		if s == "" {
			return
		}
		if l := len(parts); l > 0 && parts[l-1].Ref == nil {
			parts[l-1].Text += s
			return
		}
		parts = append(parts, flows.Part{Text: s})
	}
	refs := false
	placeholders(text, addText, func(k string) {
		f := byKey(ins, k)
		if f == nil {
			return
		}
		b, ok := x.inputBinding(m, f)
		switch {
		case !ok:
		case b.Ref != nil:
			parts, refs = append(parts, flows.Part{Ref: b.Ref}), true
		case b.Value != nil:
			s, _ := flows.ToText(b.Value)
			addText(s)
		}
	})
	switch {
	case refs:
		n.Bindings["text"] = flows.Binding{Parts: parts}
	case len(parts) == 1:
		n.Bindings["text"] = flows.Binding{Value: parts[0].Text}
	}
}

// formulaNode makes a Formula whose expression names its inputs.
func (x *flowTx) formulaNode(m *rawMethod, n *flows.Node) {
	ins := m.inputs()
	var expr strings.Builder
	for _, k := range []string{"_text_", "expression", "formula"} {
		if f := byKey(ins, k); f != nil {
			text, _ := f.data().(string)
			placeholders(text, func(s string) { expr.WriteString(s) }, func(k string) {
				if f := byKey(ins, k); f != nil {
					expr.WriteString(ident(f.Key))
				}
			})
			break
		}
	}
	n.Bindings["expression"] = flows.Binding{Value: expr.String()}
	for _, f := range ins {
		switch f.Key {
		case "_text_", "expression", "formula":
			continue
		}
		key := ident(f.Key)
		n.Inputs = append(n.Inputs, flows.Field{Key: key, Type: flows.TypeNumber})
		if b, ok := x.inputBinding(m, &f); ok {
			n.Bindings[key] = b
		}
	}
	n.Inputs = uniqueFields(n.Inputs)
}

// ident makes a key a name a formula can use.
func ident(k string) string {
	var b strings.Builder
	for _, r := range k {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_', r >= '0' && r <= '9' && b.Len() > 0:
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			b.WriteString("v")
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	if b.Len() == 0 {
		return "v"
	}
	return b.String()
}

// lookupNode makes a Lookup: Okta's options group becomes the cases.
func (x *flowTx) lookupNode(m *rawMethod, r rule, n *flows.Node) {
	cases := map[string]any{}
	for _, f := range m.inputs() {
		if strings.EqualFold(f.group(), "options") {
			if v := f.data(); v != nil {
				cases[f.Key] = v
			}
			continue
		}
		switch strings.ToLower(f.Key) {
		case "value":
			if b, ok := x.inputBinding(m, &f); ok {
				n.Bindings["value"] = b
			}
		case "else", "default":
			if b, ok := x.inputBinding(m, &f); ok {
				n.Bindings["default"] = b
			}
		}
	}
	if len(cases) > 0 {
		n.Bindings["cases"] = flows.Binding{Value: cases}
	}
}

// callNode makes Call Flow and the loops: the flo input names the helper
// (a pack flow by uuid, or an inline flow that becomes a helper), the
// other inputs go to it by key; the inputs a loop fills from each item
// are left to the loop.
func (x *flowTx) callNode(m *rawMethod, r rule, n *flows.Node) {
	order, rename := keys(r.In)
	for _, f := range m.inputs() {
		if f.typeName() == "flo" || f.Key == "flo" {
			key := flowUUID(f.Value.Data)
			if d := inlineFlow(f.Value.Data); d != nil {
				key = x.tr.helperFlow(d, x.job.name+": "+m.title())
			}
			if id, ok := x.tr.flowID(key); ok {
				n.Bindings["flow"] = flows.Binding{Value: float64(id)}
			} else if key != "" {
				name := x.tr.names[key]
				if name == "" {
					name = key
				}
				x.note("%s", noteMissingFlow(strconvQuote(name)))
			}
			continue
		}
		if p := f.Value.Proxy; p != nil && p.Dynamic && r.How == loop {
			continue
		}
		key, named := rename[f.Key]
		if !named {
			key, named = loosely(order, f.Key)
		}
		if !named {
			key = fieldKey(f.Key)
			n.Inputs = append(n.Inputs, flows.Field{Key: key, Type: fieldType(&f)})
		}
		if b, ok := x.inputBinding(m, &f); ok {
			n.Bindings[key] = b
		}
	}
	n.Inputs = uniqueFields(n.Inputs)
	if r.How == callFlow && r.Type == flows.ControlCallFlow {
		for _, f := range m.outputs() {
			n.Outputs = append(n.Outputs, field(&f))
		}
		n.Outputs = uniqueFields(n.Outputs)
	}
}

func strconvQuote(s string) string { return strconv.Quote(s) }

// constructNode makes an Object Construct; Okta keys that are dotted
// paths (commands.0.type) become "/" paths (commands/0/type), which the
// card builds into nested objects and lists as Okta's Construct does; a
// "/" within a part is no path there and becomes "_".
func (x *flowTx) constructNode(m *rawMethod, n *flows.Node) {
	seen := map[string]bool{}
	for _, f := range m.inputs() {
		fl := field(&f)
		var parts []string
		for _, p := range strings.Split(f.Key, ".") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, fieldKey(strings.ReplaceAll(p, "/", "_")))
			}
		}
		if len(parts) > 0 {
			fl.Key = fieldKey(strings.Join(parts, "/"))
		}
		if seen[fl.Key] {
			continue // a key seen before keeps its first field and value
		}
		seen[fl.Key] = true
		n.Inputs = append(n.Inputs, fl)
		if b, ok := x.inputBinding(m, &f); ok {
			n.Bindings[fl.Key] = b
		}
	}
}
