package flopack

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hookflow/hookflow/flows"
)

// eventNode makes the flow's event card of its first card, and says what
// kind of flow it is.
func (x *flowTx) eventNode(def *flows.Definition) flows.Node {
	m := x.methods[x.rootID]
	ev := flows.Node{ID: "event", Type: flows.EventManual}
	x.fr.Kind = KindManual
	if m == nil {
		return ev
	}
	x.visited[x.rootID] = true
	ev.Label = m.title()
	switch addressKey(m.Address) {
	case "root:kernel:control:callable":
		if x.job.top && (x.job.data.Scheduled || strings.EqualFold(m.title(), "Scheduled Flow")) {
			x.fr.Kind = KindSchedule
			return x.scheduleEvent(ev)
		}
		ev.Type = flows.EventHelper
		x.fr.Kind = KindHelper
		proxied := x.tr.proxies[x.job.key]
		for _, f := range m.outputs() {
			if f.group() == "context" {
				continue
			}
			k := fieldKey(f.Key)
			if path, ok := proxied[k]; ok {
				// A loop fills it from each item, Call Flow by its key:
				// the first card takes whichever the run has.
				x.item[k] = path
				x.fromItem[k] = fieldType(&f)
				ev.Outputs = append(ev.Outputs, field(&f))
				continue
			}
			if x.job.body && proxied == nil {
				x.item[k] = f.Key // an app event's record: its fields by name
				continue
			}
			ev.Outputs = append(ev.Outputs, field(&f))
		}
	case "root:kernel:control:noop":
		x.fr.Kind = KindManual
	case "root:kernel:http:accept":
		ev.Type = flows.EventAPIEndpoint
		x.fr.Kind = KindEndpoint
		lvl := x.job.data.SecurityLevel
		if lvl == "" {
			lvl = "open"
		}
		x.note("API Endpoint flow (Okta security %q): it answers at its invoke URL once it is ON; give callers the invoke URL and its token", lvl)
	case "root:kernel:http:delegated":
		x.fr.Kind = KindDelegated
		for _, f := range m.outputs() {
			ev.Outputs = append(ev.Outputs, field(&f))
		}
		x.note("a Delegated Flow (run from the Okta Admin Console) became a manual flow with the same inputs")
	default:
		app, _ := channel(m.Address)
		if app == "" {
			app = "Okta Workflows"
		}
		x.fr.Kind = KindAppEvent
		ev.Type = flows.EventUnbound
		ev.Unbound = &flows.Unbound{App: app, Name: m.title(), Address: addressKey(m.Address)}
		for _, f := range m.outputs() {
			ev.Outputs = append(ev.Outputs, field(&f))
		}
		x.note("the flow started on the %s event %q (%s): choose a connector's Webhook Event card for it on the flow's page", app, m.title(), addressKey(m.Address))
		x.unsupported(m)
	}
	ev.Outputs = uniqueFields(ev.Outputs)
	return ev
}

// eventRef is the binding of an output of the flow's event card.
func (x *flowTx) eventRef(m *rawMethod, pin string) (flows.Binding, bool) {
	f := outputField(m, pin)
	if f == nil {
		return flows.Binding{}, false
	}
	k := fieldKey(f.Key)
	ref := func(field, path string) (flows.Binding, bool) {
		return flows.Binding{Ref: &flows.Ref{Card: "event", Field: field, Path: path}}, true
	}
	switch x.event.Type {
	case flows.EventAPIEndpoint:
		switch g := strings.ToLower(f.group()); {
		case g == "body" || g == "query" || g == "headers":
			p := f.Key
			if g == "headers" {
				p = strings.ToLower(p)
			}
			return ref(g, p)
		}
		switch lk := strings.ToLower(f.Key); lk {
		case "method", "headers", "query", "body":
			return ref(lk, "")
		}
		return ref("body", f.Key)
	case flows.EventSchedule:
		return ref(flows.FieldScheduledAt, "")
	}
	if f.group() == "context" {
		switch lk := strings.ToLower(f.Key); lk {
		case "index":
			x.eventField("index", flows.TypeNumber)
			return ref("index", "")
		case "error":
			x.eventField("error", flows.TypeObject)
			return ref("error", "")
		}
		x.eventField(k, flows.TypeAny)
		return ref(k, "")
	}
	if _, ok := x.fromItem[k]; ok {
		x.eventField("item", flows.TypeAny)
		if x.chooser == "" {
			x.chooser = x.newID("item-inputs")
		}
		return flows.Binding{Ref: &flows.Ref{Card: x.chooser, Field: k}}, true
	}
	if path, ok := x.item[k]; ok {
		x.eventField("item", flows.TypeAny)
		return ref("item", path)
	}
	return ref(k, "")
}

// eventField adds an output to an event card that takes added ones.
func (x *flowTx) eventField(key string, t flows.Type) {
	if spec, ok := flows.EventSpec(x.event.Type); !ok || !spec.ExtensibleOutputs {
		return
	}
	for _, f := range x.event.Outputs {
		if f.Key == key {
			return
		}
	}
	x.event.Outputs = append(x.event.Outputs, flows.Field{Key: key, Type: t})
}

func outputField(m *rawMethod, pin string) *rawField {
	fs := m.outputs()
	for i := range fs {
		if fs[i].ID == pin {
			return &fs[i]
		}
	}
	for i := range fs {
		if fs[i].Key == pin {
			return &fs[i]
		}
	}
	return nil
}

// scheduleEvent makes a Schedule card of Okta's cron object.
func (x *flowTx) scheduleEvent(ev flows.Node) flows.Node {
	var cron map[string]any
	_ = json.Unmarshal(x.job.data.Cron, &cron)
	part := func(k string) string {
		switch v := cron[k].(type) {
		case string:
			if s := strings.TrimSpace(v); s != "" {
				return strings.ReplaceAll(s, " ", "")
			}
		case float64:
			return flows.FormatNumber(v)
		case []any:
			var ps []string
			for _, e := range v {
				ps = append(ps, fmt.Sprint(e))
			}
			if len(ps) > 0 {
				return strings.Join(ps, ",")
			}
		}
		return "*"
	}
	expr := strings.Join([]string{part("minutes"), part("hours"), part("dayOfTheMonth"), part("month"), part("dayOfTheWeek")}, " ")
	if s := part("seconds"); s != "*" && s != "0" {
		expr = s + " " + expr
	}
	tz, _ := cron["timeZone"].(string)
	if tz == "" {
		tz = "UTC"
	}
	ev.Type = flows.EventSchedule
	ev.Bindings = map[string]flows.Binding{
		flows.FieldScheduleMode:       {Value: string(flows.ScheduleCron)},
		flows.FieldScheduleExpression: {Value: expr},
		flows.FieldScheduleTimezone:   {Value: tz},
	}
	for k, f := range map[string]string{"startDate": flows.FieldScheduleStart, "endDate": flows.FieldScheduleEnd} {
		if s, _ := cron[k].(string); strings.TrimSpace(s) != "" {
			ev.Bindings[f] = flows.Binding{Value: strings.TrimSpace(s)}
		}
	}
	x.note("scheduled flow: cron %q in %s", expr, tz)
	return ev
}

// chooserNode is the first card of a helper flow that a loop calls with
// each item and Call Flow with inputs by key: an If/Else whose outputs are
// the inputs, taken from the item when there is one.
func (x *flowTx) chooserNode() flows.Node {
	n := flows.Node{ID: x.chooser, Type: flows.ControlIfElse, Label: "Inputs from the loop's item",
		Bindings: map[string]flows.Binding{"a": {Ref: &flows.Ref{Card: "event", Field: "item"}}, "operator": {Value: string(flows.OpIsNotEmpty)}}}
	then := flows.Lane{Name: "then", Cards: []flows.Node{}, Outputs: map[string]flows.Binding{}}
	els := flows.Lane{Name: "else", Cards: []flows.Node{}, Outputs: map[string]flows.Binding{}}
	for _, k := range sortedKeys(x.fromItem) {
		n.Outputs = append(n.Outputs, flows.Field{Key: k, Type: x.fromItem[k]})
		then.Outputs[k] = flows.Binding{Ref: &flows.Ref{Card: "event", Field: "item", Path: x.item[k]}}
		els.Outputs[k] = flows.Binding{Ref: &flows.Ref{Card: "event", Field: k}}
	}
	n.Lanes = []flows.Lane{then, els}
	return n
}
