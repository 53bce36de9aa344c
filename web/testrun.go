package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/templates"
)

// flowTest runs the saved flow with the sample inputs of the test form, as
// a test execution, and shows each card's outputs or error on the canvas.
// A connector's flow runs inside the connector (its base URL and
// authentication kind), with the credentials of the connection chosen in
// the form, or none. When credentials were not sent where cards would have
// sent them, the result says so.
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
	if f.Definition.Kind == flows.KindPollingEvent {
		req.Cursor = flows.NewCursor(c.FormValue("cursor"))
	}
	connID, _ := strconv.ParseInt(c.FormValue("connection"), 10, 64)
	if con.ID != 0 {
		req.Connector = &flows.ConnectorContext{BaseURL: con.Info.BaseURL, Auth: con.Info.Auth.Kind, Header: con.Info.Auth.Header}
		if connID != 0 {
			if err := s.testConnection(c, con, connID, &req); err != nil {
				return err
			}
		}
	} else if ev.Type == flows.EventManual {
		req.Trigger = flows.TriggerManual
	}
	exec, err := s.engine.Run(c.Request().Context(), req)
	if err != nil {
		return err
	}
	d, err := s.editorData(c, con, f)
	if err != nil {
		return err
	}
	d.Run, d.TestInput, d.TestConnection, d.TestCursor = exec, shown, connID, c.FormValue("cursor")
	if d.RunNotice, err = s.credentialsNotice(c, con, &f.Definition, connID, len(d.TestConnections) > 0); err != nil {
		return err
	}
	nav := navOf(con)
	if c.Request().Header.Get("HX-Request") == "" {
		if err := s.editorPanels(c, con, f, &d); err != nil {
			return err
		}
		return render(c, http.StatusOK, templates.EditorPage(s.page(c, f.Definition.Name, nav), d))
	}
	return render(c, http.StatusOK, templates.Canvas(s.page(c, f.Definition.Name, nav), d))
}

// testConnection gives a test run of a connector's flow the credentials of
// one of the connector's connections, masked in what is recorded.
func (s *Server) testConnection(c echo.Context, con flows.Connector, id int64, req *flows.RunRequest) error {
	ctx := c.Request().Context()
	conn, err := s.store.Connection(ctx, id)
	if errors.Is(err, flows.ErrNotFound) || (err == nil && conn.ConnectorID != con.ID) {
		return fmt.Errorf("%w: choose a connection to %s", flows.ErrInvalid, con.Info.Name)
	} else if err != nil {
		return err
	}
	cc, err := s.lifecycle.Tokens.ConnectorContext(ctx, con.Info, &conn)
	if err != nil {
		return fmt.Errorf("%w: the connection %s: %v", flows.ErrInvalid, conn.Name, err)
	}
	req.Connector, req.Secrets = cc, conn.Secrets(con.Info.Auth)
	return nil
}

// credentialsNotice says when a test run sent no credentials where its
// cards would have sent a connection's: a connector's HTTP cards run
// without a chosen connection, or a workspace flow's connector actions that
// have none.
func (s *Server) credentialsNotice(c echo.Context, con flows.Connector, def *flows.Definition, connID int64, canChoose bool) (string, error) {
	if con.ID != 0 {
		if connID != 0 || !authenticates(con.Info.Auth.Kind) || !anyCard(def.Cards, func(n *flows.Node) bool { return s.spec(n.Type).Category == flows.CategoryHTTP }) {
			return "", nil
		}
		msg := "No connection was chosen, so the credentials of " + con.Info.Name + " were not sent with the HTTP requests of this test."
		if canChoose {
			return msg + " Choose a connection above to send them.", nil
		}
		return msg + " Create a connection to " + con.Info.Name + " to test with credentials.", nil
	}
	var without []string
	var err error
	anyCard(def.Cards, func(n *flows.Node) bool {
		if n.Type != flows.ControlAction || n.Action == nil || n.Action.Connection != 0 || err != nil {
			return false
		}
		v, verr := s.store.Version(c.Request().Context(), n.Action.Connector, n.Action.Version)
		if verr != nil && !errors.Is(verr, flows.ErrNotFound) {
			err = verr
		} else if verr == nil && authenticates(v.Export.Connector.Auth.Kind) {
			without = append(without, n.Label)
		}
		return false
	})
	if err != nil || len(without) == 0 {
		return "", err
	}
	return "No connection is chosen for " + strings.Join(without, ", ") + ", so credentials were not sent: " +
		plural(len(without), "that card needs", "those cards need") + " one to run.", nil
}

// authenticates reports whether a connector's authentication sends
// credentials.
func authenticates(k flows.AuthKind) bool { return k != flows.AuthNone && k != "" }

// anyCard reports whether a card of the list, or of its cards' lanes, is
// one that match reports.
func anyCard(cards []flows.Node, match func(*flows.Node) bool) bool {
	for i := range cards {
		if match(&cards[i]) {
			return true
		}
		for l := range cards[i].Lanes {
			if anyCard(cards[i].Lanes[l].Cards, match) {
				return true
			}
		}
	}
	return false
}
