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

// TestConnectorTabs checks that each tab is its own link: the page shows
// that tab's section only and marks its link, without scripts.
func TestConnectorTabs(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	con, _ := webtest.FurnishedConnector(t, srv)
	base := fmt.Sprintf("/connectors/%d", con.ID)
	sections := map[string]string{"overview": "overview-tab", "flows": "flows-tab", "connections": "connections-tab", "deployment": "deployment-tab"}
	tests := []struct {
		name, query, tab, shows string
	}{
		{"no tab is the overview", "", "overview", "connector-form"},
		{"overview", "?tab=overview", "overview", "auth-section"},
		{"flows", "?tab=flows", "flows", "flow-row"},
		{"connections", "?tab=connections", "connections", "connection-row"},
		{"deployment", "?tab=deployment", "deployment", "version-row"},
		{"an unknown tab is the overview", "?tab=secrets", "overview", "connector-form"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := c.Get(t, base+tt.query)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			doc := parse(t, body)
			if doc.Find(`[data-testid="`+tt.shows+`"]`).Length() == 0 {
				t.Errorf("no %s on the %s tab", tt.shows, tt.tab)
			}
			for tab, section := range sections {
				if got := doc.Find(`[data-testid="` + section + `"]`).Length(); (tab == tt.tab) != (got == 1) {
					t.Errorf("section %s shown %d times on the %s tab", section, got, tt.tab)
				}
				link := doc.Find(`[data-testid="tab-` + tab + `"]`)
				current, _ := link.Attr("aria-current")
				if (tab == tt.tab) != (current == "page" && link.HasClass("active")) {
					t.Errorf("tab %s marked %q on the %s tab", tab, current, tt.tab)
				}
				href, _ := link.Attr("href")
				if want := base + map[bool]string{true: "", false: "?tab=" + tab}[tab == "overview"]; href != want {
					t.Errorf("tab %s links to %q, want %q", tab, href, want)
				}
			}
		})
	}
	// Only this connector's connections are listed.
	other, _ := srv.Store.CreateConnector(context.Background(), flows.ConnectorInfo{Name: "Other", Auth: flows.AuthDefinition{Kind: flows.AuthNone}})
	srv.Store.CreateConnection(context.Background(), flows.Connection{ConnectorID: other.ID, Name: "Other one", Values: map[string]string{}})
	_, body := c.Get(t, base+"?tab=connections")
	if got := parse(t, body).Find(`[data-testid="connection-name"]`).Text(); got != "Acme EU" {
		t.Fatalf("connections listed: %q", got)
	}
}

// TestConnectorRedirectsLandOnTheirTab checks where each action on the
// connector page leads back to.
func TestConnectorRedirectsLandOnTheirTab(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	con, f := webtest.FurnishedConnector(t, srv)
	base := fmt.Sprintf("/connectors/%d", con.ID)
	conns, _ := srv.Store.Connections(context.Background(), con.ID)
	update := url.Values{"name": {"Acme"}, "auth.kind": {"none"}, "revision": {fmt.Sprint(con.Revision)}}
	tests := []struct {
		name, path string
		form       url.Values
		want       string
	}{
		// Creating a flow opens its editor.
		{"new flow", base + "/flows", url.Values{"kind": {"helper"}, "name": {"Another"}}, base + "/flows/"},
		{"rename a flow", fmt.Sprintf("%s/flows/%d/rename", base, f.ID), url.Values{"name": {"Shout louder"}}, base + "?tab=flows"},
		{"duplicate a flow", fmt.Sprintf("%s/flows/%d/duplicate", base, f.ID), url.Values{}, base + "?tab=flows"},
		{"deploy", base + "/deploy", url.Values{}, base + "?tab=deployment"},
		{"test a connection from the tab", fmt.Sprintf("/connections/%d/test", conns[0].ID), url.Values{"back": {"connector"}}, base + "?tab=connections"},
		{"test a connection from the list", fmt.Sprintf("/connections/%d/test", conns[0].ID), url.Values{}, "/connections"},
		{"delete a connection from the tab", fmt.Sprintf("/connections/%d/delete", conns[0].ID), url.Values{"back": {"connector"}}, base + "?tab=connections"},
		{"create a connection from the tab", "/connections", url.Values{"connector": {fmt.Sprint(con.ID)}, "name": {"Acme US"},
			"values.tenant": {"us"}, "back": {"connector"}}, base + "?tab=connections"},
		{"create a connection from the list", "/connections", url.Values{"connector": {fmt.Sprint(con.ID)}, "name": {"Acme US 2"},
			"values.tenant": {"us"}}, "/connections"},
		{"save the overview", base, update, base},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := webtest.PostConnectorForm(t, c, tt.path, tt.form)
			loc := res.Header.Get("Location")
			// A want ending in "/" stands for any page below it (a new flow's editor).
			if res.StatusCode != http.StatusSeeOther || loc != tt.want && !(strings.HasSuffix(tt.want, "/") && strings.HasPrefix(loc, tt.want)) {
				t.Fatalf("%d to %q, want 303 to %q\n%s", res.StatusCode, loc, tt.want, body)
			}
		})
	}
	// The tab's New connection link opens a form that returns to the tab.
	_, body := c.Get(t, base+"?tab=connections")
	href, _ := parse(t, body).Find(`[data-testid="connector-connection-new"]`).Attr("href")
	_, body = c.Get(t, href)
	if v, _ := parse(t, body).Find(`[data-testid="connection-form"] input[name="back"]`).Attr("value"); v != "connector" {
		t.Fatalf("the form from %q does not return to the tab", href)
	}
	// A new connector opens on its Flows tab; a flow's page leads back to it.
	res, _ := webtest.PostConnectorForm(t, c, "/connectors", url.Values{"name": {"Globex"}, "auth.kind": {"none"}})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "?tab=flows") {
		t.Fatalf("create: %d to %q", res.StatusCode, loc)
	}
	_, body = c.Get(t, fmt.Sprintf("%s/flows/%d", base, f.ID))
	if href, _ := parse(t, body).Find(`[data-testid="back"]`).Attr("href"); href != base+"?tab=flows" {
		t.Fatalf("the flow page leads back to %q", href)
	}
}

// TestConnectorAuthOnlyChosenKind checks that the server keeps and checks
// only the chosen kind's authentication inputs, and renders the other
// kinds' groups hidden and disabled.
func TestConnectorAuthOnlyChosenKind(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	// Every kind's inputs are sent, some of them invalid for their own kind.
	form := url.Values{"name": {"Acme"}, "auth.kind": {"basic"}, "auth.header": {"X Bad Header"}, "auth.tokenUrl": {"not a URL"},
		"auth.scopes": {"read"}, "auth.hosts": {"https://uploads.acme.test"},
		"auth.fields.0.key": {"tenant"}, "auth.fields.0.label": {""}, "auth.fields.0.type": {"dropdown"}}
	res, body := webtest.PostConnectorForm(t, c, "/connectors", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("basic with other kinds' inputs: %d\n%s", res.StatusCode, body)
	}
	list, _ := srv.Store.Connectors(context.Background())
	want := flows.AuthDefinition{Kind: flows.AuthBasic, Hosts: []string{"https://uploads.acme.test"}}
	if got := list[0].Info.Auth; got.Kind != want.Kind || got.Header != "" || got.TokenURL != "" || got.Scopes != "" || len(got.Fields) != 0 || len(got.Hosts) != 1 {
		t.Fatalf("stored %+v, want %+v", got, want)
	}
	// The chosen kind's inputs are still checked.
	form.Set("name", "Acme 2")
	form.Set("auth.kind", "oauth2_client_credentials")
	if res, body := webtest.PostConnectorForm(t, c, "/connectors", form); res.StatusCode != http.StatusUnprocessableEntity || parse(t, body).Find(`[data-testid="error-auth.tokenUrl"]`).Length() != 1 {
		t.Fatalf("oauth2 with a bad token URL: %d", res.StatusCode)
	}

	_, body = c.Get(t, fmt.Sprintf("/connectors/%d", list[0].ID))
	doc := parse(t, body)
	for group, shown := range map[string]bool{"auth-api-key": false, "auth-oauth2": false, "auth-custom": false, "auth-hosts-section": true,
		"auth-note-basic": true, "auth-note-none": false} {
		sel := doc.Find(`[data-testid="` + group + `"]`)
		_, hidden := sel.Attr("hidden")
		_, disabled := sel.Attr("disabled")
		if sel.Length() != 1 || hidden == shown || (sel.Is("fieldset") && disabled == shown) {
			t.Errorf("%s: hidden %v, disabled %v; want shown %v", group, hidden, disabled, shown)
		}
	}
}
