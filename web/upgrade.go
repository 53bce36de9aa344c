package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/templates"
)

// upgradeOffers fills a workspace flow's offers: the connectors with a
// newer deployed version than its cards use, and the revision before its
// last change of versions.
func (s *Server) upgradeOffers(c echo.Context, f flows.Flow, st *templates.FlowStatus) error {
	if len(f.Definition.ConnectorCards()) == 0 {
		return nil
	}
	ctx := c.Request().Context()
	newest, err := s.store.NewestVersions(ctx)
	if err != nil {
		return err
	}
	for _, o := range flows.OutdatedConnectors(&f.Definition, newest) {
		con, err := s.store.Connector(ctx, o.Connector)
		if err != nil {
			return err
		}
		st.Upgrades = append(st.Upgrades, templates.UpgradeOffer{Connector: o.Connector, Name: con.Info.Name, From: o.From, To: o.To})
	}
	revs, err := s.store.FlowRevisions(ctx, f.ID, 20)
	if err != nil {
		return err
	}
	for len(revs) > 0 && revs[0].Revision >= f.Revision {
		revs = revs[1:]
	}
	st.RollbackTo = flows.RollbackPoint(f.Definition, revs)
	return nil
}

// upgradePlan works out the change a request asks for: ?rollback=R
// restores revision R; ?connector=C&version=N moves the flow's cards of
// connector C to version N.
func (s *Server) upgradePlan(c echo.Context, f flows.Flow) (flows.UpgradePlan, error) {
	ctx := c.Request().Context()
	if r := c.FormValue("rollback"); r != "" {
		rev, err := strconv.Atoi(r)
		if err != nil {
			return flows.UpgradePlan{}, fmt.Errorf("%w: choose a revision to roll back to", flows.ErrInvalid)
		}
		return s.lifecycle.PlanRollback(ctx, f.ID, rev, s.registry)
	}
	con, err1 := strconv.ParseInt(c.FormValue("connector"), 10, 64)
	version, err2 := strconv.Atoi(c.FormValue("version"))
	if err1 != nil || err2 != nil {
		return flows.UpgradePlan{}, fmt.Errorf("%w: choose the connector version to upgrade to", flows.ErrInvalid)
	}
	return s.lifecycle.PlanUpgrade(ctx, f.ID, con, version, s.registry)
}

// flowUpgradePreview shows what a change of versions moves and what no
// longer resolves, with Confirm and Cancel.
func (s *Server) flowUpgradePreview(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	plan, err := s.upgradePlan(c, f)
	if err != nil {
		if err := s.flashProblem(c, "", err); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, s.URL("flows.show", f.ID))
	}
	return render(c, http.StatusOK, templates.UpgradePage(s.page(c, templates.UpgradeTitle(plan), "flows"), templates.UpgradeView{Plan: plan, Spec: s.spec}))
}

// flowUpgrade saves a previewed change of versions as the flow's next
// revision, re-registering an ON flow when its registration inputs change.
func (s *Server) flowUpgrade(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	back := s.URL("flows.show", f.ID)
	plan, err := s.upgradePlan(c, f)
	if err != nil {
		if err := s.flashProblem(c, "", err); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, back)
	}
	if from, _ := strconv.Atoi(c.FormValue("from")); from != f.Revision {
		s.flash(c, "error", "The flow was changed since this preview was made; nothing was saved. Here is the change again, on the latest revision.")
		q := url.Values{}
		for _, k := range []string{"rollback", "connector", "version"} {
			if v := c.FormValue(k); v != "" {
				q.Set(k, v)
			}
		}
		return c.Redirect(http.StatusSeeOther, s.URL("flows.upgrade.preview", f.ID)+"?"+q.Encode())
	}
	saved, err := s.lifecycle.ApplyUpgrade(c.Request().Context(), plan)
	var re *flows.RegistrationError
	var de *flows.DeregistrationError
	switch {
	case errors.As(err, &de):
		s.flash(c, "error", "Nothing was changed and the flow stays ON: the "+de.Error()+".")
	case errors.As(err, &re):
		s.flash(c, "error", fmt.Sprintf("The flow was saved as revision %d, but it is OFF now. %s. Turn it ON again once the service accepts the registration, or roll back.", saved.Revision, re.Error()))
	case err != nil:
		if err := s.flashProblem(c, "Nothing was changed: ", err); err != nil {
			return err
		}
	default:
		s.flash(c, "success", upgradeDone(plan, saved))
	}
	return c.Redirect(http.StatusSeeOther, back)
}

// upgradeDone says what a saved change of versions did.
func upgradeDone(p flows.UpgradePlan, saved flows.Flow) string {
	msg := fmt.Sprintf("Upgraded to %s version %d as revision %d.", p.ConnectorName, p.To, saved.Revision)
	if p.Rollback != 0 {
		msg = fmt.Sprintf("Rolled back to revision %d, saved as revision %d.", p.Rollback, saved.Revision)
	}
	switch {
	case p.Reregister:
		msg += " The flow was registered again with the new version."
	case p.On:
		msg += " Its subscription moved with it; nothing was registered again."
	}
	switch n := len(p.Problems); {
	case n == 1:
		msg += " 1 card or mapping no longer resolves: fix it on the canvas, where it is marked."
	case n > 1:
		msg += fmt.Sprintf(" %d cards or mappings no longer resolve: fix them on the canvas, where they are marked.", n)
	}
	return msg
}
