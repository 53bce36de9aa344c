package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
)

// eventHookJSON is a hook as the API shows it: never its secrets; the
// signing secret only in the answer to its creation.
type eventHookJSON struct {
	flows.EventHook
	SigningSecret string `json:"signingSecret,omitempty"`
}

// eventHookID reads the :id of an event hook route.
func eventHookID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("event hook %q: %w", c.Param("id"), flows.ErrNotFound)
	}
	return id, nil
}

// readHookInput reads a hook document from the body.
func readHookInput(c echo.Context) (flows.HookInput, error) {
	var in flows.HookInput
	b, err := readBody(c)
	if err != nil {
		return in, err
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return in, fmt.Errorf("%w: the body is not an event hook document: %s", flows.ErrInvalid, flows.DescribeJSONError(b, err))
	}
	return in, nil
}

func (s *Server) apiEventHooks(c echo.Context) error {
	hooks, err := s.eventHooks.Store.EventHooks(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"hooks": hooks, "eventTypes": flows.HookEventTypes})
}

func (s *Server) apiCreateEventHook(c echo.Context) error {
	in, err := readHookInput(c)
	if err != nil {
		return err
	}
	h, secret, err := s.eventHooks.Create(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, eventHookJSON{EventHook: h, SigningSecret: secret})
}

func (s *Server) apiEventHook(c echo.Context) error {
	id, err := eventHookID(c)
	if err != nil {
		return err
	}
	h, err := s.eventHooks.Store.EventHook(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, eventHookJSON{EventHook: h})
}

func (s *Server) apiUpdateEventHook(c echo.Context) error {
	id, err := eventHookID(c)
	if err != nil {
		return err
	}
	in, err := readHookInput(c)
	if err != nil {
		return err
	}
	h, err := s.eventHooks.Update(c.Request().Context(), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, eventHookJSON{EventHook: h})
}

func (s *Server) apiDeleteEventHook(c echo.Context) error {
	id, err := eventHookID(c)
	if err != nil {
		return err
	}
	if err := s.eventHooks.Delete(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// apiVerifyEventHook sends the verification; a failed one answers 422
// with the reason, as Okta answers 400.
func (s *Server) apiVerifyEventHook(c echo.Context) error {
	id, err := eventHookID(c)
	if err != nil {
		return err
	}
	h, err := s.eventHooks.Verify(c.Request().Context(), id)
	var ve *flows.VerifyError
	if errors.As(err, &ve) {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, sentence(ve.Error()))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, eventHookJSON{EventHook: h})
}

func (s *Server) apiActivateEventHook(c echo.Context) error {
	return s.eventHookState(c, s.eventHooks.Activate)
}

func (s *Server) apiDeactivateEventHook(c echo.Context) error {
	return s.eventHookState(c, s.eventHooks.Deactivate)
}

func (s *Server) eventHookState(c echo.Context, change func(ctx context.Context, id int64) (flows.EventHook, error)) error {
	id, err := eventHookID(c)
	if err != nil {
		return err
	}
	h, err := change(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, eventHookJSON{EventHook: h})
}

// apiEventHookAttempts lists a hook's latest delivery attempts.
func (s *Server) apiEventHookAttempts(c echo.Context) error {
	id, err := eventHookID(c)
	if err != nil {
		return err
	}
	if _, err := s.eventHooks.Store.EventHook(c.Request().Context(), id); err != nil {
		return err
	}
	as, err := s.eventHooks.Store.EventHookAttempts(c.Request().Context(), id, 100)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"attempts": as})
}
