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

func (s *Server) connectorsList(c echo.Context) error {
	list, err := s.store.Connectors(c.Request().Context())
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.ConnectorsPage(s.page(c, "Connectors", "connectors"), list))
}

func (s *Server) connectorNew(c echo.Context) error {
	f := templates.ConnectorForm{Info: flows.ConnectorInfo{Auth: flows.AuthDefinition{Kind: flows.AuthNone}}}
	return render(c, http.StatusOK, templates.ConnectorFormPage(s.page(c, "New connector", "connectors"), f))
}

// connectorFromForm reads the overview form. Empty custom-field rows are dropped.
func connectorFromForm(c echo.Context) (flows.ConnectorInfo, int) {
	info := flows.ConnectorInfo{
		Name:        strings.TrimSpace(c.FormValue("name")),
		Description: strings.TrimSpace(c.FormValue("description")),
		BaseURL:     strings.TrimSpace(c.FormValue("baseUrl")),
		Auth: flows.AuthDefinition{
			Kind:     flows.AuthKind(c.FormValue("auth.kind")),
			Header:   strings.TrimSpace(c.FormValue("auth.header")),
			TokenURL: strings.TrimSpace(c.FormValue("auth.tokenUrl")),
			Scopes:   strings.TrimSpace(c.FormValue("auth.scopes")),
		},
	}
	info.Auth.Hosts = strings.FieldsFunc(c.FormValue("auth.hosts"), func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' })
	for i := 0; i < 100; i++ {
		p := fmt.Sprintf("auth.fields.%d.", i)
		if _, ok := c.Request().Form[p+"key"]; !ok {
			break
		}
		f := flows.AuthField{
			Key:      strings.TrimSpace(c.FormValue(p + "key")),
			Label:    strings.TrimSpace(c.FormValue(p + "label")),
			Type:     c.FormValue(p + "type"),
			Required: c.FormValue(p+"required") == "true",
		}
		for _, ch := range strings.Split(c.FormValue(p+"choices"), ",") {
			if ch = strings.TrimSpace(ch); ch != "" {
				f.Choices = append(f.Choices, ch)
			}
		}
		if f.Key == "" && f.Label == "" && len(f.Choices) == 0 {
			continue
		}
		info.Auth.Fields = append(info.Auth.Fields, f)
	}
	rev, _ := strconv.Atoi(c.FormValue("revision"))
	return info, rev
}

// formErrors turns validation problems into messages next to form fields.
func formErrors(err error) templates.FormErrors {
	errs := templates.FormErrors{}
	for _, p := range problemsOf(err) {
		if _, taken := errs[p.Field]; !taken {
			errs[p.Field] = p.Message
		}
	}
	return errs
}

// connectorTab is the path of a tab of a connector's page.
func (s *Server) connectorTab(id int64, tab string) string {
	return templates.ConnectorTabURL(s.URL, id, tab)
}

func (s *Server) connectorCreate(c echo.Context) error {
	info, _ := connectorFromForm(c)
	f := templates.ConnectorForm{Info: info}
	created, err := s.connectors().Create(c.Request().Context(), info)
	switch {
	case problemsOf(err) != nil:
		f.Errors = formErrors(err)
	case errors.Is(err, flows.ErrConflict):
		f.Errors = templates.FormErrors{"name": "Another connector has this name."}
	case err != nil:
		return err
	default:
		s.flash(c, "success", "Connector "+created.Info.Name+" created. Add its flows here.")
		return c.Redirect(http.StatusSeeOther, s.connectorTab(created.ID, templates.TabFlows))
	}
	return render(c, http.StatusUnprocessableEntity, templates.ConnectorFormPage(s.page(c, "New connector", "connectors"), f))
}

// connectorParam loads the connector named by the route's :id.
func (s *Server) connectorParam(c echo.Context) (flows.Connector, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return flows.Connector{}, flows.ErrNotFound
	}
	return s.store.Connector(c.Request().Context(), id)
}

// renderConnector shows a connector's page on the tab f.Tab names, with
// what that tab lists.
func (s *Server) renderConnector(c echo.Context, status int, f templates.ConnectorForm) error {
	ctx := c.Request().Context()
	var err error
	f.Tab = templates.ConnectorTab(f.Tab)
	if f.Versions, err = s.store.Versions(ctx, f.ID); err != nil {
		return err
	}
	switch f.Tab {
	case templates.TabFlows:
		f.Flows, err = s.store.Flows(ctx, f.ID)
	case templates.TabConnections:
		f.Connections, err = s.store.Connections(ctx, f.ID)
	}
	if err != nil {
		return err
	}
	return render(c, status, templates.ConnectorFormPage(s.page(c, f.Info.Name, "connectors"), f))
}

// connectorShow shows a connector's page on the tab ?tab= names.
func (s *Server) connectorShow(c echo.Context) error {
	con, err := s.connectorParam(c)
	if err != nil {
		return err
	}
	return s.renderConnector(c, http.StatusOK, templates.ConnectorForm{ID: con.ID, Revision: con.Revision, Info: con.Info,
		FlowCount: con.FlowCount, Tab: c.QueryParam("tab")})
}

func (s *Server) connectorUpdate(c echo.Context) error {
	con, err := s.connectorParam(c)
	if err != nil {
		return err
	}
	info, rev := connectorFromForm(c)
	f := templates.ConnectorForm{ID: con.ID, Revision: rev, Info: info, FlowCount: con.FlowCount}
	updated, err := s.connectors().Update(c.Request().Context(), con.ID,
		flows.ConnectorPatch{Revision: rev, Name: &info.Name, Description: &info.Description, BaseURL: &info.BaseURL, Auth: &info.Auth})
	var stale *flows.StaleError
	switch {
	case problemsOf(err) != nil:
		f.Errors = formErrors(err)
		return s.renderConnector(c, http.StatusUnprocessableEntity, f)
	case errors.As(err, &stale):
		f.Errors = templates.FormErrors{"_form": "Someone saved this connector after you opened it. Your changes are still in the form; reload the page to see theirs, or save again to replace them."}
		f.Revision = stale.Now
		return s.renderConnector(c, http.StatusConflict, f)
	case errors.Is(err, flows.ErrConflict):
		f.Errors = templates.FormErrors{"name": "Another connector has this name."}
		return s.renderConnector(c, http.StatusUnprocessableEntity, f)
	case err != nil:
		return err
	}
	s.flash(c, "success", "Saved.")
	return c.Redirect(http.StatusSeeOther, s.URL("connectors.show", updated.ID))
}

func (s *Server) connectorDeleteConfirm(c echo.Context) error {
	con, err := s.connectorParam(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.ConnectorDeletePage(s.page(c, "Delete "+con.Info.Name, "connectors"), con))
}

func (s *Server) connectorDelete(c echo.Context) error {
	con, err := s.connectorParam(c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteConnector(c.Request().Context(), con.ID); errors.Is(err, flows.ErrConflict) {
		_, msg := statusOf(err)
		s.flash(c, "error", "The connector was not deleted: "+msg)
		return c.Redirect(http.StatusSeeOther, s.URL("connectors.show", con.ID))
	} else if err != nil {
		return err
	}
	s.flash(c, "success", "Connector "+con.Info.Name+" deleted.")
	return c.Redirect(http.StatusSeeOther, s.URL("connectors.list"))
}
