package flows

import (
	"context"
	"fmt"
	"slices"
)

// ActionStore is what resolving connector actions needs from storage.
type ActionStore interface {
	Version(ctx context.Context, connectorID int64, version int) (ConnectorVersion, error)
	Connection(ctx context.Context, id int64) (Connection, error)
}

// Actions resolves connector action cards from deployed versions and
// connections; it implements ActionSource.
type Actions struct {
	Store  ActionStore
	Tokens Credentials
}

// Action returns the action flow as deployed, its version's flows and the
// connection's credentials.
func (a *Actions) Action(ctx context.Context, ref ActionRef) (Definition, ConnectorExport, *ConnectorContext, error) {
	v, err := a.Store.Version(ctx, ref.Connector, ref.Version)
	if err != nil {
		return Definition{}, ConnectorExport{}, nil, err
	}
	def, ok := v.Export.Flow(ref.Flow)
	if !ok || def.Kind != KindAction {
		return Definition{}, ConnectorExport{}, nil, fmt.Errorf("%w: version %d of %s has no action %d", ErrNotFound, ref.Version, v.Export.Connector.Name, ref.Flow)
	}
	conn, err := connection(ctx, a.Store, v, ref.Connection, "action")
	if err != nil {
		return Definition{}, ConnectorExport{}, nil, err
	}
	cc, err := a.Tokens.ConnectorContext(ctx, v.Export.Connector, conn)
	if err != nil {
		return Definition{}, ConnectorExport{}, nil, err
	}
	return def, v.Export, cc, nil
}

// ConnectorAction returns a connector.action card for the Action flow with
// key id of version v: its inputs are the action's inputs (the action
// event card's fields), its outputs the fields of its Return card.
func ConnectorAction(v ConnectorVersion, id int64, connection int64) (Node, error) {
	def, ok := v.Export.Flow(id)
	if !ok || def.Kind != KindAction {
		return Node{}, fmt.Errorf("%w: version %d of %s has no action %d", ErrNotFound, v.Version, v.Export.Connector.Name, id)
	}
	n := Node{Type: ControlAction, Label: v.Export.Connector.Name + ": " + def.Name, Inputs: slices.Clone(def.Event.Outputs),
		Bindings: map[string]Binding{}, Action: &ActionRef{Connector: v.ConnectorID, Version: v.Version, Flow: id, Connection: connection}}
	if ret := findReturn(def.Cards); ret != nil {
		n.Outputs = slices.Clone(ret.Inputs)
	}
	return n, nil
}
