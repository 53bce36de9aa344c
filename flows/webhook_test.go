package flows_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	. "github.com/hookflow/hookflow/flows/flowstest"
)

// webhookConnector is a connector export with a Registration flow (key 1,
// input "events"), a Deregistration flow (key 2) and a Webhook Event flow
// (key 3) linked to both.
func webhookConnector() flows.ConnectorExport {
	reg, _ := flows.NewDefinition(flows.KindWebhookRegistration, "Subscribe")
	reg.Event.Outputs = []flows.Field{{Key: "events", Type: flows.TypeText, Required: true}}
	dereg, _ := flows.NewDefinition(flows.KindWebhookDeregistration, "Unsubscribe")
	ev, _ := flows.NewDefinition(flows.KindWebhookEvent, "User created")
	ev.Cards = []flows.Node{{ID: "return", Type: flows.ControlReturn, Inputs: []flows.Field{{Key: "data", Type: flows.TypeObject}},
		Bindings: map[string]flows.Binding{"data": Ref("event", "body")}}}
	ev.Webhook = &flows.WebhookSettings{
		Options:        []flows.Field{{Key: "eventType", Label: "Event type", Type: flows.TypeText, Required: true}},
		Registration:   &flows.FlowLink{Flow: 1, Inputs: map[string]flows.Binding{"events": Ref(flows.OptionsCard, "eventType")}},
		Deregistration: &flows.FlowLink{Flow: 2},
		RunMode:        flows.RunEach, RecordsPath: "data.events",
		Security: flows.WebhookSecurity{VerificationChallenge: true, SignatureHeader: "X-Signature", Secret: "registration.secret", DedupePath: "data.events.0.uuid"},
	}
	return flows.ConnectorExport{Schema: 1, Connector: flows.ConnectorInfo{Name: "Acme", Auth: flows.AuthDefinition{Kind: flows.AuthNone}},
		Flows: []flows.ExportedFlow{{Key: "1", Definition: reg}, {Key: "2", Definition: dereg}, {Key: "3", Definition: ev}}}
}

func TestWebhookSettings(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(x *flows.ConnectorExport, w *flows.WebhookSettings)
		field string
	}{
		{"valid", func(*flows.ConnectorExport, *flows.WebhookSettings) {}, ""},
		{"unknown run mode", func(_ *flows.ConnectorExport, w *flows.WebhookSettings) { w.RunMode = "batch" }, "webhook.runMode"},
		{"records path missing", func(_ *flows.ConnectorExport, w *flows.WebhookSettings) { w.RecordsPath = "" }, "webhook.recordsPath"},
		{"bad ack status", func(_ *flows.ConnectorExport, w *flows.WebhookSettings) { w.AckStatus = 201 }, "webhook.ackStatus"},
		{"bad method", func(_ *flows.ConnectorExport, w *flows.WebhookSettings) { w.Methods = []string{"BREW"} }, "webhook.methods"},
		{"secret without source", func(_ *flows.ConnectorExport, w *flows.WebhookSettings) { w.Security.Secret = "" }, "webhook.security.secret"},
		{"two dedupe keys", func(_ *flows.ConnectorExport, w *flows.WebhookSettings) { w.Security.DedupeHeader = "X-Id" }, "webhook.security.dedupePath"},
		{"mapping from a missing option", func(_ *flows.ConnectorExport, w *flows.WebhookSettings) {
			w.Registration.Inputs["events"] = Ref(flows.OptionsCard, "nope")
		}, "webhook.link.events"},
		{"no deregistration", func(_ *flows.ConnectorExport, w *flows.WebhookSettings) { w.Deregistration = nil }, "webhook.deregistration"},
		{"registration of the wrong kind", func(_ *flows.ConnectorExport, w *flows.WebhookSettings) { w.Registration.Flow = 2 }, "webhook.registration"},
		{"required registration input unmapped", func(_ *flows.ConnectorExport, w *flows.WebhookSettings) { w.Registration.Inputs = nil }, "webhook.registration"},
		{"mapping onto a missing input", func(_ *flows.ConnectorExport, w *flows.WebhookSettings) {
			w.Deregistration.Inputs = map[string]flows.Binding{"colour": Static("red")}
		}, "webhook.deregistration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := webhookConnector()
			tt.edit(&x, x.Flows[2].Definition.Webhook)
			err := flows.ValidateConnector(x, Registry())
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ve *flows.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v", err)
			}
			for _, p := range ve.Problems {
				if p.Field == tt.field {
					return
				}
			}
			t.Fatalf("problems %+v, want one on %s", ve.Problems, tt.field)
		})
	}
	// A connector whose Webhook Event flow is not configured cannot be deployed.
	x := webhookConnector()
	x.Flows[2].Definition.Webhook = nil
	if err := flows.ValidateConnector(x, Registry()); err == nil || !strings.Contains(err.Error(), "configure the registration") {
		t.Fatalf("unconfigured webhook: %v", err)
	}
	// Settings belong to Webhook Event flows only.
	x = webhookConnector()
	x.Flows[0].Definition.Webhook = &flows.WebhookSettings{RunMode: flows.RunSingle}
	if err := flows.ValidateConnector(x, Registry()); err == nil {
		t.Fatal("webhook settings on a registration flow accepted")
	}
}

// TestEventFlowNeedsOutputs: a Webhook Event flow whose event card would
// have no outputs (no Return card, or one without fields) is refused, with
// the reason in words naming the flow.
func TestEventFlowNeedsOutputs(t *testing.T) {
	tests := []struct {
		name  string
		cards []flows.Node
		want  string
	}{
		{"no Return card", nil, `flow "User created": a Webhook Event flow ends in a Return card`},
		{"Return only inside a lane", []flows.Node{{ID: "if", Type: flows.ControlIfElse, Lanes: []flows.Lane{{Name: "then", Cards: []flows.Node{{ID: "r", Type: flows.ControlReturn,
			Inputs: []flows.Field{{Key: "data", Type: flows.TypeObject}}}}}}, Bindings: map[string]flows.Binding{"a": Static("x"), "operator": Static("equals"), "b": Static("x")}}},
			`flow "User created": a Webhook Event flow ends in a Return card`},
		{"Return without fields", []flows.Node{{ID: "return", Type: flows.ControlReturn}}, `flow "User created": its Return card has no fields`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := webhookConnector()
			x.Flows[2].Definition.Cards = tt.cards
			var ve *flows.ValidationError
			if err := flows.ValidateConnector(x, Registry()); !errors.As(err, &ve) {
				t.Fatalf("err = %v", err)
			}
			for _, p := range ve.Problems {
				if p.Code == "event_return" && strings.Contains(p.Message, tt.want) {
					return
				}
			}
			t.Fatalf("problems %+v, want %q", ve.Problems, tt.want)
		})
	}
}

func TestRemapCallsMovesWebhookLinks(t *testing.T) {
	x := webhookConnector()
	def := x.Flows[2].Definition
	def.RemapCalls(map[int64]int64{1: 11, 2: 12})
	if def.Webhook.Registration.Flow != 11 || def.Webhook.Deregistration.Flow != 12 {
		t.Fatalf("links = %d %d", def.Webhook.Registration.Flow, def.Webhook.Deregistration.Flow)
	}
}
