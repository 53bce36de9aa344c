package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/templates"
)

// spec returns the spec of any card type: control, function or event card.
func (s *Server) spec(typ string) flows.CardSpec {
	if sp, ok := flows.EventSpec(typ); ok {
		return sp
	}
	if sp, ok := flows.ControlSpec(typ); ok {
		return sp
	}
	if c, ok := s.registry.Lookup(typ); ok {
		return c.Spec()
	}
	return flows.CardSpec{Type: typ, Title: typ + " (unknown)"}
}

// palette groups every card the builder can place in a flow of a kind
// by category: the cursor cards only in a Polling Event flow.
func (s *Server) palette(kind flows.Kind) []templates.PaletteGroup {
	all := append(flows.ControlSpecs(), s.registry.Specs()...)
	var groups []templates.PaletteGroup
	for _, sp := range all {
		if sp.Category == flows.CategoryPolling && kind != flows.KindPollingEvent {
			continue
		}
		i := slices.IndexFunc(groups, func(g templates.PaletteGroup) bool { return g.Category == sp.Category })
		if i < 0 {
			groups = append(groups, templates.PaletteGroup{Category: sp.Category})
			i = len(groups) - 1
		}
		groups[i].Specs = append(groups[i].Specs, sp)
	}
	for _, g := range groups {
		slices.SortStableFunc(g.Specs, func(a, b flows.CardSpec) int { return cmp.Compare(a.Title, b.Title) })
	}
	return groups
}

// editorData fills the canvas of a flow: a connector's flow (con set) or a
// workspace flow (con zero).
func (s *Server) editorData(c echo.Context, con flows.Connector, f flows.Flow) (templates.EditorData, error) {
	d := templates.EditorData{ConnectorID: con.ID, Connector: con.Info.Name, Flow: f, Spec: s.spec, Palette: s.palette(f.Definition.Kind),
		Problems: map[string][]flows.Problem{}}
	d.CSRF, _ = c.Get("csrf").(string)
	if con.ID != 0 {
		d.BackURL, d.BackTitle = s.connectorTab(con.ID, templates.TabFlows), con.Info.Name
		d.EditURL, d.PageURL = s.URL("connectors.flows.edit", con.ID, f.ID), s.URL("connectors.flows.editor", con.ID, f.ID)
	} else {
		d.BackURL, d.BackTitle = s.URL("flows.list"), "Flows"
		d.EditURL, d.PageURL = s.URL("flows.edit", f.ID), s.URL("flows.show", f.ID)
	}
	for _, p := range problemsOf(flows.Validate(f.Definition, s.registry)) {
		d.Problems[p.Card] = append(d.Problems[p.Card], p)
	}
	if con.ID == 0 {
		var err error
		if d.Tables, err = s.store.Tables(c.Request().Context()); err != nil {
			return d, err
		}
	}
	tableProblems := flows.CheckTableCards(c.Request().Context(), &f.Definition, s.store)
	if tableProblems != nil && problemsOf(tableProblems) == nil {
		return d, tableProblems
	}
	for _, p := range problemsOf(tableProblems) {
		d.Problems[p.Card] = append(d.Problems[p.Card], p)
	}
	if f.Definition.Event.Type == flows.EventSchedule {
		d.Schedule, _ = flows.ScheduleView(&f.Definition, s.registry, time.Now()) // nil when not valid: the card says why
	}
	if con.ID != 0 && authenticates(con.Info.Auth.Kind) {
		var err error
		if d.TestConnections, err = s.store.Connections(c.Request().Context(), con.ID); err != nil {
			return d, err
		}
	}
	return d, nil
}

func (s *Server) flowEditor(c echo.Context) error {
	con, f, err := s.connectorFlowParams(c)
	if err != nil {
		return err
	}
	d, err := s.editorData(c, con, f)
	if err != nil {
		return err
	}
	if err := s.editorPanels(c, con, f, &d); err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.EditorPage(s.page(c, f.Definition.Name, "connectors"), d))
}

// navOf is the navigation section of a flow's page.
func navOf(con flows.Connector) string {
	if con.ID != 0 {
		return "connectors"
	}
	return "flows"
}

// editorPanels fills the panels above the canvas: a Webhook or Polling
// Event flow's settings, or a workspace flow's ON/OFF status.
func (s *Server) editorPanels(c echo.Context, con flows.Connector, f flows.Flow, d *templates.EditorData) error {
	var err error
	if con.ID != 0 {
		if d.Webhook, err = s.webhookPanel(c, con, f); err != nil {
			return err
		}
		d.Polling, err = s.pollingPanel(c, con, f)
		return err
	}
	if d.Status, err = s.flowStatus(c, f); err != nil {
		return err
	}
	if d.HookTrigger, err = s.hookTriggerPanel(c, f); err != nil {
		return err
	}
	actions, err := s.actionChoices(c)
	if len(actions) > 0 {
		d.Palette = append([]templates.PaletteGroup{{Category: flows.CategoryConnector, Actions: actions}}, d.Palette...)
	}
	return err
}

// actionChoices lists the action cards of each connector's newest deployed
// version, as "<connector>:<version>:<key>".
func (s *Server) actionChoices(c echo.Context) ([]templates.EventChoice, error) {
	return s.newestFlowsOfKind(c, flows.KindAction, func(con flows.Connector, v flows.ConnectorVersion, f flows.ExportedFlow) templates.EventChoice {
		return templates.EventChoice{Value: fmt.Sprintf("%d:%d:%s", con.ID, v.Version, f.Key), Title: con.Info.Name + ": " + f.Definition.Name}
	})
}

// newestFlowsOfKind offers, for each connector's newest deployed version,
// its flows of a kind, as choice makes them.
func (s *Server) newestFlowsOfKind(c echo.Context, kind flows.Kind, choice func(flows.Connector, flows.ConnectorVersion, flows.ExportedFlow) templates.EventChoice) ([]templates.EventChoice, error) {
	ctx := c.Request().Context()
	cons, err := s.store.Connectors(ctx)
	if err != nil {
		return nil, err
	}
	var out []templates.EventChoice
	for _, con := range cons {
		vs, err := s.store.Versions(ctx, con.ID)
		if err != nil {
			return nil, err
		}
		if len(vs) == 0 {
			continue
		}
		for _, f := range vs[0].Export.FlowsOfKind(kind) {
			out = append(out, choice(con, vs[0], f))
		}
	}
	return out, nil
}

// actionNode makes the connector action card chosen in the palette, with
// the flow's own connection when it is to the same connector, otherwise
// the connector's newest connection.
func (s *Server) actionNode(c echo.Context, def *flows.Definition, choice string) (flows.Node, error) {
	ctx := c.Request().Context()
	var conID, key int64
	var version int
	if _, err := fmt.Sscanf(choice, "%d:%d:%d", &conID, &version, &key); err != nil {
		return flows.Node{}, fmt.Errorf("%w: choose a connector action", flows.ErrInvalid)
	}
	v, err := s.store.Version(ctx, conID, version)
	if err != nil {
		return flows.Node{}, fmt.Errorf("%w: that connector version is not deployed", flows.ErrInvalid)
	}
	var conn int64
	if src := def.Source; src != nil && src.Connector == conID {
		conn = src.Connection
	} else if cs, err := s.store.Connections(ctx, conID); err != nil {
		return flows.Node{}, err
	} else if len(cs) > 0 {
		conn = cs[0].ID
	}
	n, err := flows.ConnectorAction(v, key, conn)
	if err != nil {
		return flows.Node{}, fmt.Errorf("%w: %v", flows.ErrInvalid, err)
	}
	return n, nil
}

// flowEdit applies one change from the canvas to the flow's saved revision
// and answers with the canvas. A change made on an older revision than the
// saved one is refused (409) and the canvas shows the saved flow with a
// reload offer; nothing is overwritten.
func (s *Server) flowEdit(c echo.Context) error {
	con, f, err := s.connectorFlowParams(c)
	if err != nil {
		return err
	}
	return s.editFlow(c, con, f)
}

// editFlow applies a canvas change to a connector's flow (con set) or a
// workspace flow. A change that loses work (a deleted card or field) is
// offered for undoing: the canvas shows an Undo that restores the revision
// before it.
func (s *Server) editFlow(c echo.Context, con flows.Connector, f flows.Flow) error {
	var err error
	nav := navOf(con)
	op := c.FormValue("op")
	if op == "test" {
		return s.flowTest(c, con, f)
	}
	status, notice, conflict, undo := http.StatusOK, "", false, 0
	rev, _ := strconv.Atoi(c.FormValue("revision"))
	switch {
	case rev != f.Revision:
		status, conflict = http.StatusConflict, true
		notice = "This flow was changed in another tab or by someone else since this page loaded; your change was not saved. Reload to see the latest version."
	default:
		def := f.Definition
		notice, err = s.applyEdit(c, f, &def)
		if err == nil {
			f.Definition = def
			saved, uerr := s.store.UpdateFlow(c.Request().Context(), f)
			if errors.Is(uerr, flows.ErrConflict) {
				status, conflict = http.StatusConflict, true
				notice = "This flow was changed elsewhere at the same moment; your change was not saved. Reload to see the latest version."
				f, _ = s.store.Flow(c.Request().Context(), f.ID)
			} else if uerr != nil {
				return uerr
			} else {
				f = saved
				s.lifecycle.ForgetEndpoint(f.ID) // an invoke URL runs it as saved now
				if err := s.lifecycle.Reschedule(c.Request().Context(), f); err != nil {
					return err
				}
				if op == "delete" || op == "remove_field" {
					undo = saved.Revision - 1
				}
			}
		} else if code, msg := statusOf(err); code < 500 {
			status, notice = http.StatusUnprocessableEntity, msg
			f, _ = s.store.Flow(c.Request().Context(), f.ID)
		} else {
			return err
		}
	}
	d, err := s.editorData(c, con, f)
	if err != nil {
		return err
	}
	d.Notice, d.Conflict, d.NoticeError, d.UndoTo = notice, conflict, status != http.StatusOK, undo
	if c.Request().Header.Get("HX-Request") == "" {
		if notice != "" && status == http.StatusOK {
			s.flash(c, "info", notice)
		} else if notice != "" {
			s.flash(c, "error", notice)
		}
		return c.Redirect(http.StatusSeeOther, d.PageURL)
	}
	return render(c, status, templates.Canvas(s.page(c, f.Definition.Name, nav), d))
}

// applyEdit makes the change a canvas form asks for. It returns a notice to
// show (what a deletion disconnected), or an error the user can fix.
func (s *Server) applyEdit(c echo.Context, f flows.Flow, def *flows.Definition) (string, error) {
	card, field := c.FormValue("card"), c.FormValue("field")
	switch c.FormValue("op") {
	case "add":
		return "", s.addEdit(c, def)
	case "delete":
		name := cardName(def, card, s.spec)
		lost, err := def.RemoveCard(card)
		if err != nil {
			return "", err
		}
		if len(lost) == 0 {
			return "Deleted " + name + ".", nil
		}
		return "Deleted " + name + "; these inputs lost their mapping: " + strings.Join(lost, ", ") + ".", nil
	case "undo":
		return s.undoEdit(c, f, def)
	case "move":
		lane, index := placeIn(def, card)
		delta, _ := strconv.Atoi(c.FormValue("delta"))
		if delta > 0 {
			index += 2
		} else {
			index--
		}
		return "", def.MoveCard(card, flows.Place{Lane: lane, Index: max(index, 0)})
	case "add_lane":
		_, err := def.AddLane(card)
		return "", err
	case "unbind":
		if lane := c.FormValue("lane"); lane != "" {
			return "", def.BindLane(card, lane, field, c.FormValue("laneOutput") == "true", flows.Binding{})
		}
		return "", def.Unbind(card, field)
	case "add_field", "field", "remove_field":
		return s.editField(c, def, card, field)
	case "bind":
		return "", s.bindEdit(c, def, card, field)
	case "add_condition", "condition", "remove_condition":
		return "", s.conditionEdit(c, def, card)
	case "hookflow_event":
		return "Saved the event settings.", s.hookTriggerEdit(c, def)
	}
	return "", fmt.Errorf("%w: unknown change %q", flows.ErrInvalid, c.FormValue("op"))
}

// addEdit places a new card from the palette.
func (s *Server) addEdit(c echo.Context, def *flows.Definition) error {
	typ := c.FormValue("type")
	sp := s.spec(typ)
	if _, known := s.registry.Lookup(typ); !known && !slices.ContainsFunc(flows.ControlSpecs(), func(x flows.CardSpec) bool { return x.Type == typ }) && (typ != flows.ControlAction || def.Kind != flows.KindWorkspace) {
		return fmt.Errorf("%w: there is no card %q", flows.ErrInvalid, typ)
	}
	index, _ := strconv.Atoi(c.FormValue("index"))
	n := flows.Node{Type: typ}
	if typ == flows.ControlAction {
		var err error
		if n, err = s.actionNode(c, def, c.FormValue("action")); err != nil {
			return err
		}
	}
	if (typ == flows.PollingGetCursor || typ == flows.PollingSetCursor) && def.Kind != flows.KindPollingEvent {
		return fmt.Errorf("%w: %s works only in a Polling Event flow", flows.ErrInvalid, sp.Title)
	}
	if typ == flows.ControlReturn && def.Kind == flows.KindWebhookRegistration {
		return fmt.Errorf("%w: a Registration flow has exactly one Return card", flows.ErrInvalid)
	}
	if (typ == flows.ControlReturn || typ == flows.ControlReturnRaw) && def.Kind == flows.KindWebhookDeregistration {
		return fmt.Errorf("%w: a Deregistration flow returns nothing", flows.ErrInvalid)
	}
	return def.AddCard(flows.Place{Lane: c.FormValue("lane"), Index: index}, n, sp)
}

// undoEdit restores the flow as it was at an earlier revision (the one
// before a deletion), saved as a new revision.
func (s *Server) undoEdit(c echo.Context, f flows.Flow, def *flows.Definition) (string, error) {
	to, _ := strconv.Atoi(c.FormValue("to"))
	if to < 1 || to >= f.Revision {
		return "", fmt.Errorf("%w: there is no earlier version of the flow to go back to", flows.ErrInvalid)
	}
	old, err := s.store.FlowRevision(c.Request().Context(), f.ID, to)
	if errors.Is(err, flows.ErrNotFound) {
		return "", fmt.Errorf("%w: that version of the flow is no longer kept", flows.ErrInvalid)
	} else if err != nil {
		return "", err
	}
	if old.Kind != def.Kind {
		return "", fmt.Errorf("%w: that version of the flow is of another kind", flows.ErrInvalid)
	}
	*def = old
	return "Undone: the flow is as it was before.", nil
}

// bindEdit maps an output onto an input, or gives it a typed value. Text
// typed into a text input is kept when a field is mapped onto it: the
// mapping joins the text, as in Compose.
func (s *Server) bindEdit(c echo.Context, def *flows.Definition, card, field string) error {
	n, ok := def.Card(card)
	if !ok {
		return fmt.Errorf("%w: there is no card %q", flows.ErrNotFound, card)
	}
	sp := s.spec(n.Type)
	lane, laneOutput := c.FormValue("lane"), c.FormValue("laneOutput") == "true"
	fields := sp.InputFields(n)
	switch {
	case lane != "" && laneOutput:
		fields = n.Outputs
	case lane != "":
		fields = []flows.Field{{Key: "a", Type: flows.TypeAny}, {Key: "operator", Type: flows.TypeText, Choices: flows.Operators}, {Key: "b", Type: flows.TypeAny}}
	}
	i := slices.IndexFunc(fields, func(f flows.Field) bool { return f.Key == field })
	if i < 0 {
		return fmt.Errorf("%w: %s has no input %q", flows.ErrInvalid, card, field)
	}
	in := fields[i]
	b := flows.Binding{}
	if rc := c.FormValue("refCard"); rc != "" {
		b.Ref = &flows.Ref{Card: rc, Field: c.FormValue("refField"), Path: c.FormValue("refPath")}
	} else {
		v, err := flows.Convert(c.FormValue("value"), in.Type)
		if err != nil {
			return fmt.Errorf("%w: the value of %s: %v", flows.ErrInvalid, fieldTitle(in), err)
		}
		b.Value = v
	}
	if s, isText := b.Value.(string); isText && len(in.Choices) > 0 && !slices.Contains(in.Choices, s) {
		return fmt.Errorf("%w: %s is one of %s", flows.ErrInvalid, fieldTitle(in), strings.Join(in.Choices, ", "))
	}
	if lane != "" {
		if err := def.BindLane(card, lane, field, laneOutput, b); err != nil {
			return err
		}
	} else {
		if composes(n, in, b) {
			b = compose(n.Bindings[field], b)
		}
		if err := def.Bind(card, field, b); err != nil {
			return err
		}
		if err := s.tableColumns(c, n, field); err != nil {
			return err
		}
	}
	// A mapping that cannot work (a later card, another branch, a type
	// that does not convert) is refused with the reason.
	wantLane := ""
	if lane != "" {
		wantLane = card + "/" + lane
	}
	for _, p := range problemsOf(flows.Validate(*def, s.registry)) {
		if p.Card == card && p.Field == field && p.Lane == wantLane && (p.Code == "bad_ref" || p.Code == "type_mismatch" || p.Code == "choice") {
			return fmt.Errorf("%w: %s cannot take that: %s", flows.ErrInvalid, fieldTitle(in), p.Message)
		}
	}
	return nil
}

// cardName names a card for messages: its label or its type's title, with
// its id.
func cardName(def *flows.Definition, id string, spec func(string) flows.CardSpec) string {
	n, ok := def.Card(id)
	if !ok {
		return id
	}
	title := n.Label
	if title == "" {
		title = spec(n.Type).Title
	}
	return title + " (" + id + ")"
}

func fieldTitle(f flows.Field) string {
	if f.Label != "" {
		return f.Label
	}
	return f.Key
}

// placeIn finds the lane and index of a card, for moves.
func placeIn(def *flows.Definition, id string) (string, int) {
	var find func(cards []flows.Node, lane string) (string, int, bool)
	find = func(cards []flows.Node, lane string) (string, int, bool) {
		for i, n := range cards {
			if n.ID == id {
				return lane, i, true
			}
			for _, l := range n.Lanes {
				if ln, li, ok := find(l.Cards, n.ID+"/"+l.Name); ok {
					return ln, li, true
				}
			}
		}
		return "", 0, false
	}
	lane, i, _ := find(def.Cards, "")
	return lane, i
}

// editField adds, updates or removes one of a card's own fields.
func (s *Server) editField(c echo.Context, def *flows.Definition, card, key string) (string, error) {
	n, ok := def.Card(card)
	if !ok {
		return "", fmt.Errorf("%w: there is no card %q", flows.ErrNotFound, card)
	}
	output := c.FormValue("output") == "true"
	sp := s.spec(n.Type)
	if (output && !sp.ExtensibleOutputs) || (!output && (!sp.ExtensibleInputs || n.Type == flows.TableSearch)) {
		return "", fmt.Errorf("%w: %s takes no added fields there", flows.ErrInvalid, sp.Title)
	}
	if c.FormValue("op") == "remove_field" {
		lost, err := def.RemoveField(card, output, key)
		if err != nil || len(lost) == 0 {
			return "", err
		}
		return "Removed " + key + "; these inputs lost their mapping: " + strings.Join(lost, ", ") + ".", nil
	}
	f := flows.Field{Key: strings.TrimSpace(c.FormValue("key")), Type: flows.Type(c.FormValue("type"))}
	switch {
	case f.Key == "" || strings.ContainsAny(f.Key, ".[] ") || len(f.Key) > flows.MaxFieldKeyLength:
		return "", fmt.Errorf("%w: a field key is 1 to %d characters without spaces, dots or brackets", flows.ErrInvalid, flows.MaxFieldKeyLength)
	case !f.Type.Valid():
		return "", fmt.Errorf("%w: unknown type %q", flows.ErrInvalid, f.Type)
	}
	if c.FormValue("op") == "add_field" {
		return "", def.AddField(card, output, f)
	}
	return "", def.UpdateField(card, output, key, f)
}

// composes reports whether a new binding joins an input's current one
// instead of replacing it. Compose's text collects typed text and mapped
// fields (chips); so does any other free text input once it holds typed
// text and a field is mapped onto it, and then text typed into it joins the
// mix. A choice (If/Else's comparison) is replaced.
func composes(n *flows.Node, in flows.Field, add flows.Binding) bool {
	if n.Type == "text.compose" && in.Key == "text" {
		return true
	}
	if in.Type != flows.TypeText || len(in.Choices) > 0 {
		return false
	}
	cur := n.Bindings[in.Key]
	if typed, _ := cur.Value.(string); add.Ref != nil && typed != "" {
		return true
	}
	return len(cur.Parts) > 0
}

// compose appends a mapped field (as a chip) or typed text to a Compose text.
func compose(cur, add flows.Binding) flows.Binding {
	parts := append([]flows.Part{}, cur.Parts...)
	if s, ok := cur.Value.(string); ok && s != "" {
		parts = append(parts, flows.Part{Text: s})
	}
	if add.Ref != nil {
		parts = append(parts, flows.Part{Ref: add.Ref})
	} else if s, _ := add.Value.(string); s != "" {
		parts = append(parts, flows.Part{Text: s})
	}
	return flows.Binding{Parts: parts}
}

// tableColumns gives a Tables card whose table was just chosen one input
// per column of that table.
func (s *Server) tableColumns(c echo.Context, n *flows.Node, field string) error {
	id, ok := n.Bindings[field].Value.(float64)
	if field != flows.TableInput || !flows.TableCardColumns(n.Type) || !ok {
		return nil
	}
	t, err := s.store.Table(c.Request().Context(), int64(id))
	if err != nil {
		return err
	}
	flows.SetTableColumns(n, &t)
	return nil
}
