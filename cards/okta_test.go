package cards_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/flows/flowstest"
)

// The cards Okta Workflows' templates use, and the ones made whole for them.

func TestOktaTextCards(t *testing.T) {
	runCases(t, []cardCase{
		{name: "last of several", card: "text.find_last", in: map[string]any{"text": "a.b.c", "search": "."}, want: flows.Output{"position": 3.0}},
		{name: "counts characters, not bytes", card: "text.find_last", in: map[string]any{"text": "été.x", "search": "."}, want: flows.Output{"position": 3.0}},
		{name: "absent", card: "text.find_last", in: map[string]any{"text": "abc", "search": "z"}, want: flows.Output{"position": -1.0}},

		{name: "pairs in order", card: "text.replace_patterns",
			in: map[string]any{"text": "John  Smith-Jones", "patterns": []any{
				map[string]any{"pattern": `\s+`, "replacement": " "},
				map[string]any{"pattern": `(\w+)-(\w+)`, "replacement": "$2 $1"},
			}}, want: flows.Output{"output": "John Jones Smith"}},
		{name: "text patterns take the replacement", card: "text.replace_patterns",
			in: map[string]any{"text": "a1b22c", "patterns": []any{`\d+`}, "replacement": "#"}, want: flows.Output{"output": "a#b#c"}},
		{name: "a later pattern sees the earlier result", card: "text.replace_patterns",
			in:   map[string]any{"text": "ab", "patterns": []any{map[string]any{"pattern": "a", "replacement": "b"}, map[string]any{"pattern": "bb", "replacement": "c"}}},
			want: flows.Output{"output": "c"}},
		{name: "bad pattern", card: "text.replace_patterns", in: map[string]any{"text": "x", "patterns": []any{"("}}, wantErr: `pattern 1 "(" is not a valid regular expression`},
		{name: "empty pattern", card: "text.replace_patterns", in: map[string]any{"text": "x", "patterns": []any{map[string]any{"replacement": "y"}}}, wantErr: "pattern 1 is empty"},
		{name: "pattern of a wrong type", card: "text.replace_patterns", in: map[string]any{"text": "x", "patterns": []any{3.0}}, wantErr: "pattern 1 is neither text nor an object"},

		{name: "first and all", card: "text.find_email", in: map[string]any{"text": "Write to Ann <ann.lee@example.com> or bob+x@mail.example.org."},
			want: flows.Output{"email": "ann.lee@example.com", "emails": []any{"ann.lee@example.com", "bob+x@mail.example.org"}}},
		{name: "none", card: "text.find_email", in: map[string]any{"text": "no address @ here"}, want: flows.Output{"email": "", "emails": []any{}}},

		{name: "start and end", card: "text.segment", in: map[string]any{"text": "Hello world", "start": 6.0, "end": 9.0}, want: flows.Output{"output": "wor"}},
		{name: "end past the text", card: "text.segment", in: map[string]any{"text": "Hello", "start": 1.0, "end": 50.0}, want: flows.Output{"output": "ello"}},
		{name: "length still works", card: "text.segment", in: map[string]any{"text": "Hello", "start": 1.0, "length": 2.0}, want: flows.Output{"output": "el"}},
		{name: "end before start", card: "text.segment", in: map[string]any{"text": "Hello", "start": 3.0, "end": 1.0}, wantErr: "end 1 is before start 3"},
		{name: "length and end", card: "text.segment", in: map[string]any{"text": "Hello", "start": 0.0, "end": 1.0, "length": 1.0}, wantErr: "not both"},
	})
}

func TestOktaBoolAndURLCards(t *testing.T) {
	runCases(t, []cardCase{
		{name: "one true", card: "bool.xor", in: map[string]any{"a": true, "b": false}, want: flows.Output{"output": true}},
		{name: "both true", card: "bool.xor", in: map[string]any{"a": true, "b": true}, want: flows.Output{"output": false}},
		{name: "both false", card: "bool.xor", in: map[string]any{"a": false, "b": false}, want: flows.Output{"output": false}},

		{name: "as encodeURIComponent", card: "url.encode_component", in: map[string]any{"text": "a b&c=d/é?#+!*'()~"},
			want: flows.Output{"output": "a%20b%26c%3Dd%2F%C3%A9%3F%23%2B!*'()~"}},
		{name: "decodes", card: "url.decode_component", in: map[string]any{"text": "a%20b%26c%3Dd%2F%C3%A9+"}, want: flows.Output{"output": "a b&c=d/é+"}},
		{name: "bad escape", card: "url.decode_component", in: map[string]any{"text": "100%"}, wantErr: "not URL-encoded"},
		{name: "bad hex", card: "url.decode_component", in: map[string]any{"text": "%zz"}, wantErr: "not URL-encoded"},
	})
}

func TestOktaDateCards(t *testing.T) {
	d := time.Date(2016, 9, 7, 0, 1, 25, 670e6, time.UTC)
	runCases(t, []cardCase{
		{name: "to epoch ms", card: "date.to_epoch", in: map[string]any{"date": d}, want: flows.Output{"epoch": 1473206485670.0}},
		{name: "to unix s", card: "date.to_unix", in: map[string]any{"date": d}, want: flows.Output{"unix": 1473206485.0}},
		{name: "from epoch ms", card: "date.from_epoch", in: map[string]any{"epoch": 1473206485670.0}, want: flows.Output{"date": d}},
		{name: "from unix s", card: "date.from_unix", in: map[string]any{"unix": 1473206485.0}, want: flows.Output{"date": d.Truncate(time.Second)}},
		{name: "from unix out of range", card: "date.from_unix", in: map[string]any{"unix": 1e300}, wantErr: "out of the range of dates"},

		{name: "convert as Okta", card: "date.convert", in: map[string]any{"date": d, "format": "M/D/YYYY h:mm a", "timezone": "America/Los_Angeles"},
			want: flows.Output{"output": "2016-09-06T17:01:25-07:00", "date": d, "iso": "2016-09-07T00:01:25Z", "epoch": 1473206485.0,
				"unix": 1473206485670.0, "human": "Wed, September 7th at 12:01 AM", "custom": "9/6/2016 5:01 pm"}},
		{name: "convert bad zone", card: "date.convert", in: map[string]any{"date": d, "timezone": "Nowhere/At_All"}, wantErr: "unknown time zone"},

		{name: "moment tokens", card: "date.to_text", in: map[string]any{"date": d, "format": "dddd, MMMM Do YYYY [at] HH:mm:ss.SSS Z"},
			want: flows.Output{"output": "Wednesday, September 7th 2016 at 00:01:25.670 +00:00"}},
		{name: "zone abbreviation", card: "date.to_text", in: map[string]any{"date": d, "format": "ddd MMM D YY h:mm A z", "timezone": "America/New_York"},
			want: flows.Output{"output": "Tue Sep 6 16 8:01 PM EDT"}},
		{name: "quarter, 1-24 hours, day of year and week", card: "date.to_text", in: map[string]any{"date": d, "format": "Q k kk DDD DDDD dd d S SS"},
			want: flows.Output{"output": "3 24 24 251 251 We 3 6 67"}},
		{name: "epoch and unix tokens", card: "date.to_text", in: map[string]any{"date": d, "format": "x|X"}, want: flows.Output{"output": "1473206485670|1473206485"}},
		{name: "unclosed bracket", card: "date.to_text", in: map[string]any{"date": d, "format": "[at"}, wantErr: "does not close"},

		{name: "reads M/D/YYYY", card: "date.from_text", in: map[string]any{"text": "9/7/2016", "format": "M/D/YYYY"}, want: flows.Output{"output": time.Date(2016, 9, 7, 0, 0, 0, 0, time.UTC)}},
		{name: "reads names and 12-hour time", card: "date.from_text", in: map[string]any{"text": "Wednesday, September 7 2016 5:04 pm", "format": "dddd, MMMM D YYYY h:mm a", "timezone": "Europe/Paris"},
			want: flows.Output{"output": time.Date(2016, 9, 7, 17, 4, 0, 0, mustZone(t, "Europe/Paris"))}},
		{name: "reads epoch ms", card: "date.from_text", in: map[string]any{"text": "1473206485670", "format": "x"}, want: flows.Output{"output": d}},
		{name: "reads unix s", card: "date.from_text", in: map[string]any{"text": "1473206485", "format": "X"}, want: flows.Output{"output": d.Truncate(time.Second)}},
		{name: "epoch not a number", card: "date.from_text", in: map[string]any{"text": "soon", "format": "x"}, wantErr: `"soon" is not a number`},
		{name: "token that cannot be read", card: "date.from_text", in: map[string]any{"text": "3rd", "format": "Do"}, wantErr: "cannot be read by this token: Do"},
		{name: "literal digits cannot be read back", card: "date.from_text", in: map[string]any{"text": "2026 2026", "format": "[2026] YYYY"}, wantErr: "cannot be read back"},
		{name: "fraction without a dot", card: "date.from_text", in: map[string]any{"text": "05123", "format": "ssSSS"}, wantErr: "SSS must follow a . or ,"},
		{name: "text that does not match", card: "date.from_text", in: map[string]any{"text": "2016-09-07", "format": "M/D/YYYY"}, wantErr: "does not match"},
	})
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestOktaListCards(t *testing.T) {
	people := []any{
		map[string]any{"id": 1.0, "mail": "a@x"}, map[string]any{"id": 2.0, "mail": "b@x"}, map[string]any{"id": 3.0, "mail": "a@x"},
	}
	runCases(t, []cardCase{
		{name: "rest of the list", card: "list.first", in: map[string]any{"list": []any{1.0, 2.0, 3.0}}, want: flows.Output{"item": 1.0, "rest": []any{2.0, 3.0}}},
		{name: "rest of a one-item list", card: "list.last", in: map[string]any{"list": []any{1.0}}, want: flows.Output{"item": 1.0, "rest": []any{}}},

		{name: "by path", card: "list.unique", in: map[string]any{"list": people, "path": "mail"}, want: flows.Output{"output": []any{people[0], people[1]}}},
		{name: "by a path that cannot be read", card: "list.unique", in: map[string]any{"list": []any{"a"}, "path": "mail"}, wantErr: "item 0"},

		{name: "key and value items", card: "list.collapse", in: map[string]any{"list": []any{
			map[string]any{"key": "a", "value": 1.0}, map[string]any{"key": "b", "value": []any{2.0}},
		}}, want: flows.Output{"output": map[string]any{"a": 1.0, "b": []any{2.0}}}},
		{name: "named paths", card: "list.collapse", in: map[string]any{"list": []any{
			map[string]any{"name": "dept", "v": map[string]any{"x": "Sales"}},
		}, "key": "name", "value": "v.x"}, want: flows.Output{"output": map[string]any{"dept": "Sales"}}},
		{name: "objects merge", card: "list.collapse", in: map[string]any{"list": []any{
			map[string]any{"a": 1.0, "b": 1.0}, map[string]any{"b": 2.0},
		}}, want: flows.Output{"output": map[string]any{"a": 1.0, "b": 2.0}}},
		{name: "not an object", card: "list.collapse", in: map[string]any{"list": []any{"a"}}, wantErr: "item 0 is text, not an object"},

		{name: "n items, each once", card: "list.sample", in: map[string]any{"list": []any{1.0, 2.0, 3.0, 4.0}, "count": 3.0},
			check: func(t *testing.T, out flows.Output) {
				l := out["output"].([]any)
				seen := map[any]bool{}
				for _, v := range l {
					if seen[v] || v.(float64) < 1 || v.(float64) > 4 {
						t.Fatalf("sample %v repeats or invents items", l)
					}
					seen[v] = true
				}
				if len(l) != 3 || out["item"] != l[0] {
					t.Fatalf("sample = %v, item = %v", l, out["item"])
				}
			}},
		{name: "more than the list", card: "list.sample", in: map[string]any{"list": []any{1.0, 2.0}, "count": 5.0},
			check: func(t *testing.T, out flows.Output) {
				if len(out["output"].([]any)) != 2 {
					t.Fatalf("sample = %v", out["output"])
				}
			}},
		{name: "default one", card: "list.sample", in: map[string]any{"list": []any{"x"}}, want: flows.Output{"output": []any{"x"}, "item": "x"}},
		{name: "empty list", card: "list.sample", in: map[string]any{"list": []any{}, "count": 2.0}, want: flows.Output{"output": []any{}, "item": nil}},
		{name: "negative count", card: "list.sample", in: map[string]any{"list": []any{1.0}, "count": -1.0}, wantErr: "whole number"},
	})
}

func TestObjectConstructPaths(t *testing.T) {
	f := func(keys ...string) []flows.Field {
		fs := make([]flows.Field, len(keys))
		for i, k := range keys {
			fs[i] = flows.Field{Key: k, Type: flows.TypeAny}
		}
		return fs
	}
	shared := map[string]any{"keep": true}
	runCases(t, []cardCase{
		{name: "nested objects and list indexes", card: "object.construct",
			inputs: f("commands/0/type", "commands/0/value/registration", "commands/1/type", "plain"),
			in:     map[string]any{"commands/0/type": "update", "commands/0/value/registration": "ALLOW", "commands/1/type": "x", "plain": 1.0},
			want: flows.Output{"output": map[string]any{"plain": 1.0, "commands": []any{
				map[string]any{"type": "update", "value": map[string]any{"registration": "ALLOW"}}, map[string]any{"type": "x"},
			}}}},
		{name: "dotted keys as Okta writes them", card: "object.construct", inputs: f("a.b"), in: map[string]any{"a.b": "c"},
			want: flows.Output{"output": map[string]any{"a": map[string]any{"b": "c"}}}},
		{name: "a number at the top is a field", card: "object.construct", inputs: f("0"), in: map[string]any{"0": "x"},
			want: flows.Output{"output": map[string]any{"0": "x"}}},
		{name: "into a mapped object, which stays as it was", card: "object.construct", inputs: f("user", "user/extra"),
			in: map[string]any{"user": shared, "user/extra": 1.0},
			check: func(t *testing.T, out flows.Output) {
				if u := out["output"].(map[string]any)["user"].(map[string]any); u["extra"] != 1.0 || u["keep"] != true {
					t.Fatalf("user = %v", u)
				}
				if len(shared) != 1 {
					t.Fatalf("the mapped object was changed: %v", shared)
				}
			}},
		{name: "list then field", card: "object.construct", inputs: f("a/0", "a/b"), in: map[string]any{"a/0": 1.0, "a/b": 2.0}, wantErr: `"b" is a field name`},
		{name: "index too large", card: "object.construct", inputs: f("a/99999"), in: map[string]any{"a/99999": 1.0}, wantErr: "out of range"},
	})
}

func TestJWTSign(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) // runCases' clock
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	verify := func(alg string, key any, wantExp bool) func(t *testing.T, out flows.Output) {
		return func(t *testing.T, out flows.Output) {
			tok, err := jwt.Parse(out["token"].(string), func(tok *jwt.Token) (any, error) { return key, nil },
				jwt.WithValidMethods([]string{alg}), jwt.WithTimeFunc(func() time.Time { return now }))
			if err != nil {
				t.Fatalf("token does not verify: %v", err)
			}
			c := tok.Claims.(jwt.MapClaims)
			if c["sub"] != "u1" || c["iat"] != float64(now.Unix()) {
				t.Errorf("claims = %v", c)
			}
			if _, has := c["exp"]; has != wantExp || (wantExp && c["exp"] != float64(now.Unix()+300)) {
				t.Errorf("exp = %v, want one: %v", c["exp"], wantExp)
			}
			if alg == "RS256" && tok.Header["kid"] != "k1" {
				t.Errorf("header = %v", tok.Header)
			}
		}
	}
	runCases(t, []cardCase{
		{name: "HS256", card: "jwt.sign", in: map[string]any{"key": "s3cret", "claims": map[string]any{"sub": "u1"}},
			check: verify("HS256", []byte("s3cret"), false)},
		{name: "HS256 with expiry", card: "jwt.sign", in: map[string]any{"algorithm": "HS256", "key": "s3cret", "claims": map[string]any{"sub": "u1"}, "expiresIn": 300.0},
			check: verify("HS256", []byte("s3cret"), true)},
		{name: "RS256", card: "jwt.sign", in: map[string]any{"algorithm": "RS256", "key": pemKey, "claims": map[string]any{"sub": "u1"}, "keyId": "k1"},
			check: verify("RS256", &rsaKey.PublicKey, false)},
		{name: "RS256 without a PEM key", card: "jwt.sign", in: map[string]any{"algorithm": "RS256", "key": "s3cret"}, wantErr: "not an RSA private key in PEM"},
		{name: "unknown algorithm", card: "jwt.sign", in: map[string]any{"algorithm": "none", "key": "k"}, wantErr: `unknown algorithm "none"`},
		{name: "empty secret", card: "jwt.sign", in: map[string]any{"key": ""}, wantErr: "the key is empty"},
		{name: "expiry not positive", card: "jwt.sign", in: map[string]any{"key": "k", "expiresIn": 0.0}, wantErr: "more than 0"},
	})
	spec := mustSpec(t, "jwt.sign")
	for _, f := range spec.Inputs {
		if f.Key == "key" && !f.Type.IsSecret() {
			t.Errorf("the key input is not secret, so the history would keep it")
		}
	}
}

func mustSpec(t *testing.T, typ string) flows.CardSpec {
	t.Helper()
	c, ok := reg.Lookup(typ)
	if !ok {
		t.Fatalf("no card %s", typ)
	}
	return c.Spec()
}

// TestMomentFormatsRoundTrip writes dates by each pattern and reads them back.
func TestMomentFormatsRoundTrip(t *testing.T) {
	d := time.Date(2026, 3, 4, 15, 6, 7, 0, time.UTC)
	for _, pattern := range []string{"M/D/YYYY h:mm:ss A", "MM-DD-YY HH:mm:ss", "dddd, MMMM D, YYYY H:m:s", "ddd MMM DD YYYY hh:mm:ss a Z",
		"YYYY-MM-DD[T]HH:mm:ssZZ", "[Day] DDDD [of] YYYY HH:mm:ss"} {
		t.Run(pattern, func(t *testing.T) {
			c, _ := reg.Lookup("date.to_text")
			out := runCard(t, "date.to_text", map[string]any{"date": d, "format": pattern})
			back := runCard(t, "date.from_text", map[string]any{"text": out["output"], "format": pattern})
			if got := back["output"].(time.Time); !got.Equal(d) {
				t.Fatalf("%s: %q read back as %v", c.Spec().Title, out["output"], got)
			}
		})
	}
}

func runCard(t *testing.T, typ string, in map[string]any) flows.Output {
	t.Helper()
	var got flows.Output
	runCases(t, []cardCase{{name: "run", card: typ, in: in, check: func(t *testing.T, out flows.Output) { got = out }}})
	if got == nil {
		t.FailNow()
	}
	return got
}

// TestJWTSignKeyIsMaskedInHistory runs JWT Sign in a flow: the recorded step
// keeps the token but never the key.
func TestJWTSignKeyIsMaskedInHistory(t *testing.T) {
	const secret = "s3cret-signing-key-0123456789"
	def := flows.Definition{Schema: flows.SchemaVersion, Kind: flows.KindWorkspace, Name: "sign", Event: flows.Node{ID: "event", Type: flows.EventManual},
		Cards: []flows.Node{{ID: "sign", Type: "jwt.sign", Bindings: map[string]flows.Binding{
			"key": {Value: secret}, "claims": {Value: map[string]any{"sub": "u1"}}}}}}
	if err := flows.Validate(def, reg); err != nil {
		t.Fatal(err)
	}
	rec := flowstest.NewRecorder()
	eng := flows.NewEngine(reg, flows.Options{Recorder: rec})
	e, err := eng.Run(context.Background(), flows.RunRequest{Definition: def, Trigger: flows.TriggerTest})
	if err != nil || e.Status != flows.StatusSucceeded {
		t.Fatalf("%v %s %s", err, e.Status, e.Error)
	}
	saved := rec.Get(e.ID)
	step := flowstest.Step(t, saved, "sign")
	if step.Inputs["key"] != flows.Masked {
		t.Fatalf("recorded key = %v, want it masked", step.Inputs["key"])
	}
	if tok, _ := step.Outputs["token"].(string); strings.Count(tok, ".") != 2 {
		t.Fatalf("recorded token = %v", step.Outputs["token"])
	}
}
