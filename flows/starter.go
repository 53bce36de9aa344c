package flows

import "fmt"

// ConnectorKinds are the kinds of flow a connector holds, in the order the
// builder offers them, with their names in the builder.
var ConnectorKinds = []struct {
	Kind  Kind
	Title string
}{
	{KindAction, "Action"},
	{KindHelper, "Helper"},
	{KindWebhookEvent, "Webhook Event"},
	{KindWebhookRegistration, "Webhook Event: Registration"},
	{KindWebhookDeregistration, "Webhook Event: Deregistration"},
	{KindPollingEvent, "Polling Event"},
	{KindAuthPing, "Auth Ping"},
}

// NewDefinition returns the starting document of a new flow of a kind: its
// event card, and for a Registration flow the Return card with its one,
// undeletable field, Registration Data; a Polling Event flow starts with its
// default settings and a Return card holding the records.
func NewDefinition(kind Kind, name string) (Definition, error) {
	events, ok := kindEvents[kind]
	if !ok {
		return Definition{}, fmt.Errorf("%w: unknown flow kind %q", ErrInvalid, kind)
	}
	def := Definition{Schema: SchemaVersion, Kind: kind, Name: name, Event: Node{ID: "event", Type: events[0]}, Cards: []Node{}}
	if kind == KindWebhookRegistration {
		def.Cards = append(def.Cards, Node{ID: "return", Type: ControlReturn,
			Inputs: []Field{{Key: FieldRegistrationData, Label: "Registration Data", Type: TypeAny}}})
	}
	if kind == KindPollingEvent {
		def.Polling = NewPollingSettings()
		def.Cards = append(def.Cards, Node{ID: "return", Type: ControlReturn,
			Inputs: []Field{{Key: def.Polling.RecordsPath, Label: "Records", Type: ListOf(TypeAny)}}})
	}
	return def, nil
}

// callingCards take a helper flow's id in their "flow" input.
var callingCards = map[string]bool{ControlCallFlow: true, ControlCallFlowAsync: true, ControlForEach: true,
	ControlMap: true, ControlFilter: true, ControlReduce: true, ControlRepeat: true,
	ControlMapToList: true, ControlForEachIgnoreError: true, FlowExport: true}

// Calls reports whether the flow uses the flow with the given id: calls it
// from any card or lane, or links it as its webhook registration or
// deregistration flow.
func (d *Definition) Calls(id int64) bool {
	if w := d.Webhook; w != nil && (linkFlow(w.Registration) == id || linkFlow(w.Deregistration) == id) {
		return true
	}
	return callsIn(d.Cards, id)
}

func callsIn(cards []Node, id int64) bool {
	for i := range cards {
		n := &cards[i]
		if callingCards[n.Type] {
			if v, err := Convert(n.Bindings["flow"].Value, TypeNumber); err == nil && v == float64(id) {
				return true
			}
		}
		for _, l := range n.Lanes {
			if callsIn(l.Cards, id) {
				return true
			}
		}
	}
	return false
}
