package web

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/templates"
)

// pollingPanel fills the Polling Event settings panel of a flow's page,
// with what Deploy would say of the flow's settings and Return card.
func (s *Server) pollingPanel(c echo.Context, con flows.Connector, f flows.Flow) (*templates.PollingPanel, error) {
	if f.Definition.Kind != flows.KindPollingEvent {
		return nil, nil
	}
	pp := &templates.PollingPanel{Options: f.Definition.Event.Outputs, Errors: templates.FormErrors{}}
	if p := f.Definition.Polling; p != nil {
		pp.Settings = *p
	}
	siblings, err := s.store.Flows(c.Request().Context(), con.ID)
	if err != nil {
		return nil, err
	}
	problems := problemsOf(flows.Validate(f.Definition, s.registry))
	for _, p := range problemsOf(flows.ValidateConnector(flows.ExportConnector(con, siblings), s.registry)) {
		if strings.Contains(p.Message, fmt.Sprintf("flow %q: ", f.Definition.Name)) {
			problems = append(problems, p)
		}
	}
	for _, p := range problems {
		if pollingProblem(p, &f.Definition) || p.Field == "return" {
			pp.Errors[p.Field] = p.Message
		}
	}
	return pp, nil
}

// pollingProblem reports whether a problem is one of the settings the
// panel edits: the polling settings, or the options (the event card's fields).
func pollingProblem(p flows.Problem, def *flows.Definition) bool {
	return strings.HasPrefix(p.Field, "polling") || p.Card != "" && p.Card == def.Event.ID
}

// flowPolling saves the Polling Event card settings from the panel's form:
// the options (the event card's fields), the run mode, the records path
// and the default interval.
func (s *Server) flowPolling(c echo.Context) error {
	con, f, err := s.connectorFlowParams(c)
	if err != nil {
		return err
	}
	if f.Definition.Kind != flows.KindPollingEvent {
		return fmt.Errorf("%w: only a Polling Event flow has these settings", flows.ErrInvalid)
	}
	back := s.URL("connectors.flows.editor", con.ID, f.ID)
	if rev, _ := strconv.Atoi(c.FormValue("revision")); rev != f.Revision {
		// Cards placed on the canvas since the page loaded leave the
		// settings as the form showed them: those apply on top.
		old, err := s.store.FlowRevision(c.Request().Context(), f.ID, rev)
		if err != nil && !errors.Is(err, flows.ErrNotFound) {
			return err
		}
		if err != nil || rev > f.Revision || !reflect.DeepEqual(old.Polling, f.Definition.Polling) || !reflect.DeepEqual(old.Event.Outputs, f.Definition.Event.Outputs) {
			s.flash(c, "error", "This flow's settings were changed elsewhere since the page loaded; yours were not saved. Here is the latest version.")
			return c.Redirect(http.StatusSeeOther, back)
		}
	}
	f.Definition.Polling = &flows.PollingSettings{RunMode: flows.RunMode(c.FormValue("runMode")),
		RecordsPath: strings.TrimSpace(c.FormValue("recordsPath")), Every: strings.TrimSpace(c.FormValue("every"))}
	f.Definition.Event.Outputs = optionFields(c, f.Definition.Event.Outputs)
	var msgs []string
	for _, p := range problemsOf(flows.Validate(f.Definition, s.registry)) {
		if pollingProblem(p, &f.Definition) {
			msgs = append(msgs, p.Message)
		}
	}
	if len(msgs) > 0 {
		s.flash(c, "error", "The settings were not saved: "+strings.Join(msgs, "; ")+".")
		return c.Redirect(http.StatusSeeOther, back)
	}
	if _, err := s.store.UpdateFlow(c.Request().Context(), f); errors.Is(err, flows.ErrConflict) {
		s.flash(c, "error", "This flow was changed elsewhere at the same moment; the settings were not saved.")
	} else if err != nil {
		return err
	} else {
		s.flash(c, "success", "Polling Event settings saved.")
	}
	return c.Redirect(http.StatusSeeOther, back)
}

// optionFields reads the options table of a settings form (options.<i>.key,
// label, type, required); rows left empty are dropped. An option kept
// under its key keeps what the form does not edit (its help and choices).
func optionFields(c echo.Context, old []flows.Field) []flows.Field {
	var out []flows.Field
	for i := 0; i < 100; i++ {
		p := fmt.Sprintf("options.%d.", i)
		if _, ok := c.Request().Form[p+"key"]; !ok {
			break
		}
		o := flows.Field{Key: strings.TrimSpace(c.FormValue(p + "key")), Label: strings.TrimSpace(c.FormValue(p + "label")),
			Type: flows.Type(c.FormValue(p + "type")), Required: c.FormValue(p+"required") == "true"}
		if o.Key == "" && o.Label == "" {
			continue
		}
		if j := slices.IndexFunc(old, func(f flows.Field) bool { return f.Key == o.Key }); j >= 0 {
			o.Help, o.Choices, o.Default = old[j].Help, old[j].Choices, old[j].Default
		}
		out = append(out, o)
	}
	return out
}
