package flows_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/hookflow/hookflow/flows"
	. "github.com/hookflow/hookflow/flows/flowstest"
)

// TestRecordMasksSecrets: the recorded execution masks every secret,
// wherever it shows, keeping the keys, while the run computes with the
// real values (the execution Run returns holds them).
func TestRecordMasksSecrets(t *testing.T) {
	const (
		pass  = "pw-0123456789"
		token = "tok_abcdefghijklmnopqrstuvwxyz"
		hmac  = "whsec_0123456789"
	)
	password := flows.TypePassword
	regData := flows.FieldRegistrationData
	helpers := Flows{1: Kind(Flow(Event(flows.EventHelper, F("url", text)),
		Card("ret", flows.ControlReturn, Inputs(F("url", text)), In("url", Ref("event", "url")))), flows.KindHelper)}
	noSave := Flow(Manual(F("url", text)),
		Card("fail", flows.ControlReturnError, In("message", Text("cannot reach ", Ref("event", "url")))))
	noSave.SaveData = new(bool)
	tests := []struct {
		name    string
		def     flows.Definition
		input   map[string]any
		secrets []string
		// ran checks the execution as it ran, rec the recorded one.
		ran func(t *testing.T, e *flows.Execution)
		rec func(t *testing.T, e *flows.Execution)
	}{
		{
			name: "an input of the flow typed password",
			def: Flow(Manual(F("user", text), F("pass", password)),
				Card("join", "fake.concat", In("a", Ref("event", "user")), In("b", Ref("event", "pass")))),
			input: map[string]any{"user": "ada", "pass": pass},
			ran: func(t *testing.T, e *flows.Execution) {
				want(t, Step(t, e, "join").Outputs["output"], "ada"+pass)
			},
			rec: func(t *testing.T, e *flows.Execution) {
				want(t, e.Input["pass"], flows.Masked)
				want(t, e.Input["user"], "ada")
				want(t, Step(t, e, "event").Outputs["pass"], flows.Masked)
				want(t, Step(t, e, "join").Inputs["b"], flows.Masked)
				want(t, Step(t, e, "join").Outputs["output"], "ada"+flows.Masked)
			},
		},
		{
			name: "a card output typed password",
			def: Flow(Manual(F("login", object)),
				Card("pick", flows.ControlAssign, Inputs(F("pass", password)), In("pass", Ref("event", "login", "pass"))),
				Card("up", "fake.upper", In("text", Ref("pick", "pass")))),
			input: map[string]any{"login": map[string]any{"user": "ada", "pass": pass}},
			ran: func(t *testing.T, e *flows.Execution) {
				want(t, Step(t, e, "up").Inputs["text"], pass)
				want(t, Step(t, e, "up").Outputs["output"], strings.ToUpper(pass))
			},
			rec: func(t *testing.T, e *flows.Execution) {
				want(t, Step(t, e, "pick").Inputs["pass"], flows.Masked)
				want(t, Step(t, e, "pick").Outputs["pass"], flows.Masked)
				want(t, Step(t, e, "up").Inputs["text"], flows.Masked)
				login := e.Input["login"].(map[string]any)
				want(t, login["pass"], flows.Masked)
				want(t, login["user"], "ada")
			},
		},
		{
			name: "values given as secrets, whole and inside texts and errors",
			def: Flow(Manual(F("headers", object), F("url", text)),
				Card("fail", flows.ControlReturnError, In("message", Text("cannot reach ", Ref("event", "url"))))),
			input:   map[string]any{"headers": map[string]any{"x-api-key": "k-123", "accept": "k-1234"}, "url": "https://h.test/hooks/" + token},
			secrets: []string{"k-123", token},
			ran: func(t *testing.T, e *flows.Execution) {
				want(t, e.Error, "cannot reach https://h.test/hooks/"+token)
			},
			rec: func(t *testing.T, e *flows.Execution) {
				headers := e.Input["headers"].(map[string]any)
				want(t, headers["x-api-key"], flows.Masked)
				// A short secret is masked where it is a whole value only.
				want(t, headers["accept"], "k-1234")
				want(t, e.Input["url"], "https://h.test/hooks/"+flows.Masked)
				want(t, e.Error, "cannot reach https://h.test/hooks/"+flows.Masked)
				want(t, Step(t, e, "fail").Error, "cannot reach https://h.test/hooks/"+flows.Masked)
			},
		},
		{
			name:    "save all data off: the errors still masked",
			def:     noSave,
			input:   map[string]any{"url": "https://h.test/hooks/" + token},
			secrets: []string{token},
			rec: func(t *testing.T, e *flows.Execution) {
				if e.Input != nil || Step(t, e, "fail").Inputs != nil {
					t.Fatalf("inputs saved: %v", e.Input)
				}
				want(t, e.Error, "cannot reach https://h.test/hooks/"+flows.Masked)
			},
		},
		{
			name: "the Registration Data a registration flow returns",
			def: Kind(Flow(Event(flows.EventRegistration),
				Card("make", "fake.concat", In("a", Static("whsec_")), In("b", Static("0123456789"))),
				Card("data", "fake.echo", Inputs(F("id", text), F("secret", text), F("n", number)),
					In("id", Static("hook-1")), In("secret", Ref("make", "output")), In("n", Static(42.0))),
				Card("return", flows.ControlReturn, Inputs(F(regData, flows.TypeAny)), In(regData, Ref("data", "output")))),
				flows.KindWebhookRegistration),
			input:   map[string]any{flows.FieldEventURL: "https://h.test/hooks/" + token},
			secrets: []string{token},
			ran: func(t *testing.T, e *flows.Execution) {
				want(t, e.Output[regData].(map[string]any)["secret"], hmac)
			},
			rec: func(t *testing.T, e *flows.Execution) {
				masked := map[string]any{"id": flows.Masked, "secret": flows.Masked, "n": flows.Masked}
				want(t, e.Output[regData], masked)
				want(t, Step(t, e, "return").Inputs[regData], masked)
				want(t, Step(t, e, "make").Outputs["output"], flows.Masked)
				want(t, Step(t, e, "data").Inputs["n"], flows.Masked)
				want(t, e.Input[flows.FieldEventURL], "https://h.test/hooks/"+flows.Masked)
			},
		},
		{
			name: "the Registration Data a deregistration flow gets",
			def: Kind(Flow(Event(flows.EventDeregistration),
				Card("url", "fake.concat", In("a", Static("/subscriptions/")), In("b", Ref("event", regData, "id")))),
				flows.KindWebhookDeregistration),
			input: map[string]any{regData: map[string]any{"id": "sub_0123456789", "secret": hmac}},
			ran: func(t *testing.T, e *flows.Execution) {
				want(t, Step(t, e, "url").Outputs["output"], "/subscriptions/sub_0123456789")
			},
			rec: func(t *testing.T, e *flows.Execution) {
				want(t, e.Input[regData], map[string]any{"id": flows.Masked, "secret": flows.Masked})
				want(t, Step(t, e, "url").Outputs["output"], "/subscriptions/"+flows.Masked)
			},
		},
		{
			name: "the flows it calls",
			def: Flow(Manual(F("url", text)),
				Card("call", flows.ControlCallFlow, Inputs(F("url", text)), Outputs(F("url", text)), In("flow", Static(1.0)), In("url", Ref("event", "url")))),
			input:   map[string]any{"url": "https://h.test/hooks/" + token},
			secrets: []string{token},
			ran: func(t *testing.T, e *flows.Execution) {
				want(t, Step(t, e, "call").Outputs["url"], "https://h.test/hooks/"+token)
			},
			rec: func(t *testing.T, e *flows.Execution) {
				want(t, Step(t, e, "call").Outputs["url"], "https://h.test/hooks/"+flows.Masked)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := NewRecorder()
			ran, err := Engine(rec, helpers, flows.Limits{}).Run(context.Background(),
				flows.RunRequest{Definition: tt.def, Input: tt.input, Trigger: flows.TriggerTest, Secrets: tt.secrets})
			if err != nil {
				t.Fatal(err)
			}
			if tt.ran != nil {
				tt.ran(t, ran)
			}
			tt.rec(t, rec.Get(ran.ID))
			// Nothing recorded holds a secret: not this run, nor its children.
			for _, x := range rec.All() {
				raw, _ := json.Marshal(x)
				for _, s := range []string{pass, token, hmac, "k-123\""} {
					if strings.Contains(string(raw), s) {
						t.Fatalf("the record of %s holds %q: %s", x.ID, s, raw)
					}
				}
			}
		})
	}
}

func want(t *testing.T, got, wantValue any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(wantValue)
	if string(g) != string(w) {
		t.Fatalf("got %s, want %s", g, w)
	}
}

func TestPasswordType(t *testing.T) {
	tests := []struct {
		name       string
		from, to   flows.Type
		assignable bool
	}{
		{"text to password", flows.TypeText, flows.TypePassword, true},
		{"password to text", flows.TypePassword, flows.TypeText, true},
		{"number to password", flows.TypeNumber, flows.TypePassword, true},
		{"password to number", flows.TypePassword, flows.TypeNumber, true},
		{"object to password", flows.TypeObject, flows.TypePassword, true},
		{"list of password to list of text", flows.ListOf(flows.TypePassword), flows.ListOf(flows.TypeText), true},
		{"password to list of text", flows.TypePassword, flows.ListOf(flows.TypeText), true},
		{"date to password", flows.TypeDate, flows.TypePassword, true},
		{"true/false to list of password", flows.TypeBool, flows.ListOf(flows.TypePassword), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := flows.Convertible(tt.from, tt.to); got != tt.assignable {
				t.Fatalf("Convertible = %v", got)
			}
		})
	}
	if v, err := flows.Convert(42.0, flows.TypePassword); err != nil || v != "42" {
		t.Fatalf("Convert(42, password) = %v, %v", v, err)
	}
	if !flows.TypePassword.Valid() || !flows.ListOf(flows.TypePassword).IsSecret() || flows.TypeText.IsSecret() {
		t.Fatal("password is not a valid secret type")
	}
	def := Flow(Manual(F("pass", flows.TypePassword)), Card("up", "fake.upper", In("text", Ref("event", "pass"))))
	if err := flows.Validate(def, Registry()); err != nil {
		t.Fatalf("a password input bound to a text: %v", err)
	}
}

// allRecords keeps every record of every execution, the running ones too.
type allRecords struct {
	mu   sync.Mutex
	recs []*flows.Execution
}

func (a *allRecords) RecordExecution(_ context.Context, e *flows.Execution) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recs = append(a.recs, e)
	return nil
}

// TestRunningRecordMasksSecrets: a run recorded as running (after a
// second) has its secrets masked too.
func TestRunningRecordMasksSecrets(t *testing.T) {
	const token = "tok_abcdefghijklmnopqrstuvwxyz"
	rec := &allRecords{}
	eng := flows.NewEngine(Registry(), flows.Options{Recorder: rec})
	def := Kind(Flow(Event(flows.EventRegistration), Card("wait", "fake.slow", In("ms", Static(1300.0)))), flows.KindWebhookRegistration)
	if _, err := eng.Run(context.Background(), flows.RunRequest{Definition: def, Trigger: flows.TriggerRegistration,
		Input: map[string]any{flows.FieldEventURL: "https://h.test/hooks/" + token}, Secrets: []string{token}}); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.recs) != 2 || rec.recs[0].Status != flows.StatusRunning {
		t.Fatalf("%d records, the first %+v", len(rec.recs), rec.recs[0])
	}
	for _, x := range rec.recs {
		want(t, x.Input[flows.FieldEventURL], "https://h.test/hooks/"+flows.Masked)
	}
}
