package flopack

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
)

func TestParseRefusesWhatIsNotAFlopack(t *testing.T) {
	tests := []struct {
		name, file, reason string
	}{
		{"not JSON", `PK\x03\x04`, "the file is not JSON"},
		{"cut short", `{"type":"flopack","data":{"flos":{`, "the file is not JSON"},
		{"another type", `{"type":"workflow","data":{}}`, `its type is "workflow"`},
		{"no data", `{"type":"flopack","version":"1.5.0"}`, "it holds no data"},
		{"empty", `{"type":"flopack","data":{"flos":{},"tables":{}}}`, "no flows and no tables"},
		{"a flow without a body", `{"type":"flopack","data":{"flos":{"u":{"id":"u","name":"A"}}}}`, `flow "A" has no body`},
		{"a table without a name", `{"type":"flopack","data":{"tables":{"t":{"id":"t","name":" ","data":{"structure":[]}}}}}`, "table"},
		{"a field of the wrong shape", `{"type":"flopack","data":{"flos":{"u":{"name":"A","data":{"methods":"x"}}}}}`, "the file is not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.file))
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, flows.ErrInvalid) {
				t.Fatalf("Parse = %v, want a *FormatError matching ErrInvalid", err)
			}
			if !strings.Contains(fe.Reason, tt.reason) {
				t.Errorf("reason %q, want it to say %q", fe.Reason, tt.reason)
			}
		})
	}
}

func readPack(t testing.TB, name string) *Pack {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name + ".flopack")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func cardIDs(cards []flows.Node) []string {
	var out []string
	for _, c := range cards {
		out = append(out, c.ID)
	}
	return out
}

// The text pack's edges hold a duplicate (Compose → Upper twice) and
// self-loops (Upper → Upper, Return → Return); its comment has no edge.
func TestOrderingsIgnoreDuplicatesAndSelfLoops(t *testing.T) {
	p := readPack(t, "text")
	res, err := Translate(p, targets(p))
	if err != nil {
		t.Fatal(err)
	}
	got := cardIDs(res.Flows[0].Definition.Cards)
	want := []string{"txCompose", "txUpper01", "txLower01", "txReturn1"}
	if !slices.Equal(got, want) {
		t.Errorf("cards %v, want %v", got, want)
	}
}

func TestKeysListInlineHelpers(t *testing.T) {
	p := readPack(t, "events")
	keys := Keys(p)
	if len(keys) != len(p.Flows)+1 || keys[len(keys)-1] != "inline:c29dcb97-6b38-446a-8942-2e3a34fc9b04" {
		t.Fatalf("keys %v, want the pack's flows and the app event's body", keys)
	}
	res, err := Translate(p, targets(p))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Flows {
		got = append(got, f.Key)
	}
	if !slices.Equal(got, keys) {
		t.Errorf("translated flows %v, want one per key %v", got, keys)
	}
}

func TestMissingTargetsAreNoted(t *testing.T) {
	p := readPack(t, "loops")
	res, err := Translate(p, Targets{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Flows {
		if f.Definition.Name != "Run loops" {
			continue
		}
		if len(f.Notes) == 0 || !strings.Contains(f.Notes[0], `the helper flow "Double" is not in the pack`) {
			t.Errorf("notes %q", f.Notes)
		}
		return
	}
	t.Fatal("no Run loops flow")
}

func TestAddressesAreKeyedWithoutVersion(t *testing.T) {
	as := Addresses()
	if !slices.IsSorted(as) || !slices.Contains(as, "root:kernel:string:compose") || !slices.Contains(as, "root:channels:http:stash:searchRows2") {
		t.Fatalf("addresses %v", as)
	}
	for _, a := range as {
		if strings.Contains(a, "0.0.1") {
			t.Errorf("address %q holds a version", a)
		}
	}
	if r, ok := ruleFor("root:kernel:string:0.0.1:split"); !ok || r.Type != "text.split" {
		t.Errorf("split = %+v", r)
	}
	if r, ok := ruleFor("root:channels:http:httpfunctions:2.1.0:get"); !ok || r.Type != "http.get" {
		t.Errorf("get = %+v", r)
	}
}

// FuzzParseTranslate feeds any bytes to Parse and Translate: neither panics.
func FuzzParseTranslate(f *testing.F) {
	for _, file := range packFiles(f) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":"flopack","data":{"flos":{"a":{"data":{"methods":[{"uuid":"x","address":"root:kernel:control:0.0.1:if","branches":{"x":true}}],"orderings":{"e":["x","x"]}}}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		res, err := Translate(p, targets(p))
		if err != nil {
			t.Fatal(err)
		}
		for _, fr := range res.Flows {
			if _, err := flows.MarshalDefinition(fr.Definition); err != nil {
				t.Fatalf("flow %s: %v", fr.Key, err)
			}
		}
	})
}

func TestUnitValues(t *testing.T) {
	for in, want := range map[string]string{"second": "seconds", "Minute": "minutes", "hours": "hours", "day": "days", "ms": "milliseconds",
		"hrs": "hours", "sec": "seconds", "month": "months", "mo": "months", "weeks": "weeks", "fortnight": "fortnight"} {
		if got := unitValue("unit", flows.Binding{Value: in}).Value; got != want {
			t.Errorf("%q → %v, want %q", in, got, want)
		}
	}
	if got := unitValue("text", flows.Binding{Value: "second"}).Value; got != "second" {
		t.Errorf("an input that is not a unit changed: %v", got)
	}
}
