package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/flows/flopack"
	"github.com/hookflow/hookflow/templates"
)

// apiError is the JSON body of every API error.
type apiError struct {
	Error struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
		// Problems locate what is wrong with a flow: card, field, message.
		Problems []flows.Problem `json:"problems,omitempty"`
	} `json:"error"`
}

// statusOf maps an error to its HTTP status and the message the client may
// see. Domain sentinels are mapped here and only here; anything unknown is a
// 500 whose details stay in the log.
func statusOf(err error) (int, string) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg, _ := he.Message.(string)
		switch {
		case he.Code == http.StatusForbidden && strings.Contains(strings.ToLower(msg), "csrf"),
			he.Code == http.StatusBadRequest && strings.Contains(strings.ToLower(msg), "csrf"):
			return http.StatusForbidden, "This form has expired or was not sent from Hookflow. Reload the page and try again."
		case he.Code == http.StatusRequestEntityTooLarge:
			return he.Code, "The request body is too large."
		case msg == "" || he.Code >= 500:
			return he.Code, http.StatusText(he.Code)
		}
		return he.Code, msg
	}
	var ve *flows.ValidationError
	var ue *flows.UniqueError
	var inUse *flows.TableInUseError
	var notPack *flopack.FormatError
	switch {
	case errors.As(err, &notPack):
		return http.StatusUnprocessableEntity, sentence(notPack.Error())
	case errors.Is(err, flows.ErrNotFound):
		return http.StatusNotFound, "Not found."
	case errors.As(err, &ve):
		return http.StatusUnprocessableEntity, "The " + ve.Subject() + " is not valid: " + strings.TrimPrefix(ve.Error(), "flows: invalid "+ve.Subject()+": ")
	case errors.Is(err, flows.ErrInvalid):
		return http.StatusUnprocessableEntity, publicMessage(err)
	case errors.Is(err, flows.ErrUnauthorized):
		return http.StatusUnauthorized, "Sign in first."
	case errors.Is(err, flows.ErrForbidden):
		return http.StatusForbidden, "Not allowed."
	case errors.As(err, &ue):
		return http.StatusConflict, sentence(ue.Error())
	case errors.As(err, &inUse):
		return http.StatusConflict, sentence(inUse.Error())
	case errors.Is(err, flows.ErrConflict):
		return http.StatusConflict, publicMessage(err)
	case errors.Is(err, flows.ErrThrottled):
		return http.StatusTooManyRequests, publicMessage(err)
	}
	return http.StatusInternalServerError, "Something went wrong on our side. It has been logged; try again in a moment."
}

// sentence writes a domain error's own words as a sentence.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}

// publicMessage is the part of a domain error meant for the user: the text
// after the last "store: …:" style prefix is not; sentinels wrap with "%w: msg".
func publicMessage(err error) string {
	msg := err.Error()
	for _, s := range []error{flows.ErrInvalid, flows.ErrConflict, flows.ErrThrottled} {
		prefix := s.Error() + ": "
		if i := strings.LastIndex(msg, prefix); i >= 0 {
			return strings.ToUpper(msg[i+len(prefix):i+len(prefix)+1]) + msg[i+len(prefix)+1:]
		}
	}
	return "The request conflicts with the current state."
}

// handleError is echo's one error handler: status, logging and the page or
// JSON body the client gets.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed || errors.Is(err, context.Canceled) {
		return
	}
	status, msg := statusOf(err)
	if status >= 500 {
		s.log.ErrorContext(c.Request().Context(), "request failed",
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID), "path", c.Path(), "error", err)
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") || !acceptsHTML(c) {
		var body apiError
		body.Error.Status, body.Error.Message = status, msg
		body.Error.Problems = problemsOf(err)
		_ = c.JSON(status, body)
		return
	}
	p := s.page(c, http.StatusText(status), "")
	if p.User == nil {
		if u, err := s.sessionUser(c); err == nil {
			p.User = &u
		}
	}
	_ = render(c, status, templates.ErrorPage(p, status, msg))
}

func acceptsHTML(c echo.Context) bool {
	a := c.Request().Header.Get(echo.HeaderAccept)
	return a == "" || strings.Contains(a, "text/html") || strings.Contains(a, "*/*")
}

// flashProblem shows an error the user can act on as a flash message,
// after prefix; the server's own failures are returned to be handled.
func (s *Server) flashProblem(c echo.Context, prefix string, err error) error {
	code, msg := statusOf(err)
	if code >= 500 {
		return err
	}
	s.flash(c, "error", prefix+msg)
	return nil
}
