package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

func TestConnectorFlowsTab(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	ctx := context.Background()
	con, err := srv.Store.CreateConnector(ctx, flows.ConnectorInfo{Name: "Acme", Auth: flows.AuthDefinition{Kind: flows.AuthNone}})
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/connectors/%d", con.ID)
	create := func(kind, name string) (*http.Response, string) {
		return webtest.PostConnectorForm(t, c, base+"/flows", url.Values{"kind": {kind}, "name": {name}})
	}
	for _, k := range flows.ConnectorKinds {
		if res, body := create(string(k.Kind), k.Title); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("create %s: %d %s", k.Kind, res.StatusCode, body)
		}
	}
	list, _ := srv.Store.Flows(ctx, con.ID)
	if len(list) != len(flows.ConnectorKinds) {
		t.Fatalf("flows = %d", len(list))
	}
	byName := map[string]flows.Flow{}
	for _, f := range list {
		byName[f.Definition.Name] = f
		if err := flows.Validate(f.Definition, srv.Web.Registry()); err != nil {
			t.Errorf("new %s flow does not validate: %v", f.Definition.Kind, err)
		}
	}
	reg := byName["Webhook Event: Registration"]
	if reg.Definition.Cards[0].Inputs[0].Key != flows.FieldRegistrationData {
		t.Fatalf("registration flow starts with %+v", reg.Definition.Cards)
	}

	refusals := []struct {
		name, path string
		form       url.Values
		want       string
	}{
		{"second auth ping", base + "/flows", url.Values{"kind": {"authping"}, "name": {"Ping 2"}}, "at most one Auth Ping"},
		{"taken name", base + "/flows", url.Values{"kind": {"helper"}, "name": {"helper"}}, "already has a flow named"},
		{"empty name", base + "/flows", url.Values{"kind": {"helper"}, "name": {" "}}, "1 to 100 characters"},
		{"unknown kind", base + "/flows", url.Values{"kind": {"poll"}, "name": {"P"}}, "Choose the kind"},
		{"workspace kind", base + "/flows", url.Values{"kind": {"workspace"}, "name": {"W"}}, "Choose the kind"},
		{"rename to a taken name", fmt.Sprintf("%s/flows/%d/rename", base, reg.ID), url.Values{"name": {"Action"}}, "already has a flow named"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			res, body := webtest.PostConnectorForm(t, c, tt.path, tt.form)
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
				t.Fatalf("%d, want 422 saying %q", res.StatusCode, tt.want)
			}
		})
	}

	// Rename and duplicate.
	if res, _ := webtest.PostConnectorForm(t, c, fmt.Sprintf("%s/flows/%d/rename", base, reg.ID), url.Values{"name": {"Subscribe"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("rename: %d", res.StatusCode)
	}
	if res, _ := webtest.PostConnectorForm(t, c, fmt.Sprintf("%s/flows/%d/duplicate", base, reg.ID), url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("duplicate: %d", res.StatusCode)
	}
	_, page := c.Get(t, base+"?tab=flows")
	names := parse(t, page).Find(`[data-testid="flow-name"]`).Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	if !contains(names, "Subscribe") || !contains(names, "Subscribe copy") {
		t.Fatalf("flows listed: %v", names)
	}

	// A helper called by another flow cannot be deleted; the message names the caller.
	helper := byName["Helper"]
	action := byName["Action"]
	action.Definition.Cards = append(action.Definition.Cards, flows.Node{ID: "call", Type: flows.ControlCallFlow,
		Bindings: map[string]flows.Binding{"flow": {Value: float64(helper.ID)}}})
	if _, err := srv.Store.UpdateFlow(ctx, action); err != nil {
		t.Fatal(err)
	}
	res, body := webtest.PostConnectorForm(t, c, fmt.Sprintf("%s/flows/%d/delete", base, helper.ID), url.Values{})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `&#34;Action&#34; uses it`) {
		t.Fatalf("delete of a called helper: %d", res.StatusCode)
	}
	// A Registration flow linked by a Webhook Event flow is in use too.
	hook := byName["Webhook Event"]
	hook.Definition.Webhook = &flows.WebhookSettings{RunMode: flows.RunSingle, Registration: &flows.FlowLink{Flow: reg.ID}}
	if _, err := srv.Store.UpdateFlow(ctx, hook); err != nil {
		t.Fatal(err)
	}
	if res, body := webtest.PostConnectorForm(t, c, fmt.Sprintf("%s/flows/%d/delete", base, reg.ID), url.Values{}); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Webhook Event&#34; uses it") {
		t.Fatalf("delete of a linked registration flow: %d", res.StatusCode)
	}
	if res, _ := webtest.PostConnectorForm(t, c, fmt.Sprintf("%s/flows/%d/delete", base, action.ID), url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if res, _ := webtest.PostConnectorForm(t, c, fmt.Sprintf("%s/flows/%d/delete", base, helper.ID), url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete once no longer called: %d", res.StatusCode)
	}

	// A flow of another connector is not found through this one.
	other, _ := srv.Store.CreateConnector(ctx, flows.ConnectorInfo{Name: "Other", Auth: flows.AuthDefinition{Kind: flows.AuthNone}})
	if res, _ := webtest.PostConnectorForm(t, c, fmt.Sprintf("/connectors/%d/flows/%d/rename", other.ID, reg.ID), url.Values{"name": {"x"}}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("cross-connector rename: %d", res.StatusCode)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
