package flows

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ConnectorStore keeps connectors with their flows, versions and
// connections.
type ConnectorStore interface {
	Connector(ctx context.Context, id int64) (Connector, error)
	ConnectorPage(ctx context.Context, q ListQuery) (Page[Connector], error)
	CreateConnector(ctx context.Context, info ConnectorInfo) (Connector, error)
	// UpdateConnector saves c over c.Revision: ErrConflict when the
	// connector was saved since or its new name is taken.
	UpdateConnector(ctx context.Context, c Connector) (Connector, error)
	// DeleteConnector refuses (ErrConflict) while flows are ON with it.
	DeleteConnector(ctx context.Context, id int64) error
	Flow(ctx context.Context, id int64) (Flow, error)
	Flows(ctx context.Context, connectorID int64) ([]Flow, error)
	CreateFlow(ctx context.Context, f Flow) (Flow, error)
	// UpdateFlow saves f over f.Revision: ErrConflict when saved since.
	UpdateFlow(ctx context.Context, f Flow) (Flow, error)
	DeleteFlow(ctx context.Context, id int64) error
	VersionPage(ctx context.Context, connectorID int64, q ListQuery) (Page[ConnectorVersion], error)
	Version(ctx context.Context, connectorID int64, version int) (ConnectorVersion, error)
	Connection(ctx context.Context, id int64) (Connection, error)
	ConnectionPage(ctx context.Context, q ListQuery) (Page[Connection], error)
	// UpdateConnection saves c at its next revision, over c.Revision
	// when that is not 0: a *StaleError when it was saved since.
	UpdateConnection(ctx context.Context, c Connection) (Connection, error)
	// DeleteConnection refuses (ErrConflict) while flows are ON with it.
	DeleteConnection(ctx context.Context, id int64) error
}

// Connectors is what people do with connectors, their flows and
// connections, through the pages and the API: the rules are checked here
// and Store keeps them.
type Connectors struct {
	Store    ConnectorStore
	Registry Registry
}

// List answers a page of connectors by name.
func (cs Connectors) List(ctx context.Context, q ListQuery) (Page[Connector], error) {
	if err := q.Check(); err != nil {
		return Page[Connector]{}, err
	}
	return cs.Store.ConnectorPage(ctx, q)
}

// trimmed is a connector's overview as it is checked and stored: trimmed,
// its authentication keeping only what its kind uses.
func trimmed(info ConnectorInfo) ConnectorInfo {
	info.Name, info.Description, info.BaseURL = strings.TrimSpace(info.Name), strings.TrimSpace(info.Description), strings.TrimSpace(info.BaseURL)
	info.Auth = info.Auth.OfKind()
	return info
}

// Create checks and saves a new connector (a draft without flows).
func (cs Connectors) Create(ctx context.Context, info ConnectorInfo) (Connector, error) {
	info = trimmed(info)
	if err := info.Validate(); err != nil {
		return Connector{}, err
	}
	c, err := cs.Store.CreateConnector(ctx, info)
	if errors.Is(err, ErrConflict) {
		return c, fmt.Errorf("%w: another connector is named %q", ErrConflict, info.Name)
	}
	return c, err
}

// StaleError refuses a change made to an older revision of a connector, a
// flow, a connection, a table or an event hook: it was saved since. It
// matches ErrConflict.
type StaleError struct {
	What     string // "connector", "flow", "connection", "table", "event hook"
	Revision int    // the revision the change was made to
	Now      int    // the revision it is at
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("%v: the %s was changed since revision %d (it is at revision %d now); get it again and make your change to the newest revision",
		ErrConflict, e.What, e.Revision, e.Now)
}

// Is makes a StaleError match ErrConflict.
func (e *StaleError) Is(target error) bool { return target == ErrConflict }

func staleError(what string, revision, now int) error {
	return &StaleError{What: what, Revision: revision, Now: now}
}

// checkRevision refuses a change made to revision given (0: none was
// given, nothing to check) of what is at revision now.
func checkRevision(what string, given, now int) error {
	if given > 0 && given != now {
		return staleError(what, given, now)
	}
	return nil
}

// needRevision refuses a change that does not say which revision it changes.
func needRevision(what string, revision int) error {
	if revision < 1 {
		return fmt.Errorf("%w: give the revision of the %s that you changed (its \"revision\", from when you read it)", ErrInvalid, what)
	}
	return nil
}

// ConnectorPatch changes a connector's overview made at Revision: what is
// nil stays; Auth, when given, is the whole new authentication.
type ConnectorPatch struct {
	Revision    int             `json:"revision"`
	Name        *string         `json:"name"`
	Description *string         `json:"description"`
	BaseURL     *string         `json:"baseUrl"`
	Auth        *AuthDefinition `json:"auth"`
}

// Update checks and saves a change of a connector's overview: a change
// of an older revision is refused (ErrConflict) and nothing is written.
func (cs Connectors) Update(ctx context.Context, id int64, p ConnectorPatch) (Connector, error) {
	if err := needRevision("connector", p.Revision); err != nil {
		return Connector{}, err
	}
	cur, err := cs.Store.Connector(ctx, id)
	if err != nil {
		return cur, err
	}
	if cur.Revision != p.Revision {
		return cur, staleError("connector", p.Revision, cur.Revision)
	}
	info := cur.Info
	for _, set := range []struct {
		to   *string
		from *string
	}{{&info.Name, p.Name}, {&info.Description, p.Description}, {&info.BaseURL, p.BaseURL}} {
		if set.from != nil {
			*set.to = *set.from
		}
	}
	if p.Auth != nil {
		info.Auth = *p.Auth
	}
	info = trimmed(info)
	if err := info.Validate(); err != nil {
		return cur, err
	}
	cur.Info = info
	saved, err := cs.Store.UpdateConnector(ctx, cur)
	if errors.Is(err, ErrConflict) {
		if now, lerr := cs.Store.Connector(ctx, id); lerr == nil && now.Revision != p.Revision {
			return now, staleError("connector", p.Revision, now.Revision)
		}
		return cur, fmt.Errorf("%w: another connector is named %q", ErrConflict, info.Name)
	}
	return saved, err
}

// Delete deletes a connector with its flows, versions and connections,
// unless flows are ON with it.
func (cs Connectors) Delete(ctx context.Context, id int64) error {
	return cs.Store.DeleteConnector(ctx, id)
}

// Flows lists a connector's flows by name.
func (cs Connectors) Flows(ctx context.Context, connectorID int64) ([]Flow, error) {
	if _, err := cs.Store.Connector(ctx, connectorID); err != nil {
		return nil, err
	}
	return cs.Store.Flows(ctx, connectorID)
}

// Flow loads one of a connector's flows.
func (cs Connectors) Flow(ctx context.Context, connectorID, id int64) (Flow, error) {
	f, err := cs.Store.Flow(ctx, id)
	if err != nil {
		return f, err
	}
	if f.ConnectorID != connectorID || connectorID == 0 {
		return Flow{}, fmt.Errorf("flow %d of connector %d: %w", id, connectorID, ErrNotFound)
	}
	return f, nil
}

// FlowNameProblem checks a connector flow's name against the naming rules
// and its siblings (but the flow except); it returns what is wrong, or "".
func FlowNameProblem(siblings []Flow, name string, except int64) string {
	if name == "" || len(name) > MaxNameLength {
		return fmt.Sprintf("Give the flow a name of 1 to %d characters.", MaxNameLength)
	}
	for _, f := range siblings {
		if f.ID != except && strings.EqualFold(f.Definition.Name, name) {
			return fmt.Sprintf("The connector already has a flow named %q.", f.Definition.Name)
		}
	}
	return ""
}

// Callers lists the names of the flows among siblings that call or link
// the flow id (but itself).
func Callers(siblings []Flow, id int64) []string {
	var out []string
	for _, f := range siblings {
		if f.ID != id && f.Definition.Calls(id) {
			out = append(out, strconv.Quote(f.Definition.Name))
		}
	}
	return out
}

// checkConnectorFlow checks a connector flow's document among its
// siblings (but the flow except): its kind, its name, the one Auth Ping
// flow, the flow rules, and the registration flows a Webhook Event flow
// links, which must be the connector's own.
func (cs Connectors) checkConnectorFlow(def *Definition, siblings []Flow, except int64) error {
	def.Name = strings.TrimSpace(def.Name)
	if _, ok := kindEvents[def.Kind]; !ok || def.Kind == KindWorkspace {
		return fmt.Errorf("%w: a connector flow is of kind action, helper, webhook_event, webhook_registration, webhook_deregistration, polling_event or authping, not %q", ErrInvalid, def.Kind)
	}
	if msg := FlowNameProblem(siblings, def.Name, except); msg != "" {
		return &ValidationError{Problems: []Problem{{Field: "name", Code: "name", Message: msg}}}
	}
	if def.Kind == KindAuthPing {
		for _, f := range siblings {
			if f.ID != except && f.Definition.Kind == KindAuthPing {
				return fmt.Errorf("%w: a connector has at most one Auth Ping flow; %q is it", ErrInvalid, f.Definition.Name)
			}
		}
	}
	if err := Validate(*def, cs.Registry); err != nil {
		return err
	}
	if def.Kind == KindWebhookEvent {
		byKey := make(map[string]*Definition, len(siblings))
		for i := range siblings {
			byKey[strconv.FormatInt(siblings[i].ID, 10)] = &siblings[i].Definition
		}
		if ps := validateLinks(def, byKey); len(ps) > 0 {
			return &ValidationError{Problems: ps}
		}
	}
	return nil
}

// CreateFlow checks a flow document and saves it as a new flow of the
// connector.
func (cs Connectors) CreateFlow(ctx context.Context, connectorID int64, def Definition) (Flow, error) {
	siblings, err := cs.Flows(ctx, connectorID)
	if err != nil {
		return Flow{}, err
	}
	if err := cs.checkConnectorFlow(&def, siblings, 0); err != nil {
		return Flow{}, err
	}
	return cs.Store.CreateFlow(ctx, Flow{ConnectorID: connectorID, Definition: def})
}

// UpdateFlow checks a flow document and saves it over revision of the
// connector's flow id: a stale revision is refused (ErrConflict), and a
// flow keeps its kind.
func (cs Connectors) UpdateFlow(ctx context.Context, connectorID, id int64, def Definition, revision int) (Flow, error) {
	if err := needRevision("flow", revision); err != nil {
		return Flow{}, err
	}
	f, err := cs.Flow(ctx, connectorID, id)
	if err != nil {
		return f, err
	}
	if f.Revision != revision {
		return f, staleError("flow", revision, f.Revision)
	}
	if def.Kind != f.Definition.Kind {
		return f, fmt.Errorf("%w: the flow is of kind %s and stays so; make a new flow of kind %s instead", ErrInvalid, f.Definition.Kind, def.Kind)
	}
	siblings, err := cs.Store.Flows(ctx, connectorID)
	if err != nil {
		return f, err
	}
	if err := cs.checkConnectorFlow(&def, siblings, id); err != nil {
		return f, err
	}
	f.Definition = def
	saved, err := cs.Store.UpdateFlow(ctx, f)
	if errors.Is(err, ErrConflict) {
		if now, lerr := cs.Store.Flow(ctx, id); lerr == nil {
			return now, staleError("flow", revision, now.Revision)
		}
	}
	return saved, err
}

// DeleteFlow deletes a connector's flow, unless its other flows call it or
// link it as their registration or deregistration flow (ErrConflict,
// naming them).
func (cs Connectors) DeleteFlow(ctx context.Context, connectorID, id int64) error {
	f, err := cs.Flow(ctx, connectorID, id)
	if err != nil {
		return err
	}
	siblings, err := cs.Store.Flows(ctx, connectorID)
	if err != nil {
		return err
	}
	if users := Callers(siblings, id); len(users) > 0 {
		verb := "uses"
		if len(users) > 1 {
			verb = "use"
		}
		return fmt.Errorf("%w: %q cannot be deleted: %s %s it", ErrConflict, f.Definition.Name, strings.Join(users, ", "), verb)
	}
	return cs.Store.DeleteFlow(ctx, id)
}

// Versions answers a page of a connector's deployed versions, newest first.
func (cs Connectors) Versions(ctx context.Context, connectorID int64, q ListQuery) (Page[ConnectorVersion], error) {
	if err := q.Check(); err != nil {
		return Page[ConnectorVersion]{}, err
	}
	if _, err := cs.Store.Connector(ctx, connectorID); err != nil {
		return Page[ConnectorVersion]{}, err
	}
	return cs.Store.VersionPage(ctx, connectorID, q)
}
