package webtest

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
)

// FurnishedConnector makes a connector with custom authentication, a
// helper flow, a deployed version and a connection: every tab has content.
func FurnishedConnector(t *testing.T, srv *Server) (flows.Connector, flows.Flow) {
	t.Helper()
	ctx := context.Background()
	con, f := BrokenConnector(t, srv)
	FixHelperFlow(t, srv, f)
	con.Info.Description = "Acme's user directory"
	con.Info.Auth = flows.AuthDefinition{Kind: flows.AuthCustom, Fields: []flows.AuthField{
		{Key: "tenant", Label: "Tenant", Type: "dropdown", Choices: []string{"eu", "us"}, Required: true},
		{Key: "secret", Label: "Secret", Type: "password"}}}
	con, err := srv.Store.UpdateConnector(ctx, con)
	if err != nil {
		t.Fatal(err)
	}
	fs, _ := srv.Store.Flows(ctx, con.ID)
	if _, err := srv.Store.Deploy(ctx, flows.ExportConnector(con, fs), con.ID, AdminEmail); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Store.CreateConnection(ctx, flows.Connection{ConnectorID: con.ID, Name: "Acme EU", Values: map[string]string{"tenant": "eu"}}); err != nil {
		t.Fatal(err)
	}
	return con, f
}

// BrokenConnector makes a connector whose helper flow lacks a required input.
func BrokenConnector(t *testing.T, srv *Server) (flows.Connector, flows.Flow) {
	t.Helper()
	ctx := context.Background()
	con, err := srv.Store.CreateConnector(ctx, flows.ConnectorInfo{Name: "Acme", BaseURL: "https://api.acme.test", Auth: flows.AuthDefinition{Kind: flows.AuthNone}})
	if err != nil {
		t.Fatal(err)
	}
	def, _ := flows.NewDefinition(flows.KindHelper, "Shout")
	def.Event.Outputs = []flows.Field{{Key: "text", Type: flows.TypeText}}
	def.Cards = []flows.Node{{ID: "up", Type: "text.upper"}}
	f, err := srv.Store.CreateFlow(ctx, flows.Flow{ConnectorID: con.ID, Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	return con, f
}

// FixHelperFlow binds the missing input of BrokenConnector's helper flow f.
func FixHelperFlow(t *testing.T, srv *Server, f flows.Flow) {
	t.Helper()
	f.Definition.Cards[0].Bindings = map[string]flows.Binding{"text": {Ref: &flows.Ref{Card: "event", Field: "text"}}}
	if _, err := srv.Store.UpdateFlow(context.Background(), f); err != nil {
		t.Fatal(err)
	}
}

// RegistrationFlow makes a connector with a new Registration flow.
func RegistrationFlow(t *testing.T, srv *Server) (flows.Connector, flows.Flow) {
	t.Helper()
	ctx := context.Background()
	con, err := srv.Store.CreateConnector(ctx, flows.ConnectorInfo{Name: "Acme", BaseURL: "https://api.acme.test", Auth: flows.AuthDefinition{Kind: flows.AuthNone}})
	if err != nil {
		t.Fatal(err)
	}
	def, _ := flows.NewDefinition(flows.KindWebhookRegistration, "Subscribe")
	f, err := srv.Store.CreateFlow(ctx, flows.Flow{ConnectorID: con.ID, Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	return con, f
}

// CardIDs lists the ids of cards, joined by commas.
func CardIDs(cards []flows.Node) string {
	out := make([]string, len(cards))
	for i, c := range cards {
		out[i] = c.ID
	}
	return strings.Join(out, ",")
}

// WebhookFlows makes a connector with Registration (input "events"),
// Deregistration and Webhook Event flows.
func WebhookFlows(t *testing.T, srv *Server) (flows.Connector, flows.Flow, flows.Flow, flows.Flow) {
	t.Helper()
	ctx := context.Background()
	con, _ := srv.Store.CreateConnector(ctx, flows.ConnectorInfo{Name: "Acme", BaseURL: "https://api.acme.test", Auth: flows.AuthDefinition{Kind: flows.AuthNone}})
	mk := func(kind flows.Kind, name string, edit func(*flows.Definition)) flows.Flow {
		def, _ := flows.NewDefinition(kind, name)
		if edit != nil {
			edit(&def)
		}
		f, err := srv.Store.CreateFlow(ctx, flows.Flow{ConnectorID: con.ID, Definition: def})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	reg := mk(flows.KindWebhookRegistration, "Subscribe", func(d *flows.Definition) {
		d.Event.Outputs = []flows.Field{{Key: "events", Label: "Events", Type: flows.TypeText, Required: true}}
	})
	dereg := mk(flows.KindWebhookDeregistration, "Unsubscribe", nil)
	ev := mk(flows.KindWebhookEvent, "User created", func(d *flows.Definition) {
		d.Cards = []flows.Node{{ID: "return", Type: flows.ControlReturn, Inputs: []flows.Field{{Key: "data", Label: "Data", Type: flows.TypeObject}},
			Bindings: map[string]flows.Binding{"data": Ref("event", "body", "")}}}
	})
	return con, reg, dereg, ev
}

// UpgradeForm is the Confirm form of the upgrade of a flow's connector
// cards to version, previewed at revision from.
func UpgradeForm(conID int64, version, from int) url.Values {
	return url.Values{"connector": {fmt.Sprint(conID)}, "version": {fmt.Sprint(version)}, "from": {fmt.Sprint(from)}}
}
