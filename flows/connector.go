package flows

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Connector is a connector's draft: its overview and authentication.
// Its flows are saved flows whose ConnectorID is the connector's.
type Connector struct {
	ID        int64
	Info      ConnectorInfo
	Revision  int
	CreatedAt time.Time
	UpdatedAt time.Time
	// FlowCount is how many flows the connector has (in lists).
	FlowCount int
}

// AuthKinds lists the authentication kinds, for forms.
var AuthKinds = []AuthKind{AuthNone, AuthAPIKeyHeader, AuthBasic, AuthBearer, AuthOAuth2Client, AuthCustom}

// AuthFieldTypes are the types of a custom authentication field.
var AuthFieldTypes = []string{"text", "password", "dropdown"}

// Validate checks a connector's overview and authentication definition.
// Problems name the form field they concern ("name", "baseUrl",
// "auth.header", "auth.fields.2.key" …).
func (c ConnectorInfo) Validate() error {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Code: "connector", Message: fmt.Sprintf(format, args...)})
	}
	switch name := strings.TrimSpace(c.Name); {
	case name == "":
		add("name", "Give the connector a name.")
	case len(name) > MaxNameLength:
		add("name", "Use at most %d characters.", MaxNameLength)
	}
	if len(c.Description) > 1000 {
		add("description", "Use at most 1000 characters.")
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("baseUrl", "Use an http:// or https:// URL, e.g. https://api.example.com/v1.")
		}
	}
	a := c.Auth
	if !slices.Contains(AuthKinds, a.Kind) {
		add("auth.kind", "Choose how the connector authenticates.")
	}
	if a.Kind == AuthAPIKeyHeader && !validHeaderName(a.Header) {
		add("auth.header", "Name the header that carries the API key, e.g. X-Api-Key.")
	}
	if a.Kind == AuthOAuth2Client {
		if u, err := url.Parse(a.TokenURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("auth.tokenUrl", "Give the token endpoint as an http(s) URL.")
		}
	}
	validateHosts(a.Hosts, add)
	if a.Kind == AuthCustom && len(a.Fields) == 0 {
		add("auth.fields", "Add at least one field that a connection fills.")
	}
	seen := map[string]bool{}
	for i, f := range a.Fields {
		p := fmt.Sprintf("auth.fields.%d.", i)
		switch {
		case f.Key == "":
			add(p+"key", "Give the field a key.")
		case strings.ContainsAny(f.Key, ".[] ") || len(f.Key) > MaxFieldKeyLength:
			add(p+"key", "Use letters, digits, - and _ only.")
		case seen[f.Key]:
			add(p+"key", "Another field has the key %q.", f.Key)
		}
		seen[f.Key] = true
		if strings.TrimSpace(f.Label) == "" {
			add(p+"label", "Give the field a label.")
		}
		if !slices.Contains(AuthFieldTypes, f.Type) {
			add(p+"type", "Choose text, password or dropdown.")
		}
		if f.Type == "dropdown" && len(f.Choices) == 0 {
			add(p+"choices", "List the choices of the dropdown.")
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps}
}

// SendsCredentials reports whether connections of this kind put their
// credentials on requests themselves (API key, basic, bearer, OAuth2), so
// that the hosts which receive them matter.
func (k AuthKind) SendsCredentials() bool {
	switch k {
	case AuthAPIKeyHeader, AuthBasic, AuthBearer, AuthOAuth2Client:
		return true
	}
	return false
}

// OfKind returns the definition with only what its kind uses: the header
// of an API key, the token URL and scopes of OAuth2 client credentials, the
// fields of custom authentication, and the extra hosts of the kinds that
// send credentials. A form holds every kind's inputs; what the chosen kind
// does not use is dropped, neither checked nor stored.
func (a AuthDefinition) OfKind() AuthDefinition {
	out := AuthDefinition{Kind: a.Kind}
	switch a.Kind {
	case AuthAPIKeyHeader:
		out.Header = a.Header
	case AuthOAuth2Client:
		out.TokenURL, out.Scopes = a.TokenURL, a.Scopes
	case AuthCustom:
		out.Fields = a.Fields
	}
	if a.Kind.SendsCredentials() {
		out.Hosts = a.Hosts
	}
	return out
}

func validHeaderName(h string) bool {
	if h == "" || len(h) > 100 {
		return false
	}
	for _, r := range h {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// ConnectorVersion is a deployed, immutable snapshot of a connector.
type ConnectorVersion struct {
	ConnectorID int64
	Version     int
	CreatedAt   time.Time
	CreatedBy   string
	Export      ConnectorExport
}

// ExportConnector builds the export document of a connector and its flows.
// Each flow's key is its id, which the flows that call it use; an import
// rewrites those references to the new ids.
func ExportConnector(c Connector, fs []Flow) ConnectorExport {
	x := ConnectorExport{Schema: SchemaVersion, Connector: c.Info, Flows: make([]ExportedFlow, 0, len(fs))}
	for _, f := range fs {
		x.Flows = append(x.Flows, ExportedFlow{Key: fmt.Sprint(f.ID), Definition: f.Definition})
	}
	return x
}

// RemapCalls rewrites the flow ids that calling cards (Call Flow, For Each,
// Map …) hold, after an import gave the flows new ids.
func (d *Definition) RemapCalls(ids map[int64]int64) {
	remapIn(d.Cards, ids)
	if w := d.Webhook; w != nil {
		for _, l := range []*FlowLink{w.Registration, w.Deregistration} {
			if to, ok := ids[linkFlow(l)]; ok {
				l.Flow = to
			}
		}
	}
}

func linkFlow(l *FlowLink) int64 {
	if l == nil {
		return 0
	}
	return l.Flow
}

func remapIn(cards []Node, ids map[int64]int64) {
	for i := range cards {
		n := &cards[i]
		if callingCards[n.Type] {
			if v, err := Convert(n.Bindings["flow"].Value, TypeNumber); err == nil {
				if to, ok := ids[int64(v.(float64))]; ok {
					n.Bindings["flow"] = Binding{Value: float64(to)}
				}
			}
		}
		for l := range n.Lanes {
			remapIn(n.Lanes[l].Cards, ids)
		}
	}
}

// ValidateConnector checks a whole connector before it is deployed or
// imported: its overview and every flow. Problems of a flow carry the flow's
// key in Lane ("flow <key>: …") so they can be traced.
func ValidateConnector(x ConnectorExport, reg Registry) error {
	var ps []Problem
	if err := x.Connector.Validate(); err != nil {
		ps = append(ps, err.(*ValidationError).Problems...)
	}
	pings := 0
	byKey := make(map[string]*Definition, len(x.Flows))
	for i := range x.Flows {
		byKey[x.Flows[i].Key] = &x.Flows[i].Definition
	}
	for _, f := range x.Flows {
		if f.Definition.Kind == KindWebhookEvent {
			ps = append(ps, validateLinks(&f.Definition, byKey)...)
			ps = append(ps, eventOutputs(&f.Definition)...)
		}
		if f.Definition.Kind == KindPollingEvent {
			ps = append(ps, validatePolling(&f.Definition)...)
		}
		if f.Definition.Kind == KindWorkspace {
			ps = append(ps, Problem{Code: "kind", Message: fmt.Sprintf("flow %q: a connector holds no workspace flows", f.Definition.Name)})
		}
		if f.Definition.Kind == KindAuthPing {
			pings++
		}
		if err := Validate(f.Definition, reg); err != nil {
			for _, p := range err.(*ValidationError).Problems {
				p.Message = fmt.Sprintf("flow %q: %s", f.Definition.Name, p.Message)
				ps = append(ps, p)
			}
		}
	}
	if pings > 1 {
		ps = append(ps, Problem{Code: "authping", Message: "a connector has at most one Auth Ping flow"})
	}
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps}
}

// eventOutputs checks that a Webhook Event flow gives its event card
// outputs: they are the fields of its Return card, without which a
// workspace flow would have nothing of the event to use.
func eventOutputs(def *Definition) []Problem {
	ret := findReturn(def.Cards)
	switch {
	case ret == nil:
		return []Problem{{Field: "return", Code: "event_return", Message: fmt.Sprintf(
			"flow %q: a Webhook Event flow ends in a Return card whose fields are its event card's outputs; add a Return card and the fields that workspace flows use", def.Name)}}
	case len(ret.Inputs) == 0:
		return []Problem{{Card: ret.ID, Field: "return", Code: "event_return", Message: fmt.Sprintf(
			"flow %q: its Return card has no fields, so its event card would have no outputs; add the fields that workspace flows use", def.Name)}}
	}
	return nil
}

// Flow returns the flow exported under the key of flow id.
func (x ConnectorExport) Flow(id int64) (Definition, bool) {
	k := strconv.FormatInt(id, 10)
	for _, f := range x.Flows {
		if f.Key == k {
			return f.Definition, true
		}
	}
	return Definition{}, false
}

// FlowDefinition makes a deployed version the source of the flows its own
// flows call, so that a version runs as it was deployed.
func (x ConnectorExport) FlowDefinition(_ context.Context, id int64) (Definition, error) {
	if d, ok := x.Flow(id); ok {
		return d, nil
	}
	return Definition{}, fmt.Errorf("%w: flow %d is not in the deployed version", ErrNotFound, id)
}

// FlowsOfKind lists the export's flows of a kind, with their keys: its
// Webhook Event flows are the event cards a workspace flow can start with,
// its Action flows the action cards it can use.
func (x ConnectorExport) FlowsOfKind(kind Kind) []ExportedFlow {
	var out []ExportedFlow
	for _, f := range x.Flows {
		if f.Definition.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

// connection loads the connection a card of connector version v runs
// with: it must be one of the connector's, and a connector that
// authenticates needs one (for what).
func connection(ctx context.Context, store interface {
	Connection(ctx context.Context, id int64) (Connection, error)
}, v ConnectorVersion, id int64, what string) (*Connection, error) {
	if id == 0 {
		if k := v.Export.Connector.Auth.Kind; k != AuthNone && k != "" {
			return nil, fmt.Errorf("%w: choose a connection for the %s %s", ErrInvalid, v.Export.Connector.Name, what)
		}
		return nil, nil
	}
	c, err := store.Connection(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("connection %d: %w", id, err)
	}
	if c.ConnectorID != v.ConnectorID {
		return nil, fmt.Errorf("%w: connection %q belongs to another connector", ErrInvalid, c.Name)
	}
	return &c, nil
}

// ConnectorEvent returns the event card of a workspace flow started by the
// Webhook Event or Polling Event flow with key id of version v: the card's
// inputs are the event's options (for a Polling Event, after the interval
// its user chooses), its outputs the fields of the event flow's Return
// card (in run mode "each", the records field holds one record).
func ConnectorEvent(v ConnectorVersion, id int64) (Node, *EventSource, error) {
	def, ok := v.Export.Flow(id)
	if !ok || def.Kind != KindWebhookEvent && def.Kind != KindPollingEvent {
		return Node{}, nil, fmt.Errorf("%w: version %d of %s has no webhook or polling event %d", ErrNotFound, v.Version, v.Export.Connector.Name, id)
	}
	var options []Field
	var mode RunMode
	var path string
	switch {
	case def.Kind == KindPollingEvent:
		options = append([]Field{pollEventField(def.Polling)}, def.Event.Outputs...)
		if def.Polling != nil {
			mode, path = def.Polling.RunMode, def.Polling.RecordsPath
		}
	case def.Webhook != nil:
		options, mode, path = slices.Clone(def.Webhook.Options), def.Webhook.RunMode, def.Webhook.RecordsPath
	}
	n := Node{ID: "event", Type: EventConnector, Label: v.Export.Connector.Name + ": " + def.Name,
		Inputs: options, Bindings: map[string]Binding{}}
	key, _, _ := strings.Cut(path, ".")
	if ret := findReturn(def.Cards); ret != nil {
		for _, f := range ret.Inputs {
			if mode == RunEach && f.Key == key {
				if el, ok := f.Type.Elem(); ok {
					f.Type = el
				} else {
					f.Type = TypeAny
				}
			}
			n.Outputs = append(n.Outputs, f)
		}
	}
	return n, &EventSource{Connector: v.ConnectorID, Version: v.Version, Flow: id}, nil
}

// findReturn is the flow's Return card: the first at its top level. A
// Return inside a container's lane ends only that lane.
func findReturn(cards []Node) *Node {
	for i := range cards {
		if cards[i].Type == ControlReturn {
			return &cards[i]
		}
	}
	return nil
}
