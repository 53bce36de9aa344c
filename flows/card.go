package flows

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Field describes one input or output of a card: its key (unique on the card),
// label, type and help text. Card specs declare fields; extensible cards also
// carry user-defined fields on their Node.
type Field struct {
	Key      string   `json:"key"`
	Label    string   `json:"label,omitempty"`
	Type     Type     `json:"type"`
	Required bool     `json:"required,omitempty"`
	Help     string   `json:"help,omitempty"`
	Choices  []string `json:"choices,omitempty"`
	Default  any      `json:"default,omitempty"`
}

// Category groups cards in the builder's palette.
type Category string

// The palette categories.
const (
	CategoryControl   Category = "Control"
	CategoryText      Category = "Text"
	CategoryNumber    Category = "Number"
	CategoryBool      Category = "True/False"
	CategoryDate      Category = "Date & Time"
	CategoryList      Category = "List"
	CategoryObject    Category = "Object"
	CategoryJSON      Category = "JSON"
	CategoryHTTP      Category = "HTTP"
	CategoryCrypto    Category = "Crypto"
	CategoryURL       Category = "URL"
	CategoryEvent     Category = "Event"
	CategoryConnector Category = "Connectors"
)

// CardSpec is what a card type declares about itself: the builder's palette,
// validation and the documentation are all made from it.
type CardSpec struct {
	Type     string   `json:"type"` // stable registry key, e.g. "text.compose"; persisted
	Title    string   `json:"title"`
	Category Category `json:"category"`
	Help     string   `json:"help,omitempty"`
	Inputs   []Field  `json:"inputs,omitempty"`
	Outputs  []Field  `json:"outputs,omitempty"`
	// ExtensibleInputs and ExtensibleOutputs let the builder add, rename,
	// retype and remove fields on a placed card (Construct, Compose, Assign,
	// Return, event and helper inputs). The placed card's fields then come
	// from its Node, in addition to the spec's own.
	ExtensibleInputs  bool `json:"extensibleInputs,omitempty"`
	ExtensibleOutputs bool `json:"extensibleOutputs,omitempty"`
	// MirrorInputs says the card's outputs are its inputs (Assign, Return).
	MirrorInputs bool `json:"mirrorInputs,omitempty"`
	// Lanes names the child lanes of a container card; LanesExtensible lets
	// the builder add condition lanes (If/ElseIf).
	Lanes           []string `json:"lanes,omitempty"`
	LanesExtensible bool     `json:"lanesExtensible,omitempty"`
}

// InputFields returns the inputs of a placed card: the spec's, then the
// node's own for extensible cards.
func (s *CardSpec) InputFields(n *Node) []Field {
	if !s.ExtensibleInputs || len(n.Inputs) == 0 {
		return s.Inputs
	}
	return append(append(make([]Field, 0, len(s.Inputs)+len(n.Inputs)), s.Inputs...), n.Inputs...)
}

// OutputFields returns the outputs of a placed card.
func (s *CardSpec) OutputFields(n *Node) []Field {
	if s.MirrorInputs {
		return s.InputFields(n)
	}
	if !s.ExtensibleOutputs || len(n.Outputs) == 0 {
		return s.Outputs
	}
	return append(append(make([]Field, 0, len(s.Outputs)+len(n.Outputs)), s.Outputs...), n.Outputs...)
}

// Card is a function card: a pure step that turns resolved inputs into
// outputs. Cards never touch the database or the web layer.
//
// Example:
//
//	type upper struct{}
//	func (upper) Spec() flows.CardSpec { return flows.CardSpec{Type: "text.upper", ...} }
//	func (upper) Run(ctx context.Context, in flows.Input) (flows.Output, error) {
//		return flows.Output{"output": strings.ToUpper(in.Text("text"))}, nil
//	}
type Card interface {
	Spec() CardSpec
	Run(ctx context.Context, in Input) (Output, error)
}

// InMemoryCard is a Card that may report it computes its outputs from its
// inputs alone, neither waiting nor calling out: the engine then runs it
// without a card time limit, which it could not heed anyway, and spares
// the limit's timer.
type InMemoryCard interface {
	Card
	InMemory() bool
}

// Input is what a card receives: its inputs resolved from the bindings and
// converted to the declared field types, the placed card it runs as, and the
// connector it runs inside (nil outside a connector).
type Input struct {
	Values    map[string]any
	Node      *Node
	Connector *ConnectorContext
	Now       func() time.Time
}

// Output is a card's result, keyed by output field key.
type Output map[string]any

// Registry looks up function cards by type key. cards.Builtin() implements it;
// the interpreter's own control cards are not in it.
type Registry interface {
	Lookup(typ string) (Card, bool)
	Specs() []CardSpec
}

// AuthKind is the kind of a connector's authentication definition. Persisted.
type AuthKind string

// The authentication kinds a connector can declare.
const (
	AuthNone         AuthKind = "none"
	AuthAPIKeyHeader AuthKind = "api_key_header"
	AuthBasic        AuthKind = "basic"
	AuthBearer       AuthKind = "bearer"
	AuthOAuth2Client AuthKind = "oauth2_client_credentials"
	AuthCustom       AuthKind = "custom"
)

// ConnectorContext is what HTTP cards need to call a connector's service: its
// base URL and a connection's resolved credentials.
type ConnectorContext struct {
	BaseURL string
	Auth    AuthKind
	// Header is the header name for AuthAPIKeyHeader.
	Header string
	// Hosts are the further origins that receive the credentials (the
	// connector's auth.hosts); see Owns.
	Hosts []string
	// Values holds the connection's fields (api_key, username, password,
	// token, access_token, custom keys), secrets decrypted.
	Values map[string]string
}

// Apply sets the authentication of c on req when req goes to one of the
// connector's own origins (Owns); a request anywhere else goes without it.
func (c *ConnectorContext) Apply(req *http.Request) error {
	if c == nil || !c.Owns(req.URL) {
		return nil
	}
	switch c.Auth {
	case AuthNone, AuthCustom, "":
	case AuthAPIKeyHeader:
		if c.Header == "" {
			return fmt.Errorf("flows: connector api key header has no name")
		}
		req.Header.Set(c.Header, c.Values["api_key"])
	case AuthBasic:
		req.SetBasicAuth(c.Values["username"], c.Values["password"])
	case AuthBearer:
		req.Header.Set("Authorization", "Bearer "+c.Values["token"])
	case AuthOAuth2Client:
		req.Header.Set("Authorization", "Bearer "+c.Values["access_token"])
	default:
		return fmt.Errorf("flows: unknown connector auth %q", c.Auth)
	}
	return nil
}

// HTTPError is returned by HTTP cards for a response outside 2xx. The
// interpreter's error policy retries 429 and 5xx. It reads "HTTP 404 Not
// Found from POST https://api.acme.test/users"; the response's body is its
// Detail.
type HTTPError struct {
	Status     int
	RetryAfter time.Duration
	Body       string
	// Method and URL are the request's (the URL without its query, which
	// may hold credentials).
	Method, URL string
}

func (e *HTTPError) Error() string {
	s := "HTTP " + strconv.Itoa(e.Status)
	if text := http.StatusText(e.Status); text != "" {
		s += " " + text
	}
	if e.Method != "" {
		s += " from " + e.Method + " " + e.URL
	}
	return s
}

// Detail is the response's body, cut at 4 KiB.
func (e *HTTPError) Detail() string {
	if e.Body == "" {
		return ""
	}
	return "The response's body:\n" + truncate(e.Body, 4096)
}

// Retryable reports whether the status is worth retrying (429 and 5xx).
func (e *HTTPError) Retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
