package webtest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
)

// OktaHookSecret is what Okta sends in the Authorization header of the
// UserEvent hook, kept in the connection.
const OktaHookSecret = "okta-hook-secret-value"

// OktaFlowWith is oktaFlow with the workspace flow's cards given.
func OktaFlowWith(t *testing.T, srv *Server, cards ...flows.Node) (int64, string) {
	t.Helper()
	ids, hooks := OktaFlows(t, srv, cards)
	return ids[0], hooks[0]
}

// OktaFlows is OktaFlowWith for several workspace flows on one Okta-style
// connector and connection, each with its cards: each is ON, with an Event
// URL of its own. It returns their ids and Event URL paths.
func OktaFlows(t *testing.T, srv *Server, cards ...[]flows.Node) ([]int64, []string) {
	t.Helper()
	ctx := context.Background()
	ev, _ := flows.NewDefinition(flows.KindWebhookEvent, "Event hook")
	ev.Cards = []flows.Node{{ID: "return", Type: flows.ControlReturn, Inputs: []flows.Field{{Key: "event", Label: "Event", Type: flows.ListOf(flows.TypeObject)}},
		Bindings: map[string]flows.Binding{"event": Ref("event", "body", "data.events")}}}
	ev.Webhook = &flows.WebhookSettings{RunMode: flows.RunEach, RecordsPath: "event", AckStatus: 200, ManualRegistration: true,
		Security: flows.WebhookSecurity{VerificationChallenge: true, SecretHeader: "Authorization", Secret: "connection.hook_secret"}}
	x := flows.ConnectorExport{Schema: flows.SchemaVersion, Connector: flows.ConnectorInfo{Name: "Okta", Auth: flows.AuthDefinition{Kind: flows.AuthCustom,
		Fields: []flows.AuthField{{Key: "hook_secret", Label: "Event hook secret", Type: "password", Required: true}}}},
		Flows: []flows.ExportedFlow{{Key: "1", Definition: ev}}}
	if err := flows.ValidateConnector(x, srv.Web.Registry()); err != nil {
		t.Fatal(err)
	}
	con, err := srv.Store.ImportConnector(ctx, x, 0)
	if err != nil {
		t.Fatal(err)
	}
	fs, _ := srv.Store.Flows(ctx, con.ID)
	v, err := srv.Store.Deploy(ctx, flows.ExportConnector(con, fs), con.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := srv.Store.CreateConnection(ctx, flows.Connection{ConnectorID: con.ID, Name: "Okta prod", Values: map[string]string{"hook_secret": OktaHookSecret}})
	if err != nil {
		t.Fatal(err)
	}
	c, token := srv.NewClient(), srv.Token(t)
	var ids []int64
	var hooks []string
	for i, cs := range cards {
		node, src, err := flows.ConnectorEvent(v, fs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		src.Connection = conn.ID
		name := "Okta events"
		if len(cards) > 1 {
			name = fmt.Sprintf("Okta events %d", i+1)
		}
		def, _ := flows.NewDefinition(flows.KindWorkspace, name)
		def.Event, def.Source = node, src
		def.Cards = cs
		f, err := srv.Store.CreateFlow(ctx, flows.Flow{Definition: def})
		if err != nil {
			t.Fatal(err)
		}
		st := APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", f.ID), nil, http.StatusOK)["state"].(map[string]any)
		ids, hooks = append(ids, f.ID), append(hooks, strings.TrimPrefix(st["eventUrl"].(string), srv.URL))
	}
	return ids, hooks
}

// PostOktaEvent posts one Okta event to hook and checks that it is accepted.
func PostOktaEvent(t *testing.T, srv *Server, hook string, n int) {
	t.Helper()
	body := fmt.Sprintf(`{"data":{"events":[{"uuid":"evt-%d","actor":{"displayName":"User %d"}}]}}`, n, n)
	res, _ := srv.NewClient().Do(t, http.MethodPost, hook, strings.NewReader(body), http.Header{"Content-Type": {"application/json"}, "Authorization": {OktaHookSecret}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("delivery %d: %d", n, res.StatusCode)
	}
}
