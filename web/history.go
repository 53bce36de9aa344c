package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/templates"
)

// filterKeys are the query parameters of the history's filters.
var filterKeys = []string{"status", "kind", "trigger", "flow", "connector", "from", "to", "q"}

// historyFilter reads the execution filters of a query string; an error
// names the filter at fault.
func historyFilter(q url.Values) (store.ExecutionFilter, map[string]string, error) {
	f := store.ExecutionFilter{Status: flows.Status(q.Get("status")), Trigger: flows.Trigger(q.Get("trigger")), Search: q.Get("q"),
		Kind: q.Get("kind"), Before: q.Get("before"), After: q.Get("after")}
	shown := map[string]string{}
	for _, k := range filterKeys {
		if v := q.Get(k); v != "" {
			shown[k] = v
		}
	}
	var err error
	id := func(k string) int64 {
		if v := q.Get(k); v != "" {
			n, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil || n <= 0 {
				err = fmt.Errorf("%w: %s must be a flow or connector id", flows.ErrInvalid, k)
			}
			return n
		}
		return 0
	}
	f.FlowID, f.ConnectorID = id("flow"), id("connector")
	when := func(k string) time.Time {
		v := q.Get(k)
		if v == "" {
			return time.Time{}
		}
		for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
			if t, perr := time.Parse(layout, v); perr == nil {
				return t
			}
		}
		err = fmt.Errorf("%w: %s is not a time (2026-11-23T10:00 or RFC 3339)", flows.ErrInvalid, k)
		return time.Time{}
	}
	f.From, f.To = when("from"), when("to")
	if f.Kind != "" && f.Kind != store.KindWorkspaceRuns && f.Kind != store.KindConnectorRuns {
		err = fmt.Errorf("%w: kind is workspace or connector", flows.ErrInvalid)
	}
	if f.Status != "" && !validStatus(f.Status) {
		err = fmt.Errorf("%w: unknown status %q", flows.ErrInvalid, f.Status)
	}
	if n, perr := strconv.Atoi(q.Get("limit")); perr == nil {
		f.Limit = n
	}
	if len(f.Search) > 200 {
		err = fmt.Errorf("%w: search for at most 200 characters", flows.ErrInvalid)
	}
	return f, shown, err
}

func validStatus(s flows.Status) bool {
	return s == flows.StatusQueued || s == flows.StatusRunning || s.Suspended() || s.IsFinal()
}

// historyPage lists a page of executions and the cursor of the next one.
func (s *Server) historyPage(c echo.Context, f store.ExecutionFilter) ([]*flows.Execution, string, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	want := f.Limit
	f.Limit++
	rows, err := s.store.Executions(c.Request().Context(), f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > want {
		rows = rows[:want]
		next = rows[want-1].ID
	}
	return rows, next, nil
}

func (s *Server) executions(c echo.Context) error {
	q := c.QueryParams()
	f, shown, ferr := historyFilter(q)
	l := templates.ExecutionsList{Filters: shown}
	var err error
	if ferr != nil {
		_, l.Error = statusOf(ferr)
	} else {
		var next string
		if l.Rows, next, err = s.historyPage(c, f); err != nil {
			return err
		}
		if next != "" {
			nq := url.Values{}
			for k, v := range shown {
				nq.Set(k, v)
			}
			nq.Set("before", next)
			l.NextURL = s.URL("executions.list") + "?" + nq.Encode()
		}
		if f.Before == "" {
			lq := url.Values{}
			for k, v := range shown {
				lq.Set(k, v)
			}
			lq.Set("fragment", "table")
			l.LiveURL = s.URL("executions.list") + "?" + lq.Encode()
		}
	}
	if l.Flows, err = s.store.HistoryFlows(c.Request().Context()); err != nil {
		return err
	}
	if c.QueryParam("fragment") == "table" {
		return render(c, http.StatusOK, templates.ExecutionsTable(s.page(c, "Executions", "executions"), l))
	}
	status := http.StatusOK
	if ferr != nil {
		status = http.StatusUnprocessableEntity
	}
	return render(c, status, templates.ExecutionsPage(s.page(c, "Executions", "executions"), l))
}

func (s *Server) executionShow(c echo.Context) error {
	v, err := s.executionView(c, c.Param("id"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.ExecutionPage(s.page(c, "Execution "+v.E.ID, "executions"), v))
}

// executionView loads an execution with what its page shows.
func (s *Server) executionView(c echo.Context, id string) (templates.ExecutionView, error) {
	ctx := c.Request().Context()
	e, err := s.store.Execution(ctx, id)
	if err != nil {
		return templates.ExecutionView{}, err
	}
	s.withResumeURL(e)
	v := templates.ExecutionView{E: e, Full: c.QueryParam("full") == "1",
		Registration: templates.RegistrationData{Execution: e.ID, Missing: e.Status != flows.StatusSucceeded}}
	if v.Flow, v.FlowKnown, err = s.flowName(ctx, e.FlowID); err != nil {
		return v, err
	}
	if e.WorkspaceFlow != 0 {
		wf, _, err := s.flowName(ctx, e.WorkspaceFlow)
		if err != nil {
			return v, err
		}
		v.WorkspaceFlowName = wf.Name
	}
	if v.Reruns, err = s.store.Executions(ctx, store.ExecutionFilter{RerunOf: e.ID, Limit: 20}); err != nil {
		return v, err
	}
	switch f, err := s.store.Flow(ctx, e.FlowID); {
	case errors.Is(err, flows.ErrNotFound):
		v.RerunBlocked = "Re-run is not offered: its flow is deleted."
	case err != nil:
		return v, err
	default:
		if rerr := flows.Rerunnable(e, f); rerr != nil && e.Status.IsFinal() {
			_, why := statusOf(rerr)
			v.RerunBlocked = "Re-run is not offered: " + strings.ToLower(why[:1]) + strings.TrimSuffix(why[1:], ".") + "."
		}
	}
	if e.Revision > 0 {
		_, rerr := s.store.FlowRevision(ctx, e.FlowID, e.Revision)
		v.CanRerunOriginal = rerr == nil
	}
	return v, nil
}

// flowName names a flow the history shows runs of; known is false once
// the flow is deleted.
func (s *Server) flowName(ctx context.Context, id int64) (flows.FlowName, bool, error) {
	all, err := s.store.HistoryFlows(ctx)
	if err != nil {
		return flows.FlowName{}, false, err
	}
	for _, f := range all {
		if f.ID == id {
			return f, true, nil
		}
	}
	return flows.FlowName{ID: id, Name: "a deleted flow"}, false, nil
}

// executionReveal shows a registration run's Registration Data to the
// signed-in admin, and records that in the audit log. It comes from the
// subscription the run made, where it is kept sealed: the history holds
// it masked. The htmx request gets the panel, a plain form post the page.
func (s *Server) executionReveal(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := s.executionView(c, c.Param("id"))
	if err != nil {
		return err
	}
	if v.E.Trigger != flows.TriggerRegistration {
		return fmt.Errorf("%w: only a registration run has Registration Data to reveal", flows.ErrInvalid)
	}
	if !v.Registration.Missing {
		sub, err := s.store.SubscriptionByRegistration(ctx, v.E.ID)
		switch {
		case errors.Is(err, flows.ErrNotFound) || err == nil && sub.Registration == nil:
			v.Registration.Missing = true
		case err != nil:
			return err
		default:
			if err := s.store.Audit(ctx, currentUser(c).Email, "reveal_registration_data", "execution "+v.E.ID,
				fmt.Sprintf("Registration Data of subscription %d of flow %d", sub.ID, sub.FlowID)); err != nil {
				return err
			}
			v.Registration.Revealed, v.Registration.Data = true, sub.Registration
		}
	}
	p := s.page(c, "Execution "+v.E.ID, "executions")
	if c.Request().Header.Get("HX-Request") != "" {
		return render(c, http.StatusOK, templates.RegistrationDataPanel(p, v.Registration))
	}
	return render(c, http.StatusOK, templates.ExecutionPage(p, v))
}

// rerun re-runs one execution (on the current flow, or on the revision it
// ran with when version=original).
func (s *Server) rerun(c echo.Context, id string) (*flows.Execution, error) {
	ctx := c.Request().Context()
	e, err := s.store.Execution(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.lifecycle.Rerun(ctx, s.store, e, c.FormValue("version") == "original")
}

func (s *Server) executionRerun(c echo.Context) error {
	x, err := s.rerun(c, c.Param("id"))
	if err != nil {
		if code, msg := statusOf(err); code < 500 && !errors.Is(err, flows.ErrNotFound) {
			s.flash(c, "error", "Not re-run: "+msg)
			return c.Redirect(http.StatusSeeOther, s.URL("executions.show", c.Param("id")))
		}
		return err
	}
	s.flash(c, "success", "Re-run as a new execution: "+string(x.Status)+".")
	return c.Redirect(http.StatusSeeOther, s.URL("executions.show", x.ID))
}

// executionsRerunBulk re-runs the selected failed executions, one after
// the other (at most 100).
func (s *Server) executionsRerunBulk(c echo.Context) error {
	form, _ := c.FormParams()
	ids := form["id"]
	back := s.listURL(form.Get("filters"))
	if len(ids) == 0 || len(ids) > 100 {
		s.flash(c, "error", "Select 1 to 100 failed executions to re-run.")
		return c.Redirect(http.StatusSeeOther, back)
	}
	done, failed := 0, []string{}
	for _, id := range ids {
		if _, err := s.rerun(c, id); err != nil {
			_, msg := statusOf(err)
			failed = append(failed, id+": "+msg)
			continue
		}
		done++
	}
	if len(failed) > 0 {
		s.flash(c, "error", fmt.Sprintf("%d re-run; not re-run: %v", done, failed))
	} else {
		s.flash(c, "success", fmt.Sprintf("%d executions re-run.", done))
	}
	return c.Redirect(http.StatusSeeOther, back)
}

// listURL is the list of executions with the filters of a query string
// (a bulk action's "filters"), and no other parameter.
func (s *Server) listURL(filters string) string {
	given, _ := url.ParseQuery(filters)
	q := url.Values{}
	for _, k := range filterKeys {
		if v := given.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return s.URL("executions.list")
	}
	return s.URL("executions.list") + "?" + q.Encode()
}

func (s *Server) executionCancel(c echo.Context) error {
	id := c.Param("id")
	x, err := flows.Cancel(c.Request().Context(), s.engine, s.store, s.store, id)
	switch {
	case errors.Is(err, flows.ErrConflict):
		s.flash(c, "error", "The execution has already ended.")
	case err != nil:
		return err
	case x.Status.IsFinal():
		s.flash(c, "success", "Canceled: the execution and the flows it called have stopped.")
	default:
		s.flash(c, "success", "Cancel requested: the execution and the flows it called stop at their next card.")
	}
	return c.Redirect(http.StatusSeeOther, s.URL("executions.show", id))
}

// apiExecutionCancel cancels a running execution: 200 with the execution
// once it has stopped, 202 while the instance running it stops it, 409
// when it has ended already.
func (s *Server) apiExecutionCancel(c echo.Context) error {
	x, err := flows.Cancel(c.Request().Context(), s.engine, s.store, s.store, c.Param("id"))
	if err != nil {
		return err
	}
	if !x.Status.IsFinal() {
		return c.JSON(http.StatusAccepted, x)
	}
	return c.JSON(http.StatusOK, x)
}

// executionsJSON is a page of executions as the API gives it.
type executionsJSON struct {
	Executions []*flows.Execution `json:"executions"`
	// Next is the cursor of the next page (pass it as before=), if any.
	Next string `json:"next,omitempty"`
}

func (s *Server) apiExecutions(c echo.Context) error {
	f, _, err := historyFilter(apiHistoryQuery(c.QueryParams()))
	if err != nil {
		return err
	}
	rows, next, err := s.historyPage(c, f)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []*flows.Execution{} // an empty page is an empty list
	}
	return c.JSON(http.StatusOK, executionsJSON{Executions: rows, Next: next})
}

func (s *Server) apiExecutionRerun(c echo.Context) error {
	x, err := s.rerun(c, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, x)
}
