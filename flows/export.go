package flows

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// MarshalDefinition writes a flow document as canonical, indented JSON.
// ParseDefinition of its output gives the same document, and marshalling
// that again gives the same bytes.
func MarshalDefinition(def Definition) ([]byte, error) {
	if def.Cards == nil {
		def.Cards = []Node{}
	}
	return marshal(def)
}

// ParseDefinition reads a flow document, refusing unknown schema versions
// and unknown fields.
func ParseDefinition(b []byte) (Definition, error) {
	var def Definition
	if err := unmarshalStrict(b, &def); err != nil {
		return Definition{}, fmt.Errorf("flows: read flow: %w", err)
	}
	if def.Schema != SchemaVersion {
		return Definition{}, fmt.Errorf("flows: read flow: %w: schema version %d is not supported (this build reads %d)", ErrInvalid, def.Schema, SchemaVersion)
	}
	if def.Cards == nil {
		def.Cards = []Node{}
	}
	def.UpgradeCards()
	return def, nil
}

// AuthField is one field a connection fills for a connector's authentication.
type AuthField struct {
	Key      string   `json:"key"`
	Label    string   `json:"label"`
	Type     string   `json:"type"` // text, password or dropdown
	Choices  []string `json:"choices,omitempty"`
	Required bool     `json:"required,omitempty"`
}

// Secret reports whether the field's value is never shown again.
func (f AuthField) Secret() bool { return f.Type == "password" }

// AuthDefinition is how a connector authenticates to its service.
type AuthDefinition struct {
	Kind AuthKind `json:"kind"`
	// Header is the header name of an API key.
	Header string `json:"header,omitempty"`
	// TokenURL and Scopes are for OAuth2 client credentials.
	TokenURL string      `json:"tokenUrl,omitempty"`
	Scopes   string      `json:"scopes,omitempty"`
	Fields   []AuthField `json:"fields,omitempty"`
	// Hosts are origins besides the base URL's that receive a connection's
	// credentials ("https://uploads.acme.test"); every other host gets
	// requests without them.
	Hosts []string `json:"hosts,omitempty"`
}

// ConnectorInfo is a connector's overview.
type ConnectorInfo struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	BaseURL     string         `json:"baseUrl,omitempty"`
	Auth        AuthDefinition `json:"auth"`
}

// ExportedFlow is one flow of a connector export. Key identifies it within
// the export, so that flows can refer to each other (Call Flow, the webhook
// event's registration flows) independently of database ids.
type ExportedFlow struct {
	Key        string     `json:"key"`
	Definition Definition `json:"definition"`
}

// ConnectorExport is a whole connector as one JSON document.
type ConnectorExport struct {
	Schema    int            `json:"schema"`
	Connector ConnectorInfo  `json:"connector"`
	Flows     []ExportedFlow `json:"flows"`
}

// MarshalConnector writes a connector export as canonical, indented JSON.
func MarshalConnector(x ConnectorExport) ([]byte, error) {
	flows := make([]ExportedFlow, len(x.Flows))
	for i, f := range x.Flows {
		if f.Definition.Cards == nil {
			f.Definition.Cards = []Node{}
		}
		flows[i] = f
	}
	x.Flows = flows
	return marshal(x)
}

// ParseConnector reads a connector export, refusing unknown schema versions,
// unknown fields and duplicate flow keys.
func ParseConnector(b []byte) (ConnectorExport, error) {
	var x ConnectorExport
	if err := unmarshalStrict(b, &x); err != nil {
		return ConnectorExport{}, fmt.Errorf("flows: read connector: %w", err)
	}
	if x.Schema != SchemaVersion {
		return ConnectorExport{}, fmt.Errorf("flows: read connector: %w: schema version %d is not supported (this build reads %d)", ErrInvalid, x.Schema, SchemaVersion)
	}
	seen := map[string]bool{}
	for i := range x.Flows {
		f := &x.Flows[i]
		if f.Key == "" || seen[f.Key] {
			return ConnectorExport{}, fmt.Errorf("flows: read connector: %w: flow %d has an empty or repeated key %q", ErrInvalid, i, f.Key)
		}
		seen[f.Key] = true
		if f.Definition.Schema != SchemaVersion {
			return ConnectorExport{}, fmt.Errorf("flows: read connector: %w: flow %q: schema version %d is not supported", ErrInvalid, f.Key, f.Definition.Schema)
		}
		if f.Definition.Cards == nil {
			f.Definition.Cards = []Node{}
		}
	}
	return x, nil
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("flows: write json: %w", err)
	}
	return buf.Bytes(), nil
}

func unmarshalStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %s", ErrInvalid, DescribeJSONError(b, err))
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the document", ErrInvalid)
	}
	return nil
}
