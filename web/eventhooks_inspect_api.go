package web

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
)

// The API of a hook's deliveries and Preview (web/API.md, "Event hooks").

// apiEventHookDeliveries lists a page of a hook's deliveries, newest
// first: ?page= from 1, ?limit= up to 100 (20).
func (s *Server) apiEventHookDeliveries(c echo.Context) error {
	h, err := s.eventHookParam(c)
	if err != nil {
		return err
	}
	page, _ := strconv.Atoi(c.QueryParam("page"))
	page = max(page, 1)
	limit, _ := strconv.Atoi(c.QueryParam("limit"))
	if limit <= 0 || limit > 100 {
		limit = hookDeliveriesPerPage
	}
	ds, total, err := s.eventHooks.Store.EventHookDeliveries(c.Request().Context(), h.ID, (page-1)*limit, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"deliveries": ds, "total": total, "page": page, "limit": limit})
}

// apiEventHookDelivery lists one delivery's attempts, oldest first, with
// their bodies.
func (s *Server) apiEventHookDelivery(c echo.Context) error {
	h, err := s.eventHookParam(c)
	if err != nil {
		return err
	}
	as, err := s.eventHooks.Store.EventHookDelivery(c.Request().Context(), h.ID, c.Param("delivery"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"id": c.Param("delivery"), "attempts": as})
}

// apiEventHookRedeliver sends a delivery's events again and answers the
// attempt recorded.
func (s *Server) apiEventHookRedeliver(c echo.Context) error {
	id, err := eventHookID(c)
	if err != nil {
		return err
	}
	a, err := s.eventHooks.Redeliver(c.Request().Context(), id, c.Param("delivery"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// previewType is the ?eventType= of a Preview, execution.failed if none.
func previewType(c echo.Context) flows.HookEventType {
	if t := c.QueryParam("eventType"); t != "" {
		return flows.HookEventType(t)
	}
	return flows.EventExecutionFailed
}

// apiEventHookSample answers the sample body of ?eventType=.
func (s *Server) apiEventHookSample(c echo.Context) error {
	h, err := s.eventHookParam(c)
	if err != nil {
		return err
	}
	body, err := flows.SampleHookBody(s.eventHooks.BaseURL, h.ID, previewType(c))
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, []byte(body))
}

// apiEventHookPreview sends the request's body (or, when it is empty, the
// sample of ?eventType=) to the hook's endpoint now and answers how it
// answered.
func (s *Server) apiEventHookPreview(c echo.Context) error {
	h, err := s.eventHookParam(c)
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		sample, err := flows.SampleHookBody(s.eventHooks.BaseURL, h.ID, previewType(c))
		if err != nil {
			return err
		}
		body = []byte(sample)
	}
	a, err := s.eventHooks.Preview(c.Request().Context(), h.ID, body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}
