package web

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
)

// hook serves an Event URL. It refuses at once what its flow's rules
// refuse (410 when the flow is OFF, 405, 413, 401/403 from the security
// checks, each logged and counted), answers Okta's verification challenge,
// and acknowledges a payload only once it is stored with its job.
func (s *Server) hook(c echo.Context) error {
	ctx := c.Request().Context()
	r := c.Request()
	h, err := s.lifecycle.Hook(ctx, c.Param("token"))
	switch {
	case errors.Is(err, flows.ErrNotFound):
		return s.refuse(c, http.StatusNotFound, "unknown_token", "no such Event URL")
	case errors.Is(err, flows.ErrGone):
		return s.refuse(c, http.StatusGone, "flow_off", "this Event URL is turned off")
	case err != nil:
		return err
	}
	if ch := r.Header.Get("X-Okta-Verification-Challenge"); r.Method == http.MethodGet && h.Settings.Security.VerificationChallenge && ch != "" {
		s.metrics.hooks.WithLabelValues("verification").Inc()
		return c.JSON(http.StatusOK, map[string]string{"verification": ch})
	}
	if !h.Allows(r.Method) {
		return s.refuse(c, http.StatusMethodNotAllowed, "method", "this Event URL does not accept "+r.Method)
	}
	d := requestOf(r)
	if bad := s.readOpenBody(c, &d); bad != nil {
		return s.refuse(c, bad.status, bad.reason, bad.message)
	}
	if err := h.Check(d.Headers, d.Body); err != nil {
		var rej *flows.Rejection
		if errors.As(err, &rej) {
			return s.refuse(c, rej.Status, rej.Reason, "the request failed the Event URL's security check")
		}
		return err
	}
	dup, err := s.lifecycle.Accept(ctx, h, d)
	if err != nil {
		return err
	}
	if dup {
		s.metrics.hooks.WithLabelValues("duplicate").Inc()
		s.metrics.duplicates.Inc()
	} else {
		s.metrics.hooks.WithLabelValues("accepted").Inc()
		s.metrics.accepted.Inc()
	}
	return c.NoContent(h.AckStatus())
}

// refuse answers a refused Event URL request, logging and counting why.
func (s *Server) refuse(c echo.Context, status int, reason, msg string) error {
	s.metrics.hooks.WithLabelValues(reason).Inc()
	s.metrics.refused.WithLabelValues(reason).Inc()
	s.log.Warn("event request refused", "reason", reason, "status", status,
		"request_id", c.Response().Header().Get(echo.HeaderXRequestID), "remote_ip", c.RealIP())
	return c.JSON(status, map[string]string{"error": msg})
}

// requestOf is what an open URL (an Event URL, an invoke URL) received,
// without its body: the method, the headers with lower-case names, the
// query.
func requestOf(r *http.Request) flows.Delivery {
	headers := make(map[string]string, len(r.Header))
	for k, v := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	query := map[string]string{}
	for k, v := range r.URL.Query() {
		query[k] = strings.Join(v, ",")
	}
	return flows.Delivery{Method: r.Method, Headers: headers, Query: query, ReceivedAt: time.Now()}
}

// badRequest is why an open URL refuses a request.
type badRequest struct {
	status          int
	reason, message string
}

// readOpenBody reads the body of a request at an open URL into d, within
// the open URLs' body limit.
func (s *Server) readOpenBody(c echo.Context, d *flows.Delivery) *badRequest {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, s.hookBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &badRequest{http.StatusRequestEntityTooLarge, "too_large", "the body is over the limit"}
		}
		return &badRequest{http.StatusBadRequest, "unreadable", "the body could not be read"}
	}
	d.Body = body
	return nil
}
