package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

// problemFields lists the fields an API error's problems name.
func problemFields(m map[string]any) []string {
	e, _ := m["error"].(map[string]any)
	ps, _ := e["problems"].([]any)
	var out []string
	for _, p := range ps {
		f, _ := p.(map[string]any)["field"].(string)
		out = append(out, f)
	}
	return out
}

// TestAPIConnectorCRUD creates, reads, changes and deletes a connector
// through the API: invalid overviews are refused with the fields at
// fault, a taken name and a stale revision with a 409 in plain words.
func TestAPIConnectorCRUD(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)

	bad := webtest.APICall(t, c, token, "POST", "/api/v1/connectors", `{"name":" ","baseUrl":"ftp://x","auth":{"kind":"api_key_header"}}`, 422)
	if got := problemFields(bad); !slices.Equal(got, []string{"name", "baseUrl", "auth.header"}) {
		t.Errorf("problems name %v", got)
	}
	webtest.APICall(t, c, token, "POST", "/api/v1/connectors", `{"name":"Acme","colour":"red"}`, 422)
	// What the kind does not use (the header of a bearer token) is dropped.
	con := webtest.APICall(t, c, token, "POST", "/api/v1/connectors",
		`{"name":" Acme ","description":"tickets","baseUrl":"https://api.acme.test","auth":{"kind":"bearer","header":"X-Key"}}`, 201)
	id := int64(con["id"].(float64))
	path := fmt.Sprintf("/api/v1/connectors/%d", id)
	info := con["connector"].(map[string]any)
	if info["name"] != "Acme" || con["revision"] != 1.0 || info["auth"].(map[string]any)["header"] != nil || con["createdAt"] == "" {
		t.Fatalf("created %v", con)
	}
	if msg := errorMessage(webtest.APICall(t, c, token, "POST", "/api/v1/connectors", `{"name":"Acme","auth":{"kind":"none"}}`, 409)); msg != `Another connector is named "Acme"` {
		t.Errorf("a taken name: %q", msg)
	}
	if got := webtest.APICall(t, c, token, "GET", path, "", 200); got["connector"].(map[string]any)["description"] != "tickets" {
		t.Errorf("get %v", got)
	}

	changed := webtest.APICall(t, c, token, "PATCH", path, `{"revision":1,"description":"tickets and users"}`, 200)
	if changed["revision"] != 2.0 || changed["connector"].(map[string]any)["name"] != "Acme" ||
		changed["connector"].(map[string]any)["description"] != "tickets and users" {
		t.Fatalf("changed %v", changed)
	}
	webtest.APICall(t, c, token, "POST", "/api/v1/connectors", `{"name":"Other","auth":{"kind":"none"}}`, 201)
	refusals := []struct {
		name, body string
		status     int
		want       string
	}{
		{"stale revision", `{"revision":1,"name":"Acme 2"}`, 409, "The connector was changed since revision 1 (it is at revision 2 now); get it again and make your change to the newest revision"},
		{"no revision", `{"name":"Acme 2"}`, 422, `Give the revision of the connector that you changed (its \"revision\", from when you read it)`},
		{"taken name", `{"revision":2,"name":"Other"}`, 409, `Another connector is named \"Other\"`},
		{"invalid auth", `{"revision":2,"auth":{"kind":"oauth2_client_credentials"}}`, 422, "auth.tokenUrl"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			status, body := c.API(t, token, "PATCH", path, tt.body)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("%d %s, want %d saying %q", status, body, tt.status, tt.want)
			}
		})
	}
	if got := webtest.APICall(t, c, token, "GET", path, "", 200); got["revision"] != 2.0 || got["connector"].(map[string]any)["name"] != "Acme" {
		t.Fatalf("a refused change was written: %v", got)
	}

	webtest.APICall(t, c, token, "DELETE", path, "", 204)
	webtest.APICall(t, c, token, "GET", path, "", 404)
	webtest.APICall(t, c, token, "DELETE", path, "", 404)
	webtest.APICall(t, c, token, "PATCH", path, `{"revision":2}`, 404)
	webtest.APICall(t, c, token, "GET", "/api/v1/connectors/x", "", 404)
}

// listNames reads every page of a list, following next, and returns the
// names of its items.
func listNames(t *testing.T, c *webtest.Client, token, path string) []string {
	t.Helper()
	var names []string
	for page := 0; page < 20; page++ {
		var p struct {
			Items []struct {
				Name      string
				Connector struct{ Name string }
			}
			Next string
		}
		status, body := c.API(t, token, "GET", path, "")
		if status != 200 || json.Unmarshal([]byte(body), &p) != nil {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
		for _, it := range p.Items {
			names = append(names, it.Name+it.Connector.Name)
		}
		if p.Next == "" {
			return names
		}
		u, _ := url.Parse(path)
		q := u.Query()
		q.Del("offset")
		q.Set("cursor", p.Next)
		path = u.Path + "?" + q.Encode()
	}
	t.Fatal("the pages do not end")
	return nil
}

// TestAPIConnectorList pages through connectors by name with a cursor or
// an offset, filters them by a part of the name, and refuses a bad page,
// on SQLite and Postgres.
func TestAPIConnectorList(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			srv := webtest.StartWith(t, webtest.Options{DatabaseURL: db.URL(t)})
			c, token := srv.NewClient(), srv.Token(t)
			names := []string{"Zendesk", "acme", "Box", "GitHub", "Jira", "Okta", "Slack", "50% off", "Stripe"}
			for _, n := range names {
				webtest.APICall(t, c, token, "POST", "/api/v1/connectors", fmt.Sprintf(`{"name":%q,"auth":{"kind":"none"}}`, n), 201)
			}
			all := listNames(t, c, token, "/api/v1/connectors")
			if len(all) != len(names) {
				t.Fatalf("one page lists %v", all)
			}
			if got := listNames(t, c, token, "/api/v1/connectors?limit=2"); !slices.Equal(got, all) {
				t.Fatalf("pages of 2 list %v, want %v", got, all)
			}
			if got := listNames(t, c, token, "/api/v1/connectors?limit=3&offset=7"); !slices.Equal(got, all[7:]) {
				t.Fatalf("from offset 7: %v, want %v", got, all[7:])
			}
			// Items added before the cursor do not make a page repeat one.
			p := webtest.APICall(t, c, token, "GET", "/api/v1/connectors?limit=4", "", 200)
			webtest.APICall(t, c, token, "POST", "/api/v1/connectors", `{"name":"0 first","auth":{"kind":"none"}}`, 201)
			if got := listNames(t, c, token, "/api/v1/connectors?limit=4&cursor="+p["next"].(string)); !slices.Equal(got, all[4:]) {
				t.Fatalf("after the cursor: %v, want %v", got, all[4:])
			}
			for q, want := range map[string][]string{"st": {"0 first", "Stripe"}, "SL": {"Slack"}, "%": {"50% off"}, "_": nil, "git": {"GitHub"}} {
				if got := listNames(t, c, token, "/api/v1/connectors?q="+url.QueryEscape(q)); !slices.Equal(got, want) {
					t.Errorf("q=%s lists %v, want %v", q, got, want)
				}
			}
			for query, want := range map[string]string{
				"limit=101":          "The limit is a number of items, 1 to 100, not 101",
				"limit=ten":          `The limit is a number of items, 1 to 100, not "ten"`,
				"offset=-1":          "The offset is a number of items to skip, 0 or more, not -1",
				"cursor=zz&offset=2": "Give either a cursor or an offset, not both",
				"cursor=zz":          `The cursor "zz" is not one this list gave; start again without it`,
			} {
				if msg := errorMessage(webtest.APICall(t, c, token, "GET", "/api/v1/connectors?"+query, "", 422)); msg != want {
					t.Errorf("%s: %q, want %q", query, msg, want)
				}
			}
		})
	}
}

// flowDoc is a flow document as JSON.
func flowDoc(t *testing.T, def flows.Definition) string {
	t.Helper()
	b, err := flows.MarshalDefinition(def)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// shout is a valid helper flow document that upper-cases its text.
func shout(name string) flows.Definition {
	def, _ := flows.NewDefinition(flows.KindHelper, name)
	def.Event.Outputs = []flows.Field{{Key: "text", Type: flows.TypeText}}
	def.Cards = []flows.Node{{ID: "up", Type: "text.upper", Bindings: map[string]flows.Binding{"text": {Ref: &flows.Ref{Card: "event", Field: "text"}}}}}
	return def
}

// TestAPIConnectorFlows creates, lists, reads, changes and deletes a
// connector's flows through the API, with the builder's rules: a stale
// revision is a 409, an invalid document a 422 naming the problems, and a
// flow other flows call cannot be deleted (409 naming them).
func TestAPIConnectorFlows(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	con := webtest.APICall(t, c, token, "POST", "/api/v1/connectors", `{"name":"Acme","auth":{"kind":"none"}}`, 201)
	base := fmt.Sprintf("/api/v1/connectors/%d/flows", int64(con["id"].(float64)))
	other := webtest.APICall(t, c, token, "POST", "/api/v1/connectors", `{"name":"Other","auth":{"kind":"none"}}`, 201)

	helper := webtest.APICall(t, c, token, "POST", base, flowDoc(t, shout("Shout")), 201)
	helperID := int64(helper["id"].(float64))
	one := fmt.Sprintf("%s/%d", base, helperID)
	if helper["revision"] != 1.0 || helper["definition"].(map[string]any)["name"] != "Shout" {
		t.Fatalf("created %v", helper)
	}
	caller := shout("Caller")
	caller.Cards = append(caller.Cards, flows.Node{ID: "call", Type: flows.ControlCallFlow,
		Bindings: map[string]flows.Binding{"flow": {Value: float64(helperID)}}})
	callerID := int64(webtest.APICall(t, c, token, "POST", base, flowDoc(t, caller), 201)["id"].(float64))
	ping, _ := flows.NewDefinition(flows.KindAuthPing, "Ping")
	webtest.APICall(t, c, token, "POST", base, flowDoc(t, ping), 201)

	list := webtest.APICall(t, c, token, "GET", base, "", 200)
	var names []string
	for _, it := range list["items"].([]any) {
		names = append(names, it.(map[string]any)["name"].(string)+":"+it.(map[string]any)["kind"].(string))
	}
	if !slices.Equal(names, []string{"Caller:helper", "Ping:authping", "Shout:helper"}) {
		t.Fatalf("listed %v", names)
	}
	if got := webtest.APICall(t, c, token, "GET", one, "", 200); got["definition"].(map[string]any)["cards"].([]any)[0].(map[string]any)["type"] != "text.upper" {
		t.Fatalf("get %v", got)
	}

	louder := shout("Shout louder")
	changed := webtest.APICall(t, c, token, "PUT", one, fmt.Sprintf(`{"revision":1,"definition":%s}`, flowDoc(t, louder)), 200)
	if changed["revision"] != 2.0 || changed["definition"].(map[string]any)["name"] != "Shout louder" {
		t.Fatalf("changed %v", changed)
	}

	unbound := shout("Shout")
	unbound.Cards[0].Bindings = nil
	// A Webhook Event flow whose registration flows are another connector's.
	foreign := int64(webtest.APICall(t, c, token, "POST", fmt.Sprintf("/api/v1/connectors/%d/flows", int64(other["id"].(float64))),
		flowDoc(t, shout("Elsewhere")), 201)["id"].(float64))
	event, _ := flows.NewDefinition(flows.KindWebhookEvent, "New ticket")
	event.Webhook = &flows.WebhookSettings{RunMode: flows.RunSingle, Registration: &flows.FlowLink{Flow: foreign}, Deregistration: &flows.FlowLink{Flow: foreign}}
	workspace, _ := flows.NewDefinition(flows.KindWorkspace, "Mine")
	action, _ := flows.NewDefinition(flows.KindAction, "Shout")
	refusals := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"stale revision", "PUT", one, fmt.Sprintf(`{"revision":1,"definition":%s}`, flowDoc(t, shout("Again"))), 409,
			"The flow was changed since revision 1 (it is at revision 2 now)"},
		{"no revision", "PUT", one, fmt.Sprintf(`{"definition":%s}`, flowDoc(t, shout("Again"))), 422, "Give the revision of the flow"},
		{"no document", "PUT", one, `{"revision":2}`, 422, `whole new document in \"definition\"`},
		{"invalid document", "PUT", one, fmt.Sprintf(`{"revision":2,"definition":%s}`, flowDoc(t, unbound)), 422, `"card":"up","field":"text","code":"missing_input"`},
		{"another kind", "PUT", one, fmt.Sprintf(`{"revision":2,"definition":%s}`, flowDoc(t, action)), 422, "The flow is of kind helper and stays so"},
		{"taken name", "PUT", one, fmt.Sprintf(`{"revision":2,"definition":%s}`, flowDoc(t, shout("caller"))), 422, `The connector already has a flow named \"Caller\"`},
		{"not JSON", "POST", base, `{"schema":`, 422, `"status":422`},
		{"old schema", "POST", base, `{"schema":0,"kind":"helper","name":"x"}`, 422, "chema version 0 is not supported"},
		{"workspace flow", "POST", base, flowDoc(t, workspace), 422, "A connector flow is of kind action, helper"},
		{"registration flow of another connector", "POST", base, flowDoc(t, event), 422,
			`the registration flow must be a webhook_registration flow of this connector`},
		{"second Auth Ping", "POST", base, flowDoc(t, func() flows.Definition { d, _ := flows.NewDefinition(flows.KindAuthPing, "Ping 2"); return d }()), 422,
			`A connector has at most one Auth Ping flow; \"Ping\" is it`},
		{"flow of another connector", "GET", fmt.Sprintf("/api/v1/connectors/%d/flows/%d", int64(other["id"].(float64)), helperID), "", 404, "Not found."},
		{"no such connector", "POST", "/api/v1/connectors/999/flows", flowDoc(t, shout("Shout")), 404, "Not found."},
		{"called flow", "DELETE", one, "", 409, `\"Shout louder\" cannot be deleted: \"Caller\" uses it`},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			status, body := c.API(t, token, tt.method, tt.path, tt.body)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("%d %s, want %d saying %q", status, body, tt.status, tt.want)
			}
		})
	}
	if got := webtest.APICall(t, c, token, "GET", one, "", 200); got["revision"] != 2.0 {
		t.Fatalf("a refused change was written: %v", got)
	}
	webtest.APICall(t, c, token, "DELETE", fmt.Sprintf("%s/%d", base, callerID), "", 204)
	webtest.APICall(t, c, token, "DELETE", one, "", 204)
	webtest.APICall(t, c, token, "GET", one, "", 404)
}

// TestAPIConnectorVersions pages through a connector's deployed versions,
// newest first, and reads one with the export it deployed, on SQLite and
// Postgres.
func TestAPIConnectorVersions(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			apiConnectorVersions(t, webtest.StartWith(t, webtest.Options{DatabaseURL: db.URL(t)}))
		})
	}
}

func apiConnectorVersions(t *testing.T, srv *webtest.Server) {
	c, token := srv.NewClient(), srv.Token(t)
	con, f := webtest.BrokenConnector(t, srv)
	webtest.FixHelperFlow(t, srv, f)
	base := fmt.Sprintf("/api/v1/connectors/%d", con.ID)
	for range 3 {
		webtest.APICall(t, c, token, "POST", base+"/deploy", "", 201)
	}
	first := webtest.APICall(t, c, token, "GET", base+"/versions?limit=2", "", 200)
	items := first["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["version"] != 3.0 || items[1].(map[string]any)["createdBy"] != webtest.AdminEmail {
		t.Fatalf("first page %v", first)
	}
	second := webtest.APICall(t, c, token, "GET", base+"/versions?limit=2&cursor="+first["next"].(string), "", 200)
	if items := second["items"].([]any); len(items) != 1 || items[0].(map[string]any)["version"] != 1.0 || second["next"] != nil {
		t.Fatalf("second page %v", second)
	}
	if got := webtest.APICall(t, c, token, "GET", base+"/versions?offset=2", "", 200); len(got["items"].([]any)) != 1 {
		t.Fatalf("from offset 2: %v", got)
	}

	v := webtest.APICall(t, c, token, "GET", base+"/versions/2", "", 200)
	x := v["export"].(map[string]any)
	if v["version"] != 2.0 || x["connector"].(map[string]any)["name"] != "Acme" || x["flows"].([]any)[0].(map[string]any)["definition"].(map[string]any)["name"] != "Shout" {
		t.Fatalf("version 2: %v", v)
	}
	webtest.APICall(t, c, token, "GET", base+"/versions/4", "", 404)
	webtest.APICall(t, c, token, "GET", base+"/versions/x", "", 404)
	webtest.APICall(t, c, token, "GET", "/api/v1/connectors/999/versions", "", 404)
}

// TestAPIConnectorInUse refuses to delete a connector and a connection
// while a flow is ON with them (409 naming the flow), and deletes them
// once it is OFF.
func TestAPIConnectorInUse(t *testing.T) {
	srv, _, flowID, conID := onFlow(t)
	c, token := srv.NewClient(), srv.Token(t)
	f, _ := srv.Store.Flow(context.Background(), flowID)
	connPath := fmt.Sprintf("/api/v1/connections/%d", f.Definition.Source.Connection)
	conPath := fmt.Sprintf("/api/v1/connectors/%d", conID)
	if msg := errorMessage(webtest.APICall(t, c, token, "DELETE", connPath, "", 409)); msg != `Flow "New users" is ON with this connection; turn it off first` {
		t.Errorf("connection: %q", msg)
	}
	if msg := errorMessage(webtest.APICall(t, c, token, "DELETE", conPath, "", 409)); msg != `Flow "New users" (version 1) is ON with this connector; turn it off first` {
		t.Errorf("connector: %q", msg)
	}
	webtest.APICall(t, c, token, "GET", connPath, "", 200)
	webtest.APICall(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/off", flowID), "", 200)
	// Deregistration runs in the background; the flow is off once it has.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		status, body := c.API(t, token, "DELETE", connPath, "")
		if status == 204 {
			break
		}
		if status != 409 || time.Now().After(deadline) {
			t.Fatalf("delete after OFF: %d %s", status, body)
		}
	}
	webtest.APICall(t, c, token, "DELETE", conPath, "", 204)
	webtest.APICall(t, c, token, "GET", conPath, "", 404)
}
