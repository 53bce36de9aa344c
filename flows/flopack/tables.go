package flopack

import (
	"encoding/json"
	"strings"

	"github.com/hookflow/hookflow/flows"
)

// tableNode makes a Tables card on the pack's table the Okta card names
// (by its uuid, in an input or in the card's parameters). Okta's column
// inputs go to the columns of the same name.
func (x *flowTx) tableNode(m *rawMethod, r rule) (flows.Node, bool) {
	key := x.tableKey(m)
	t, ok := x.tr.t.Tables[key]
	if !ok {
		name := key
		for _, pt := range x.tr.pack.Tables {
			if pt.Key == key {
				name = pt.Table.Name
			}
		}
		if name == "" {
			x.note("the Tables card %q names no table of the pack", m.title())
		} else {
			x.note("the Tables card %q uses the table %q, which the import was not given", m.title(), name)
		}
		return flows.Node{}, false
	}
	x.ids[m.UUID] = true
	n := flows.Node{ID: m.UUID, Type: r.Type, Label: m.title(), Bindings: map[string]flows.Binding{"table": {Value: float64(t.ID)}}}
	if flows.TableCardColumns(r.Type) {
		flows.SetTableColumns(&n, &t)
	}
	order, _ := keys(r.In)
	for _, f := range m.inputs() {
		if s, _ := f.data().(string); s == key && key != "" {
			continue
		}
		b, ok := x.inputBinding(m, &f)
		if !ok {
			continue
		}
		if col, ok := t.Column(f.Key); ok && flows.TableCardColumns(r.Type) {
			n.Bindings[col.Name] = b
			continue
		}
		if c := tableColumnLoose(&t, f.Key); c != "" && flows.TableCardColumns(r.Type) {
			n.Bindings[c] = b
			continue
		}
		lk := looseName(f.Key)
		switch {
		case lk == "rowid" || lk == "id":
			n.Bindings["id"] = b
		case lk == "direction" || lk == "sortdirection":
			if s, ok := b.Value.(string); ok {
				n.Bindings["descending"] = flows.Binding{Value: strings.EqualFold(s, "desc") || strings.EqualFold(s, "descending")}
			}
		case lk == "sortcolumn" || lk == "sortby":
			n.Bindings["sort"] = b
		case strings.Contains(lk, "where") || strings.Contains(lk, "filter"):
			x.note("the Tables card %q filters rows with an expression: set its conditions by hand", m.title())
		default:
			if to, ok := loosely(order, f.Key); ok {
				n.Bindings[to] = b
			}
		}
	}
	return n, true
}

func tableColumnLoose(t *flows.Table, k string) string {
	lk := looseName(k)
	for _, c := range t.Columns {
		if looseName(c.Name) == lk {
			return c.Name
		}
	}
	return ""
}

// tableKey is the pack table an Okta Tables card names.
func (x *flowTx) tableKey(m *rawMethod) string {
	known := map[string]bool{}
	for _, t := range x.tr.pack.Tables {
		known[t.Key] = true
	}
	for k := range x.tr.t.Tables {
		known[k] = true
	}
	for _, f := range m.inputs() {
		if s, ok := f.data().(string); ok && known[s] {
			return s
		}
	}
	var found string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if known[x] && found == "" {
				found = x
			}
		case map[string]any:
			for _, k := range sortedKeys(x) {
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	var params any
	if json.Unmarshal(m.Node.Model.Parameters, &params) == nil {
		walk(params)
	}
	return found
}

// policy carries a card's Okta error policy over: retries and their
// delay, then halt (finish), go on with empty outputs (return), or run
// another flow (an If Error around the card whose catch lane calls it,
// then fails as the card did).
func (x *flowTx) policy(m *rawMethod, n flows.Node) flows.Node {
	pol := m.Node.Model.Policy.Error
	if pol == nil {
		return n
	}
	p := flows.ErrorPolicy{Retries: int(pol.Retry), DelayMS: delayMS(pol.Delay), Then: flows.ErrorHalt}
	switch pol.Type {
	case "return":
		p.Then = flows.ErrorReturn
	case "flo":
		if p.Retries > 0 {
			n.OnError = &p
		}
		return x.runFlowOnError(m, n, flowUUID(pol.Flo))
	}
	if p.Retries > 0 || p.Then == flows.ErrorReturn {
		n.OnError = &p
	}
	return n
}

// delayMS is Okta's delay: milliseconds, or a list of them (the first).
func delayMS(raw json.RawMessage) int {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return 0
	}
	switch d := v.(type) {
	case float64:
		return int(d)
	case []any:
		if len(d) > 0 {
			f, _ := d[0].(float64)
			return int(f)
		}
	}
	return 0
}

// runFlowOnError wraps a card in an If Error: the card in the try lane
// (the If Error takes its id and outputs, so references to it hold), a
// Call Flow to the helper with the error, then a Return Error, in the
// catch lane.
func (x *flowTx) runFlowOnError(m *rawMethod, n flows.Node, helper string) flows.Node {
	inner := n
	inner.ID = x.newID(n.ID + "-try")
	w := flows.Node{ID: n.ID, Type: flows.ControlIfError, Label: n.Label + " (on error, run a flow)"}
	try := flows.Lane{Name: "try", Cards: []flows.Node{inner}, Outputs: map[string]flows.Binding{}}
	for _, f := range m.outputs() {
		k := x.outputKey(m, f.ID)
		if k == "error" {
			continue
		}
		w.Outputs = append(w.Outputs, flows.Field{Key: k, Type: flows.TypeAny})
		try.Outputs[k] = flows.Binding{Ref: &flows.Ref{Card: inner.ID, Field: k}}
	}
	w.Outputs = uniqueFields(w.Outputs)
	call := flows.Node{ID: x.newID(n.ID + "-on-error"), Type: flows.ControlCallFlow, Label: "Run the error flow",
		Inputs:   []flows.Field{{Key: "error", Type: flows.TypeObject}},
		Bindings: map[string]flows.Binding{"error": {Ref: &flows.Ref{Card: n.ID, Field: "error"}}}}
	if id, ok := x.tr.flowID(helper); ok {
		call.Bindings["flow"] = flows.Binding{Value: float64(id)}
	} else {
		x.note("%s", noteMissingFlow(strconvQuote(helper)))
	}
	fail := flows.Node{ID: x.newID(n.ID + "-fail"), Type: flows.ControlReturnError, Label: "Fail as the card did",
		Bindings: map[string]flows.Binding{"message": {Ref: &flows.Ref{Card: n.ID, Field: "error", Path: "message"}}}}
	w.Lanes = []flows.Lane{try, {Name: "catch", Cards: []flows.Node{call, fail}}}
	return w
}
