package web

import (
	"context"
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

// eventChoices lists what a new workspace flow can start with: Manual,
// Schedule, and the Webhook and Polling Event cards of each connector's
// newest deployed version.
func (s *Server) eventChoices(c echo.Context) ([]templates.EventChoice, error) {
	choice := func(suffix string) func(flows.Connector, flows.ConnectorVersion, flows.ExportedFlow) templates.EventChoice {
		return func(con flows.Connector, v flows.ConnectorVersion, f flows.ExportedFlow) templates.EventChoice {
			return templates.EventChoice{Value: fmt.Sprintf("connector:%d:%d:%s", con.ID, v.Version, f.Key),
				Title: fmt.Sprintf("%s (version %d): %s%s", con.Info.Name, v.Version, f.Definition.Name, suffix)}
		}
	}
	events, err := s.newestFlowsOfKind(c, flows.KindWebhookEvent, choice(""))
	if err != nil {
		return nil, err
	}
	polls, err := s.newestFlowsOfKind(c, flows.KindPollingEvent, choice(" (polling)"))
	return append(append([]templates.EventChoice{{Value: "manual", Title: "Manual (run by hand or from the API)"},
		{Value: "api_endpoint", Title: "API Endpoint (an invoke URL that answers with the flow's result)"},
		{Value: "schedule", Title: "Schedule (on a cron expression, or every so often)"},
		{Value: "hookflow_event", Title: "Hookflow Event (when a flow fails, is turned on or off, …)"}}, events...), polls...), err
}

// eventTitle says what starts a workspace flow.
func eventTitle(d *flows.Definition) string {
	switch d.Event.Type {
	case flows.EventManual:
		return "Manual"
	case flows.EventHelper:
		return "Helper flow"
	case flows.EventConnector:
		return d.Event.Label
	case flows.EventAPIEndpoint:
		return "API Endpoint"
	case flows.EventSchedule:
		return "Schedule"
	case flows.EventHookflow:
		return "Hookflow Event"
	case flows.EventUnbound:
		return "App event (not bound)"
	}
	return d.Event.Type
}

func (s *Server) flowsList(c echo.Context) error {
	return s.renderFlows(c, http.StatusOK, templates.NewFlowForm{Errors: templates.FormErrors{}})
}

func (s *Server) renderFlows(c echo.Context, status int, form templates.NewFlowForm) error {
	ctx := c.Request().Context()
	fs, err := s.store.Flows(ctx, 0)
	if err != nil {
		return err
	}
	folders, err := s.store.Folders(ctx)
	if err != nil {
		return err
	}
	rows := make([]templates.FlowRow, 0, len(fs))
	for _, f := range fs {
		r := templates.FlowRow{Flow: f, Event: eventTitle(&f.Definition), State: flows.SubscriptionOff}
		if sub, err := s.store.LiveSubscription(ctx, f.ID); err == nil {
			r.State = sub.State
		} else if !errors.Is(err, flows.ErrNotFound) {
			return err
		}
		rows = append(rows, r)
	}
	events, err := s.eventChoices(c)
	if err != nil {
		return err
	}
	conns, err := s.store.Connections(ctx, 0)
	if err != nil {
		return err
	}
	return render(c, status, templates.FlowsPage(s.page(c, "Flows", "flows"), groupByFolder(folders, rows), events, conns, form))
}

// newWorkspaceFlow builds a workspace flow's starting document from the
// name, the chosen event ("manual" or "connector:<id>:<version>:<key>")
// and connection. Problems name the form field.
func (s *Server) newWorkspaceFlow(c echo.Context, name, event string, connection int64) (flows.Definition, error) {
	bad := func(field, msg string) error {
		return &flows.ValidationError{Problems: []flows.Problem{{Field: field, Code: "flow", Message: msg}}}
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > flows.MaxNameLength {
		return flows.Definition{}, bad("name", fmt.Sprintf("Give the flow a name of 1 to %d characters.", flows.MaxNameLength))
	}
	def, _ := flows.NewDefinition(flows.KindWorkspace, name)
	switch event {
	case "manual":
		return def, nil
	case "api_endpoint":
		def.Event.Type = flows.EventAPIEndpoint
		return def, nil
	case "schedule":
		def.Event = flows.NewScheduleEvent()
		return def, nil
	case "hookflow_event":
		def.Event = flows.NewHookflowEvent()
		return def, nil
	}
	var conID, key int64
	var version int
	if _, err := fmt.Sscanf(event, "connector:%d:%d:%d", &conID, &version, &key); err != nil {
		return def, bad("event", "Choose what starts the flow.")
	}
	ctx := c.Request().Context()
	v, err := s.store.Version(ctx, conID, version)
	if errors.Is(err, flows.ErrNotFound) {
		return def, bad("event", "That connector version is not deployed.")
	} else if err != nil {
		return def, err
	}
	node, src, err := flows.ConnectorEvent(v, key)
	if err != nil {
		return def, bad("event", "That connector version has no such event.")
	}
	if needs := v.Export.Connector.Auth.Kind; connection == 0 && needs != flows.AuthNone && needs != "" {
		return def, bad("connection", "Choose a connection to "+v.Export.Connector.Name+".")
	}
	if connection != 0 {
		conn, err := s.store.Connection(ctx, connection)
		if err != nil || conn.ConnectorID != conID {
			return def, bad("connection", "Choose a connection to "+v.Export.Connector.Name+".")
		}
		src.Connection = connection
	}
	def.Event, def.Source = node, src
	return def, nil
}

func (s *Server) flowCreate(c echo.Context) error {
	conn, _ := strconv.ParseInt(c.FormValue("connection"), 10, 64)
	form := templates.NewFlowForm{Name: c.FormValue("name"), Event: c.FormValue("event"), Connection: conn, Errors: templates.FormErrors{}}
	def, err := s.newWorkspaceFlow(c, form.Name, form.Event, conn)
	if ps := problemsOf(err); len(ps) > 0 {
		for _, p := range ps {
			form.Errors[p.Field] = p.Message
		}
		return s.renderFlows(c, http.StatusUnprocessableEntity, form)
	} else if err != nil {
		return err
	}
	f, err := s.store.CreateFlow(c.Request().Context(), flows.Flow{Definition: def})
	if err != nil {
		return err
	}
	s.flash(c, "success", "Flow "+def.Name+" created. Add cards after its event card, then turn it on.")
	return c.Redirect(http.StatusSeeOther, s.URL("flows.show", f.ID))
}

// workspaceFlowParam loads the workspace flow named by :id.
func (s *Server) workspaceFlowParam(c echo.Context) (flows.Flow, error) {
	f, err := s.flowParam(c)
	if err != nil {
		return f, err
	}
	if f.ConnectorID != 0 {
		return f, flows.ErrNotFound
	}
	return f, nil
}

// flowStatus fills a workspace flow's ON/OFF panel.
func (s *Server) flowStatus(c echo.Context, f flows.Flow) (*templates.FlowStatus, error) {
	ctx := c.Request().Context()
	st := &templates.FlowStatus{FlowID: f.ID, Revision: f.Revision, SaveData: f.Definition.SavesData(), Event: eventTitle(&f.Definition),
		Webhook: f.Definition.Source != nil, Scheduled: f.Definition.Event.Type == flows.EventSchedule,
		HookTrigger: f.Definition.Event.Type == flows.EventHookflow}
	var err error
	if st.Polling, err = s.lifecycle.PollView(ctx, f, time.Now()); err != nil {
		return nil, err
	}
	st.Webhook = st.Webhook && st.Polling == nil
	if src := f.Definition.Source; src != nil && src.Connection != 0 {
		if conn, err := s.store.Connection(ctx, src.Connection); err == nil {
			st.Connection = conn.Name
		} else {
			st.Connection = "(deleted)"
		}
	}
	sub, err := s.store.LatestSubscription(ctx, f.ID)
	switch {
	case err == nil:
		st.Subscription = &sub
		if st.Webhook {
			st.EventURL = s.lifecycle.EventURL(sub.Token)
		}
	case !errors.Is(err, flows.ErrNotFound):
		return nil, err
	}
	if isEndpointFlow(f) {
		if st.Endpoint, err = s.endpointPanel(ctx, f); err != nil {
			return nil, err
		}
	}
	if st.ErrorDetail, err = s.lastErrorDetail(ctx, st.Subscription); err != nil {
		return nil, err
	}
	return st, s.upgradeOffers(c, f, st)
}

// lastErrorDetail is the raw text behind a subscription's last error,
// kept by the failing card of the registration or deregistration run.
func (s *Server) lastErrorDetail(ctx context.Context, sub *flows.Subscription) (string, error) {
	if sub == nil || sub.LastError == "" {
		return "", nil
	}
	id := sub.RegistrationExecution
	if sub.State != flows.SubscriptionOff || sub.DeregistrationExecution != "" {
		id = sub.DeregistrationExecution
	}
	if id == "" {
		return "", nil
	}
	e, err := s.store.Execution(ctx, id)
	if errors.Is(err, flows.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return e.ErrorDetail(), nil
}

func (s *Server) flowShow(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	return s.renderFlowPage(c, f, "")
}

// renderFlowPage renders a workspace flow's page; clientToken, when set,
// is an API Endpoint flow's new client token, shown this once.
func (s *Server) renderFlowPage(c echo.Context, f flows.Flow, clientToken string) error {
	d, err := s.editorData(c, flows.Connector{}, f)
	if err != nil {
		return err
	}
	if err := s.editorPanels(c, flows.Connector{}, f, &d); err != nil {
		return err
	}
	if d.Status.Endpoint != nil {
		d.Status.Endpoint.NewClientToken = clientToken
	}
	if err := s.flowPlace(c, f, &d); err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.EditorPage(s.page(c, f.Definition.Name, "flows"), d))
}

func (s *Server) workspaceFlowEdit(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	return s.editFlow(c, flows.Connector{}, f)
}

func (s *Server) flowOn(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	_, err = s.lifecycle.On(c.Request().Context(), f.ID)
	var re *flows.RegistrationError
	switch {
	case errors.As(err, &re):
		// The flow's page says why, once, with the details.
		s.flash(c, "error", "The flow stays OFF.")
	case err != nil:
		if err := s.flashProblem(c, "The flow stays OFF: ", err); err != nil {
			return err
		}
	case isEndpointFlow(f):
		s.flash(c, "success", "The flow is ON: its invoke URL answers.")
	case f.Definition.Event.Type == flows.EventSchedule:
		s.flash(c, "success", "The flow is ON: it runs on its schedule.")
	case f.Definition.Event.Type == flows.EventHookflow:
		s.flash(c, "success", "The flow is ON: it runs for each Hookflow event its card chooses.")
	case s.lifecycle.Polls(c.Request().Context(), f):
		s.flash(c, "success", "The flow is ON: it polls now, then at each interval.")
	default:
		s.flash(c, "success", "The flow is ON: its Event URL is registered.")
	}
	return c.Redirect(http.StatusSeeOther, s.URL("flows.show", f.ID))
}

func (s *Server) flowOff(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	if _, err := s.lifecycle.Off(c.Request().Context(), f.ID); err != nil {
		if err := s.flashProblem(c, "", err); err != nil {
			return err
		}
	} else if isEndpointFlow(f) {
		s.flash(c, "success", "The flow is OFF: its invoke URL answers 404.")
	} else if f.Definition.Event.Type == flows.EventSchedule {
		s.flash(c, "success", "The flow is OFF: it runs on its schedule no more.")
	} else if s.lifecycle.Polls(c.Request().Context(), f) {
		s.flash(c, "success", "The flow is OFF: it polls no more.")
	} else {
		s.flash(c, "success", "The flow is OFF: its Event URL refuses requests; the deregistration runs now.")
	}
	return c.Redirect(http.StatusSeeOther, s.URL("flows.show", f.ID))
}

func (s *Server) flowOffAnyway(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	if err := s.lifecycle.OffAnyway(c.Request().Context(), f.ID); err != nil {
		if err := s.flashProblem(c, "", err); err != nil {
			return err
		}
	} else {
		s.flash(c, "success", "The flow is OFF. It was not deregistered: remove the subscription at the service by hand.")
	}
	return c.Redirect(http.StatusSeeOther, s.URL("flows.show", f.ID))
}

func (s *Server) flowDelete(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	if err := s.checkDeleteFlow(c.Request().Context(), f); err != nil {
		if err := s.flashProblem(c, "", err); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, s.URL("flows.show", f.ID))
	}
	if err := s.store.DeleteFlow(c.Request().Context(), f.ID); err != nil {
		return err
	}
	s.flash(c, "success", "Flow "+f.Definition.Name+" deleted.")
	return c.Redirect(http.StatusSeeOther, s.URL("flows.list"))
}

// flowStateJSON is a workspace flow's lifecycle as the API shows it.
type flowStateJSON struct {
	On           bool   `json:"on"`
	EventURL     string `json:"eventUrl,omitempty"`
	Subscription string `json:"subscription,omitempty"`
	LastError    string `json:"lastError,omitempty"`
	// RegistrationExecution and DeregistrationExecution are execution ids.
	RegistrationExecution   string `json:"registrationExecution,omitempty"`
	DeregistrationExecution string `json:"deregistrationExecution,omitempty"`
}

func (s *Server) flowState(c echo.Context, f flows.Flow) (*flowStateJSON, error) {
	if f.ConnectorID != 0 {
		return nil, nil
	}
	st, err := s.flowStatus(c, f)
	if err != nil {
		return nil, err
	}
	out := &flowStateJSON{On: st.On()}
	if sub := st.Subscription; sub != nil {
		out.Subscription, out.LastError = string(sub.State), sub.LastError
		out.RegistrationExecution, out.DeregistrationExecution = sub.RegistrationExecution, sub.DeregistrationExecution
		if sub.State.Live() && st.Webhook {
			out.EventURL = st.EventURL
		}
	}
	return out, nil
}

func (s *Server) apiFlowOn(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	_, err = s.lifecycle.On(c.Request().Context(), f.ID)
	var re *flows.RegistrationError
	if errors.As(err, &re) {
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{"error": re.Error(), "execution": re.Execution})
	} else if err != nil {
		return err
	}
	return s.apiFlow(c)
}

// apiFlowOff turns a flow OFF; with anyway=true it is "turn off anyway"
// (apiFlowOffAnyway).
func (s *Server) apiFlowOff(c echo.Context) error {
	if c.QueryParam("anyway") == "true" {
		return s.apiFlowOffAnyway(c)
	}
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	if _, err := s.lifecycle.Off(c.Request().Context(), f.ID); err != nil {
		return err
	}
	return s.apiFlow(c)
}

// flowSettings saves the flow's "Save all data that passes through the
// flow" setting.
func (s *Server) flowSettings(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	if rev, _ := strconv.Atoi(c.FormValue("revision")); rev != f.Revision {
		s.flash(c, "error", "This flow was changed elsewhere since the page loaded; the setting was not saved. Here is the latest version.")
		return c.Redirect(http.StatusSeeOther, s.URL("flows.show", f.ID))
	}
	save := c.FormValue("saveData") == "true"
	f.Definition.SaveData = &save
	if _, err := s.store.UpdateFlow(c.Request().Context(), f); errors.Is(err, flows.ErrConflict) {
		s.flash(c, "error", "This flow was changed elsewhere at the same moment; the setting was not saved.")
	} else if err != nil {
		return err
	} else if save {
		s.flash(c, "success", "Executions of this flow save all the data that passes through it.")
	} else {
		s.flash(c, "success", "Executions of this flow now keep metadata only: no inputs or outputs.")
	}
	s.lifecycle.ForgetEndpoint(f.ID) // an invoke URL's next run keeps what is set now
	return c.Redirect(http.StatusSeeOther, s.URL("flows.show", f.ID))
}

// flowClear clears the data of a flow's ended executions (inputs and
// outputs, or everything) and records who did it in the audit log.
func (s *Server) flowClear(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	mode := c.FormValue("mode")
	if mode != "data" && mode != "all" {
		s.flash(c, "error", "Choose what to clear: inputs and outputs, or everything.")
		return c.Redirect(http.StatusSeeOther, s.URL("flows.show", f.ID))
	}
	n, err := s.clearFlowData(c, f, mode)
	if err != nil {
		return err
	}
	s.flash(c, "success", fmt.Sprintf("Cleared the %s of %d executions.", clearedWhat[mode], n))
	return c.Redirect(http.StatusSeeOther, s.URL("flows.show", f.ID))
}
