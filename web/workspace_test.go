package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// onFlow deploys Acme, turns a flow on it ON, and returns the server's
// signed-in client, the flow's id and the connector's id.
func onFlow(t *testing.T) (*webtest.Server, *webtest.Client, int64, int64) {
	t.Helper()
	prov := webtest.NewAcme(t)
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	token := srv.Token(t)
	flowID := webtest.AcmeSetup(t, srv, prov, token)
	webtest.APIJSON(t, srv.NewClient(), token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", flowID), nil, http.StatusOK)
	f, _ := srv.Store.Flow(context.Background(), flowID)
	return srv, srv.SignedIn(t), flowID, f.Definition.Source.Connector
}

func TestInUseRefusals(t *testing.T) {
	srv, c, flowID, conID := onFlow(t)
	ctx := context.Background()
	f, _ := srv.Store.Flow(ctx, flowID)
	tests := []struct {
		name  string
		path  string
		then  string // the page that shows the refusal
		want  string
		still func() error
	}{
		{"connection used by an ON flow", fmt.Sprintf("/connections/%d/delete", f.Definition.Source.Connection), "/connections",
			`Flow "New users" is ON with this connection`, func() error { _, err := srv.Store.Connection(ctx, f.Definition.Source.Connection); return err }},
		{"connector whose version an ON flow uses", fmt.Sprintf("/connectors/%d/delete", conID), fmt.Sprintf("/connectors/%d", conID),
			`Flow "New users" (version 1) is ON with this connector`, func() error { _, err := srv.Store.Connector(ctx, conID); return err }},
		{"flow that is ON", fmt.Sprintf("/flows/%d/delete", flowID), fmt.Sprintf("/flows/%d", flowID),
			"Turn the flow OFF before deleting it", func() error { _, err := srv.Store.Flow(ctx, flowID); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := webtest.PostConnectorForm(t, c, tt.path, url.Values{})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d", res.StatusCode)
			}
			_, body := c.Get(t, tt.then)
			if msg := parse(t, body).Find(`[data-testid="flash-error"]`).Text(); !strings.Contains(msg, tt.want) {
				t.Fatalf("flash %q, want %q", msg, tt.want)
			}
			if err := tt.still(); err != nil {
				t.Fatalf("deleted anyway: %v", err)
			}
		})
	}
}

func TestConnectionForm(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	con, _ := srv.Store.CreateConnector(context.Background(), flows.ConnectorInfo{Name: "Acme",
		Auth: flows.AuthDefinition{Kind: flows.AuthBasic}})
	tests := []struct {
		name   string
		form   url.Values
		status int
		field  string
	}{
		{"no name", url.Values{"values.username": {"ada"}, "values.password": {"pw-123456"}}, 422, "name"},
		{"missing password", url.Values{"name": {"prod"}, "values.username": {"ada"}}, 422, "values.password"},
		{"unknown field", url.Values{"name": {"prod"}, "values.username": {"ada"}, "values.password": {"pw-123456"}, "values.x": {"1"}}, 422, ""},
		{"unknown connector", url.Values{"connector": {"999"}, "name": {"prod"}}, 422, ""},
		{"saved", url.Values{"name": {"<b>prod</b>"}, "values.username": {"ada"}, "values.password": {"pw-123456"}}, 303, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.form.Get("connector") == "" {
				tt.form.Set("connector", fmt.Sprint(con.ID))
			}
			res, body := webtest.PostConnectorForm(t, c, "/connections", tt.form)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, body)
			}
			if tt.field != "" && parse(t, body).Find(`[data-testid="error-`+tt.field+`"]`).Length() != 1 {
				t.Fatalf("no error on %s", tt.field)
			}
			if strings.Contains(body, "pw-123456") {
				t.Fatal("the form shows the secret back")
			}
		})
	}
	_, body := c.Get(t, "/connections")
	if rows := parse(t, body).Find(`[data-testid="connection-row"]`); rows.Length() != 1 || strings.Contains(body, "pw-123456") || !strings.Contains(body, "&lt;b&gt;prod&lt;/b&gt;") {
		t.Fatalf("connections page: %d rows, escaped name present: %v", rows.Length(), strings.Contains(body, "&lt;b&gt;"))
	}
}

func TestNewFlowForm(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.Start(t)
	token := srv.Token(t)
	api := srv.NewClient()
	conID, v := webtest.DeployAcme(t, srv, prov, token)
	event := fmt.Sprintf("connector:%d:1:%s", conID, v.Export.FlowsOfKind(flows.KindWebhookEvent)[0].Key)
	c := srv.SignedIn(t)
	tests := []struct {
		name   string
		form   url.Values
		status int
		field  string
	}{
		{"no name", url.Values{"event": {"manual"}}, 422, "name"},
		{"unknown event", url.Values{"name": {"x"}, "event": {"connector:1:9:9"}}, 422, "event"},
		{"garbage event", url.Values{"name": {"x"}, "event": {"<script>"}}, 422, "event"},
		{"connector event without a connection", url.Values{"name": {"x"}, "event": {event}}, 422, "connection"},
		{"manual", url.Values{"name": {"By hand"}, "event": {"manual"}}, 303, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := webtest.PostConnectorForm(t, c, "/flows", tt.form)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			if tt.field != "" && parse(t, body).Find(`[data-testid="error-`+tt.field+`"]`).Length() != 1 {
				t.Fatalf("no error on %s", tt.field)
			}
		})
	}
	fs, _ := srv.Store.Flows(context.Background(), 0)
	if len(fs) != 1 || fs[0].Definition.Event.Type != flows.EventManual {
		t.Fatalf("flows saved: %+v", fs)
	}
	// A manual flow's page offers no ON, and ON is refused for it.
	_, body := c.Get(t, fmt.Sprintf("/flows/%d", fs[0].ID))
	if doc := parse(t, body); doc.Find(`[data-testid="flow-status"]`).Length() != 1 || doc.Find(`[data-testid="turn-on"]`).Length() != 0 {
		t.Fatal("a manual flow's page offers ON")
	}
	webtest.APIJSON(t, api, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", fs[0].ID), nil, http.StatusUnprocessableEntity)
}

func TestAPICreateFlowChecksItsSource(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.Start(t)
	token := srv.Token(t)
	api := srv.NewClient()
	conID, v := webtest.DeployAcme(t, srv, prov, token)
	conn := webtest.AcmeConnection(t, srv, token, conID)
	other, _ := srv.Store.CreateConnector(context.Background(), flows.ConnectorInfo{Name: "Other", Auth: flows.AuthDefinition{Kind: flows.AuthBearer}})
	otherConn, _ := srv.Store.CreateConnection(context.Background(), flows.Connection{ConnectorID: other.ID, Name: "o", Values: map[string]string{"token": "t"}})
	var key int64
	fmt.Sscan(v.Export.FlowsOfKind(flows.KindWebhookEvent)[0].Key, &key)
	tests := []struct {
		name string
		edit func(*flows.Definition)
		want int
	}{
		{"as deployed", func(*flows.Definition) {}, http.StatusCreated},
		{"unknown version", func(d *flows.Definition) { d.Source.Version = 9 }, http.StatusUnprocessableEntity},
		{"another connector's connection", func(d *flows.Definition) { d.Source.Connection = otherConn.ID }, http.StatusUnprocessableEntity},
		{"no connection", func(d *flows.Definition) { d.Source.Connection = 0 }, http.StatusUnprocessableEntity},
		{"outputs changed", func(d *flows.Definition) { d.Event.Outputs[0].Type = flows.TypeNumber }, http.StatusUnprocessableEntity},
		{"source without its card", func(d *flows.Definition) { d.Event = flows.Node{ID: "event", Type: flows.EventManual} }, http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node, src, _ := flows.ConnectorEvent(v, key)
			src.Connection = int64(conn["id"].(float64))
			def, _ := flows.NewDefinition(flows.KindWorkspace, "F "+tt.name)
			def.Event, def.Source = node, src
			tt.edit(&def)
			doc, _ := flows.MarshalDefinition(def)
			webtest.APIJSON(t, api, token, "POST", "/api/v1/flows", doc, tt.want)
		})
	}
}

// TestConnectorActionCard: a deployed connector's action card is in the
// palette of a workspace flow; placed, it runs the action flow as
// deployed with the connection's credentials.
func TestConnectorActionCard(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.Start(t)
	token := srv.Token(t)
	api := srv.NewClient()
	conID, v := webtest.DeployAcme(t, srv, prov, token)
	webtest.AcmeConnection(t, srv, token, conID)
	c := srv.SignedIn(t)
	if res, _ := webtest.PostConnectorForm(t, c, "/flows", url.Values{"name": {"Lookup"}, "event": {"manual"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	fs, _ := srv.Store.Flows(context.Background(), 0)
	f := fs[0]
	_, body := c.Get(t, fmt.Sprintf("/flows/%d", f.ID))
	choice := fmt.Sprintf("%d:1:%s", conID, v.Export.FlowsOfKind(flows.KindAction)[0].Key)
	if parse(t, body).Find(`[data-testid="palette-action-`+choice+`"]`).Text() != "Acme: Get user" {
		t.Fatal("the palette does not offer the connector's action")
	}
	edit := func(form url.Values) {
		t.Helper()
		cur, _ := srv.Store.Flow(context.Background(), f.ID)
		form.Set("revision", fmt.Sprint(cur.Revision))
		if res, _ := webtest.PostConnectorForm(t, c, fmt.Sprintf("/flows/%d/edit", f.ID), form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit %v: %d", form, res.StatusCode)
		}
	}
	edit(url.Values{"op": {"add_field"}, "card": {"event"}, "output": {"true"}, "key": {"who"}, "type": {"text"}})
	edit(url.Values{"op": {"add"}, "type": {flows.ControlAction}, "action": {choice}, "index": {"0"}})
	edit(url.Values{"op": {"bind"}, "card": {"action1"}, "field": {"id"}, "refCard": {"event"}, "refField": {"who"}})
	got, _ := srv.Store.Flow(context.Background(), f.ID)
	if n, ok := got.Definition.Card("action1"); !ok || n.Action == nil || n.Action.Connection == 0 || n.Bindings["id"].Ref == nil {
		t.Fatalf("the action card: %+v", got.Definition.Cards)
	}
	run := webtest.APIJSON(t, api, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", f.ID), map[string]any{"input": map[string]any{"who": "42"}}, http.StatusOK)
	steps := run["steps"].([]any)
	last := steps[len(steps)-1].(map[string]any)
	if run["status"] != "succeeded" || last["outputs"].(map[string]any)["name"] != "User 42" || len(last["children"].([]any)) != 1 {
		t.Fatalf("run: %v", run)
	}
}
