package flopack

import (
	"fmt"
	"strings"

	"github.com/hookflow/hookflow/flows"
)

// Translate translates every flow of a pack, pointing references to the
// pack's flows and tables at their targets. The flows an app event's body
// (or another inline flow a loop calls) becomes are in the result too,
// after the pack's own, keyed by the inline flow's uuid: Keys lists every
// key the caller must give an id in t.Flows.
func Translate(p *Pack, t Targets) (Result, error) {
	if p == nil {
		return Result{}, &FormatError{Reason: "there is no pack"}
	}
	tr := &translator{pack: p, t: t, proxies: map[string]map[string]string{}, names: map[string]string{}, done: map[string]bool{}}
	for _, f := range p.Flows {
		tr.names[f.Key] = f.Name
		tr.collectProxies(f.data)
	}
	var res Result
	for _, f := range p.Flows {
		tr.done[f.Key] = true
		tr.queue = append(tr.queue, job{key: f.Key, name: f.Name, description: f.Description, data: f.data, top: true})
	}
	for len(tr.queue) > 0 {
		j := tr.queue[0]
		tr.queue = tr.queue[1:]
		fr := tr.flow(j)
		res.Flows = append(res.Flows, fr)
		res.Unsupported = append(res.Unsupported, fr.Unsupported...)
	}
	return res, nil
}

// Keys lists the key of every flow Translate makes: the pack's flows, then
// the helper flows made of inline flows (an app event's body), which need
// ids in Targets.Flows too.
func Keys(p *Pack) []string {
	if p == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, f := range p.Flows {
		out = append(out, f.Key)
		seen[f.Key] = true
	}
	var walk func(d *rawFlowData)
	walk = func(d *rawFlowData) {
		if d == nil {
			return
		}
		for i := range d.Methods {
			m := &d.Methods[i]
			r, _ := ruleFor(m.Address)
			for _, f := range m.inputs() {
				in := inlineFlow(f.Value.Data)
				if in == nil {
					continue
				}
				if (r.How == loop || r.How == callFlow) && f.typeName() == "flo" && !seen[helperKey(in)] {
					seen[helperKey(in)] = true
					out = append(out, helperKey(in))
				}
				walk(in)
			}
			if pol := m.Node.Model.Policy.Error; pol != nil {
				walk(inlineFlow(pol.Flo))
			}
		}
	}
	for _, f := range p.Flows {
		walk(f.data)
	}
	return out
}

// helperKey is the key of the helper flow an inline flow becomes.
func helperKey(d *rawFlowData) string { return "inline:" + d.UUID }

type job struct {
	key, name, description string
	data                   *rawFlowData
	top                    bool
	// body is set for an inline flow a loop calls: its entry card's
	// outputs that the loop does not pass are fields of each item.
	body bool
}

type translator struct {
	pack  *Pack
	t     Targets
	queue []job
	done  map[string]bool
	names map[string]string
	// proxies are, per helper flow key, the inputs a loop fills from each
	// item: input key → path in the item ("" for the item itself).
	proxies map[string]map[string]string
}

// collectProxies notes the inputs loops fill from each item.
func (tr *translator) collectProxies(d *rawFlowData) {
	if d == nil {
		return
	}
	for i := range d.Methods {
		m := &d.Methods[i]
		r, _ := ruleFor(m.Address)
		var target string
		for _, f := range m.inputs() {
			if f.typeName() == "flo" {
				if in := inlineFlow(f.Value.Data); in != nil {
					target = helperKey(in)
					tr.collectProxies(in)
				} else {
					target = flowUUID(f.Value.Data)
				}
			}
		}
		if r.How != loop || target == "" {
			continue
		}
		for _, f := range m.inputs() {
			if p := f.Value.Proxy; p != nil && p.Dynamic {
				if tr.proxies[target] == nil {
					tr.proxies[target] = map[string]string{}
				}
				if _, ok := tr.proxies[target][fieldKey(f.Key)]; !ok {
					tr.proxies[target][fieldKey(f.Key)] = p.Path
				}
			}
		}
	}
}

// helperFlow queues the helper flow an inline flow becomes and returns its key.
func (tr *translator) helperFlow(d *rawFlowData, name string) string {
	key := helperKey(d)
	if !tr.done[key] {
		tr.done[key] = true
		tr.names[key] = name
		tr.queue = append(tr.queue, job{key: key, name: name, data: d, body: true})
	}
	return key
}

// flowID is the stored id of a pack flow, and whether the caller gave one.
func (tr *translator) flowID(key string) (int64, bool) {
	id, ok := tr.t.Flows[key]
	return id, ok
}

// fieldKey makes an Okta field key a Hookflow one: no ".", "[" or "]".
func fieldKey(k string) string {
	k = strings.TrimSpace(k)
	k = strings.NewReplacer(".", "_", "[", "(", "]", ")").Replace(k)
	if k == "" {
		return "field"
	}
	if len(k) > flows.MaxFieldKeyLength {
		k = k[:flows.MaxFieldKeyLength]
	}
	return k
}

// fieldType is the Hookflow type of an Okta field.
func fieldType(f *rawField) flows.Type {
	t := flows.TypeAny
	switch f.typeName() {
	case "string":
		t = flows.TypeText
	case "number":
		t = flows.TypeNumber
	case "boolean":
		t = flows.TypeBool
	case "Date", "date":
		t = flows.TypeDate
	case "object":
		t = flows.TypeObject
	case "flo":
		t = flows.TypeNumber
	}
	if f.Value.Collection {
		return flows.ListOf(t)
	}
	return t
}

func field(f *rawField) flows.Field {
	out := flows.Field{Key: fieldKey(f.Key), Type: fieldType(f)}
	if f.Metadata.DisplayName != "" && f.Metadata.DisplayName != f.Key {
		out.Label = f.Metadata.DisplayName
	}
	return out
}

// uniqueFields drops fields whose key came before.
func uniqueFields(fs []flows.Field) []flows.Field {
	seen := map[string]bool{}
	out := fs[:0]
	for _, f := range fs {
		if !seen[f.Key] {
			seen[f.Key] = true
			out = append(out, f)
		}
	}
	return out
}

func noteMissingFlow(name string) string {
	return fmt.Sprintf("the helper flow %s is not in the pack: choose the flow it calls", name)
}
