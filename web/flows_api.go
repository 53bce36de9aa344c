package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
)

// flowJSON is a saved flow as the API shows it.
type flowJSON struct {
	ID          int64            `json:"id"`
	ConnectorID int64            `json:"connectorId,omitempty"`
	Revision    int              `json:"revision"`
	CreatedAt   time.Time        `json:"createdAt"`
	UpdatedAt   time.Time        `json:"updatedAt"`
	Definition  flows.Definition `json:"definition"`
	// State is a workspace flow's ON/OFF state and subscription.
	State *flowStateJSON `json:"state,omitempty"`
	// InvokeURL, Security and RateLimit are an API Endpoint flow's;
	// ClientToken is its client token, in the answer that made it only.
	InvokeURL   string `json:"invokeUrl,omitempty"`
	Security    string `json:"security,omitempty"`
	RateLimit   *int   `json:"rateLimit,omitempty"`
	ClientToken string `json:"clientToken,omitempty"`
	// Schedule is a scheduled flow's schedule: its settings, in words,
	// and its next runs (absent while it is not valid).
	Schedule *flows.ScheduledFlow `json:"schedule,omitempty"`
	// Polling is how a flow on a Polling Event polls: its interval, its
	// next poll while ON and its last poll.
	Polling *flows.PolledFlow `json:"polling,omitempty"`
	// Tables are the tables an import of a flow with its tables made.
	Tables []flows.Table `json:"tables,omitempty"`
}

func toFlowJSON(f flows.Flow) flowJSON {
	return flowJSON{ID: f.ID, ConnectorID: f.ConnectorID, Revision: f.Revision, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt, Definition: f.Definition}
}

// readBody reads a request body that the body limit has bounded.
func readBody(c echo.Context) ([]byte, error) {
	b, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	}
	return b, nil
}

// apiCreateFlow saves a workspace flow from its document, once it validates.
func (s *Server) apiCreateFlow(c echo.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	// A flow exported with the tables its cards use comes as a bundle.
	var bundle *flows.FlowBundle
	var def flows.Definition
	if flows.IsFlowBundle(b) {
		x, err := flows.ParseFlowBundle(b)
		if err != nil {
			return err
		}
		bundle, def = &x, x.Flow
	} else if def, err = flows.ParseDefinition(b); err != nil {
		return err
	}
	if def.Kind != flows.KindWorkspace {
		return fmt.Errorf("%w: this endpoint creates workspace flows (kind %q); connector flows come with their connector", flows.ErrInvalid, flows.KindWorkspace)
	}
	if err := flows.Validate(def, s.registry); err != nil {
		return err
	}
	if err := s.checkSource(c, def); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var made []flows.Table
	if bundle != nil {
		if def, made, err = s.tables().ImportTables(ctx, *bundle); err != nil {
			return err
		}
	} else if err := flows.CheckTableCards(ctx, &def, s.store); err != nil {
		return err
	}
	f, err := s.store.CreateFlow(ctx, flows.Flow{Definition: def})
	if err != nil {
		for _, t := range made {
			s.store.DeleteTable(context.WithoutCancel(ctx), t.ID)
		}
		return err
	}
	out := toFlowJSON(f)
	out.Tables = made
	if isEndpointFlow(f) {
		// Its client token is in this answer, and never again.
		if out.ClientToken, _, err = s.lifecycle.RotateClientToken(ctx, f.ID); err != nil {
			return err
		}
		if err := s.endpointJSON(ctx, f, &out); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusCreated, out)
}

// flowParam loads the flow named by the route's :id.
func (s *Server) flowParam(c echo.Context) (flows.Flow, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return flows.Flow{}, flows.ErrNotFound
	}
	return s.store.Flow(c.Request().Context(), id)
}

func (s *Server) apiFlow(c echo.Context) error {
	f, err := s.flowParam(c)
	if err != nil {
		return err
	}
	out, err := s.flowAnswer(c, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// flowAnswer is a saved flow as GET /api/v1/flows/{id} shows it: with its
// state, and its invoke URL, schedule or polling where it has one.
func (s *Server) flowAnswer(c echo.Context, f flows.Flow) (flowJSON, error) {
	out := toFlowJSON(f)
	var err error
	if out.State, err = s.flowState(c, f); err != nil {
		return out, err
	}
	if err := s.endpointJSON(c.Request().Context(), f, &out); err != nil {
		return out, err
	}
	if f.Definition.Event.Type == flows.EventSchedule {
		out.Schedule, _ = flows.ScheduleView(&f.Definition, s.registry, time.Now())
	}
	if f.ConnectorID == 0 {
		if out.Polling, err = s.lifecycle.PollView(c.Request().Context(), f, time.Now()); err != nil {
			return out, err
		}
	}
	return out, nil
}

// apiExportFlow answers with the flow's document, as a file that POST
// /api/v1/flows imports again unchanged; a flow whose cards use tables
// comes with them (flows.FlowBundle).
func (s *Server) apiExportFlow(c echo.Context) error {
	f, err := s.flowParam(c)
	if err != nil {
		return err
	}
	// With the tables its cards use, if any (their rows with rows=true).
	b, err := s.tables().ExportFlow(c.Request().Context(), f.Definition, c.QueryParam("rows") == "true")
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="flow-%d.json"`, f.ID))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b)
}

// runRequest is the body of POST /api/v1/flows/{id}/runs.
type runRequest struct {
	Input map[string]any `json:"input"`
}

// apiRunFlow runs a flow with the given inputs, waits for it, and answers
// with the execution. A flow that fails is still a 200: the execution says so.
func (s *Server) apiRunFlow(c echo.Context) error {
	f, err := s.flowParam(c)
	if err != nil {
		return err
	}
	b, err := readBody(c)
	if err != nil {
		return err
	}
	var req runRequest
	if len(b) > 0 {
		if err := json.Unmarshal(b, &req); err != nil {
			return fmt.Errorf("%w: the body must be a JSON object like {\"input\": {...}}: %s", flows.ErrInvalid, flows.DescribeJSONError(b, err))
		}
	}
	exec, err := s.engine.Run(c.Request().Context(), flows.RunRequest{FlowID: f.ID, Definition: f.Definition, Input: req.Input, Trigger: flows.TriggerAPI, Revision: f.Revision})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, exec)
}

func (s *Server) apiExecution(c echo.Context) error {
	e, err := s.store.Execution(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	s.withResumeURL(e)
	return c.JSON(http.StatusOK, e)
}

// problemsOf returns the validation problems inside err, if any.
func problemsOf(err error) []flows.Problem {
	var ve *flows.ValidationError
	if errors.As(err, &ve) {
		return ve.Problems
	}
	return nil
}

// checkSource checks a workspace flow document's connector event against
// what is deployed: the version, its Webhook Event and the connection.
func (s *Server) checkSource(c echo.Context, def flows.Definition) error {
	src := def.Source
	if (src != nil) != (def.Event.Type == flows.EventConnector) {
		return fmt.Errorf("%w: a connector event card needs its source (connector, version, flow), and only it has one", flows.ErrInvalid)
	}
	if src == nil {
		return nil
	}
	want, err := s.newWorkspaceFlow(c, def.Name, fmt.Sprintf("connector:%d:%d:%d", src.Connector, src.Version, src.Flow), src.Connection)
	if err != nil {
		return err
	}
	if def.Event.Type != want.Event.Type || !sameFields(def.Event.Outputs, want.Event.Outputs) || !sameFields(def.Event.Inputs, want.Event.Inputs) {
		return fmt.Errorf("%w: the event card does not match version %d's event: make it with its outputs and options as deployed", flows.ErrInvalid, src.Version)
	}
	return nil
}

func sameFields(a, b []flows.Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || a[i].Type != b[i].Type {
			return false
		}
	}
	return true
}
