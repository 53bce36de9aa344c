package cards_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/cards"
	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/flows/flopack"
	"github.com/hookflow/hookflow/flows/flowstest"
)

// importPack translates a test flopack of flows/flopack/testdata, giving
// its flows ids from 101 in Keys order, and returns them by name.
func importPack(t *testing.T, name string) (map[string]flopack.FlowResult, flowstest.Flows) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "flows", "flopack", "testdata", name+".flopack"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := flopack.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	tg := flopack.Targets{Flows: map[string]int64{}, Tables: map[string]flows.Table{}}
	for i, k := range flopack.Keys(p) {
		tg.Flows[k] = int64(101 + i)
	}
	for i, tb := range p.Tables {
		tb.Table.ID = int64(1 + i)
		tg.Tables[tb.Key] = tb.Table
	}
	res, err := flopack.Translate(p, tg)
	if err != nil {
		t.Fatal(err)
	}
	byName, byID := map[string]flopack.FlowResult{}, flowstest.Flows{}
	for _, f := range res.Flows {
		byName[f.Definition.Name] = f
		byID[tg.Flows[f.Key]] = f.Definition
	}
	return byName, byID
}

// TestImportedFlopacksRun translates the test flopacks and runs their
// manual and helper flows with the real cards, checking that each is
// valid and gives what Okta Workflows gives for the same input.
func TestImportedFlopacksRun(t *testing.T) {
	tests := []struct {
		pack, flow string
		input      string
		want       string // the run's output, as JSON
		card       string // else: this card's output ("card/field/path…": that field, or the path into it)
	}{
		{"text", "Greet", `{"name":"Ada","domain":"example.com","user":{"profile":{"login":"ADA@X.TEST"}}}`,
			`{"greeting":"HELLO ADA AT EXAMPLE.COM!","login":"ada@x.test"}`, ""},
		{"conversions", "Convert all", `{"json":"{\"a\":1}","obj":{"b":2},"num":42,"numText":"3.5","flag":true,"when":"2026-01-02T03:04:05Z","whenDate":"2026-01-02T03:04:05Z","one":"x"}`,
			`{"boolText":"true","date":"2026-01-02T03:04:05Z","float":3.5,"iso":"2026-01-02T03:04:05Z","list":["x"],"parsed":{"a":1},"str":"42","stringified":"{\"b\":2}"}`, ""},
		{"branches", "Classify", `{"score":70}`, `{"echo":70,"grade":"mid","result":"passed"}`, ""},
		{"branches", "Classify", `{"score":5}`, `{"echo":5,"grade":"low","result":"failed 5"}`, ""},
		{"branches", "Classify", `{"score":95}`, `{"echo":95,"grade":"high","result":"passed"}`, ""},
		{"errors", "Safe divide", `{"a":10,"b":4}`, `{"message":null,"result":2.5}`, ""},
		{"errors", "Safe divide", `{"a":1,"b":0}`, `{"message":"division by zero","result":-1}`, ""},
		{"loops", "Run loops", `{}`, `{"big":[40],"called":42,"doubled":[2,10,40],"indexes":[0,1,2],"sum":40}`, ""},
		{"loops", "Double", `{"n":4,"factor":3}`, `{"out":12}`, ""},
		{"objects", "Shape a user", `{"name":"Ada","email":"ada@x.test","color":"green","a":3,"b":4}`,
			`{"email":"ada@x.test","formula":13,"last":13,"name":"Ada","object":{"kind":"person","user":{"contact":{"email":"ada@x.test"},"name":"Ada"}},"signal":"go"}`, ""},
		{"objects", "Shape a user", `{"name":"Bo","email":"b@x.test","color":"blue","a":0,"b":1}`,
			`{"email":"b@x.test","formula":1,"last":1,"name":"Bo","object":{"kind":"person","user":{"contact":{"email":"b@x.test"},"name":"Bo"}},"signal":"unknown"}`, ""},
		{"events", "Reset MFA", `{"okta-user-id":"00u1","reason":"lost phone"}`, `"00u1: lost phone"`, "evDelComp"},
		{"events", "Say hi", `{"method":"POST","headers":{"x-request-id":"r1"},"query":{},"body":{"name":"Ada"}}`, `"Hi Ada (r1)"`, "evCompos1"},
		{"events", "Log a failure", `{"error":{"message":"x"}}`, `null`, ""},
		// Each Okta card the import maps to a card made for it (okta_cards.flopack).
		{"okta_cards", "Okta cards", `{}`, `{"assignIf":"yes","collapsed":{"a":1,"b":2,"c":3},"construct":{"commands":[{"type":"com.okta.action.update","value":{"registration":"ALLOW"}}],"kind":"hook"},"convEpoch":1796481000,"convUnix":1796481000000,"custom":"2026-12-05 15:30 +01:00","dateText":"Saturday, December 5th 2026, 9:30 am","decoded":"a b\u0026c/d?é","email":"Ada@X.test","emails":["Ada@X.test","bo@y.test"],"encoded":"a%20b%26c%2Fd%3F%C3%A9","epoch":1796481000000,"exported":"Pair","first":1,"firstRest":[2,3],"fromUnix":"2026-12-05T14:30:00Z","hasKey":[{"profile":{"email":"a@x.test"}},{"profile":{"email":"c@x.test"}}],"human":"Sat, December 5th at 2:30 PM","inList":"YES","isEmpty":[{"n":""},{"n":null}],"iso":"2026-12-05T14:30:00Z","last":3,"lastPos":6,"lastRest":[1,2],"notIn":[{"n":1},{"n":3}],"pairs":["a=1","b=2"],"replaced":"a#b#c#","sampled":2,"segment":"flow","token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsInN1YiI6ImFkYSJ9.skhl4Bivq_Q0QHYbQwmmVlSjShkEPQzcJH8zzmrE87U","unique":[{"id":1,"n":"a"},{"id":2,"n":"c"}],"unix":1796481000,"xor":true}`, ""},
		{"okta_cards", "Okta cards", `{}`, `1`, "okAsync01/failed"},
		{"okta_cards", "Okta cards", `{}`, `[{"index":1,"message":"flow \"Check\" failed: zero is not allowed"}]`, "okAsync01/errors"},
		{"okta_cards", "Okta cards", `{}`, `"hook"`, "okCons001/output/kind"},
		{"okta_cards", "Pair", `{"key":"k","value":7}`, `{"pair":"k=7"}`, ""},
	}
	reg := cards.Builtin(cards.Options{})
	runs := 0
	for _, tt := range tests {
		t.Run(tt.pack+"/"+tt.flow, func(t *testing.T) {
			byName, byID := importPack(t, tt.pack)
			f, ok := byName[tt.flow]
			if !ok {
				t.Fatalf("no flow %q", tt.flow)
			}
			if err := flows.Validate(f.Definition, reg); err != nil {
				t.Fatalf("the imported flow is not valid: %v", err)
			}
			var input map[string]any
			if err := json.Unmarshal([]byte(tt.input), &input); err != nil {
				t.Fatal(err)
			}
			eng := flows.NewEngine(reg, flows.Options{Flows: byID, Recorder: flowstest.NewRecorder()})
			exec, err := eng.Run(context.Background(), flows.RunRequest{Definition: f.Definition, Input: input, Trigger: flows.TriggerTest})
			if err != nil {
				t.Fatal(err)
			}
			if exec.Status != flows.StatusSucceeded {
				t.Fatalf("status %s: %s", exec.Status, exec.Error)
			}
			var got any = exec.Output
			if tt.card != "" {
				card, field, _ := strings.Cut(tt.card, "/")
				field, path, _ := strings.Cut(field, "/")
				if field == "" {
					field = "output"
				}
				got = flowstest.Step(t, exec, card).Outputs[field]
				if path != "" {
					got = got.(map[string]any)[path]
				}
			}
			b, _ := json.Marshal(got)
			if string(b) != tt.want {
				t.Errorf("output %s, want %s", b, tt.want)
			}
			runs++
		})
	}
	t.Logf("%d runs of imported flows give Okta's outputs", runs)
}

// TestImportedFlopacksValidate checks every flow of every test flopack
// against the real cards: the only problems are the unbound app events
// and actions the import reports, each naming what to bind.
func TestImportedFlopacksValidate(t *testing.T) {
	reg := cards.Builtin(cards.Options{})
	unbound := 0
	for _, pk := range []string{"objects", "text", "conversions", "branches", "errors", "events", "loops", "tables", "okta_cards"} {
		byName, _ := importPack(t, pk)
		for name, f := range byName {
			var ve *flows.ValidationError
			if err := flows.Validate(f.Definition, reg); err != nil && !errors.As(err, &ve) {
				t.Fatalf("%s/%s: %v", pk, name, err)
			} else if ve == nil {
				continue
			}
			for _, p := range ve.Problems {
				switch {
				case p.Code == "unbound_event" || p.Code == "unbound_card":
					unbound++
				default:
					t.Errorf("%s/%s: card %s field %s: %s (%s)", pk, name, p.Card, p.Field, p.Message, p.Code)
				}
			}
		}
	}
	if unbound != 5 {
		t.Errorf("%d unbound cards, want the app event, Read User, Sparkle, the File card and the Read Table of an unknown table", unbound)
	}
}

// TestImportedErrorPolicies runs the imported cards' Okta error policies:
// "run another flow" calls the helper with the error and then fails the
// flow as Okta halts it; "return" goes on with empty outputs.
func TestImportedErrorPolicies(t *testing.T) {
	reg := cards.Builtin(cards.Options{})
	byName, byID := importPack(t, "errors")
	run := func(flow, text string) (*flows.Execution, *flowstest.Recorder) {
		t.Helper()
		rec := flowstest.NewRecorder()
		eng := flows.NewEngine(reg, flows.Options{Flows: byID, Recorder: rec})
		f := byName[flow]
		if err := flows.Validate(f.Definition, reg); err != nil {
			t.Fatalf("%s is not valid: %v", flow, err)
		}
		x, err := eng.Run(context.Background(), flows.RunRequest{Definition: f.Definition, Input: map[string]any{"text": text}, Trigger: flows.TriggerTest})
		if err != nil {
			t.Fatal(err)
		}
		return x, rec
	}
	x, _ := run("Parse or log", `{"a":1}`)
	if b, _ := json.Marshal(x.Output); x.Status != flows.StatusSucceeded || string(b) != `{"parsed":{"a":1}}` {
		t.Errorf("good text: %s %s %s", x.Status, b, x.Error)
	}
	x, rec := run("Parse or log", `{bad`)
	if x.Status != flows.StatusFailed {
		t.Fatalf("bad text: status %s, want failed", x.Status)
	}
	var logged bool
	for _, e := range rec.All() {
		if seen, _ := e.Output["seen"].(string); e.ParentID == x.ID && seen != "" {
			logged = true
		}
	}
	if !logged {
		t.Errorf("the error flow did not run with the error")
	}
	x, _ = run("Parse or nothing", `{bad`)
	if b, _ := json.Marshal(x.Output); x.Status != flows.StatusSucceeded || string(b) != `{"parsed":null}` {
		t.Errorf("return policy: %s %s %s", x.Status, b, x.Error)
	}
}

// TestImportRulesNameCardFields checks the import's card table: every Hookflow input and output
// the import's card table names for an Okta card is a field of the card
// it becomes (an added input or output where the card takes them).
func TestImportRulesNameCardFields(t *testing.T) {
	reg := cards.Builtin(cards.Options{})
	checked := 0
	for _, addr := range flopack.Addresses() {
		typ, in, out, _ := flopack.RuleKeys(addr)
		if typ == "" || strings.HasPrefix(typ, "event.") {
			continue // structure, or an event the flow starts on
		}
		spec, ok := flows.ControlSpec(typ)
		if c, found := reg.Lookup(typ); found {
			spec, ok = c.Spec(), true
		}
		if !ok {
			t.Errorf("%s: no card %s", addr, typ)
			continue
		}
		has := func(fs []flows.Field, k string) bool {
			for _, f := range fs {
				if f.Key == k {
					return true
				}
			}
			return false
		}
		for _, k := range in {
			if !has(spec.Inputs, k) && !spec.ExtensibleInputs {
				t.Errorf("%s: the card %s has no input %q", addr, typ, k)
			}
		}
		for _, k := range out {
			if !has(spec.Outputs, k) && !spec.ExtensibleOutputs {
				t.Errorf("%s: the card %s has no output %q", addr, typ, k)
			}
		}
		checked++
	}
	t.Logf("%d Okta cards name fields their Hookflow cards have", checked)
}
