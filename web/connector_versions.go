package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/templates"
)

// connectorExport builds the export of a connector's current draft.
func (s *Server) connectorExport(c echo.Context, con flows.Connector) (flows.ConnectorExport, error) {
	fs, err := s.store.Flows(c.Request().Context(), con.ID)
	if err != nil {
		return flows.ConnectorExport{}, err
	}
	return flows.ExportConnector(con, fs), nil
}

// deploy validates the draft and snapshots it as the next version.
func (s *Server) deploy(c echo.Context) (flows.Connector, flows.ConnectorVersion, error) {
	con, err := s.connectorParam(c)
	if err != nil {
		return con, flows.ConnectorVersion{}, err
	}
	x, err := s.connectorExport(c, con)
	if err != nil {
		return con, flows.ConnectorVersion{}, err
	}
	if err := flows.ValidateConnector(x, s.registry); err != nil {
		return con, flows.ConnectorVersion{}, err
	}
	v, err := s.store.Deploy(c.Request().Context(), x, con.ID, currentUser(c).Email)
	return con, v, err
}

func (s *Server) connectorDeploy(c echo.Context) error {
	con, v, err := s.deploy(c)
	if problems := problemsOf(err); problems != nil {
		f := templates.ConnectorForm{ID: con.ID, Revision: con.Revision, Info: con.Info, FlowCount: con.FlowCount,
			Tab: templates.TabDeployment, DeployProblems: problems}
		return s.renderConnector(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	// The result shows beside the Deploy button.
	s.flashAt(c, "deploy", "success", fmt.Sprintf("Deployed version %d.", v.Version))
	return c.Redirect(http.StatusSeeOther, s.connectorTab(con.ID, templates.TabDeployment))
}

// sendExport answers with a connector export as a file.
func (s *Server) sendExport(c echo.Context, con flows.Connector) error {
	x, err := s.connectorExport(c, con)
	if err != nil {
		return err
	}
	b, err := flows.MarshalConnector(x)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="connector-%d.json"`, con.ID))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b)
}

func (s *Server) connectorExportFile(c echo.Context) error {
	con, err := s.connectorParam(c)
	if err != nil {
		return err
	}
	return s.sendExport(c, con)
}

// importExport reads, checks and saves an export as a new connector (into
// 0) or as the new draft of connector into.
func (s *Server) importExport(c echo.Context, b []byte, into int64) (flows.Connector, error) {
	x, err := flows.ParseConnector(b)
	if err != nil {
		return flows.Connector{}, err
	}
	if err := flows.ValidateConnector(x, s.registry); err != nil {
		return flows.Connector{}, err
	}
	con, err := s.store.ImportConnector(c.Request().Context(), x, into)
	if errors.Is(err, flows.ErrConflict) {
		return con, fmt.Errorf("%w: another connector is named %q", flows.ErrConflict, x.Connector.Name)
	}
	return con, err
}

// uploaded reads the file of an upload form.
func uploaded(c echo.Context) ([]byte, error) {
	fh, err := c.FormFile("file")
	if err != nil {
		return nil, fmt.Errorf("%w: choose a connector export file (.json)", flows.ErrInvalid)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func (s *Server) connectorImportPage(c echo.Context, into int64) error {
	b, err := uploaded(c)
	var con flows.Connector
	if err == nil {
		con, err = s.importExport(c, b, into)
	}
	if err != nil {
		status, msg := statusOf(err)
		if status >= 500 {
			return err
		}
		for _, p := range problemsOf(err) {
			msg += " — " + p.Message
		}
		if into == 0 {
			s.flash(c, "error", "Import refused: "+msg)
			return c.Redirect(http.StatusSeeOther, s.URL("connectors.list"))
		}
		s.flashAt(c, "import", "error", "Import refused: "+msg)
		return c.Redirect(http.StatusSeeOther, s.connectorTab(into, templates.TabDeployment))
	}
	if into == 0 {
		s.flash(c, "success", "Imported "+con.Info.Name+".")
		return c.Redirect(http.StatusSeeOther, s.URL("connectors.show", con.ID))
	}
	s.flashAt(c, "import", "success", "Imported "+con.Info.Name+" as the new draft.")
	return c.Redirect(http.StatusSeeOther, s.connectorTab(con.ID, templates.TabDeployment))
}

func (s *Server) connectorImportNew(c echo.Context) error { return s.connectorImportPage(c, 0) }

func (s *Server) connectorImportDraft(c echo.Context) error {
	con, err := s.connectorParam(c)
	if err != nil {
		return err
	}
	return s.connectorImportPage(c, con.ID)
}

// connectorJSON is a connector as the API shows it.
type connectorJSON struct {
	ID        int64               `json:"id"`
	Revision  int                 `json:"revision"`
	FlowCount int                 `json:"flowCount"`
	Info      flows.ConnectorInfo `json:"connector"`
	CreatedAt time.Time           `json:"createdAt"`
	UpdatedAt time.Time           `json:"updatedAt"`
}

// versionJSON is a deployed version as the API shows it.
type versionJSON struct {
	ConnectorID int64     `json:"connectorId"`
	Version     int       `json:"version"`
	CreatedAt   time.Time `json:"createdAt"`
	CreatedBy   string    `json:"createdBy"`
}

func (s *Server) apiConnectorImport(c echo.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	into := int64(0)
	if q := c.QueryParam("into"); q != "" {
		if into, err = strconv.ParseInt(q, 10, 64); err != nil {
			return flows.ErrNotFound
		}
	}
	con, err := s.importExport(c, b, into)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toConnectorJSON(con))
}

func (s *Server) apiConnectorDeploy(c echo.Context) error {
	_, v, err := s.deploy(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toVersionJSON(v))
}
