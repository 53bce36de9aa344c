package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

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

// palette groups every card the builder can place by category.
func (s *Server) palette() []templates.PaletteGroup {
	all := append(flows.ControlSpecs(), s.registry.Specs()...)
	var groups []templates.PaletteGroup
	for _, sp := range all {
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
func (s *Server) editorData(con flows.Connector, f flows.Flow) templates.EditorData {
	d := templates.EditorData{ConnectorID: con.ID, Connector: con.Info.Name, Flow: f, Spec: s.spec, Palette: s.palette(),
		Problems: map[string][]flows.Problem{}}
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
	return d
}

func (s *Server) flowEditor(c echo.Context) error {
	con, f, err := s.connectorFlowParams(c)
	if err != nil {
		return err
	}
	d := s.editorData(con, f)
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

// editorPanels fills the panels above the canvas: a Webhook Event flow's
// settings, or a workspace flow's ON/OFF status.
func (s *Server) editorPanels(c echo.Context, con flows.Connector, f flows.Flow, d *templates.EditorData) error {
	var err error
	if con.ID != 0 {
		d.Webhook, err = s.webhookPanel(c, con, f)
		return err
	}
	if d.Status, err = s.flowStatus(c, f); err != nil {
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
// workspace flow.
func (s *Server) editFlow(c echo.Context, con flows.Connector, f flows.Flow) error {
	var err error
	nav := navOf(con)
	if c.FormValue("op") == "test" {
		return s.flowTest(c, con, f)
	}
	status, notice, conflict := http.StatusOK, "", false
	rev, _ := strconv.Atoi(c.FormValue("revision"))
	switch {
	case rev != f.Revision:
		status, conflict = http.StatusConflict, true
		notice = "This flow was changed in another tab or by someone else since this page loaded; your change was not saved. Reload to see the latest version."
	default:
		def := f.Definition
		notice, err = s.applyEdit(c, &def)
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
			}
		} else if code, msg := statusOf(err); code < 500 {
			status, notice = http.StatusUnprocessableEntity, msg
			f, _ = s.store.Flow(c.Request().Context(), f.ID)
		} else {
			return err
		}
	}
	d := s.editorData(con, f)
	d.Notice, d.Conflict, d.NoticeError = notice, conflict, status != http.StatusOK
	if c.Request().Header.Get("HX-Request") == "" {
		if notice != "" {
			s.flash(c, "error", notice)
		}
		return c.Redirect(http.StatusSeeOther, d.PageURL)
	}
	return render(c, status, templates.Canvas(s.page(c, f.Definition.Name, nav), d))
}

// applyEdit makes the change a canvas form asks for. It returns a notice to
// show (what a deletion disconnected), or an error the user can fix.
func (s *Server) applyEdit(c echo.Context, def *flows.Definition) (string, error) {
	card, field := c.FormValue("card"), c.FormValue("field")
	switch c.FormValue("op") {
	case "add":
		typ := c.FormValue("type")
		sp := s.spec(typ)
		if _, known := s.registry.Lookup(typ); !known && !slices.ContainsFunc(flows.ControlSpecs(), func(x flows.CardSpec) bool { return x.Type == typ }) && (typ != flows.ControlAction || def.Kind != flows.KindWorkspace) {
			return "", fmt.Errorf("%w: there is no card %q", flows.ErrInvalid, typ)
		}
		index, _ := strconv.Atoi(c.FormValue("index"))
		n := flows.Node{Type: typ}
		if typ == flows.ControlAction {
			var err error
			if n, err = s.actionNode(c, def, c.FormValue("action")); err != nil {
				return "", err
			}
		}
		if typ == flows.ControlReturn && def.Kind == flows.KindWebhookRegistration {
			return "", fmt.Errorf("%w: a Registration flow has exactly one Return card", flows.ErrInvalid)
		}
		if (typ == flows.ControlReturn || typ == flows.ControlReturnRaw) && def.Kind == flows.KindWebhookDeregistration {
			return "", fmt.Errorf("%w: a Deregistration flow returns nothing", flows.ErrInvalid)
		}
		return "", def.AddCard(flows.Place{Lane: c.FormValue("lane"), Index: index}, n, sp)
	case "delete":
		lost, err := def.RemoveCard(card)
		if err != nil || len(lost) == 0 {
			return "", err
		}
		return "Deleted " + card + "; these inputs lost their mapping: " + strings.Join(lost, ", ") + ".", nil
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
		n, ok := def.Card(card)
		if !ok {
			return "", fmt.Errorf("%w: there is no card %q", flows.ErrNotFound, card)
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
			return "", fmt.Errorf("%w: %s has no input %q", flows.ErrInvalid, card, field)
		}
		in := fields[i]
		b := flows.Binding{}
		if rc := c.FormValue("refCard"); rc != "" {
			b.Ref = &flows.Ref{Card: rc, Field: c.FormValue("refField"), Path: c.FormValue("refPath")}
		} else {
			v, err := flows.Convert(c.FormValue("value"), in.Type)
			if err != nil {
				return "", fmt.Errorf("%w: the value of %s: %v", flows.ErrInvalid, fieldTitle(in), err)
			}
			b.Value = v
		}
		if s, isText := b.Value.(string); isText && len(in.Choices) > 0 && !slices.Contains(in.Choices, s) {
			return "", fmt.Errorf("%w: %s is one of %s", flows.ErrInvalid, fieldTitle(in), strings.Join(in.Choices, ", "))
		}
		if lane != "" {
			if err := def.BindLane(card, lane, field, laneOutput, b); err != nil {
				return "", err
			}
		} else {
			if composes(n, field) {
				b = compose(n.Bindings[field], b)
			}
			if err := def.Bind(card, field, b); err != nil {
				return "", err
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
				return "", fmt.Errorf("%w: %s cannot take that: %s", flows.ErrInvalid, fieldTitle(in), p.Message)
			}
		}
		return "", nil
	}
	return "", fmt.Errorf("%w: unknown change %q", flows.ErrInvalid, c.FormValue("op"))
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
	if (output && !sp.ExtensibleOutputs) || (!output && !sp.ExtensibleInputs) {
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

// flowTest runs the saved flow with the sample inputs of the test form, as
// a test execution, and shows each card's outputs or error on the canvas.
// It runs inside the connector (its base URL and authentication kind) but
// without a connection's credentials.
func (s *Server) flowTest(c echo.Context, con flows.Connector, f flows.Flow) error {
	ev := &f.Definition.Event
	sp := s.spec(ev.Type)
	input, shown := map[string]any{}, map[string]string{}
	for _, fld := range sp.OutputFields(ev) {
		raw := c.FormValue("in." + fld.Key)
		if raw == "" {
			continue
		}
		shown[fld.Key] = raw
		var v any = raw
		if _, isList := fld.Type.Elem(); isList || fld.Type == flows.TypeObject || fld.Type == flows.TypeAny {
			var parsed any
			if json.Unmarshal([]byte(raw), &parsed) == nil {
				v = parsed
			}
		}
		input[fld.Key] = v
	}
	req := flows.RunRequest{FlowID: f.ID, Definition: f.Definition, Input: input, Trigger: flows.TriggerTest, Revision: f.Revision}
	if con.ID != 0 {
		req.Connector = &flows.ConnectorContext{BaseURL: con.Info.BaseURL, Auth: con.Info.Auth.Kind, Header: con.Info.Auth.Header}
	} else if ev.Type == flows.EventManual {
		req.Trigger = flows.TriggerManual
	}
	exec, err := s.engine.Run(c.Request().Context(), req)
	if err != nil {
		return err
	}
	d := s.editorData(con, f)
	d.Run, d.TestInput = exec, shown
	nav := navOf(con)
	if c.Request().Header.Get("HX-Request") == "" {
		if err := s.editorPanels(c, con, f, &d); err != nil {
			return err
		}
		return render(c, http.StatusOK, templates.EditorPage(s.page(c, f.Definition.Name, nav), d))
	}
	return render(c, http.StatusOK, templates.Canvas(s.page(c, f.Definition.Name, nav), d))
}

// composes reports whether an input collects text and mapped fields (chips)
// instead of taking one source: Compose's text.
func composes(n *flows.Node, field string) bool { return n.Type == "text.compose" && field == "text" }

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
