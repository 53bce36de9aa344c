package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiMe answers who the API token belongs to.
func (s *Server) apiMe(c echo.Context) error {
	u := currentUser(c)
	return c.JSON(http.StatusOK, map[string]any{"id": u.ID, "email": u.Email})
}
