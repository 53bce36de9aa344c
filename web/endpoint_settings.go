package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/templates"
)

// isEndpointFlow reports whether f is a workspace flow started by its
// invoke URL.
func isEndpointFlow(f flows.Flow) bool {
	return f.ConnectorID == 0 && f.Definition.Event.Type == flows.EventAPIEndpoint
}

// endpointPanel fills the invoke URL panel of an API Endpoint flow's page.
func (s *Server) endpointPanel(ctx context.Context, f flows.Flow) (*templates.EndpointPanel, error) {
	ep, err := s.lifecycle.EnsureEndpoint(ctx, f.ID)
	if err != nil {
		return nil, err
	}
	return &templates.EndpointPanel{InvokeURL: s.lifecycle.InvokeURL(ep.Alias), Security: ep.Security, HasClientToken: ep.ClientTokenHash != "",
		ClientTokenAt: ep.ClientTokenAt, RateLimit: ep.RateLimit, DefaultRate: max(s.endpointRate, 0)}, nil
}

// endpointFlowParam loads the API Endpoint flow named by :id.
func (s *Server) endpointFlowParam(c echo.Context) (flows.Flow, error) {
	f, err := s.workspaceFlowParam(c)
	if err == nil && !isEndpointFlow(f) {
		err = fmt.Errorf("%w: flow %q does not start with an API Endpoint card", flows.ErrInvalid, f.Definition.Name)
	}
	return f, err
}

// flowEndpointSettings saves the security mode and rate limit chosen on
// the flow's page.
func (s *Server) flowEndpointSettings(c echo.Context) error {
	f, err := s.endpointFlowParam(c)
	if err != nil {
		return err
	}
	rateLimit := 0
	if v := strings.TrimSpace(c.FormValue("rateLimit")); v != "" {
		if rateLimit, err = strconv.Atoi(v); err != nil || rateLimit < 1 {
			s.flash(c, "error", fmt.Sprintf("The rate limit is a whole number of invocations per second from 1 to %d, or empty for the server's default.", flows.MaxEndpointRate))
			return c.Redirect(http.StatusSeeOther, s.URL("flows.show", f.ID))
		}
	}
	_, err = s.lifecycle.ConfigureEndpoint(c.Request().Context(), f.ID, flows.EndpointSecurity(c.FormValue("security")), rateLimit)
	if err != nil {
		if err := s.flashProblem(c, "The settings were not saved: ", err); err != nil {
			return err
		}
	} else {
		s.flash(c, "success", "The API endpoint's settings are saved; they apply to the next request.")
	}
	return c.Redirect(http.StatusSeeOther, s.URL("flows.show", f.ID))
}

// flowEndpointToken makes the flow a new client token and shows it on the
// flow's page, in this response only: it is never stored.
func (s *Server) flowEndpointToken(c echo.Context) error {
	f, err := s.endpointFlowParam(c)
	if err != nil {
		return err
	}
	token, _, err := s.lifecycle.RotateClientToken(c.Request().Context(), f.ID)
	if err != nil {
		return err
	}
	return s.renderFlowPage(c, f, token)
}

// flowEndpointAlias gives the flow a new invoke URL; the old one stops at once.
func (s *Server) flowEndpointAlias(c echo.Context) error {
	f, err := s.endpointFlowParam(c)
	if err != nil {
		return err
	}
	if _, err := s.lifecycle.RegenerateAlias(c.Request().Context(), f.ID); err != nil {
		return err
	}
	s.flash(c, "success", "The flow has a new invoke URL; the old one no longer answers.")
	return c.Redirect(http.StatusSeeOther, s.URL("flows.show", f.ID))
}

// endpointJSON adds an API Endpoint flow's invoke URL, security and rate
// limit to its API view.
func (s *Server) endpointJSON(ctx context.Context, f flows.Flow, out *flowJSON) error {
	if !isEndpointFlow(f) {
		return nil
	}
	ep, err := s.lifecycle.EnsureEndpoint(ctx, f.ID)
	if err != nil {
		return err
	}
	out.InvokeURL, out.Security, out.RateLimit = s.lifecycle.InvokeURL(ep.Alias), string(ep.Security), &ep.RateLimit
	return nil
}

// endpointSettings is the body of POST /api/v1/flows/{id}/endpoint.
type endpointSettings struct {
	Security  *string `json:"security"`
	RateLimit *int    `json:"rateLimit"`
}

// apiFlowEndpoint changes an API Endpoint flow's security and rate limit;
// what the body leaves out stays as it is.
func (s *Server) apiFlowEndpoint(c echo.Context) error {
	f, err := s.endpointFlowParam(c)
	if err != nil {
		return err
	}
	b, err := readBody(c)
	if err != nil {
		return err
	}
	var in endpointSettings
	if err := json.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("%w: the body must be a JSON object like {\"security\": \"public\", \"rateLimit\": 50}: %s", flows.ErrInvalid, flows.DescribeJSONError(b, err))
	}
	ctx := c.Request().Context()
	ep, err := s.lifecycle.EnsureEndpoint(ctx, f.ID)
	if err != nil {
		return err
	}
	sec, rateLimit := ep.Security, ep.RateLimit
	if in.Security != nil {
		sec = flows.EndpointSecurity(*in.Security)
	}
	if in.RateLimit != nil {
		rateLimit = *in.RateLimit
	}
	if _, err := s.lifecycle.ConfigureEndpoint(ctx, f.ID, sec, rateLimit); err != nil {
		return err
	}
	return s.apiFlow(c)
}

// apiFlowClientToken makes the flow a new client token and answers with
// it, this once.
func (s *Server) apiFlowClientToken(c echo.Context) error {
	f, err := s.endpointFlowParam(c)
	if err != nil {
		return err
	}
	token, ep, err := s.lifecycle.RotateClientToken(c.Request().Context(), f.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"clientToken": token, "invokeUrl": s.lifecycle.InvokeURL(ep.Alias)})
}

// apiFlowAlias gives the flow a new invoke URL.
func (s *Server) apiFlowAlias(c echo.Context) error {
	f, err := s.endpointFlowParam(c)
	if err != nil {
		return err
	}
	if _, err := s.lifecycle.RegenerateAlias(c.Request().Context(), f.ID); err != nil {
		return err
	}
	return s.apiFlow(c)
}
