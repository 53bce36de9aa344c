package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
)

// connectors is the connectors service over the store.
func (s *Server) connectors() flows.Connectors {
	return flows.Connectors{Store: s.store, Registry: s.registry}
}

// pageJSON is a page of a list as the API gives it: Next, when there are
// more items, is the cursor of the next page (pass it as cursor=).
type pageJSON[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// listQuery reads limit, cursor, offset and q.
func listQuery(c echo.Context) (flows.ListQuery, error) {
	q := flows.ListQuery{Text: c.QueryParam("q"), Cursor: c.QueryParam("cursor")}
	for _, p := range []struct {
		name, what string
		to         *int
	}{{"limit", fmt.Sprintf("a number of items, 1 to %d", flows.MaxListLimit), &q.Limit}, {"offset", "a number of items to skip", &q.Offset}} {
		if v := c.QueryParam(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return q, fmt.Errorf("%w: the %s is %s, not %q", flows.ErrInvalid, p.name, p.what, v)
			}
			*p.to = n
		}
	}
	return q, nil
}

// idParam reads the route's parameter name as an id.
func idParam(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, flows.ErrNotFound
	}
	return id, nil
}

func toConnectorJSON(con flows.Connector) connectorJSON {
	return connectorJSON{ID: con.ID, Revision: con.Revision, FlowCount: con.FlowCount, Info: con.Info,
		CreatedAt: con.CreatedAt, UpdatedAt: con.UpdatedAt}
}

func (s *Server) apiConnectors(c echo.Context) error {
	q, err := listQuery(c)
	if err != nil {
		return err
	}
	p, err := s.connectors().List(c.Request().Context(), q)
	if err != nil {
		return err
	}
	out := pageJSON[connectorJSON]{Items: make([]connectorJSON, len(p.Items)), Next: p.Next}
	for i, con := range p.Items {
		out.Items[i] = toConnectorJSON(con)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiConnector(c echo.Context) error {
	con, err := s.connectorParam(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toConnectorJSON(con))
}

const connectorShape = `{"name": "…", "description": "…", "baseUrl": "https://…", "auth": {"kind": "none"}}`

func (s *Server) apiCreateConnector(c echo.Context) error {
	var info flows.ConnectorInfo
	if err := decodeJSON(c, &info, connectorShape); err != nil {
		return err
	}
	con, err := s.connectors().Create(c.Request().Context(), info)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toConnectorJSON(con))
}

func (s *Server) apiChangeConnector(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var p flows.ConnectorPatch
	if err := decodeJSON(c, &p, `{"revision": 1, "name": "…", "description": "…", "baseUrl": "…", "auth": {…}}`); err != nil {
		return err
	}
	con, err := s.connectors().Update(c.Request().Context(), id, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toConnectorJSON(con))
}

func (s *Server) apiDeleteConnector(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.connectors().Delete(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// connectorFlowJSON is a connector's flow in a list: its definition is in
// the answer about one flow.
type connectorFlowJSON struct {
	ID          int64      `json:"id"`
	ConnectorID int64      `json:"connectorId"`
	Revision    int        `json:"revision"`
	Name        string     `json:"name"`
	Kind        flows.Kind `json:"kind"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
}

func (s *Server) apiConnectorFlows(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	fs, err := s.connectors().Flows(c.Request().Context(), id)
	if err != nil {
		return err
	}
	out := pageJSON[connectorFlowJSON]{Items: make([]connectorFlowJSON, len(fs))}
	for i, f := range fs {
		out.Items[i] = connectorFlowJSON{ID: f.ID, ConnectorID: f.ConnectorID, Revision: f.Revision, Name: f.Definition.Name,
			Kind: f.Definition.Kind, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
	}
	return c.JSON(http.StatusOK, out)
}

// connectorFlowIDs reads the route's :id and :flow.
func connectorFlowIDs(c echo.Context) (int64, int64, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return 0, 0, err
	}
	flow, err := idParam(c, "flow")
	return id, flow, err
}

func (s *Server) apiConnectorFlow(c echo.Context) error {
	id, flow, err := connectorFlowIDs(c)
	if err != nil {
		return err
	}
	f, err := s.connectors().Flow(c.Request().Context(), id, flow)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toFlowJSON(f))
}

// apiCreateConnectorFlow saves a flow document as a new flow of the
// connector, once it validates.
func (s *Server) apiCreateConnectorFlow(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	b, err := readBody(c)
	if err != nil {
		return err
	}
	def, err := flows.ParseDefinition(b)
	if err != nil {
		return err
	}
	f, err := s.connectors().CreateFlow(c.Request().Context(), id, def)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toFlowJSON(f))
}

// flowChange is the body of PUT /api/v1/connectors/{id}/flows/{flow}.
type flowChange struct {
	Revision   int             `json:"revision"`
	Definition json.RawMessage `json:"definition"`
}

func (s *Server) apiUpdateConnectorFlow(c echo.Context) error {
	id, flow, err := connectorFlowIDs(c)
	if err != nil {
		return err
	}
	var in flowChange
	if err := decodeJSON(c, &in, `{"revision": 1, "definition": {"schema": 1, "kind": "…", "name": "…", …}}`); err != nil {
		return err
	}
	if len(in.Definition) == 0 {
		return fmt.Errorf("%w: give the flow's whole new document in \"definition\"", flows.ErrInvalid)
	}
	def, err := flows.ParseDefinition(in.Definition)
	if err != nil {
		return err
	}
	f, err := s.connectors().UpdateFlow(c.Request().Context(), id, flow, def, in.Revision)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toFlowJSON(f))
}

func (s *Server) apiDeleteConnectorFlow(c echo.Context) error {
	id, flow, err := connectorFlowIDs(c)
	if err != nil {
		return err
	}
	if err := s.connectors().DeleteFlow(c.Request().Context(), id, flow); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func toVersionJSON(v flows.ConnectorVersion) versionJSON {
	return versionJSON{ConnectorID: v.ConnectorID, Version: v.Version, CreatedAt: v.CreatedAt, CreatedBy: v.CreatedBy}
}

func (s *Server) apiConnectorVersions(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	q, err := listQuery(c)
	if err != nil {
		return err
	}
	p, err := s.connectors().Versions(c.Request().Context(), id, q)
	if err != nil {
		return err
	}
	out := pageJSON[versionJSON]{Items: make([]versionJSON, len(p.Items)), Next: p.Next}
	for i, v := range p.Items {
		out.Items[i] = toVersionJSON(v)
	}
	return c.JSON(http.StatusOK, out)
}

// deployedJSON is a deployed version with its export: the connector and
// its flows as they were deployed.
type deployedJSON struct {
	versionJSON
	Export flows.ConnectorExport `json:"export"`
}

func (s *Server) apiConnectorVersion(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Param("version"))
	if err != nil || n <= 0 {
		return flows.ErrNotFound
	}
	v, err := s.store.Version(c.Request().Context(), id, n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, deployedJSON{versionJSON: toVersionJSON(v), Export: v.Export})
}
