package web

import (
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookflow/hookflow/static"
)

// routes is Hookflow's one route table. Every URL is built from a route's
// name (Server.URL, Page.URL); names are resource.action.
func (s *Server) routes() {
	e := s.echo
	name := func(r *echo.Route, n string) { r.Name = n }

	// Operations: open, for load balancers and Prometheus.
	name(e.GET("/healthz", s.healthz), "ops.healthz")
	name(e.GET("/readyz", s.readyz), "ops.readyz")
	name(e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))), "ops.metrics")
	e.Group(strings.TrimSuffix(static.Prefix, "/"), cacheForever).StaticFS("/", static.FS)

	// Event URLs: open to the outside services; their rules are the flow's.
	for _, r := range e.Any("/hooks/:token", s.hook) {
		name(r, "hooks")
	}

	// Invoke URLs of API Endpoint flows: the flow's security decides.
	name(e.GET("/api/flo/:alias/invoke", s.invoke), "api.invoke")
	name(e.POST("/api/flo/:alias/invoke", s.invoke), "api.invoke.post")
	// Resume URLs of paused runs: open to whoever was sent one.
	name(e.POST("/resume/:token", s.resume), "resume")

	// Sign-in.
	name(e.GET("/login", s.loginForm), "auth.login.form")
	name(e.POST("/login", s.login), "auth.login")

	// Admin pages: a signed-in super admin only.
	a := e.Group("", s.requireAdmin)
	name(a.POST("/logout", s.logout), "auth.logout")
	name(a.GET("/", s.dashboard), "dashboard")
	name(a.GET("/connectors", s.connectorsList), "connectors.list")
	name(a.GET("/connectors/new", s.connectorNew), "connectors.new")
	name(a.POST("/connectors", s.connectorCreate), "connectors.create")
	name(a.POST("/connectors/import", s.connectorImportNew), "connectors.import")
	name(a.GET("/connectors/:id", s.connectorShow), "connectors.show")
	name(a.POST("/connectors/:id", s.connectorUpdate), "connectors.update")
	name(a.GET("/connectors/:id/delete", s.connectorDeleteConfirm), "connectors.delete.confirm")
	name(a.POST("/connectors/:id/delete", s.connectorDelete), "connectors.delete")
	name(a.POST("/connectors/:id/deploy", s.connectorDeploy), "connectors.deploy")
	name(a.GET("/connectors/:id/export", s.connectorExportFile), "connectors.export")
	name(a.POST("/connectors/:id/import", s.connectorImportDraft), "connectors.import.draft")
	name(a.POST("/connectors/:id/flows", s.connectorFlowCreate), "connectors.flows.create")
	name(a.GET("/connectors/:id/flows/:flow", s.flowEditor), "connectors.flows.editor")
	name(a.POST("/connectors/:id/flows/:flow/edit", s.flowEdit), "connectors.flows.edit")
	name(a.POST("/connectors/:id/flows/:flow/webhook", s.flowWebhook), "connectors.flows.webhook")
	name(a.POST("/connectors/:id/flows/:flow/polling", s.flowPolling), "connectors.flows.polling")
	name(a.POST("/connectors/:id/flows/:flow/rename", s.connectorFlowRename), "connectors.flows.rename")
	name(a.POST("/connectors/:id/flows/:flow/duplicate", s.connectorFlowDuplicate), "connectors.flows.duplicate")
	name(a.POST("/connectors/:id/flows/:flow/delete", s.connectorFlowDelete), "connectors.flows.delete")
	name(a.GET("/flows", s.flowsList), "flows.list")
	name(a.POST("/flows", s.flowCreate), "flows.create")
	name(a.GET("/flows/import", s.flopackImportForm), "flopacks.import.form")
	name(a.POST("/flows/import", s.flopackImport), "flopacks.import")
	name(a.GET("/flows/:id", s.flowShow), "flows.show")
	name(a.POST("/flows/:id/bind", s.flowBind), "flows.bind")
	name(a.POST("/flows/:id/edit", s.workspaceFlowEdit), "flows.edit")
	name(a.POST("/flows/:id/on", s.flowOn), "flows.on")
	name(a.POST("/flows/:id/off", s.flowOff), "flows.off")
	name(a.POST("/flows/:id/off-anyway", s.flowOffAnyway), "flows.off.anyway")
	name(a.POST("/flows/:id/delete", s.flowDelete), "flows.delete")
	name(a.POST("/flows/:id/settings", s.flowSettings), "flows.settings")
	name(a.POST("/flows/:id/endpoint", s.flowEndpointSettings), "flows.endpoint.settings")
	name(a.POST("/flows/:id/endpoint/token", s.flowEndpointToken), "flows.endpoint.token")
	name(a.POST("/flows/:id/endpoint/alias", s.flowEndpointAlias), "flows.endpoint.alias")
	name(a.POST("/flows/:id/clear", s.flowClear), "flows.clear")
	name(a.GET("/flows/:id/upgrade", s.flowUpgradePreview), "flows.upgrade.preview")
	name(a.POST("/flows/:id/upgrade", s.flowUpgrade), "flows.upgrade")
	name(a.GET("/connections", s.connectionsList), "connections.list")
	name(a.GET("/connections/new", s.connectionNew), "connections.new")
	name(a.POST("/connections", s.connectionCreate), "connections.create")
	name(a.POST("/connections/:id/test", s.connectionTest), "connections.test")
	name(a.POST("/connections/:id/delete", s.connectionDelete), "connections.delete")
	name(a.GET("/executions", s.executions), "executions.list")
	name(a.POST("/executions/rerun", s.executionsRerunBulk), "executions.rerun.bulk")
	name(a.GET("/executions/:id", s.executionShow), "executions.show")
	name(a.POST("/executions/:id/rerun", s.executionRerun), "executions.rerun")
	name(a.POST("/executions/:id/cancel", s.executionCancel), "executions.cancel")
	name(a.POST("/executions/:id/registration-data", s.executionReveal), "executions.reveal")
	name(a.GET("/tables", s.tablesList), "tables.list")
	name(a.POST("/tables", s.tableCreate), "tables.create")
	name(a.GET("/tables/:id", s.tableShow), "tables.show")
	name(a.POST("/tables/:id/settings", s.tableChange), "tables.change")
	name(a.POST("/tables/:id/delete", s.tableDelete), "tables.delete")
	name(a.POST("/tables/:id/rows", s.tableRowCreate), "tables.rows.create")
	name(a.GET("/tables/:id/rows/:row", s.tableRow), "tables.rows.show")
	name(a.GET("/tables/:id/rows/:row/edit", s.tableRowEdit), "tables.rows.edit")
	name(a.POST("/tables/:id/rows/:row", s.tableRowUpdate), "tables.rows.update")
	name(a.POST("/tables/:id/rows/:row/delete", s.tableRowDelete), "tables.rows.delete")
	name(a.GET("/tables/:id/import", s.tableImportForm), "tables.import.form")
	name(a.POST("/tables/:id/import/preview", s.tableImportPreview), "tables.import.preview")
	name(a.POST("/tables/:id/import", s.tableImport), "tables.import")
	name(a.GET("/tables/:id/export", s.apiExportCSV), "tables.export")
	name(a.GET("/settings", s.settings), "settings.show")
	name(a.POST("/settings/password", s.changePassword), "settings.password")
	name(a.POST("/settings/tokens", s.createToken), "settings.tokens.create")
	name(a.POST("/settings/tokens/:id/revoke", s.revokeToken), "settings.tokens.revoke")
	name(a.POST("/settings/sessions/:id/revoke", s.revokeSession), "settings.sessions.revoke")
	name(a.POST("/settings/sessions/revoke-others", s.revokeOtherSessions), "settings.sessions.revoke.others")
	name(a.GET("/settings/event-hooks", s.eventHooksList), "event_hooks.list")
	name(a.GET("/settings/event-hooks/new", s.eventHookNew), "event_hooks.new")
	name(a.POST("/settings/event-hooks", s.eventHookCreate), "event_hooks.create")
	name(a.GET("/settings/event-hooks/:id", s.eventHookShow), "event_hooks.show")
	name(a.POST("/settings/event-hooks/:id", s.eventHookUpdate), "event_hooks.update")
	name(a.GET("/settings/event-hooks/:id/edit", s.eventHookEdit), "event_hooks.edit")
	name(a.POST("/settings/event-hooks/:id/verify", s.eventHookVerify), "event_hooks.verify")
	name(a.POST("/settings/event-hooks/:id/activate", s.eventHookActivate), "event_hooks.activate")
	name(a.POST("/settings/event-hooks/:id/deactivate", s.eventHookDeactivate), "event_hooks.deactivate")
	name(a.GET("/settings/event-hooks/:id/delete", s.eventHookDeleteConfirm), "event_hooks.delete.confirm")
	name(a.POST("/settings/event-hooks/:id/delete", s.eventHookDelete), "event_hooks.delete")
	name(a.POST("/settings/event-hooks/:id/preview", s.eventHookPreview), "event_hooks.preview")
	name(a.GET("/settings/event-hooks/:id/deliveries/:delivery", s.eventHookDelivery), "event_hooks.delivery")
	name(a.POST("/settings/event-hooks/:id/deliveries/:delivery/redeliver", s.eventHookRedeliver), "event_hooks.redeliver")

	// API: personal API token holders only.
	api := e.Group("/api/v1", s.requireToken)
	name(api.GET("/me", s.apiMe), "api.me")
	name(api.POST("/connectors/import", s.apiConnectorImport), "api.connectors.import")
	name(api.POST("/connectors/:id/deploy", s.apiConnectorDeploy), "api.connectors.deploy")
	name(api.GET("/connectors/:id/export", s.connectorExportFile), "api.connectors.export")
	name(api.GET("/connectors/:id/versions", s.apiConnectorVersions), "api.connectors.versions")
	name(api.POST("/connections", s.apiCreateConnection), "api.connections.create")
	name(api.POST("/flows", s.apiCreateFlow), "api.flows.create")
	name(api.GET("/flows/:id", s.apiFlow), "api.flows.show")
	name(api.POST("/flows/:id/on", s.apiFlowOn), "api.flows.on")
	name(api.POST("/flows/:id/off", s.apiFlowOff), "api.flows.off")
	name(api.GET("/flows/:id/export", s.apiExportFlow), "api.flows.export")
	name(api.POST("/flows/:id/endpoint", s.apiFlowEndpoint), "api.flows.endpoint")
	name(api.POST("/flows/:id/client-token", s.apiFlowClientToken), "api.flows.client_token")
	name(api.POST("/flows/:id/alias", s.apiFlowAlias), "api.flows.alias")
	name(api.POST("/flows/:id/runs", s.apiRunFlow), "api.flows.run")
	name(api.GET("/executions", s.apiExecutions), "api.executions.list")
	name(api.GET("/executions/:id", s.apiExecution), "api.executions.show")
	name(api.POST("/executions/:id/rerun", s.apiExecutionRerun), "api.executions.rerun")
	name(api.POST("/executions/:id/cancel", s.apiExecutionCancel), "api.executions.cancel")
	name(api.POST("/flopacks/import", s.apiImportFlopack), "api.flopacks.import")
	name(api.GET("/tables", s.apiTables), "api.tables.list")
	name(api.POST("/tables", s.apiCreateTable), "api.tables.create")
	name(api.GET("/tables/:id", s.apiTable), "api.tables.show")
	name(api.PATCH("/tables/:id", s.apiChangeTable), "api.tables.change")
	name(api.DELETE("/tables/:id", s.apiDeleteTable), "api.tables.delete")
	name(api.GET("/tables/:id/rows", s.apiRows), "api.tables.rows")
	name(api.POST("/tables/:id/rows", s.apiCreateRow), "api.tables.rows.create")
	name(api.DELETE("/tables/:id/rows", s.apiClearRows), "api.tables.rows.clear")
	name(api.GET("/tables/:id/rows/:row", s.apiRow), "api.tables.rows.show")
	name(api.PATCH("/tables/:id/rows/:row", s.apiUpdateRow), "api.tables.rows.update")
	name(api.DELETE("/tables/:id/rows/:row", s.apiDeleteRow), "api.tables.rows.delete")
	name(api.GET("/tables/:id/csv", s.apiExportCSV), "api.tables.csv.export")
	name(api.POST("/tables/:id/csv", s.apiImportCSV), "api.tables.csv.import")
	name(api.GET("/event-hooks", s.apiEventHooks), "api.event_hooks.list")
	name(api.POST("/event-hooks", s.apiCreateEventHook), "api.event_hooks.create")
	name(api.GET("/event-hooks/:id", s.apiEventHook), "api.event_hooks.show")
	name(api.PUT("/event-hooks/:id", s.apiUpdateEventHook), "api.event_hooks.update")
	name(api.DELETE("/event-hooks/:id", s.apiDeleteEventHook), "api.event_hooks.delete")
	name(api.POST("/event-hooks/:id/verify", s.apiVerifyEventHook), "api.event_hooks.verify")
	name(api.POST("/event-hooks/:id/activate", s.apiActivateEventHook), "api.event_hooks.activate")
	name(api.POST("/event-hooks/:id/deactivate", s.apiDeactivateEventHook), "api.event_hooks.deactivate")
	name(api.GET("/event-hooks/:id/attempts", s.apiEventHookAttempts), "api.event_hooks.attempts")
	name(api.GET("/event-hooks/:id/deliveries", s.apiEventHookDeliveries), "api.event_hooks.deliveries")
	name(api.GET("/event-hooks/:id/deliveries/:delivery", s.apiEventHookDelivery), "api.event_hooks.delivery")
	name(api.POST("/event-hooks/:id/deliveries/:delivery/redeliver", s.apiEventHookRedeliver), "api.event_hooks.redeliver")
	name(api.GET("/event-hooks/:id/preview", s.apiEventHookSample), "api.event_hooks.sample")
	name(api.POST("/event-hooks/:id/preview", s.apiEventHookPreview), "api.event_hooks.preview")
}

// cacheForever lets browsers keep assets: their URLs change with their content.
func cacheForever(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.QueryParam("v") != "" {
			c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		return next(c)
	}
}
