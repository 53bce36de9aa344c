package flows

// SchemaVersion is the version of the flow document format written by this
// build. See FORMAT.md.
const SchemaVersion = 1

// Kind is the kind of a flow. Persisted; the tokens never change.
type Kind string

// The flow kinds: connector flows, and the workspace flows users build.
const (
	KindAction                Kind = "action"
	KindHelper                Kind = "helper"
	KindWebhookEvent          Kind = "webhook_event"
	KindWebhookRegistration   Kind = "webhook_registration"
	KindWebhookDeregistration Kind = "webhook_deregistration"
	KindAuthPing              Kind = "authping"
	KindPollingEvent          Kind = "polling_event"
	KindWorkspace             Kind = "workspace"
)

// Definition is one flow's document: the event card and the ordered cards
// after it. It is stored as JSON on the flow's row.
type Definition struct {
	Schema      int    `json:"schema"`
	Kind        Kind   `json:"kind"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Event       Node   `json:"event"`
	Cards       []Node `json:"cards"`
	// Webhook holds a Webhook Event flow's card settings.
	Webhook *WebhookSettings `json:"webhook,omitempty"`
	// Polling holds a Polling Event flow's card settings (polling.go).
	Polling *PollingSettings `json:"polling,omitempty"`
	// Source is where a workspace flow's connector event card comes from.
	Source *EventSource `json:"source,omitempty"`
	// SaveData false keeps only the metadata of the flow's executions (its
	// cards' inputs and outputs are not saved); nil or true saves all.
	SaveData *bool `json:"saveData,omitempty"`
}

// Node is one card placed in a flow.
type Node struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Label string `json:"label,omitempty"`
	// Inputs and Outputs are the user-defined fields of extensible cards.
	Inputs   []Field            `json:"inputs,omitempty"`
	Outputs  []Field            `json:"outputs,omitempty"`
	Bindings map[string]Binding `json:"bindings,omitempty"`
	// Lanes are the child card lists of containers (If/Else branches, If Error's try and catch).
	Lanes   []Lane       `json:"lanes,omitempty"`
	OnError *ErrorPolicy `json:"onError,omitempty"`
	// Action names the connector action a connector.action card runs.
	Action *ActionRef `json:"action,omitempty"`
	// Unbound names the app event or action an unbound card stands for
	// (EventUnbound, CardUnbound: unbound.go).
	Unbound *Unbound `json:"unbound,omitempty"`
}

// ActionRef names an action flow (by key) of a deployed connector version,
// and the connection it runs with.
type ActionRef struct {
	Connector  int64 `json:"connector"`
	Version    int   `json:"version"`
	Flow       int64 `json:"flow"`
	Connection int64 `json:"connection,omitempty"`
}

// Lane is one child card list of a container card.
type Lane struct {
	Name string `json:"name"`
	// Bindings are the lane's condition (If/ElseIf: "a", "operator", "b").
	Bindings map[string]Binding `json:"bindings,omitempty"`
	Cards    []Node             `json:"cards"`
	// Outputs set the container's outputs when this lane ran, keyed by the
	// container's output field; they may refer to the lane's own cards.
	Outputs map[string]Binding `json:"outputs,omitempty"`
}

// Binding sets one input: a static value, a reference to an earlier card's
// output, or text mixing static parts and references. Exactly one is set.
type Binding struct {
	Value any    `json:"value,omitempty"`
	Ref   *Ref   `json:"ref,omitempty"`
	Parts []Part `json:"parts,omitempty"`
}

// Ref points at an output of an earlier card (or the event card): the card's
// id, the output field's key and an optional dotted path into its value.
type Ref struct {
	Card  string `json:"card"`
	Field string `json:"field"`
	Path  string `json:"path,omitempty"`
}

// Part is one piece of a text binding: static text or a reference.
type Part struct {
	Text string `json:"text,omitempty"`
	Ref  *Ref   `json:"ref,omitempty"`
}

// ErrorPolicy says what a card does when it fails: retry (HTTP 429 and 5xx),
// then halt the flow or return the given outputs and go on.
type ErrorPolicy struct {
	Retries int            `json:"retries,omitempty"`
	DelayMS int            `json:"delayMs,omitempty"`
	Then    ErrorAction    `json:"then,omitempty"`
	Outputs map[string]any `json:"outputs,omitempty"`
}

// ErrorAction is what happens after a card's retries are spent. Persisted.
type ErrorAction string

// The error actions.
const (
	ErrorHalt   ErrorAction = "halt"
	ErrorReturn ErrorAction = "return"
)

// SavesData reports whether the flow's executions keep all the data that
// passes through it ("Save all data that passes through the flow").
func (d *Definition) SavesData() bool { return d.SaveData == nil || *d.SaveData }
