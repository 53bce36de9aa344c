package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/templates"
)

func (s *Server) dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	flowCount, err := s.store.CountFlows(ctx)
	if err != nil {
		return err
	}
	execCount, err := s.store.CountExecutions(ctx)
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

func (s *Server) executions(c echo.Context) error {
	return render(c, http.StatusOK, templates.SectionPage(s.page(c, "Executions", "executions"), "Executions",
		"Nothing has run yet",
		"Every run of every flow appears here, card by card: turn on a flow or run one by hand, and its executions show up."))
}

func (s *Server) executionShow(c echo.Context) error {
	e, err := s.store.Execution(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.ExecutionPage(s.page(c, "Execution "+e.ID, "executions"), e))
}
