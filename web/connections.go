package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/templates"
)

func (s *Server) connectionsList(c echo.Context) error {
	ctx := c.Request().Context()
	list, err := s.store.Connections(ctx, 0)
	if err != nil {
		return err
	}
	cons, err := s.store.Connectors(ctx)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.ConnectionsPage(s.page(c, "Connections", "connections"), list, cons))
}

func (s *Server) connectionNew(c echo.Context) error {
	id, _ := strconv.ParseInt(c.QueryParam("connector"), 10, 64)
	con, err := s.store.Connector(c.Request().Context(), id)
	if err != nil {
		return err
	}
	f := templates.ConnectionForm{Connector: con, Values: map[string]string{}, Errors: templates.FormErrors{}, Back: c.QueryParam("back")}
	return render(c, http.StatusOK, templates.ConnectionNewPage(s.page(c, "New connection", "connections"), f))
}

// connectionsBack is where a connection form returns: the connector's
// Connections tab when it was sent from there (back=connector), else the
// Connections list.
func (s *Server) connectionsBack(c echo.Context, connectorID int64) string {
	if c.FormValue("back") == "connector" && connectorID != 0 {
		return s.connectorTab(connectorID, templates.TabConnections)
	}
	return s.URL("connections.list")
}

// createConnection validates and saves a connection; a
// *flows.ValidationError names the fields at fault.
func (s *Server) createConnection(c echo.Context, conn flows.Connection) (flows.Connector, flows.Connection, error) {
	con, err := s.store.Connector(c.Request().Context(), conn.ConnectorID)
	if errors.Is(err, flows.ErrNotFound) {
		return con, conn, &flows.ValidationError{Problems: []flows.Problem{{Field: "connector", Code: "connection", Message: "No such connector."}}}
	} else if err != nil {
		return con, conn, err
	}
	conn.Name = strings.TrimSpace(conn.Name)
	if err := flows.ValidateConnection(conn, con.Info.Auth); err != nil {
		return con, conn, err
	}
	saved, err := s.store.CreateConnection(c.Request().Context(), conn)
	return con, saved, err
}

func (s *Server) connectionCreate(c echo.Context) error {
	id, _ := strconv.ParseInt(c.FormValue("connector"), 10, 64)
	conn := flows.Connection{ConnectorID: id, Name: c.FormValue("name"), Values: map[string]string{}}
	form, _ := c.FormParams()
	for k, v := range form {
		if key, ok := strings.CutPrefix(k, "values."); ok && len(v) > 0 {
			conn.Values[key] = v[0]
		}
	}
	con, _, err := s.createConnection(c, conn)
	if ps := problemsOf(err); len(ps) > 0 {
		f := templates.ConnectionForm{Connector: con, Name: conn.Name, Values: map[string]string{}, Errors: templates.FormErrors{}, Back: c.FormValue("back")}
		for _, fld := range con.Info.Auth.ConnectionFields() {
			if !fld.Secret() {
				f.Values[fld.Key] = conn.Values[fld.Key]
			}
		}
		for _, p := range ps {
			f.Errors[p.Field] = p.Message
		}
		if con.ID == 0 {
			return err
		}
		return render(c, http.StatusUnprocessableEntity, templates.ConnectionNewPage(s.page(c, "New connection", "connections"), f))
	} else if err != nil {
		return err
	}
	s.flash(c, "success", "Connection "+conn.Name+" saved. Its secrets are encrypted and will not be shown again.")
	return c.Redirect(http.StatusSeeOther, s.connectionsBack(c, id))
}

// connectionTest runs the connector's Auth Ping flow, from its newest
// deployed version, with the connection.
func (s *Server) connectionTest(c echo.Context) error {
	ctx := c.Request().Context()
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	conn, err := s.store.Connection(ctx, id)
	if err != nil {
		return err
	}
	exec, err := s.pingConnection(c, conn)
	switch {
	case err != nil:
		if err := s.flashProblem(c, "", err); err != nil {
			return err
		}
	case exec.Status == flows.StatusSucceeded:
		s.flash(c, "success", fmt.Sprintf("Connection %s works: the Auth Ping succeeded (execution %s).", conn.Name, exec.ID))
	default:
		s.flash(c, "error", fmt.Sprintf("Connection %s failed its Auth Ping: %s (execution %s).", conn.Name, exec.Error, exec.ID))
	}
	return c.Redirect(http.StatusSeeOther, s.connectionsBack(c, conn.ConnectorID))
}

func (s *Server) pingConnection(c echo.Context, conn flows.Connection) (*flows.Execution, error) {
	ctx := c.Request().Context()
	vs, err := s.store.Versions(ctx, conn.ConnectorID)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("%w: deploy the connector first: its Auth Ping flow tests connections", flows.ErrInvalid)
	}
	v := vs[0]
	for _, ef := range v.Export.Flows {
		if ef.Definition.Kind != flows.KindAuthPing {
			continue
		}
		key, _ := strconv.ParseInt(ef.Key, 10, 64)
		cc, err := s.lifecycle.Tokens.ConnectorContext(ctx, v.Export.Connector, &conn)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", flows.ErrInvalid, err)
		}
		return s.engine.Run(ctx, flows.RunRequest{FlowID: key, Definition: ef.Definition, Input: map[string]any{},
			Trigger: flows.TriggerTest, Connector: cc, Flows: v.Export})
	}
	return nil, fmt.Errorf("%w: the connector has no Auth Ping flow to test connections with", flows.ErrInvalid)
}

func (s *Server) connectionDelete(c echo.Context) error {
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	var connectorID int64
	if conn, err := s.store.Connection(c.Request().Context(), id); err == nil {
		connectorID = conn.ConnectorID
	}
	if err := s.store.DeleteConnection(c.Request().Context(), id); errors.Is(err, flows.ErrConflict) {
		_, msg := statusOf(err)
		s.flash(c, "error", "The connection was not deleted: "+msg)
	} else if err != nil {
		return err
	} else {
		s.flash(c, "success", "Connection deleted.")
	}
	return c.Redirect(http.StatusSeeOther, s.connectionsBack(c, connectorID))
}

// connectionJSON is a connection as the API shows it: its secret values
// are masked.
type connectionJSON struct {
	ID            int64             `json:"id"`
	ConnectorID   int64             `json:"connectorId"`
	ConnectorName string            `json:"connectorName,omitempty"`
	Name          string            `json:"name"`
	Values        map[string]string `json:"values"`
	Revision      int               `json:"revision"`
	CreatedAt     time.Time         `json:"createdAt"`
}

// connectionIn is the body of POST /api/v1/connections.
type connectionIn struct {
	ConnectorID int64             `json:"connectorId"`
	Name        string            `json:"name"`
	Values      map[string]string `json:"values"`
}

func toConnectionJSON(conn flows.Connection) connectionJSON {
	if conn.Values == nil {
		conn.Values = map[string]string{}
	}
	return connectionJSON{ID: conn.ID, ConnectorID: conn.ConnectorID, ConnectorName: conn.ConnectorName, Name: conn.Name,
		Values: conn.Values, Revision: conn.Revision, CreatedAt: conn.CreatedAt}
}

// apiCreateConnection saves a connection from {connectorId, name, values}.
func (s *Server) apiCreateConnection(c echo.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	var in connectionIn
	if err := json.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("%w: the body is not a connection document: %s", flows.ErrInvalid, flows.DescribeJSONError(b, err))
	}
	con, saved, err := s.createConnection(c, flows.Connection{ConnectorID: in.ConnectorID, Name: in.Name, Values: in.Values})
	if err != nil {
		return err
	}
	saved.Values, saved.ConnectorName = saved.MaskedValues(con.Info.Auth), con.Info.Name
	return c.JSON(http.StatusCreated, toConnectionJSON(saved))
}

// apiConnections answers a page of connections, of one connector with
// connector={id}.
func (s *Server) apiConnections(c echo.Context) error {
	q, err := listQuery(c)
	if err != nil {
		return err
	}
	if v := c.QueryParam("connector"); v != "" {
		if q.ConnectorID, err = strconv.ParseInt(v, 10, 64); err != nil || q.ConnectorID <= 0 {
			return fmt.Errorf("%w: the connector is a connector's id, not %q", flows.ErrInvalid, v)
		}
	}
	p, err := s.connectors().Connections(c.Request().Context(), q)
	if err != nil {
		return err
	}
	out := pageJSON[connectionJSON]{Items: make([]connectionJSON, len(p.Items)), Next: p.Next}
	for i, conn := range p.Items {
		out.Items[i] = toConnectionJSON(conn)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiConnection(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	conn, err := s.connectors().Connection(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toConnectionJSON(conn))
}

func (s *Server) apiChangeConnection(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var p flows.ConnectionPatch
	if err := decodeJSON(c, &p, `{"revision": 1, "name": "…", "values": {"api_key": "…"}}`); err != nil {
		return err
	}
	conn, err := s.connectors().UpdateConnection(c.Request().Context(), id, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toConnectionJSON(conn))
}

func (s *Server) apiDeleteConnection(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.connectors().DeleteConnection(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
