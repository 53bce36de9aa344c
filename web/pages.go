package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/templates"
)

func (s *Server) dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	// The tiles count what their pages list: the Flows page lists the
	// workspace flows, not the connectors' flows.
	names, err := s.store.HistoryFlows(ctx)
	if err != nil {
		return err
	}
	var flowCount int64
	for _, f := range names {
		if f.ConnectorID == 0 {
			flowCount++
		}
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
