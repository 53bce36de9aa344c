package flows_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	. "github.com/hookflow/hookflow/flows/flowstest"
)

// unboundFlow starts on an unbound Okta event and uses an unbound Okta
// action inside an If/Else lane; the other cards refer to both.
func unboundFlow() flows.Definition {
	ev := flows.Node{ID: "event", Type: flows.EventUnbound, Label: "User Added to Group",
		Outputs: []flows.Field{F("Okta User", object), F("Group", object)},
		Unbound: &flows.Unbound{App: "okta", Name: "User Added to Group", Address: "root:channels:http:okta:userAddedToGroupMembership"}}
	read := Card("read", flows.CardUnbound, Inputs(F("id", text), F("extra", text)), Outputs(F("Profile", object)),
		In("id", Ref("event", "Okta User", "id")), In("extra", Static("x")))
	read.Label = "Read User"
	read.Unbound = &flows.Unbound{App: "okta", Name: "readUser", Address: "root:channels:http:okta:readUser"}
	return Flow(ev,
		Card("if", flows.ControlIfElse, In("a", Ref("event", "Group", "name")), In("b", Static("admins")),
			Lane("then", Cards(read, Card("up", "fake.upper", In("text", Ref("read", "Profile", "login"))))),
			Lane("else", Cards())),
		Card("after", "fake.upper", In("text", Ref("event", "Okta User", "login"))))
}

func problemCodes(err error) map[string]string {
	out := map[string]string{}
	var ve *flows.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			out[p.Card] = p.Code + ": " + p.Message
		}
	}
	return out
}

func TestUnboundCardsSaveWithProblems(t *testing.T) {
	def := unboundFlow()
	got := problemCodes(flows.Validate(def, Registry()))
	if len(got) != 2 {
		t.Fatalf("problems = %v, want one on the event card and one on the action", got)
	}
	for card, want := range map[string][]string{
		"event": {"unbound_event", `okta event "User Added to Group"`, "Webhook Event card", "flow's page"},
		"read":  {"unbound_card", `okta action "readUser"`, "connector action card"},
	} {
		for _, w := range want {
			if !strings.Contains(got[card], w) {
				t.Errorf("problem on %s = %q, want it to say %q", card, got[card], w)
			}
		}
	}
	// The document keeps what the cards stood for.
	b, err := flows.MarshalDefinition(def)
	if err != nil {
		t.Fatal(err)
	}
	back, err := flows.ParseDefinition(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Event.Unbound, def.Event.Unbound) {
		t.Errorf("event after a round trip = %+v", back.Event.Unbound)
	}
}

func TestUnboundFlowsDoNotRunOrTurnOn(t *testing.T) {
	def := unboundFlow()
	e := Run(t, def, map[string]any{"Okta User": map[string]any{"login": "ada"}, "Group": map[string]any{"name": "x"}})
	if e.Status != flows.StatusFailed || !strings.Contains(e.Error, "Webhook Event card") {
		t.Fatalf("status %s, error %q", e.Status, e.Error)
	}
	if ids := StepIDs(e); len(ids) != 0 {
		t.Errorf("cards ran: %v", ids)
	}

	// A manual flow with only an unbound action card refuses to run too.
	act := Card("act", flows.CardUnbound)
	act.Label, act.Unbound = "Send SMS", &flows.Unbound{App: "twilio", Name: "sendSms"}
	e = Run(t, Flow(Manual(), Card("first", "fake.upper", In("text", Static("a"))), act), nil)
	if e.Status != flows.StatusFailed || !strings.Contains(e.Error, `twilio action "sendSms"`) {
		t.Fatalf("status %s, error %q", e.Status, e.Error)
	}

	sched := Flow(flows.NewScheduleEvent(), act)
	l := &flows.Lifecycle{Store: oneFlow{f: flows.Flow{ID: 7, Definition: sched}}}
	if _, err := l.On(context.Background(), 7); !errors.Is(err, flows.ErrUnbound) || !errors.Is(err, flows.ErrInvalid) {
		t.Fatalf("On = %v, want the flow refused until its cards are bound", err)
	}
}

// oneFlow is a lifecycle store that holds one flow and nothing else.
type oneFlow struct {
	flows.LifecycleStore
	f flows.Flow
}

func (s oneFlow) Flow(context.Context, int64) (flows.Flow, error) { return s.f, nil }

func TestBindEvent(t *testing.T) {
	src := flows.EventSource{Connector: 3, Version: 2, Flow: 11, Connection: 5}
	t.Run("to a connector's event card", func(t *testing.T) {
		def := unboundFlow()
		ev := flows.Node{ID: "ignored", Type: flows.EventConnector, Label: "Okta: User added",
			Outputs: []flows.Field{F("oktaUser", object), F("target", object)}}
		if err := flows.BindEventTo(&def, ev, src); err != nil {
			t.Fatal(err)
		}
		if def.Event.ID != "event" || def.Event.Type != flows.EventConnector || def.Event.Unbound != nil || *def.Source != src {
			t.Fatalf("event = %+v, source %+v", def.Event, def.Source)
		}
		after, _ := def.Card("after")
		if r := after.Bindings["text"].Ref; r.Field != "oktaUser" || r.Path != "login" {
			t.Errorf("reference whose name matches = %+v", r)
		}
		got := problemCodes(flows.Validate(def, Registry()))
		if !strings.HasPrefix(got["if"], "bad_ref") || got["event"] != "" {
			t.Errorf("problems = %v, want only the output the new card lacks (Group)", got)
		}
		if err := flows.BindEventTo(&def, ev, src); !errors.Is(err, flows.ErrInvalid) {
			t.Errorf("binding twice = %v", err)
		}
	})
	t.Run("by type, keeping the fields", func(t *testing.T) {
		def := unboundFlow()
		if err := flows.BindEvent(&def, src, flows.EventConnector); err != nil {
			t.Fatal(err)
		}
		if got := problemCodes(flows.Validate(def, Registry())); len(got) != 1 || !strings.HasPrefix(got["read"], "unbound_card") {
			t.Errorf("problems = %v, want only the unbound action", got)
		}
		def = unboundFlow()
		if err := flows.BindEvent(&def, src, flows.EventManual); !errors.Is(err, flows.ErrInvalid) {
			t.Errorf("binding to a manual event = %v", err)
		}
	})
}

func TestBindCard(t *testing.T) {
	t.Run("to a connector action card", func(t *testing.T) {
		def := unboundFlow()
		action := flows.Node{Type: flows.ControlAction, Label: "Okta: Read user",
			Inputs: []flows.Field{F("id", text)}, Outputs: []flows.Field{F("profile", object)},
			Bindings: map[string]flows.Binding{}, Action: &flows.ActionRef{Connector: 3, Version: 2, Flow: 12}}
		if err := flows.BindCardTo(&def, "read", action); err != nil {
			t.Fatal(err)
		}
		n, _ := def.Card("read")
		if n.Type != flows.ControlAction || n.Label != "Read User" || n.Action == nil || n.Unbound != nil {
			t.Fatalf("card = %+v", n)
		}
		if _, kept := n.Bindings["id"]; !kept || len(n.Bindings) != 1 {
			t.Errorf("bindings = %v, want id kept and extra dropped", n.Bindings)
		}
		up, _ := def.Card("up")
		if r := up.Bindings["text"].Ref; r.Field != "profile" {
			t.Errorf("reference to the output = %+v", r)
		}
		if err := flows.BindCardTo(&def, "read", action); !errors.Is(err, flows.ErrInvalid) {
			t.Errorf("binding twice = %v", err)
		}
		if err := flows.BindCardTo(&def, "nope", action); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("binding an unknown card = %v", err)
		}
	})
	t.Run("to a card type", func(t *testing.T) {
		def := unboundFlow()
		if err := flows.BindCard(&def, "read", "fake.upper"); err != nil {
			t.Fatal(err)
		}
		n, _ := def.Card("read")
		if n.Type != "fake.upper" || n.Inputs != nil || n.Bindings["id"].Ref == nil {
			t.Errorf("card = %+v", n)
		}
		if err := flows.BindCard(&def, "if", "fake.upper"); !errors.Is(err, flows.ErrInvalid) {
			t.Errorf("binding a card that is not waiting = %v", err)
		}
	})
}
