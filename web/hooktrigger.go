package web

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/templates"
)

// hookTriggerPanel is a Hookflow Event flow's settings form: its settings
// as saved, and the flows and connectors it may be narrowed to; nil for
// other flows.
func (s *Server) hookTriggerPanel(c echo.Context, f flows.Flow) (*templates.HookTriggerPanel, error) {
	if f.ConnectorID != 0 || f.Definition.Event.Type != flows.EventHookflow {
		return nil, nil
	}
	ctx := c.Request().Context()
	p := &templates.HookTriggerPanel{}
	p.Settings, _ = flows.HookTriggerOf(f) // not valid: nothing checked, the card says why
	var err error
	if p.Flows, err = s.store.Flows(ctx, 0); err != nil {
		return nil, err
	}
	if p.Connectors, err = s.store.Connectors(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// hookTriggerEdit writes the Hookflow Event card's settings the form
// posted: the checked event types, and the flow and connector chosen.
func (s *Server) hookTriggerEdit(c echo.Context, def *flows.Definition) error {
	form, err := c.FormParams()
	if err != nil {
		return fmt.Errorf("%w: the form could not be read", flows.ErrInvalid)
	}
	id := func(key, what string) (int64, error) {
		v := strings.TrimSpace(form.Get(key))
		if v == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%w: choose the %s from the list", flows.ErrInvalid, what)
		}
		return n, nil
	}
	ofFlow, err := id("flow", "flow")
	if err != nil {
		return err
	}
	connector, err := id("connector", "connector")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if ofFlow != 0 {
		if f, err := s.store.Flow(ctx, ofFlow); errors.Is(err, flows.ErrNotFound) || (err == nil && f.ConnectorID != 0) {
			return fmt.Errorf("%w: there is no workspace flow %d to filter by", flows.ErrInvalid, ofFlow)
		} else if err != nil {
			return err
		}
	}
	if connector != 0 {
		if _, err := s.store.Connector(ctx, connector); errors.Is(err, flows.ErrNotFound) {
			return fmt.Errorf("%w: there is no connector %d to filter by", flows.ErrInvalid, connector)
		} else if err != nil {
			return err
		}
	}
	return flows.SetHookTrigger(def, form["events"], ofFlow, connector)
}
