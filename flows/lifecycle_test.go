package flows_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"

	"github.com/hookflow/hookflow/flows"
)

func TestRecords(t *testing.T) {
	out := map[string]any{"kind": "batch", "events": []any{map[string]any{"n": 1.0}, map[string]any{"n": 2.0}}}
	tests := []struct {
		name    string
		w       flows.WebhookSettings
		want    []map[string]any
		wantErr bool
	}{
		{"single", flows.WebhookSettings{RunMode: flows.RunSingle}, []map[string]any{out}, false},
		{"each", flows.WebhookSettings{RunMode: flows.RunEach, RecordsPath: "events"}, []map[string]any{
			{"kind": "batch", "events": map[string]any{"n": 1.0}}, {"kind": "batch", "events": map[string]any{"n": 2.0}}}, false},
		{"list", flows.WebhookSettings{RunMode: flows.RunList, RecordsPath: "events"}, []map[string]any{out}, false},
		{"each without a path", flows.WebhookSettings{RunMode: flows.RunEach}, nil, true},
		{"each over a non-list", flows.WebhookSettings{RunMode: flows.RunEach, RecordsPath: "kind"}, nil, true},
		{"each over nothing", flows.WebhookSettings{RunMode: flows.RunEach, RecordsPath: "missing"}, []map[string]any{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := flows.Records(tt.w, out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHookCheck(t *testing.T) {
	body := []byte(`{"a":1}`)
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write(body)
	sum := mac.Sum(nil)
	sig := flows.Hook{Secret: "s3cret", Settings: flows.WebhookSettings{Security: flows.WebhookSecurity{SignatureHeader: "X-Sig"}}}
	hdr := flows.Hook{Secret: "s3cret", Settings: flows.WebhookSettings{Security: flows.WebhookSecurity{SecretHeader: "X-Token"}}}
	tests := []struct {
		name    string
		hook    flows.Hook
		headers map[string]string
		status  int // 0: accepted
	}{
		{"hex signature", sig, map[string]string{"x-sig": hex.EncodeToString(sum)}, 0},
		{"prefixed signature", sig, map[string]string{"x-sig": "sha256=" + hex.EncodeToString(sum)}, 0},
		{"base64 signature", sig, map[string]string{"x-sig": base64.StdEncoding.EncodeToString(sum)}, 0},
		{"wrong signature", sig, map[string]string{"x-sig": hex.EncodeToString(sum[:31]) + "00"}, 403},
		{"missing signature", sig, map[string]string{}, 401},
		{"secret header", hdr, map[string]string{"x-token": "s3cret"}, 0},
		{"wrong secret", hdr, map[string]string{"x-token": "s3cres"}, 403},
		{"missing secret", hdr, map[string]string{}, 401},
		{"no secret resolved refuses", flows.Hook{Settings: hdr.Settings}, map[string]string{"x-token": ""}, 403},
		{"no rules", flows.Hook{}, map[string]string{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.hook.Check(tt.headers, body)
			var rej *flows.Rejection
			switch {
			case tt.status == 0 && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.status != 0 && (!errors.As(err, &rej) || rej.Status != tt.status):
				t.Fatalf("err = %v, want status %d", err, tt.status)
			}
		})
	}
}

func TestHookDedupeKey(t *testing.T) {
	body := []byte(`{"data":{"events":[{"uuid":"u1"}]}}`)
	tests := []struct {
		name string
		sec  flows.WebhookSecurity
		want string
	}{
		{"header", flows.WebhookSecurity{DedupeHeader: "X-Id"}, "d1"},
		{"path", flows.WebhookSecurity{DedupePath: "data.events.0.uuid"}, "u1"},
		{"missing path", flows.WebhookSecurity{DedupePath: "data.nothing"}, ""},
		{"none", flows.WebhookSecurity{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := flows.Hook{Settings: flows.WebhookSettings{Security: tt.sec}}
			if got := h.DedupeKey(map[string]string{"x-id": "d1"}, body); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConnectorEvent(t *testing.T) {
	ev, _ := flows.NewDefinition(flows.KindWebhookEvent, "User event")
	ev.Cards = []flows.Node{{ID: "return", Type: flows.ControlReturn, Inputs: []flows.Field{
		{Key: "events", Type: flows.ListOf(flows.TypeObject)}, {Key: "source", Type: flows.TypeText}}}}
	ev.Webhook = &flows.WebhookSettings{RunMode: flows.RunEach, RecordsPath: "events",
		Options: []flows.Field{{Key: "kind", Type: flows.TypeText, Required: true}}}
	v := flows.ConnectorVersion{ConnectorID: 7, Version: 2, Export: flows.ConnectorExport{
		Connector: flows.ConnectorInfo{Name: "Acme"}, Flows: []flows.ExportedFlow{{Key: "5", Definition: ev}}}}
	n, src, err := flows.ConnectorEvent(v, 5)
	if err != nil {
		t.Fatal(err)
	}
	if *src != (flows.EventSource{Connector: 7, Version: 2, Flow: 5}) || n.Type != flows.EventConnector || n.Label != "Acme: User event" {
		t.Fatalf("event %+v from %+v", n, src)
	}
	// In run mode "each" the records field holds one record.
	want := []flows.Field{{Key: "events", Type: flows.TypeObject}, {Key: "source", Type: flows.TypeText}}
	if !reflect.DeepEqual(n.Outputs, want) || len(n.Inputs) != 1 || n.Inputs[0].Key != "kind" {
		t.Fatalf("outputs %+v inputs %+v", n.Outputs, n.Inputs)
	}
	if _, _, err := flows.ConnectorEvent(v, 6); !errors.Is(err, flows.ErrNotFound) {
		t.Fatalf("unknown event: %v", err)
	}
}

func TestValidateConnection(t *testing.T) {
	custom := flows.AuthDefinition{Kind: flows.AuthCustom, Fields: []flows.AuthField{
		{Key: "region", Label: "Region", Type: "dropdown", Choices: []string{"eu", "us"}, Required: true},
		{Key: "note", Label: "Note", Type: "text"}}}
	tests := []struct {
		name  string
		auth  flows.AuthDefinition
		c     flows.Connection
		field string // the problem expected, "" for none
	}{
		{"basic", flows.AuthDefinition{Kind: flows.AuthBasic}, flows.Connection{Name: "a", Values: map[string]string{"username": "u", "password": "p"}}, ""},
		{"missing password", flows.AuthDefinition{Kind: flows.AuthBasic}, flows.Connection{Name: "a", Values: map[string]string{"username": "u"}}, "values.password"},
		{"no name", flows.AuthDefinition{Kind: flows.AuthNone}, flows.Connection{Values: map[string]string{}}, "name"},
		{"unknown field", flows.AuthDefinition{Kind: flows.AuthBearer}, flows.Connection{Name: "a", Values: map[string]string{"token": "t", "x": "y"}}, "values.x"},
		{"dropdown choice", custom, flows.Connection{Name: "a", Values: map[string]string{"region": "eu"}}, ""},
		{"dropdown outside its choices", custom, flows.Connection{Name: "a", Values: map[string]string{"region": "mars"}}, "values.region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := flows.ValidateConnection(tt.c, tt.auth)
			var ve *flows.ValidationError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.field != "" && (!errors.As(err, &ve) || ve.Problems[0].Field != tt.field):
				t.Fatalf("err = %v, want a problem with %s", err, tt.field)
			}
		})
	}
}
