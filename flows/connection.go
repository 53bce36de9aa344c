package flows

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Connection is a set of credentials for one connector's authentication
// definition. Values hold every field, secrets included; the store keeps
// them encrypted and the web layer never renders a secret back.
type Connection struct {
	ID          int64
	ConnectorID int64
	Name        string
	Values      map[string]string
	// Revision starts at 1 and counts every change.
	Revision  int
	CreatedAt time.Time
	// ConnectorName is the connector's name (in lists).
	ConnectorName string
}

// ConnectionFields lists the fields a connection fills for a definition.
func (a AuthDefinition) ConnectionFields() []AuthField {
	switch a.Kind {
	case AuthAPIKeyHeader:
		return []AuthField{{Key: "api_key", Label: "API key", Type: "password", Required: true}}
	case AuthBasic:
		return []AuthField{{Key: "username", Label: "Username", Type: "text", Required: true}, {Key: "password", Label: "Password", Type: "password", Required: true}}
	case AuthBearer:
		return []AuthField{{Key: "token", Label: "Token", Type: "password", Required: true}}
	case AuthOAuth2Client:
		return []AuthField{{Key: "client_id", Label: "Client ID", Type: "text", Required: true}, {Key: "client_secret", Label: "Client secret", Type: "password", Required: true}}
	case AuthCustom:
		return a.Fields
	}
	return nil
}

// ValidateConnection checks a connection's name and values against the
// connector's authentication definition. Problems name the form field
// ("name", "values.<key>").
func ValidateConnection(c Connection, a AuthDefinition) error {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Code: "connection", Message: fmt.Sprintf(format, args...)})
	}
	if n := strings.TrimSpace(c.Name); n == "" || len(n) > MaxNameLength {
		add("name", "Give the connection a name of 1 to %d characters.", MaxNameLength)
	}
	known := map[string]bool{}
	for _, f := range a.ConnectionFields() {
		known[f.Key] = true
		v := c.Values[f.Key]
		switch {
		case strings.TrimSpace(v) == "" && f.Required:
			add("values."+f.Key, "Fill in %s.", f.Label)
		case len(v) > 4096:
			add("values."+f.Key, "Use at most 4096 characters.")
		case v != "" && f.Type == "dropdown" && !slices.Contains(f.Choices, v):
			add("values."+f.Key, "Choose one of %s.", strings.Join(f.Choices, ", "))
		}
	}
	for k := range c.Values {
		if !known[k] {
			add("values."+k, "The connector's authentication has no field %q.", k)
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps}
}

// Secrets returns the connection's secret values, for masking them out of
// anything that is stored or shown.
func (c Connection) Secrets(a AuthDefinition) []string {
	var out []string
	for _, f := range a.ConnectionFields() {
		if v := c.Values[f.Key]; f.Secret() && v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Credentials resolves a connection into what HTTP cards need (cards.Tokens
// implements it, fetching OAuth2 tokens).
type Credentials interface {
	ConnectorContext(ctx context.Context, info ConnectorInfo, c *Connection) (*ConnectorContext, error)
}
