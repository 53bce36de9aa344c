package flows_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	. "github.com/hookflow/hookflow/flows/flowstest"
)

func TestConvert(t *testing.T) {
	when := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		in      any
		to      flows.Type
		want    any
		wantErr string
	}{
		{"text to number", " 42.5 ", flows.TypeNumber, 42.5, ""},
		{"bad text to number", "4x", flows.TypeNumber, nil, "cannot convert text to number"},
		{"integer number to text", 42.0, flows.TypeText, "42", ""},
		{"fraction to text", 0.25, flows.TypeText, "0.25", ""},
		{"int to number", 7, flows.TypeNumber, 7.0, ""},
		{"text to boolean", "TRUE", flows.TypeBool, true, ""},
		{"bad text to boolean", "perhaps", flows.TypeBool, nil, "is not true or false"},
		{"boolean to text", false, flows.TypeText, "false", ""},
		{"text to date", "2026-11-22T10:00:00Z", flows.TypeDate, when, ""},
		{"date only to date", "2026-11-22", flows.TypeDate, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), ""},
		{"date to text", when, flows.TypeText, "2026-11-22T10:00:00Z", ""},
		{"bad date", "yesterday", flows.TypeDate, nil, "not an ISO 8601 date-time"},
		{"object to JSON text", map[string]any{"a": 1.0}, flows.TypeText, `{"a":1}`, ""},
		{"JSON text to object", `{"a":[1,2]}`, flows.TypeObject, map[string]any{"a": []any{1.0, 2.0}}, ""},
		{"text that is no object", `[1]`, flows.TypeObject, nil, "not a JSON object"},
		{"number to object", 3.0, flows.TypeObject, nil, "cannot convert number to object"},
		{"list element-wise", []any{"1", "2"}, flows.ListOf(flows.TypeNumber), []any{1.0, 2.0}, ""},
		{"list with a bad item", []any{"1", "x"}, flows.ListOf(flows.TypeNumber), nil, "item 1"},
		{"JSON text to list", `["a"]`, flows.ListOf(flows.TypeText), []any{"a"}, ""},
		{"object to list", map[string]any{}, flows.ListOf(flows.TypeAny), nil, "cannot convert object to list<any>"},
		{"nil stays nil", nil, flows.TypeNumber, nil, ""},
		{"any takes anything", map[string]any{"x": 1.0}, flows.TypeAny, map[string]any{"x": 1.0}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := flows.Convert(tt.in, tt.to)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, flows.ErrConvert) {
					t.Fatalf("err = %v, want %q (ErrConvert)", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Convert = %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name string
		a    any
		op   flows.Operator
		b    any
		want bool
	}{
		{"numbers numerically", 10.0, flows.OpGreater, 9.0, true},
		{"number with numeric text", 10.0, flows.OpGreater, "9", true},
		{"text case-sensitively", "a", flows.OpEqual, "A", false},
		{"text order", "apple", flows.OpLess, "banana", true},
		{"dates as instants", "2026-01-02T00:00:00+01:00", flows.OpEqual, time.Date(2026, 1, 1, 23, 0, 0, 0, time.UTC), true},
		{"ends with", "ada@example.com", flows.OpEndsWith, "@example.com", true},
		{"starts with", "ada@example.com", flows.OpStartsWith, "bob", false},
		{"contains in text", "hello world", flows.OpContains, "lo w", true},
		{"contains in list", []any{1.0, 2.0}, flows.OpContains, "2", true},
		{"not contains", []any{"a"}, flows.OpNotContains, "b", true},
		{"is empty", "", flows.OpIsEmpty, nil, true},
		{"empty list", []any{}, flows.OpIsEmpty, nil, true},
		{"not empty", map[string]any{"a": 1.0}, flows.OpIsNotEmpty, nil, true},
		{"objects equal", map[string]any{"a": 1.0}, flows.OpEqual, map[string]any{"a": 1.0}, true},
		{"booleans", true, flows.OpNotEqual, false, true},
		{"greater or equal", 3.0, flows.OpGreaterOrEqual, 3.0, true},
		{"less or equal", 4.0, flows.OpLessOrEqual, 3.0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := flows.Compare(tt.a, tt.op, tt.b)
			if err != nil || got != tt.want {
				t.Fatalf("Compare(%v %s %v) = %v, %v; want %v", tt.a, tt.op, tt.b, got, err, tt.want)
			}
		})
	}
	if _, err := flows.Compare(map[string]any{}, flows.OpGreater, 1.0); err == nil {
		t.Error("ordering an object is not an error")
	}
	if _, err := flows.Compare(1.0, "bigger", 1.0); err == nil {
		t.Error("an unknown operator is not an error")
	}
}

func TestLookup(t *testing.T) {
	v := map[string]any{"a": []any{map[string]any{"b": "x"}}, "s": "text"}
	tests := []struct {
		path    string
		want    any
		wantErr bool
	}{
		{"a.0.b", "x", false},
		{"a.-1.b", "x", false},
		{"a.5.b", nil, false},
		{"missing.deeper", nil, false},
		{"a.first", nil, true},
		{"s.inner", nil, true},
	}
	for _, tt := range tests {
		got, err := flows.Lookup(v, tt.path)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Lookup(%q) = %v, %v", tt.path, got, err)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Flow(Manual(F("name", text)), Card("up", "fake.upper", In("text", Ref("event", "name"))))
	reg := func(d flows.Definition, k flows.Kind, typ string, cards ...flows.Node) flows.Definition {
		d = Flow(Event(typ), cards...)
		d.Kind = k
		return d
	}
	tests := []struct {
		name  string
		def   flows.Definition
		card  string
		field string
		code  string
	}{
		{"valid flow", ok, "", "", ""},
		{"no name", func() flows.Definition { d := ok; d.Name = " "; return d }(), "", "name", "name"},
		{"long name", func() flows.Definition { d := ok; d.Name = strings.Repeat("n", 101); return d }(), "", "name", "name"},
		{"unknown schema", func() flows.Definition { d := ok; d.Schema = 9; return d }(), "", "", "schema"},
		{"unknown card type", Flow(Manual(), Card("x", "fake.nope")), "x", "", "unknown_card"},
		{"duplicate ids", Flow(Manual(), Card("x", flows.ControlComment), Card("x", flows.ControlComment)), "x", "", "card_id"},
		{"reference to a later card", Flow(Manual(), Card("a", "fake.upper", In("text", Ref("b", "output"))), Card("b", "fake.upper", In("text", Static("x")))),
			"a", "text", "bad_ref"},
		{"reference to an unknown card", Flow(Manual(), Card("a", "fake.upper", In("text", Ref("zz", "output")))), "a", "text", "bad_ref"},
		{"reference to an unknown output", Flow(Manual(F("n", text)), Card("a", "fake.upper", In("text", Ref("event", "nope")))), "a", "text", "bad_ref"},
		{"reference into another branch", Flow(Manual(),
			Card("if", flows.ControlIfElse, In("a", Static(1.0)), In("b", Static(1.0)),
				Lane("then", Cards(Card("t", "fake.upper", In("text", Static("x"))))),
				Lane("else", Cards(Card("e", "fake.upper", In("text", Ref("t", "output"))))))), "e", "text", "bad_ref"},
		{"reference out of a lane after it", Flow(Manual(),
			Card("if", flows.ControlIfElse, In("a", Static(1.0)), In("b", Static(1.0)), Lane("then", Cards(Card("t", "fake.upper", In("text", Static("x")))))),
			Card("after", "fake.upper", In("text", Ref("t", "output")))), "after", "text", "bad_ref"},
		{"missing required input", Flow(Manual(), Card("a", "fake.upper")), "a", "text", "missing_input"},
		{"static value of the wrong type", Flow(Manual(), Card("w", flows.ControlWaitFor, In("amount", Static("soon")))), "w", "amount", "type_mismatch"},
		{"reference of an inconvertible type", Flow(Manual(F("o", object)), Card("w", flows.ControlWaitFor, In("amount", Ref("event", "o")))), "w", "amount", "type_mismatch"},
		{"operator not in the choices", Flow(Manual(), Card("c", flows.ControlContinueIf, In("operator", Static("roughly")))), "c", "operator", "choice"},
		{"unknown input", Flow(Manual(), Card("a", "fake.upper", In("text", Static("x")), In("colour", Static("red")))), "a", "colour", "unknown_input"},
		{"field key with a dot", Flow(Manual(F("a.b", text))), "event", "a.b", "field_key"},
		{"duplicate field keys", Flow(Manual(), Card("as", flows.ControlAssign, Inputs(F("x", text), F("x", text)))), "as", "x", "field_key"},
		{"wrong event for the kind", reg(ok, flows.KindWebhookRegistration, flows.EventManual), "event", "", "event_type"},
		{"registration without return", reg(ok, flows.KindWebhookRegistration, flows.EventRegistration), "", "", "registration_return"},
		{"registration return with other fields", reg(ok, flows.KindWebhookRegistration, flows.EventRegistration,
			Card("r", flows.ControlReturn, Inputs(F(flows.FieldRegistrationData, object), F("extra", text)))), "r", "", "registration_return"},
		{"registration return that is right", reg(ok, flows.KindWebhookRegistration, flows.EventRegistration,
			Card("r", flows.ControlReturn, Inputs(F(flows.FieldRegistrationData, object)), In(flows.FieldRegistrationData, Static(map[string]any{"id": "1"})))), "", "", ""},
		{"deregistration with a return", reg(ok, flows.KindWebhookDeregistration, flows.EventDeregistration,
			Card("r", flows.ControlReturn)), "r", "", "deregistration_return"},
		{"deregistration using registration data", reg(ok, flows.KindWebhookDeregistration, flows.EventDeregistration,
			Card("u", "fake.upper", In("text", Text("/subscriptions/", Ref("event", flows.FieldRegistrationData, "id"))))), "", "", ""},
		{"added inputs on a fixed card", Flow(Manual(), Card("a", "fake.upper", Inputs(F("x", text)), In("text", Static("x")))), "a", "", "field_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := flows.Validate(tt.def, Registry())
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var ve *flows.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, flows.ErrInvalid) {
				t.Fatalf("Validate = %v, want a ValidationError", err)
			}
			for _, p := range ve.Problems {
				if p.Code == tt.code && p.Card == tt.card && p.Field == tt.field {
					return
				}
			}
			t.Fatalf("problems %+v, want code %s on card %q field %q", ve.Problems, tt.code, tt.card, tt.field)
		})
	}
}

func TestDefinitionRoundTrip(t *testing.T) {
	def := Flow(Manual(F("email", text)),
		Card("branch", flows.ControlIfElse, In("a", Ref("event", "email")), In("operator", Static("ends_with")), In("b", Static("@example.com")),
			Outputs(F("internal", flows.TypeBool)),
			Lane("then", Cards(Card("t", "fake.upper", In("text", Text("x ", Ref("event", "email"))), OnError(flows.ErrorPolicy{Retries: 2, DelayMS: 100, Then: flows.ErrorHalt}))), Sets("internal", Static(true))),
			Lane("else", nil, Sets("internal", Static(false)))))
	b1, err := flows.MarshalDefinition(def)
	if err != nil {
		t.Fatal(err)
	}
	got, err := flows.ParseDefinition(b1)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := flows.MarshalDefinition(got)
	if !bytes.Equal(b1, b2) {
		t.Fatalf("import of an export differs:\n%s\n%s", b1, b2)
	}
	for _, bad := range []string{`{"schema":2,"kind":"workspace","name":"x","event":{"id":"e","type":"event.manual"},"cards":[]}`,
		`{"schema":1,"kind":"workspace","name":"x","colour":"red"}`, `{"schema":1} trailing`, `not json`} {
		if _, err := flows.ParseDefinition([]byte(bad)); !errors.Is(err, flows.ErrInvalid) {
			t.Errorf("ParseDefinition(%s) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestConnectorRoundTrip(t *testing.T) {
	x := flows.ConnectorExport{Schema: flows.SchemaVersion,
		Connector: flows.ConnectorInfo{Name: "Acme", BaseURL: "https://api.acme.test", Auth: flows.AuthDefinition{Kind: flows.AuthAPIKeyHeader, Header: "X-Api-Key",
			Fields: []flows.AuthField{{Key: "api_key", Label: "API key", Type: "password", Required: true}}, Hosts: []string{"https://uploads.acme.test"}}},
		Flows: []flows.ExportedFlow{{Key: "reg", Definition: Kind(Flow(Event(flows.EventRegistration)), flows.KindWebhookRegistration)}}}
	b1, err := flows.MarshalConnector(x)
	if err != nil {
		t.Fatal(err)
	}
	got, err := flows.ParseConnector(b1)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := flows.MarshalConnector(got)
	if !bytes.Equal(b1, b2) || !bytes.Contains(b1, []byte(`"hosts": [`)) {
		t.Fatalf("import of an export differs:\n%s\n%s", b1, b2)
	}
	x.Flows = append(x.Flows, x.Flows[0])
	b3, _ := flows.MarshalConnector(x)
	if _, err := flows.ParseConnector(b3); !errors.Is(err, flows.ErrInvalid) {
		t.Fatalf("repeated flow key: %v", err)
	}
}

func FuzzParseDefinition(f *testing.F) {
	seed, _ := flows.MarshalDefinition(Flow(Manual(F("n", text)), Card("a", "fake.upper", In("text", Text("x", Ref("event", "n"))))))
	f.Add(seed)
	f.Add([]byte(`{"schema":1,"kind":"workspace","name":"x","event":{"id":"e","type":"event.manual"},"cards":null}`))
	f.Add([]byte(`{"schema":1,"cards":[{"id":"a","lanes":[{"name":"then","cards":[{}]}]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		def, err := flows.ParseDefinition(b)
		if err != nil {
			return
		}
		_ = flows.Validate(def, Registry()) // must not panic
		out, err := flows.MarshalDefinition(def)
		if err != nil {
			t.Fatal(err)
		}
		again, err := flows.ParseDefinition(out)
		if err != nil {
			t.Fatalf("re-import of an export fails: %v", err)
		}
		out2, _ := flows.MarshalDefinition(again)
		if !bytes.Equal(out, out2) {
			t.Fatalf("export is not stable:\n%s\n%s", out, out2)
		}
	})
}

func FuzzResolveBinding(f *testing.F) {
	f.Add(`{"user":{"emails":["a","b"]}}`, "user.emails.1", "text")
	f.Add(`[1,2,3]`, "x.-1", "number")
	f.Add(`{"a":"2026-11-22T10:00:00Z"}`, "a", "datetime")
	f.Add(`{"a":{"b":true}}`, "a", "list<boolean>")
	f.Fuzz(func(t *testing.T, input, path, typ string) {
		obj, err := flows.Convert(input, flows.TypeObject)
		if err != nil {
			obj = input
		}
		to := flows.Type(typ)
		if !to.Valid() {
			return
		}
		def := Flow(Manual(F("in", flows.TypeAny)),
			Card("a", flows.ControlAssign, Inputs(F("v", to)), In("v", Ref("event", "in", path))),
			Card("b", flows.ControlAssign, Inputs(F("t", flows.TypeText)), In("t", Text("[", Ref("event", "in", path), "]"))))
		e := Run(t, def, map[string]any{"in": obj})
		if e.Status != flows.StatusSucceeded && e.Status != flows.StatusFailed {
			t.Fatalf("status %s", e.Status)
		}
		if e.Status == flows.StatusFailed && e.Error == "" {
			t.Fatal("failed without an error")
		}
	})
}

func TestConnectorInfoValidate(t *testing.T) {
	good := flows.ConnectorInfo{Name: "Acme", BaseURL: "https://api.acme.test", Auth: flows.AuthDefinition{Kind: flows.AuthNone}}
	tests := []struct {
		name  string
		edit  func(c *flows.ConnectorInfo)
		field string
	}{
		{"valid", func(*flows.ConnectorInfo) {}, ""},
		{"no name", func(c *flows.ConnectorInfo) { c.Name = "  " }, "name"},
		{"bad base URL", func(c *flows.ConnectorInfo) { c.BaseURL = "ftp://x" }, "baseUrl"},
		{"unknown auth", func(c *flows.ConnectorInfo) { c.Auth.Kind = "magic" }, "auth.kind"},
		{"api key without header", func(c *flows.ConnectorInfo) { c.Auth.Kind = flows.AuthAPIKeyHeader }, "auth.header"},
		{"api key header with a space", func(c *flows.ConnectorInfo) {
			c.Auth = flows.AuthDefinition{Kind: flows.AuthAPIKeyHeader, Header: "X Key"}
		}, "auth.header"},
		{"oauth2 without token URL", func(c *flows.ConnectorInfo) { c.Auth.Kind = flows.AuthOAuth2Client }, "auth.tokenUrl"},
		{"custom without fields", func(c *flows.ConnectorInfo) { c.Auth.Kind = flows.AuthCustom }, "auth.fields"},
		{"custom field without key", func(c *flows.ConnectorInfo) {
			c.Auth = flows.AuthDefinition{Kind: flows.AuthCustom, Fields: []flows.AuthField{{Label: "x", Type: "text"}}}
		}, "auth.fields.0.key"},
		{"repeated field key", func(c *flows.ConnectorInfo) {
			c.Auth = flows.AuthDefinition{Kind: flows.AuthCustom, Fields: []flows.AuthField{{Key: "k", Label: "x", Type: "text"}, {Key: "k", Label: "y", Type: "text"}}}
		}, "auth.fields.1.key"},
		{"dropdown without choices", func(c *flows.ConnectorInfo) {
			c.Auth = flows.AuthDefinition{Kind: flows.AuthCustom, Fields: []flows.AuthField{{Key: "k", Label: "x", Type: "dropdown"}}}
		}, "auth.fields.0.choices"},
		{"extra credential hosts", func(c *flows.ConnectorInfo) {
			c.Auth.Hosts = []string{"https://uploads.acme.test", "http://10.1.2.3:8080/", "https://[2001:db8::1]:8443"}
		}, ""},
		{"a credential host with a path", func(c *flows.ConnectorInfo) { c.Auth.Hosts = []string{"https://uploads.acme.test/v1"} }, "auth.hosts"},
		{"a credential host without a scheme", func(c *flows.ConnectorInfo) { c.Auth.Hosts = []string{"uploads.acme.test"} }, "auth.hosts"},
		{"a credential host with a query", func(c *flows.ConnectorInfo) { c.Auth.Hosts = []string{"https://uploads.acme.test?x=1"} }, "auth.hosts"},
		{"a credential host with a user", func(c *flows.ConnectorInfo) { c.Auth.Hosts = []string{"https://me@uploads.acme.test"} }, "auth.hosts"},
		{"too many credential hosts", func(c *flows.ConnectorInfo) {
			for i := range flows.MaxCredentialHosts + 1 {
				c.Auth.Hosts = append(c.Auth.Hosts, fmt.Sprintf("https://h%d.acme.test", i))
			}
		}, "auth.hosts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.edit(&c)
			err := c.Validate()
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
}

func TestAuthDefinitionOfKind(t *testing.T) {
	all := flows.AuthDefinition{Header: "X-Api-Key", TokenURL: "not a URL", Scopes: "read",
		Fields: []flows.AuthField{{Key: "tenant", Type: "dropdown"}}, Hosts: []string{"https://uploads.acme.test"}}
	hosts := []string{"https://uploads.acme.test"}
	tests := []struct {
		name string
		kind flows.AuthKind
		want flows.AuthDefinition
	}{
		{"none keeps nothing", flows.AuthNone, flows.AuthDefinition{Kind: flows.AuthNone}},
		{"api key keeps its header and hosts", flows.AuthAPIKeyHeader, flows.AuthDefinition{Kind: flows.AuthAPIKeyHeader, Header: "X-Api-Key", Hosts: hosts}},
		{"basic keeps its hosts", flows.AuthBasic, flows.AuthDefinition{Kind: flows.AuthBasic, Hosts: hosts}},
		{"bearer keeps its hosts", flows.AuthBearer, flows.AuthDefinition{Kind: flows.AuthBearer, Hosts: hosts}},
		{"oauth2 keeps its token URL, scopes and hosts", flows.AuthOAuth2Client,
			flows.AuthDefinition{Kind: flows.AuthOAuth2Client, TokenURL: "not a URL", Scopes: "read", Hosts: hosts}},
		{"custom keeps its fields", flows.AuthCustom, flows.AuthDefinition{Kind: flows.AuthCustom, Fields: all.Fields}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := all
			a.Kind = tt.kind
			if got := a.OfKind(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestNewDefinitionsValidate(t *testing.T) {
	for _, k := range flows.ConnectorKinds {
		def, err := flows.NewDefinition(k.Kind, k.Title)
		if err != nil {
			t.Fatal(err)
		}
		if err := flows.Validate(def, Registry()); err != nil {
			t.Errorf("a new %s flow does not validate: %v", k.Kind, err)
		}
	}
	reg, _ := flows.NewDefinition(flows.KindWebhookRegistration, "r")
	if len(reg.Cards) != 1 || reg.Cards[0].Inputs[0].Key != flows.FieldRegistrationData {
		t.Fatalf("registration starts with %+v", reg.Cards)
	}
	if _, err := flows.NewDefinition("poll", "x"); !errors.Is(err, flows.ErrInvalid) {
		t.Fatal("unknown kind accepted")
	}
}

func TestDefinitionCalls(t *testing.T) {
	def := Flow(Manual(), Card("if", flows.ControlIfElse, In("a", Static(1.0)), In("b", Static(1.0)),
		Lane("then", Cards(Card("m", flows.ControlMap, In("list", Static([]any{})), In("flow", Static(7.0)))))))
	if !def.Calls(7) || def.Calls(8) {
		t.Fatal("Calls does not find the Map inside the lane")
	}
}
