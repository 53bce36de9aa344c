package flows_test

import (
	"slices"
	"testing"

	"github.com/hookflow/hookflow/flows"
	. "github.com/hookflow/hookflow/flows/flowstest"
)

// acmeVersion is version n of a connector (id 7) with a Webhook Event
// (key 3) whose Return gives outputs, and an action (key 5) with inputs.
func acmeVersion(n int, outputs []flows.Field, actionInputs []flows.Field, eventKey string) flows.ConnectorVersion {
	ev, _ := flows.NewDefinition(flows.KindWebhookEvent, "User event")
	ev.Cards = []flows.Node{{ID: "return", Type: flows.ControlReturn, Inputs: outputs}}
	ev.Webhook = &flows.WebhookSettings{RunMode: flows.RunSingle, ManualRegistration: true,
		Options: []flows.Field{{Key: "events", Label: "Events", Type: flows.TypeText}}}
	act, _ := flows.NewDefinition(flows.KindAction, "Get user")
	act.Event.Outputs = actionInputs
	act.Cards = []flows.Node{{ID: "return", Type: flows.ControlReturn, Inputs: []flows.Field{F("name", flows.TypeText)}}}
	return flows.ConnectorVersion{ConnectorID: 7, Version: n, Export: flows.ConnectorExport{Schema: flows.SchemaVersion,
		Connector: flows.ConnectorInfo{Name: "Acme"},
		Flows:     []flows.ExportedFlow{{Key: eventKey, Definition: ev}, {Key: "5", Definition: act}}}}
}

// upgradeFlow is a workspace flow on version v: the event card, an
// upper-casing card reading the event's email, the Get user action fed the
// event's name, and a card reading the action's name.
func upgradeFlow(t *testing.T, v flows.ConnectorVersion) flows.Flow {
	t.Helper()
	ev, src, err := flows.ConnectorEvent(v, 3)
	if err != nil {
		t.Fatal(err)
	}
	ev.Bindings["events"] = Static("user.created")
	act, err := flows.ConnectorAction(v, 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	act.ID, act.Bindings["id"] = "act", Ref("event", "name")
	def := Flow(ev, Card("up", "fake.upper", In("text", Ref("event", "email"))), act, Card("up2", "fake.upper", In("text", Ref("act", "name"))))
	def.Source = src
	if err := flows.Validate(def, Registry()); err != nil {
		t.Fatalf("the flow on version %d: %v", v.Version, err)
	}
	return flows.Flow{ID: 1, Revision: 4, Definition: def}
}

func TestPlanMove(t *testing.T) {
	both := []flows.Field{F("email", flows.TypeText), F("name", flows.TypeText)}
	v1 := acmeVersion(1, both, []flows.Field{{Key: "id", Type: flows.TypeText, Required: true}}, "3")
	type problem struct{ card, field, code string }
	tests := []struct {
		name    string
		to      flows.ConnectorVersion
		moved   []string
		want    []problem
		blocked bool
	}{
		{"same fields: nothing breaks", acmeVersion(2, both, v1.Export.Flows[1].Definition.Event.Outputs, "3"), []string{"event", "act"}, nil, false},
		{"an output dropped: the mapping that read it breaks",
			acmeVersion(2, []flows.Field{F("name", flows.TypeText)}, v1.Export.Flows[1].Definition.Event.Outputs, "3"),
			[]string{"event", "act"}, []problem{{"up", "text", "output_removed"}}, false},
		{"an action input renamed: its mapping is dropped and the new one is required",
			acmeVersion(2, both, []flows.Field{{Key: "userId", Type: flows.TypeText, Required: true}}, "3"),
			[]string{"event", "act"}, []problem{{"act", "id", "input_removed"}, {"act", "userId", "missing_input"}}, false},
		{"the event's flow has a new key: found by its name", acmeVersion(2, both, v1.Export.Flows[1].Definition.Event.Outputs, "9"), []string{"event", "act"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := upgradeFlow(t, v1)
			before := flows.MarshalDefinition
			was, _ := before(f.Definition)
			p := flows.PlanMove(f, map[int]flows.ConnectorVersion{1: v1}, tt.to, Registry())
			if now, _ := before(f.Definition); string(now) != string(was) {
				t.Fatal("planning changed the flow itself")
			}
			if (len(p.Blocked) > 0) != tt.blocked {
				t.Fatalf("blocked: %+v", p.Blocked)
			}
			var moved []string
			for _, m := range p.Moved {
				if m.From != 1 || m.To != 2 {
					t.Fatalf("moved %+v", m)
				}
				moved = append(moved, m.Card)
			}
			if !slices.Equal(moved, tt.moved) {
				t.Fatalf("moved %v, want %v", moved, tt.moved)
			}
			var got []problem
			for _, pr := range p.Problems {
				got = append(got, problem{pr.Card, pr.Field, pr.Code})
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("problems %+v, want %+v", p.Problems, tt.want)
			}
			if p.Definition.Source.Version != 2 || p.Definition.Cards[1].Action.Version != 2 || p.Definition.Event.Bindings["events"].Value != "user.created" {
				t.Fatalf("the new flow: source %+v, action %+v, event bindings %+v", p.Definition.Source, p.Definition.Cards[1].Action, p.Definition.Event.Bindings)
			}
		})
	}

	// A version without the event or the action (by key or by name)
	// cannot be moved to.
	gone := acmeVersion(2, both, nil, "3")
	gone.Export.Flows = gone.Export.Flows[1:]
	gone.Export.Flows[0].Key, gone.Export.Flows[0].Definition.Name = "6", "Fetch user"
	if p := flows.PlanMove(upgradeFlow(t, v1), map[int]flows.ConnectorVersion{1: v1}, gone, Registry()); len(p.Blocked) != 2 {
		t.Fatalf("a version without the event or the action: blocked %+v", p.Blocked)
	}
}

func TestOutdatedAndRollbackPoint(t *testing.T) {
	both := []flows.Field{F("email", flows.TypeText), F("name", flows.TypeText)}
	inputs := []flows.Field{F("id", flows.TypeText)}
	v1, v2 := acmeVersion(1, both, inputs, "3"), acmeVersion(2, both, inputs, "3")
	f1 := upgradeFlow(t, v1)
	f2 := flows.PlanMove(f1, nil, v2, nil).Definition

	if got := flows.OutdatedConnectors(&f1.Definition, map[int64]int{7: 2, 8: 4}); !slices.Equal(got, []flows.Outdated{{Connector: 7, From: 1, To: 2}}) {
		t.Fatalf("outdated on version 1: %+v", got)
	}
	if got := flows.OutdatedConnectors(&f2, map[int64]int{7: 2}); len(got) != 0 {
		t.Fatalf("outdated on version 2: %+v", got)
	}

	edited := f2
	edited.Name = "Renamed"
	tests := []struct {
		name string
		now  flows.Definition
		revs []flows.FlowRevision
		want int
	}{
		{"just upgraded", f2, []flows.FlowRevision{{Revision: 4, Definition: f1.Definition}}, 4},
		{"edited after the upgrade", edited, []flows.FlowRevision{{Revision: 5, Definition: f2}, {Revision: 4, Definition: f1.Definition}}, 4},
		{"rolled back", f1.Definition, []flows.FlowRevision{{Revision: 5, Definition: f2}, {Revision: 4, Definition: f1.Definition}}, 0},
		{"never upgraded", f1.Definition, []flows.FlowRevision{{Revision: 3, Definition: f1.Definition}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := flows.RollbackPoint(tt.now, tt.revs); got != tt.want {
				t.Fatalf("roll back to %d, want %d", got, tt.want)
			}
		})
	}
}
