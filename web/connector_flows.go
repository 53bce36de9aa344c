package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/templates"
)

// connectorFlowParams loads the connector and one of its flows from the route.
func (s *Server) connectorFlowParams(c echo.Context) (flows.Connector, flows.Flow, error) {
	con, err := s.connectorParam(c)
	if err != nil {
		return con, flows.Flow{}, err
	}
	id, err := strconv.ParseInt(c.Param("flow"), 10, 64)
	if err != nil {
		return con, flows.Flow{}, flows.ErrNotFound
	}
	f, err := s.store.Flow(c.Request().Context(), id)
	if err != nil {
		return con, f, err
	}
	if f.ConnectorID != con.ID {
		return con, f, flows.ErrNotFound
	}
	return con, f, nil
}

// flowsProblem shows the connector page again with a message on its Flows tab.
func (s *Server) flowsProblem(c echo.Context, con flows.Connector, field, msg string) error {
	f := templates.ConnectorForm{ID: con.ID, Revision: con.Revision, Info: con.Info, FlowCount: con.FlowCount,
		Tab: templates.TabFlows, Errors: templates.FormErrors{field: msg}}
	return s.renderConnector(c, http.StatusUnprocessableEntity, f)
}

// flowNameProblem checks a flow name against the naming rules and the
// connector's other flows.
func (s *Server) flowNameProblem(c echo.Context, con flows.Connector, name string, except int64) (string, error) {
	siblings, err := s.store.Flows(c.Request().Context(), con.ID)
	if err != nil {
		return "", err
	}
	return flows.FlowNameProblem(siblings, name, except), nil
}

func (s *Server) connectorFlowCreate(c echo.Context) error {
	con, err := s.connectorParam(c)
	if err != nil {
		return err
	}
	name, kind := strings.TrimSpace(c.FormValue("name")), flows.Kind(c.FormValue("kind"))
	if msg, err := s.flowNameProblem(c, con, name, 0); err != nil || msg != "" {
		if err != nil {
			return err
		}
		return s.flowsProblem(c, con, "flow.name", msg)
	}
	def, err := flows.NewDefinition(kind, name)
	if err != nil || kind == flows.KindWorkspace {
		return s.flowsProblem(c, con, "_flows", "Choose the kind of the new flow.")
	}
	if kind == flows.KindAuthPing {
		siblings, err := s.store.Flows(c.Request().Context(), con.ID)
		if err != nil {
			return err
		}
		for _, f := range siblings {
			if f.Definition.Kind == flows.KindAuthPing {
				return s.flowsProblem(c, con, "_flows", fmt.Sprintf("A connector has at most one Auth Ping flow; %q is it.", f.Definition.Name))
			}
		}
	}
	f, err := s.store.CreateFlow(c.Request().Context(), flows.Flow{ConnectorID: con.ID, Definition: def})
	if err != nil {
		return err
	}
	s.flash(c, "success", "Flow "+name+" created. Add cards from the palette on the left.")
	return c.Redirect(http.StatusSeeOther, s.URL("connectors.flows.editor", con.ID, f.ID))
}

func (s *Server) connectorFlowRename(c echo.Context) error {
	con, f, err := s.connectorFlowParams(c)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(c.FormValue("name"))
	if msg, err := s.flowNameProblem(c, con, name, f.ID); err != nil || msg != "" {
		if err != nil {
			return err
		}
		return s.flowsProblem(c, con, "_flows", msg)
	}
	f.Definition.Name = name
	if _, err := s.store.UpdateFlow(c.Request().Context(), f); err != nil {
		return err
	}
	s.flash(c, "success", "Flow renamed to "+name+".")
	return c.Redirect(http.StatusSeeOther, s.connectorTab(con.ID, templates.TabFlows))
}

func (s *Server) connectorFlowDuplicate(c echo.Context) error {
	con, f, err := s.connectorFlowParams(c)
	if err != nil {
		return err
	}
	if f.Definition.Kind == flows.KindAuthPing {
		return s.flowsProblem(c, con, "_flows", "A connector has at most one Auth Ping flow; it cannot be duplicated.")
	}
	name := f.Definition.Name + " copy"
	for i := 2; ; i++ {
		msg, err := s.flowNameProblem(c, con, name, 0)
		if err != nil {
			return err
		}
		if msg == "" || i > 100 {
			break
		}
		name = fmt.Sprintf("%s copy %d", f.Definition.Name, i)
	}
	f.Definition.Name = name
	if _, err := s.store.CreateFlow(c.Request().Context(), flows.Flow{ConnectorID: con.ID, Definition: f.Definition}); err != nil {
		return err
	}
	s.flash(c, "success", "Flow duplicated as "+name+".")
	return c.Redirect(http.StatusSeeOther, s.connectorTab(con.ID, templates.TabFlows))
}

func (s *Server) connectorFlowDelete(c echo.Context) error {
	con, f, err := s.connectorFlowParams(c)
	if err != nil {
		return err
	}
	siblings, err := s.store.Flows(c.Request().Context(), con.ID)
	if err != nil {
		return err
	}
	users := flows.Callers(siblings, f.ID)
	if len(users) > 0 {
		return s.flowsProblem(c, con, "_flows", fmt.Sprintf("%q cannot be deleted: %s %s it.", f.Definition.Name, strings.Join(users, ", "), plural(len(users), "uses", "use")))
	}
	if err := s.store.DeleteFlow(c.Request().Context(), f.ID); err != nil && !errors.Is(err, flows.ErrNotFound) {
		return err
	}
	s.flash(c, "success", "Flow "+f.Definition.Name+" deleted.")
	return c.Redirect(http.StatusSeeOther, s.connectorTab(con.ID, templates.TabFlows))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
