package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/flows/packimport"
	"github.com/hookflow/hookflow/templates"
)

// importer imports flopacks into the store.
func (s *Server) importer() packimport.Importer {
	return packimport.Importer{Store: s.store, Registry: s.registry}
}

// apiImportFlopack imports the flopack sent as the body and answers with
// the report; ?dryRun=true stores nothing.
func (s *Server) apiImportFlopack(c echo.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	dry := c.QueryParam("dryRun") == "true"
	rep, err := s.importer().Import(c.Request().Context(), b, dry)
	if err != nil {
		return err
	}
	if dry {
		return c.JSON(http.StatusOK, rep)
	}
	return c.JSON(http.StatusCreated, rep)
}

func (s *Server) flopackImportForm(c echo.Context) error {
	return render(c, http.StatusOK, templates.FlopackImportPage(s.page(c, "Import a flopack", "flows"), "", nil))
}

// flopackImport imports the uploaded flopack and shows the report, or the
// form again with what was wrong.
func (s *Server) flopackImport(c echo.Context) error {
	var rep packimport.Report
	b, err := uploaded(c)
	if err == nil {
		rep, err = s.importer().Import(c.Request().Context(), b, false)
	}
	if err != nil {
		status, msg := statusOf(err)
		if status >= 500 {
			return err
		}
		return render(c, status, templates.FlopackImportPage(s.page(c, "Import a flopack", "flows"), msg, nil))
	}
	return render(c, http.StatusOK, templates.FlopackImportPage(s.page(c, "Import a flopack", "flows"), "", &rep))
}

// bindPanel lists a workspace flow's unbound cards and what each can be
// bound to (nil when it has none).
func (s *Server) bindPanel(c echo.Context, f flows.Flow) (*templates.BindPanel, error) {
	d := &f.Definition
	var bp templates.BindPanel
	if d.Event.Type == flows.EventUnbound {
		bp.Cards = append(bp.Cards, unboundCard(&d.Event, true))
	}
	var walk func([]flows.Node)
	walk = func(ns []flows.Node) {
		for i := range ns {
			if ns[i].Type == flows.CardUnbound {
				bp.Cards = append(bp.Cards, unboundCard(&ns[i], false))
			}
			for _, l := range ns[i].Lanes {
				walk(l.Cards)
			}
		}
	}
	walk(d.Cards)
	if len(bp.Cards) == 0 {
		return nil, nil
	}
	var err error
	if bp.Events, err = s.newestFlowsOfKind(c, flows.KindWebhookEvent, func(con flows.Connector, v flows.ConnectorVersion, ef flows.ExportedFlow) templates.EventChoice {
		return templates.EventChoice{Value: fmt.Sprintf("connector:%d:%d:%s", con.ID, v.Version, ef.Key),
			Title: fmt.Sprintf("%s (version %d): %s", con.Info.Name, v.Version, ef.Definition.Name)}
	}); err != nil {
		return nil, err
	}
	bp.Actions, err = s.actionChoices(c)
	return &bp, err
}

func unboundCard(n *flows.Node, event bool) templates.UnboundCard {
	u := templates.UnboundCard{ID: n.ID, Label: n.Label, Event: event}
	if n.Unbound != nil {
		u.Unbound = *n.Unbound
	}
	if u.Label == "" {
		u.Label = u.Unbound.Name
	}
	return u
}

// flowBind binds one unbound card of a workspace flow: its event card to
// a connector's Webhook Event card, or a placeholder to a connector
// action card; the flow is saved as a new revision.
func (s *Server) flowBind(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	back := s.URL("flows.show", f.ID)
	if rev, _ := strconv.Atoi(c.FormValue("revision")); rev != f.Revision {
		s.flash(c, "error", "This flow was changed elsewhere since the page loaded; nothing was bound. Here is the latest version.")
		return c.Redirect(http.StatusSeeOther, back)
	}
	def := f.Definition
	card, choice := c.FormValue("card"), c.FormValue("choice")
	if card == def.Event.ID {
		err = s.bindEvent(c, &def, choice)
	} else {
		var n flows.Node
		if n, err = s.actionNode(c, &def, choice); err == nil {
			err = flows.BindCardTo(&def, card, n)
		}
	}
	if err != nil {
		if err := s.flashProblem(c, "Nothing was bound: ", err); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, back)
	}
	f.Definition = def
	if _, err := s.store.UpdateFlow(c.Request().Context(), f); errors.Is(err, flows.ErrConflict) {
		s.flash(c, "error", "This flow was changed elsewhere at the same moment; nothing was bound.")
	} else if err != nil {
		return err
	} else {
		s.flash(c, "success", "Card bound. The flow's page shows what is left to do.")
	}
	return c.Redirect(http.StatusSeeOther, back)
}

// bindEvent binds a flow's unbound event card to the connector Webhook
// Event card chosen ("connector:<id>:<version>:<key>"), with the
// connector's newest connection.
func (s *Server) bindEvent(c echo.Context, def *flows.Definition, choice string) error {
	ctx := c.Request().Context()
	var conID, key int64
	var version int
	if _, err := fmt.Sscanf(choice, "connector:%d:%d:%d", &conID, &version, &key); err != nil {
		return fmt.Errorf("%w: choose a connector's Webhook Event card", flows.ErrInvalid)
	}
	v, err := s.store.Version(ctx, conID, version)
	if err != nil {
		return fmt.Errorf("%w: that connector version is not deployed", flows.ErrInvalid)
	}
	node, src, err := flows.ConnectorEvent(v, key)
	if err != nil {
		return fmt.Errorf("%w: that connector version has no such event", flows.ErrInvalid)
	}
	if cs, err := s.store.Connections(ctx, conID); err != nil {
		return err
	} else if len(cs) > 0 {
		src.Connection = cs[0].ID
	}
	return flows.BindEventTo(def, node, *src)
}

// flowPlace fills a workspace flow page's folder and its unbound cards.
func (s *Server) flowPlace(c echo.Context, f flows.Flow, d *templates.EditorData) error {
	if f.FolderID != 0 {
		folder, err := s.store.Folder(c.Request().Context(), f.FolderID)
		if err != nil && !errors.Is(err, flows.ErrNotFound) {
			return err
		}
		if err == nil {
			d.Folder = &folder
		}
	}
	var err error
	d.Bind, err = s.bindPanel(c, f)
	d.Status.Unbound = d.Bind != nil
	return err
}

// groupByFolder groups the Flows list by folder, in the folders' order,
// the flows in no folder last (and no group when there are no flows and
// no folders).
func groupByFolder(folders []flows.Folder, rows []templates.FlowRow) []templates.FlowGroup {
	at := map[int64]int{}
	groups := make([]templates.FlowGroup, 0, len(folders)+1)
	for _, f := range folders {
		at[f.ID] = len(groups)
		groups = append(groups, templates.FlowGroup{Folder: f})
	}
	var loose templates.FlowGroup
	for _, r := range rows {
		if i, ok := at[r.Flow.FolderID]; ok && r.Flow.FolderID != 0 {
			groups[i].Rows = append(groups[i].Rows, r)
		} else {
			loose.Rows = append(loose.Rows, r)
		}
	}
	if len(loose.Rows) > 0 {
		groups = append(groups, loose)
	}
	return groups
}
