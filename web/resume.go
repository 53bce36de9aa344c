package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
)

// resume serves a paused run's resume URL: a POST whose JSON body (or
// none) becomes the Pause card's outputs. It answers once the body is
// stored with the job that resumes the run: 202, and the run goes on in
// the background; 404 for an unknown token (or a run that is not paused
// any more and was never), 409 when the run was resumed already or its
// Pause timed out, 400 for a body that is not JSON, 413 past the limit.
func (s *Server) resume(c echo.Context) error {
	r := c.Request()
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, s.hookBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return c.JSON(http.StatusRequestEntityTooLarge, map[string]string{"error": "the body is over the limit"})
		}
		return c.JSON(http.StatusBadRequest, map[string]string{"error": "the body could not be read"})
	}
	if len(strings.TrimSpace(string(body))) > 0 && !json.Valid(body) {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": "the body is not JSON"})
	}
	id, err := s.store.PostResume(r.Context(), c.Param("token"), body)
	switch {
	case errors.Is(err, flows.ErrNotFound):
		return c.JSON(http.StatusNotFound, map[string]string{"error": "no paused run has this resume URL"})
	case errors.Is(err, store.ErrAlreadyResumed):
		return c.JSON(http.StatusConflict, map[string]string{"error": "the run has already been resumed, or its Pause timed out", "execution": id})
	case err != nil:
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]string{"execution": id, "status": "resuming"})
}

// withResumeURL sets a paused execution's resume URL from its token.
func (s *Server) withResumeURL(e *flows.Execution) {
	if e.ResumeToken != "" && s.lifecycle != nil {
		e.ResumeURL = s.lifecycle.BaseURL + s.URL("resume", e.ResumeToken)
	}
}

func isResume(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/resume/") }
