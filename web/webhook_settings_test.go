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

func TestWebhookSettingsRefusals(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	con, reg, _, ev := webtest.WebhookFlows(t, srv)
	path := fmt.Sprintf("/connectors/%d/flows/%d/webhook", con.ID, ev.ID)
	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{"stale revision", url.Values{"revision": {"7"}, "runMode": {"single"}}, "changed elsewhere"},
		{"signature without a secret source", url.Values{"revision": {"1"}, "runMode": {"single"}, "signatureHeader": {"X-Sig"}}, "where the secret comes from"},
		{"unknown run mode", url.Values{"revision": {"1"}, "runMode": {"sometimes"}}, "choose a run mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res, _ := webtest.PostConnectorForm(t, c, path, tt.form); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d", res.StatusCode)
			}
			_, body := c.Get(t, fmt.Sprintf("/connectors/%d/flows/%d", con.ID, ev.ID))
			if msg := parse(t, body).Find(`[data-testid="flash-error"]`).Text(); !strings.Contains(msg, tt.want) {
				t.Fatalf("flash %q, want %q", msg, tt.want)
			}
			if got, _ := srv.Store.Flow(context.Background(), ev.ID); got.Definition.Webhook != nil {
				t.Fatal("refused settings were saved")
			}
		})
	}
	// Settings on a flow of another kind are refused.
	if res, _ := webtest.PostConnectorForm(t, c, fmt.Sprintf("/connectors/%d/flows/%d/webhook", con.ID, reg.ID), url.Values{"revision": {"1"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("settings on a registration flow: %d", res.StatusCode)
	}
}

func TestWebhookSettingsCreateLinkedFlows(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	con, _, _, ev := webtest.WebhookFlows(t, srv)
	// A flow already holds the first choice of name: the new one takes the next.
	def, _ := flows.NewDefinition(flows.KindHelper, "User created Registration")
	if _, err := srv.Store.CreateFlow(context.Background(), flows.Flow{ConnectorID: con.ID, Definition: def}); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/connectors/%d/flows/%d/webhook", con.ID, ev.ID)
	form := url.Values{"revision": {"1"}, "runMode": {"single"}, "reg.flow": {"new"}, "dereg.flow": {"new"}}
	if res, _ := webtest.PostConnectorForm(t, c, path, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", res.StatusCode)
	}
	got, _ := srv.Store.Flow(context.Background(), ev.ID)
	w := got.Definition.Webhook
	if w == nil || w.Registration == nil || w.Deregistration == nil {
		t.Fatalf("settings %+v", w)
	}
	for _, tt := range []struct {
		name string
		id   int64
		kind flows.Kind
		want string
	}{
		{"registration", w.Registration.Flow, flows.KindWebhookRegistration, "User created Registration 2"},
		{"deregistration", w.Deregistration.Flow, flows.KindWebhookDeregistration, "User created Deregistration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := srv.Store.Flow(context.Background(), tt.id)
			if err != nil || f.Definition.Kind != tt.kind || f.Definition.Name != tt.want || f.ConnectorID != con.ID {
				t.Fatalf("linked flow %+v, %v", f, err)
			}
		})
	}
	_, body := c.Get(t, fmt.Sprintf("/connectors/%d/flows/%d", con.ID, ev.ID))
	if sel := parse(t, body).Find(`[data-testid="webhook-reg-flow"] option[selected]`).Text(); sel != "User created Registration 2" {
		t.Fatalf("the panel selects %q", sel)
	}
}
