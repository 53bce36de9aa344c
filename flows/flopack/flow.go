package flopack

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hookflow/hookflow/flows"
)

// flowTx translates one flow: a pack's, or a helper made of an inline flow.
type flowTx struct {
	tr  *translator
	job job
	fr  *FlowResult
	// methods are every card of the flow and of its inline flows, by uuid;
	// order is their place in the file, for a stable result.
	methods map[string]*rawMethod
	order   map[string]int
	succ    map[string][]string
	// incoming are the pins into each card's inputs: card → input pin → sources.
	incoming map[string]map[string][]source
	rootID   string
	// joins map a join card to the If/Else it closes; entries map the
	// entry card of an inline lane to its container.
	joins   map[string]string
	entries map[string]string
	// catches are the entry cards of If Error catch lanes.
	catches map[string]bool
	// passed are, per container, the inputs its lanes' entry cards stand for.
	passed  map[string]map[string]flows.Binding
	visited map[string]bool
	// pending are cards to place before the card being translated (the
	// conversions its inputs need).
	pending []flows.Node
	ids     map[string]bool
	event   *flows.Node
	// item are the event's fields that each item of a loop fills: key →
	// path in the item.
	item map[string]string
	// fromItem are the fields a loop fills from each item and Call Flow by
	// key (with their types); chooser is the card that picks one.
	fromItem map[string]flows.Type
	chooser  string
	// expanding are the expand cards being followed, against cycles.
	expanding map[string]bool
	// placeholders are the cards that became unbound placeholders: their
	// outputs keep Okta's names.
	placeholders map[string]bool
}

type source struct {
	card, pin string
	convert   string
}

func (tr *translator) flow(j job) FlowResult {
	fr := &FlowResult{Key: j.key}
	x := &flowTx{tr: tr, job: j, fr: fr, methods: map[string]*rawMethod{}, order: map[string]int{}, succ: map[string][]string{},
		incoming: map[string]map[string][]source{}, joins: map[string]string{}, entries: map[string]string{}, catches: map[string]bool{},
		visited: map[string]bool{}, ids: map[string]bool{}, item: map[string]string{}, fromItem: map[string]flows.Type{}, expanding: map[string]bool{}, placeholders: map[string]bool{}}
	x.index(j.data)
	def := flows.Definition{Schema: flows.SchemaVersion, Kind: flows.KindWorkspace, Name: flowName(j.name), Description: j.description, Cards: []flows.Node{}}
	x.rootID = x.root(j.data)
	def.Event = x.eventNode(&def)
	x.event = &def.Event
	def.Cards = x.chain(x.next(x.rootID, ""), "")
	if x.chooser != "" {
		def.Cards = append([]flows.Node{x.chooserNode()}, def.Cards...)
	}
	fr.Definition = def
	return *fr
}

func flowName(n string) string {
	n = strings.TrimSpace(n)
	if n == "" {
		n = "Imported flow"
	}
	if r := []rune(n); len(r) > flows.MaxNameLength {
		n = string(r[:flows.MaxNameLength])
	}
	return n
}

// index reads a flow body and its inline flows: cards, edges, pins.
func (x *flowTx) index(d *rawFlowData) {
	if d == nil {
		return
	}
	for i := range d.Methods {
		m := &d.Methods[i]
		if m.UUID == "" || x.methods[m.UUID] != nil {
			continue
		}
		x.methods[m.UUID] = m
		x.order[m.UUID] = len(x.order)
		for out, targets := range m.Pins {
			for target, pins := range targets {
				for _, p := range pins {
					conv := ""
					for _, tf := range p.Transform {
						conv = tf.Convert
						if tf.ForceWrapArray && conv == "" {
							conv = "wrapArray"
						}
					}
					if x.incoming[target] == nil {
						x.incoming[target] = map[string][]source{}
					}
					x.incoming[target][p.Input] = append(x.incoming[target][p.Input], source{card: m.UUID, pin: out, convert: conv})
				}
			}
		}
		for _, f := range m.inputs() {
			x.index(inlineFlow(f.Value.Data))
		}
		if pol := m.Node.Model.Policy.Error; pol != nil {
			x.index(inlineFlow(pol.Flo))
		}
	}
	for _, id := range sortedKeys(d.Orderings) {
		e := d.Orderings[id]
		if len(e) != 2 || e[0] == e[1] || e[0] == "" || e[1] == "" {
			continue // a self-loop or a broken edge
		}
		if !contains(x.succ[e[0]], e[1]) {
			x.succ[e[0]] = append(x.succ[e[0]], e[1])
		}
	}
	for _, s := range x.succ {
		sort.SliceStable(s, func(i, j int) bool { return x.order[s[i]] < x.order[s[j]] })
	}
	for k := range x.incoming {
		for _, srcs := range x.incoming[k] {
			sort.SliceStable(srcs, func(i, j int) bool { return x.order[srcs[i].card] < x.order[srcs[j].card] })
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// root is a flow body's first card: the one no edge leads to, apart from
// If/Else branch heads and comments.
func (x *flowTx) root(d *rawFlowData) string {
	if d == nil {
		return ""
	}
	into := map[string]bool{}
	for _, e := range d.Orderings {
		if len(e) == 2 && e[0] != e[1] {
			into[e[1]] = true
		}
	}
	heads := map[string]bool{}
	for i := range d.Methods {
		for h := range d.Methods[i].Branches {
			heads[h] = true
		}
	}
	var first string
	for i := range d.Methods {
		m := &d.Methods[i]
		k := addressKey(m.Address)
		if into[m.UUID] || heads[m.UUID] || k == "root:kernel:control:comment" || k == "root:kernel:object:expand" || m.UUID == "" {
			continue
		}
		if isEventAddress(m) {
			return m.UUID
		}
		if first == "" {
			first = m.UUID
		}
	}
	return first
}

func isEventAddress(m *rawMethod) bool {
	switch addressKey(m.Address) {
	case "root:kernel:control:callable", "root:kernel:control:noop", "root:kernel:http:accept", "root:kernel:http:delegated":
		return true
	}
	return m.Node.Model.Webhook
}

// next is the card after id on its path: a successor not seen yet, other
// than stop (a lane's join) when there is one.
func (x *flowTx) next(id, stop string) string {
	if id == "" {
		return ""
	}
	var fallback string
	for _, s := range x.succ[id] {
		if x.visited[s] {
			continue
		}
		if s == stop {
			fallback = s
			continue
		}
		if addressKey(x.methods[s].addr()) == "root:kernel:control:comment" && len(x.succ[id]) > 1 {
			continue
		}
		return s
	}
	for _, s := range x.succ[id] {
		if !x.visited[s] && s != stop {
			return s
		}
	}
	return fallback
}

func (m *rawMethod) addr() string {
	if m == nil {
		return ""
	}
	return m.Address
}

// chain translates the cards from start along the edges until stop.
func (x *flowTx) chain(start, stop string) []flows.Node {
	cards := []flows.Node{}
	for id := start; id != "" && id != stop && !x.visited[id]; {
		x.visited[id] = true
		m := x.methods[id]
		if m == nil {
			break
		}
		r, known := ruleFor(m.Address)
		after := id
		switch {
		case known && r.How == ifElse:
			n, join := x.ifElse(m)
			cards = append(cards, x.flush(n)...)
			if join != "" {
				x.visited[join] = true
				after = join
			}
		case known && r.How == structural:
			// a noop or join met on the way, an entry card: nothing to run
		default:
			cards = append(cards, x.flush(x.card(m, r, known))...)
		}
		id = x.next(after, stop)
	}
	return cards
}

// flush places the pending conversions, then the cards.
func (x *flowTx) flush(ns ...flows.Node) []flows.Node {
	out := append(x.pending, ns...)
	x.pending = nil
	return out
}

// ifElse makes an If/Else container of an Okta If/Else, its two branches
// (from their noop heads to the join) and the join's outputs. It returns
// the join, after which the flow goes on.
func (x *flowTx) ifElse(m *rawMethod) (flows.Node, string) {
	n := flows.Node{ID: m.UUID, Type: flows.ControlIfElse, Label: m.title(), Bindings: map[string]flows.Binding{}}
	x.ids[n.ID] = true
	x.conditionInputs(m, &n)
	// The condition's conversions run before the If/Else, not in a lane.
	before := x.pending
	x.pending = nil
	defer func() { x.pending = append(before, x.pending...) }()
	var heads [2]string
	for _, h := range sortedKeys(m.Branches) {
		if m.Branches[h] {
			heads[0] = h
		} else {
			heads[1] = h
		}
	}
	join := x.findJoin(heads[0], heads[1])
	if join != "" {
		x.joins[join] = n.ID
	}
	for i, name := range []string{"then", "else"} {
		lane := flows.Lane{Name: name, Cards: []flows.Node{}}
		if heads[i] != "" {
			x.visited[heads[i]] = true
			lane.Cards = x.chain(x.next(heads[i], join), join)
		}
		n.Lanes = append(n.Lanes, lane)
	}
	jm := x.methods[join]
	if jm == nil {
		return n, join
	}
	outKeys := map[string]string{}
	for _, f := range jm.outputs() {
		outKeys[f.ID] = fieldKey(f.Key)
		n.Outputs = append(n.Outputs, field(&f))
	}
	n.Outputs = uniqueFields(n.Outputs)
	inAny := cardSet(append(append([]flows.Node{}, n.Lanes[0].Cards...), n.Lanes[1].Cards...))
	for li := range n.Lanes {
		lane := &n.Lanes[li]
		inLane := cardSet(lane.Cards)
		for _, in := range sortedKeys(jm.Joins) {
			for _, j := range jm.Joins[in] {
				if key, ok := outKeys[j.Output]; ok {
					x.laneOutput(lane, key, x.joinSource(x.incoming[join][in], inLane, inAny, heads[li]), join)
				}
			}
		}
	}
	return n, join
}

// joinSource is the pin into a join's input that a lane sets: one from a
// card of the lane, else one from a card before the If/Else.
func (x *flowTx) joinSource(srcs []source, inLane, inAny map[string]bool, head string) *source {
	for i := range srcs {
		if inLane[srcs[i].card] || srcs[i].card == head {
			return &srcs[i]
		}
	}
	for i := range srcs {
		if !inAny[srcs[i].card] && x.methods[srcs[i].card] != nil && !x.isBranchHead(srcs[i].card) {
			return &srcs[i]
		}
	}
	return nil
}

func (x *flowTx) isBranchHead(id string) bool {
	m := x.methods[id]
	return m != nil && addressKey(m.Address) == "root:kernel:control:noop" && id != x.rootID
}

// laneOutput sets a lane's output key from a pin, its conversions placed
// at the lane's end.
func (x *flowTx) laneOutput(lane *flows.Lane, key string, src *source, join string) {
	if src == nil {
		return
	}
	if b, ok := x.sourceBinding(*src, join+"-"+key); ok {
		if lane.Outputs == nil {
			lane.Outputs = map[string]flows.Binding{}
		}
		lane.Outputs[key] = b
		lane.Cards = append(lane.Cards, x.flush()...)
	}
}

// findJoin is the join both branches reach first.
func (x *flowTx) findJoin(a, b string) string {
	reach := func(from string) []string {
		var out []string
		seen := map[string]bool{}
		q := []string{from}
		for len(q) > 0 {
			id := q[0]
			q = q[1:]
			if id == "" || seen[id] {
				continue
			}
			seen[id] = true
			out = append(out, id)
			q = append(q, x.succ[id]...)
		}
		return out
	}
	inB := map[string]bool{}
	for _, id := range reach(b) {
		inB[id] = true
	}
	for _, id := range reach(a) {
		if addressKey(x.methods[id].addr()) == "root:kernel:control:join" && (b == "" || inB[id]) {
			return id
		}
	}
	return ""
}

func cardSet(cards []flows.Node) map[string]bool {
	out := map[string]bool{}
	var walk func([]flows.Node)
	walk = func(cs []flows.Node) {
		for _, c := range cs {
			out[c.ID] = true
			for _, l := range c.Lanes {
				walk(l.Cards)
			}
		}
	}
	walk(cards)
	return out
}

// unsupported records a card Hookflow cannot run.
func (x *flowTx) unsupported(m *rawMethod) {
	app, action := channel(m.Address)
	x.fr.Unsupported = append(x.fr.Unsupported, Unsupported{FlowKey: x.job.key, Flow: x.job.name, Card: m.title(),
		Address: addressKey(m.Address), App: app, Action: action})
}

func (x *flowTx) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for _, n := range x.fr.Notes {
		if n == msg {
			return
		}
	}
	x.fr.Notes = append(x.fr.Notes, msg)
}
