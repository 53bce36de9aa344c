package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/templates"
)

func (s *Server) dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	flowCount, err := s.store.CountFlows(ctx)
	if err != nil {
		return err
	}
	execCount, err := s.store.CountExecutions(ctx, store.ExecutionFilter{})
	if err != nil {
		return err
	}
	connCount, err := s.store.CountConnectors(ctx)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.DashboardPage(s.page(c, "Dashboard", "dashboard"),
		templates.DashboardCounts{Connectors: connCount, Flows: flowCount, Executions: execCount}))
}
