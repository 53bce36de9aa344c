package flows

import (
	"context"
	"strings"
)

// MaskedValues is the connection's values as anyone may see them: the
// values of its secret fields (when set) are Masked, and only the fields of
// the connector's authentication are there.
func (c Connection) MaskedValues(a AuthDefinition) map[string]string {
	out := map[string]string{}
	for _, f := range a.ConnectionFields() {
		v, ok := c.Values[f.Key]
		switch {
		case !ok:
		case f.Secret() && v != "":
			out[f.Key] = Masked
		default:
			out[f.Key] = v
		}
	}
	return out
}

// masked is c with its secret values masked, for a connector's auth.
func (cs Connectors) masked(ctx context.Context, c Connection, auths map[int64]AuthDefinition) (Connection, error) {
	a, ok := auths[c.ConnectorID]
	if !ok {
		con, err := cs.Store.Connector(ctx, c.ConnectorID)
		if err != nil {
			return c, err
		}
		a, auths[c.ConnectorID] = con.Info.Auth, con.Info.Auth
	}
	c.Values = c.MaskedValues(a)
	return c, nil
}

// Connections answers a page of connections, newest first, with their
// secret values masked.
func (cs Connectors) Connections(ctx context.Context, q ListQuery) (Page[Connection], error) {
	if err := q.Check(); err != nil {
		return Page[Connection]{}, err
	}
	p, err := cs.Store.ConnectionPage(ctx, q)
	if err != nil {
		return p, err
	}
	auths := map[int64]AuthDefinition{}
	for i := range p.Items {
		if p.Items[i], err = cs.masked(ctx, p.Items[i], auths); err != nil {
			return p, err
		}
	}
	return p, nil
}

// Connection loads a connection with its secret values masked.
func (cs Connectors) Connection(ctx context.Context, id int64) (Connection, error) {
	c, err := cs.Store.Connection(ctx, id)
	if err != nil {
		return c, err
	}
	return cs.masked(ctx, c, map[int64]AuthDefinition{})
}

// ConnectionPatch changes a connection: a nil Name stays; each value in
// Values replaces the field's value (a secret's new value is never shown
// again), and the fields it leaves out, or sends as Masked, keep theirs.
// Revision, when not 0, is the revision the change was made to: a stale
// one is refused.
type ConnectionPatch struct {
	Revision int               `json:"revision,omitempty"`
	Name     *string           `json:"name"`
	Values   map[string]string `json:"values"`
}

// UpdateConnection checks and saves a change of a connection; it answers
// the connection with its secret values masked. A change of an older
// revision than p.Revision names is refused (*StaleError) and nothing is
// written.
func (cs Connectors) UpdateConnection(ctx context.Context, id int64, p ConnectionPatch) (Connection, error) {
	c, err := cs.Store.Connection(ctx, id)
	if err != nil {
		return c, err
	}
	if err := checkRevision("connection", p.Revision, c.Revision); err != nil {
		return Connection{}, err
	}
	c.Revision = p.Revision
	con, err := cs.Store.Connector(ctx, c.ConnectorID)
	if err != nil {
		return c, err
	}
	if p.Name != nil {
		c.Name = strings.TrimSpace(*p.Name)
	}
	// What the connector's authentication no longer asks for is dropped.
	values := map[string]string{}
	for _, f := range con.Info.Auth.ConnectionFields() {
		if v, ok := c.Values[f.Key]; ok {
			values[f.Key] = v
		}
	}
	for k, v := range p.Values {
		if v != Masked {
			values[k] = v
		}
	}
	c.Values = values
	if err := ValidateConnection(c, con.Info.Auth); err != nil {
		return c, err
	}
	saved, err := cs.Store.UpdateConnection(ctx, c)
	if err != nil {
		return saved, err
	}
	saved.Values = saved.MaskedValues(con.Info.Auth)
	return saved, nil
}

// DeleteConnection deletes a connection, unless flows are ON with it.
func (cs Connectors) DeleteConnection(ctx context.Context, id int64) error {
	return cs.Store.DeleteConnection(ctx, id)
}
