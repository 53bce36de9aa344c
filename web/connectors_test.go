package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

func acmeForm() url.Values {
	return url.Values{
		"name": {"Acme <script>alert(1)</script>"}, "description": {"Acme's API"}, "baseUrl": {"https://api.acme.test/v1"},
		"auth.kind":         {"custom"},
		"auth.fields.0.key": {"tenant"}, "auth.fields.0.label": {"Tenant"}, "auth.fields.0.type": {"dropdown"}, "auth.fields.0.choices": {"eu, us"}, "auth.fields.0.required": {"true"},
		"auth.fields.1.key": {"secret"}, "auth.fields.1.label": {"Secret"}, "auth.fields.1.type": {"password"},
		"auth.fields.2.key": {""}, "auth.fields.2.label": {""}, "auth.fields.2.type": {"text"},
	}
}

func TestConnectorCreateEditDelete(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	ctx := context.Background()

	res, _ := webtest.PostConnectorForm(t, c, "/connectors", acmeForm())
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	list, _ := srv.Store.Connectors(ctx)
	if len(list) != 1 {
		t.Fatalf("connectors = %d", len(list))
	}
	con := list[0]
	want := flows.AuthDefinition{Kind: flows.AuthCustom, Fields: []flows.AuthField{
		{Key: "tenant", Label: "Tenant", Type: "dropdown", Choices: []string{"eu", "us"}, Required: true},
		{Key: "secret", Label: "Secret", Type: "password"}}}
	if con.Info.BaseURL != "https://api.acme.test/v1" || len(con.Info.Auth.Fields) != 2 || con.Info.Auth.Fields[0].Choices[1] != "us" || !con.Info.Auth.Fields[0].Required {
		t.Fatalf("stored %+v, want auth %+v", con.Info, want)
	}
	// A new connector opens on its Flows tab.
	loc := res.Header.Get("Location")
	show, ok := strings.CutSuffix(loc, "?tab=flows")
	if !ok {
		t.Fatalf("create leads to %q", loc)
	}
	_, body := c.Get(t, loc)
	if strings.Contains(body, "<script>alert(1)</script>") || !strings.Contains(body, "&lt;script&gt;") {
		t.Fatal("the name is not escaped")
	}
	if !strings.Contains(parse(t, body).Find(`[data-testid="flash-success"]`).Text(), "created") {
		t.Error("no flash after create")
	}

	// The list shows it.
	_, body = c.Get(t, "/connectors")
	if parse(t, body).Find(`[data-testid="connector-row"]`).Length() != 1 {
		t.Fatal("not listed")
	}

	// Edit, then a save from a stale copy is refused and changes nothing.
	form := acmeForm()
	form.Set("name", "Acme")
	form.Set("revision", "1")
	if res, _ := webtest.PostConnectorForm(t, c, show, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: %d", res.StatusCode)
	}
	form.Set("name", "Acme from a stale tab")
	res, body = webtest.PostConnectorForm(t, c, show, form)
	if res.StatusCode != http.StatusConflict || !strings.Contains(parse(t, body).Find(`[data-testid="form-error"]`).Text(), "saved this connector after you opened it") {
		t.Fatalf("stale save: %d", res.StatusCode)
	}
	if got, _ := srv.Store.Connector(ctx, con.ID); got.Info.Name != "Acme" || got.Revision != 2 {
		t.Fatalf("stale save changed the connector: %+v", got)
	}

	// Delete asks first, then deletes.
	_, body = c.Get(t, show+"/delete")
	if parse(t, body).Find(`[data-testid="delete-confirm"]`).Length() != 1 {
		t.Fatal("no confirmation page")
	}
	if res, _ := webtest.PostConnectorForm(t, c, show+"/delete", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if n, _ := srv.Store.CountConnectors(ctx); n != 0 {
		t.Fatal("not deleted")
	}
	if res, _ := c.Get(t, show); res.StatusCode != http.StatusNotFound {
		t.Fatalf("deleted connector: %d", res.StatusCode)
	}
}

func TestConnectorFormErrorsNextToFields(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	tests := []struct {
		name  string
		edit  func(url.Values)
		field string
	}{
		{"no name", func(f url.Values) { f.Set("name", " ") }, "name"},
		{"bad base URL", func(f url.Values) { f.Set("baseUrl", "javascript:alert(1)") }, "baseUrl"},
		{"api key without header", func(f url.Values) { f.Set("auth.kind", "api_key_header") }, "auth.header"},
		{"field without label", func(f url.Values) { f.Set("auth.fields.1.label", "") }, "auth.fields.1.label"},
		{"dropdown without choices", func(f url.Values) { f.Set("auth.fields.0.choices", " , ") }, "auth.fields.0.choices"},
		{"unknown auth kind", func(f url.Values) { f.Set("auth.kind", "telepathy") }, "auth.kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := acmeForm()
			tt.edit(form)
			res, body := webtest.PostConnectorForm(t, c, "/connectors", form)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", res.StatusCode)
			}
			doc := parse(t, body)
			if doc.Find(`[data-testid="error-`+tt.field+`"]`).Length() != 1 {
				t.Fatalf("no error next to %s", tt.field)
			}
			// What was typed is kept.
			if v, _ := doc.Find(`[data-testid="auth.fields.0.key"]`).Attr("value"); v != "tenant" {
				t.Errorf("the form lost its values: key 0 = %q", v)
			}
		})
	}
	if n, _ := srv.Store.CountConnectors(context.Background()); n != 0 {
		t.Fatalf("invalid forms stored %d connectors", n)
	}
	// A taken name is refused next to the name.
	webtest.PostConnectorForm(t, c, "/connectors", acmeForm())
	res, body := webtest.PostConnectorForm(t, c, "/connectors", acmeForm())
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Another connector has this name") {
		t.Fatalf("duplicate name: %d", res.StatusCode)
	}
}
