package web

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
)

// flowItemJSON is a workspace flow in the list of GET /api/v1/flows.
type flowItemJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Kind is what starts it (flows.StartKinds); Event says it in words.
	Kind     string `json:"kind"`
	Event    string `json:"event"`
	FolderID int64  `json:"folderId,omitempty"`
	// On is true while its subscription is active; Subscription is that
	// state ("off" when it has none).
	On           bool      `json:"on"`
	Subscription string    `json:"subscription"`
	Revision     int       `json:"revision"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// flowsPageJSON is a page of workspace flows, newest first.
type flowsPageJSON struct {
	Flows []flowItemJSON `json:"flows"`
	// Next is the cursor of the next page (pass it as before=), if any.
	Next string `json:"next,omitempty"`
}

// flowListFilter reads the filters and the page of GET /api/v1/flows.
func flowListFilter(c echo.Context) (flows.FlowFilter, int64, int, error) {
	q := c.QueryParams()
	f := flows.FlowFilter{Query: q.Get("q"), State: q.Get("state"), Kind: q.Get("kind")}
	switch v := q.Get("folder"); v {
	case "":
	case "none":
		f.Folder = -1
	default:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return f, 0, 0, fmt.Errorf("%w: folder must be a folder id, or none", flows.ErrInvalid)
		}
		f.Folder = n
	}
	var before int64
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return f, 0, 0, fmt.Errorf("%w: before must be the next cursor of a page", flows.ErrInvalid)
		}
		before = n
	}
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 || limit > 200 {
		limit = 50
	}
	return f, before, limit, f.Check()
}

// subscriptionState is a flow's subscription state, off when it has none.
func (s *Server) subscriptionState(ctx context.Context, flowID int64) (flows.SubscriptionState, error) {
	sub, err := s.store.LatestSubscription(ctx, flowID)
	if errors.Is(err, flows.ErrNotFound) {
		return flows.SubscriptionOff, nil
	}
	return sub.State, err
}

// apiFlows lists the workspace flows, newest first, a page at a time.
func (s *Server) apiFlows(c echo.Context) error {
	filter, before, limit, err := flowListFilter(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	all, err := s.store.Flows(ctx, 0)
	if err != nil {
		return err
	}
	slices.SortFunc(all, func(a, b flows.Flow) int { return cmp.Compare(b.ID, a.ID) })
	out := flowsPageJSON{Flows: []flowItemJSON{}}
	for _, f := range all {
		if before > 0 && f.ID >= before {
			continue
		}
		state, err := s.subscriptionState(ctx, f.ID)
		if err != nil {
			return err
		}
		kind := flows.StartKind(&f.Definition, f.Definition.Event.Type == flows.EventConnector && s.lifecycle.Polls(ctx, f))
		if !filter.Match(f, kind, state) {
			continue
		}
		if len(out.Flows) == limit {
			out.Next = strconv.FormatInt(out.Flows[limit-1].ID, 10)
			break
		}
		out.Flows = append(out.Flows, flowItemJSON{ID: f.ID, Name: f.Definition.Name, Kind: kind, Event: eventTitle(&f.Definition),
			FolderID: f.FolderID, On: state == flows.SubscriptionActive, Subscription: string(state),
			Revision: f.Revision, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt})
	}
	return c.JSON(http.StatusOK, out)
}

// flowUpdate is the body of PUT /api/v1/flows/{id}.
type flowUpdate struct {
	Revision   int             `json:"revision"`
	Definition json.RawMessage `json:"definition"`
}

// staleRevision is the refusal of a change made on an older revision.
func staleRevision(given, saved int) error {
	return fmt.Errorf("%w: the flow was changed elsewhere: you sent revision %d, it is at revision %d now; get it again and make your change on that", flows.ErrConflict, given, saved)
}

// apiUpdateFlow replaces a workspace flow's document, once it validates,
// if revision is still the saved one.
func (s *Server) apiUpdateFlow(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	var req flowUpdate
	if err := decodeJSON(c, &req, `{"revision": 3, "definition": {…}}`); err != nil {
		return err
	}
	if req.Revision <= 0 || len(req.Definition) == 0 {
		return fmt.Errorf("%w: send the flow's document as definition and the revision it was changed from as revision", flows.ErrInvalid)
	}
	if req.Revision != f.Revision {
		return staleRevision(req.Revision, f.Revision)
	}
	def, err := flows.ParseDefinition(req.Definition)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	state, err := s.subscriptionState(ctx, f.ID)
	if err != nil {
		return err
	}
	if err := flows.CheckReplace(&f.Definition, &def, state.Live()); err != nil {
		return err
	}
	if err := flows.Validate(def, s.registry); err != nil {
		return err
	}
	if err := s.checkSource(c, def); err != nil {
		return err
	}
	if err := flows.CheckTableCards(ctx, &def, s.store); err != nil {
		return err
	}
	f.Definition = def
	saved, err := s.store.UpdateFlow(ctx, f)
	if err != nil {
		return err
	}
	s.lifecycle.ForgetEndpoint(saved.ID) // an invoke URL runs it as saved now
	if err := s.lifecycle.Reschedule(ctx, saved); err != nil {
		return err
	}
	out, err := s.flowAnswer(c, saved)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// checkDeleteFlow says why a workspace flow cannot be deleted (ON, or
// called by other flows), as the Flows page does.
func (s *Server) checkDeleteFlow(ctx context.Context, f flows.Flow) error {
	state := flows.SubscriptionOff
	if sub, err := s.store.LiveSubscription(ctx, f.ID); err == nil {
		state = sub.State
	} else if !errors.Is(err, flows.ErrNotFound) {
		return err
	}
	all, err := s.store.Flows(ctx, 0)
	if err != nil {
		return err
	}
	return flows.CheckDelete(f, state, all)
}

// apiDeleteFlow deletes a workspace flow that is OFF and that no other
// flow calls.
func (s *Server) apiDeleteFlow(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.checkDeleteFlow(ctx, f); err != nil {
		return err
	}
	if err := s.store.DeleteFlow(ctx, f.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// apiFlowOffAnyway turns a flow OFF whose deregistration failed or is
// still being retried, without deregistering it: the flow page's "Turn
// off anyway".
func (s *Server) apiFlowOffAnyway(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	err = s.lifecycle.OffAnyway(c.Request().Context(), f.ID)
	if errors.Is(err, flows.ErrNotFound) {
		return fmt.Errorf("%w: the flow is OFF already", flows.ErrConflict)
	} else if err != nil {
		return err
	}
	return s.apiFlow(c)
}

// flowSettingsJSON is a workspace flow's settings.
type flowSettingsJSON struct {
	// SaveData false keeps only the metadata of its executions.
	SaveData bool `json:"saveData"`
	Revision int  `json:"revision"`
}

// flowSettingsPatch is the body of PATCH /api/v1/flows/{id}/settings.
type flowSettingsPatch struct {
	SaveData *bool `json:"saveData"`
	// Revision, when given, must be the saved one.
	Revision int `json:"revision"`
}

func (s *Server) apiFlowSettings(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, flowSettingsJSON{SaveData: f.Definition.SavesData(), Revision: f.Revision})
}

// apiChangeFlowSettings changes a workspace flow's settings as a new
// revision, as the flow page's "Save all data" does.
func (s *Server) apiChangeFlowSettings(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	var p flowSettingsPatch
	if err := decodeJSON(c, &p, `{"saveData": true, "revision": 3}`); err != nil {
		return err
	}
	if p.Revision != 0 && p.Revision != f.Revision {
		return staleRevision(p.Revision, f.Revision)
	}
	if p.SaveData == nil {
		return fmt.Errorf("%w: send saveData (true or false)", flows.ErrInvalid)
	}
	if *p.SaveData != f.Definition.SavesData() {
		f.Definition.SaveData = p.SaveData
		if f, err = s.store.UpdateFlow(c.Request().Context(), f); err != nil {
			return err
		}
		s.lifecycle.ForgetEndpoint(f.ID) // an invoke URL's next run keeps what is set now
	}
	return c.JSON(http.StatusOK, flowSettingsJSON{SaveData: f.Definition.SavesData(), Revision: f.Revision})
}

// flowUpgradeRequest is the body of POST /api/v1/flows/{id}/upgrade; all
// of it may be left out.
type flowUpgradeRequest struct {
	// Connector is the connector whose cards move; it may be left out when
	// only one connector of the flow has a newer version.
	Connector int64 `json:"connector"`
	// Version is the version to move to: the newest deployed if left out.
	Version int `json:"version"`
	// Revision, when given, must be the saved one.
	Revision int `json:"revision"`
}

// flowUpgradeJSON is what an upgrade did.
type flowUpgradeJSON struct {
	Flow      flowJSON `json:"flow"`
	Connector int64    `json:"connector"`
	To        int      `json:"to"`
	// Reregistered says the ON flow was registered again with the new
	// version (its registration inputs changed).
	Reregistered bool `json:"reregistered"`
	// Problems are the cards and mappings that no longer resolve.
	Problems []flows.Problem `json:"problems"`
	// RegistrationError says why the saved flow is OFF now: the new
	// version's registration failed (its run is RegistrationExecution).
	RegistrationError     string `json:"registrationError,omitempty"`
	RegistrationExecution string `json:"registrationExecution,omitempty"`
}

// upgradeTarget chooses the connector and version an upgrade moves to.
func (s *Server) upgradeTarget(ctx context.Context, f flows.Flow, req flowUpgradeRequest) (int64, int, error) {
	newest, err := s.store.NewestVersions(ctx)
	if err != nil {
		return 0, 0, err
	}
	con, version := req.Connector, req.Version
	if con == 0 {
		outdated := flows.OutdatedConnectors(&f.Definition, newest)
		switch len(outdated) {
		case 0:
			return 0, 0, fmt.Errorf("%w: the flow already uses the newest deployed version of each of its connectors", flows.ErrConflict)
		case 1:
			con = outdated[0].Connector
		default:
			return 0, 0, fmt.Errorf("%w: more than one of the flow's connectors has a newer version: name the connector to upgrade", flows.ErrInvalid)
		}
	}
	if version == 0 {
		version = newest[con]
	}
	return con, version, nil
}

// apiFlowUpgrade moves a workspace flow's cards of a connector to another
// deployed version (the newest by default), as the flow page's Upgrade
// does: a new revision, and an ON flow registered again when its
// registration inputs change.
func (s *Server) apiFlowUpgrade(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	var req flowUpgradeRequest
	if err := decodeOptionalJSON(c, &req, `{"connector": 1, "version": 2, "revision": 3}`); err != nil {
		return err
	}
	if req.Revision != 0 && req.Revision != f.Revision {
		return staleRevision(req.Revision, f.Revision)
	}
	ctx := c.Request().Context()
	con, version, err := s.upgradeTarget(ctx, f, req)
	if err != nil {
		return err
	}
	plan, err := s.lifecycle.PlanUpgrade(ctx, f.ID, con, version, s.registry)
	if err != nil {
		return err
	}
	saved, err := s.lifecycle.ApplyUpgrade(ctx, plan)
	var re *flows.RegistrationError
	var de *flows.DeregistrationError
	out := flowUpgradeJSON{Connector: con, To: version, Reregistered: plan.Reregister, Problems: plan.Problems}
	switch {
	case errors.As(err, &de):
		return fmt.Errorf("%w: nothing was changed and the flow stays ON: the %s", flows.ErrConflict, de.Error())
	case errors.As(err, &re):
		out.Reregistered, out.RegistrationError, out.RegistrationExecution = false, re.Error(), re.Execution
	case err != nil:
		return err
	}
	if out.Problems == nil {
		out.Problems = []flows.Problem{}
	}
	if out.Flow, err = s.flowAnswer(c, saved); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// flowClearRequest is the body of POST /api/v1/flows/{id}/clear.
type flowClearRequest struct {
	// Mode is "data" (the inputs and outputs of ended executions) or
	// "all" (the ended executions themselves).
	Mode string `json:"mode"`
}

// apiFlowClear clears the data of a workspace flow's ended executions, as
// the flow page's "Clear data" does, and records who did it in the audit
// log.
func (s *Server) apiFlowClear(c echo.Context) error {
	f, err := s.workspaceFlowParam(c)
	if err != nil {
		return err
	}
	var req flowClearRequest
	if err := decodeJSON(c, &req, `{"mode": "data"}`); err != nil {
		return err
	}
	if req.Mode != "data" && req.Mode != "all" {
		return fmt.Errorf("%w: mode is data (clear the inputs and outputs) or all (clear the executions)", flows.ErrInvalid)
	}
	n, err := s.clearFlowData(c, f, req.Mode)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int64{"cleared": n})
}

// clearedWhat says what each mode of clearing clears.
var clearedWhat = map[string]string{"data": "inputs and outputs", "all": "executions"}

// clearFlowData clears the data of a flow's ended executions (mode "data")
// or the executions ("all"), and records who did it in the audit log.
func (s *Server) clearFlowData(c echo.Context, f flows.Flow, mode string) (int64, error) {
	ctx := c.Request().Context()
	n, err := s.store.ClearFlowData(ctx, f.ID, mode == "all")
	if err != nil {
		return 0, err
	}
	err = s.store.Audit(ctx, currentUser(c).Email, "clear_flow_data", fmt.Sprintf("flow %d %q", f.ID, f.Definition.Name),
		fmt.Sprintf("cleared the %s of %d executions", clearedWhat[mode], n))
	return n, err
}

// decodeOptionalJSON reads a JSON request body into v as decodeJSON does;
// an empty body leaves v as it is.
func decodeOptionalJSON(c echo.Context, v any, shape string) error {
	b, err := readBody(c)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: the body must be a JSON object like %s: %s", flows.ErrInvalid, shape, flows.DescribeJSONError(b, err))
	}
	return nil
}
