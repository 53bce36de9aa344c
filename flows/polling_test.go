package flows_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	. "github.com/hookflow/hookflow/flows/flowstest"
)

// pollingFlow is a Polling Event flow: it reads the cursor, sets it to
// the value of the option "next", and returns the records it is given.
func pollingFlow(cards ...flows.Node) flows.Definition {
	def, _ := flows.NewDefinition(flows.KindPollingEvent, "New tickets")
	def.Event.Outputs = []flows.Field{{Key: "next", Type: flows.TypeText}}
	def.Cards = cards
	return def
}

// TestCursorCards runs Get Cursor and Set Cursor: Get reads the cursor
// the run was given (empty when none), Set writes it for the lifecycle to
// save, and a cursor over 10 KB fails the run with words that say so.
func TestCursorCards(t *testing.T) {
	tests := []struct {
		name       string
		cursor     *flows.Cursor
		next       string
		wantStatus flows.Status
		wantGot    string
		wantCursor string
		wantErr    string
	}{
		{"first poll reads it empty", flows.NewCursor(""), "t1", flows.StatusSucceeded, "", "t1", ""},
		{"a later poll reads the one saved", flows.NewCursor("t1"), "t2", flows.StatusSucceeded, "t1", "t2", ""},
		{"outside a poll it reads empty", nil, "t1", flows.StatusSucceeded, "", "", ""},
		{"just 10 KB", flows.NewCursor("t1"), strings.Repeat("x", flows.MaxCursorBytes), flows.StatusSucceeded, "t1", strings.Repeat("x", flows.MaxCursorBytes), ""},
		{"over 10 KB fails", flows.NewCursor("t1"), strings.Repeat("x", flows.MaxCursorBytes+1), flows.StatusFailed, "t1", "t1", "the cursor is too large: it is 10241 bytes and holds at most 10240 (10 KB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := pollingFlow(
				Card("get", flows.PollingGetCursor),
				Card("set", flows.PollingSetCursor, In("cursor", Ref("event", "next"))))
			if err := flows.Validate(def, Registry()); err != nil {
				t.Fatal(err)
			}
			exec, err := flows.NewEngine(Registry(), flows.Options{}).Run(context.Background(), flows.RunRequest{Definition: def,
				Input: map[string]any{"next": tt.next}, Trigger: flows.TriggerPoll, Cursor: tt.cursor})
			if err != nil {
				t.Fatal(err)
			}
			if exec.Status != tt.wantStatus || !strings.Contains(exec.Error, tt.wantErr) {
				t.Fatalf("status %s, error %q", exec.Status, exec.Error)
			}
			if got := Step(t, exec, "get").Outputs["cursor"]; got != tt.wantGot {
				t.Errorf("Get Cursor gave %q", got)
			}
			if tt.cursor != nil && tt.cursor.Value() != tt.wantCursor {
				t.Errorf("the cursor is %q after the run", tt.cursor.Value())
			}
			if tt.wantErr != "" && exec.ErrorCard != "set" {
				t.Errorf("the error is at card %q", exec.ErrorCard)
			}
		})
	}
}

// TestPollingValidation checks a Polling Event flow's settings as a save
// does, and the cursor cards' place: only in a Polling Event flow.
func TestPollingValidation(t *testing.T) {
	tests := []struct {
		name string
		edit func(*flows.Definition)
		want string // part of a problem's message; empty: valid
	}{
		{"new flow", func(*flows.Definition) {}, ""},
		{"each needs a records path", func(d *flows.Definition) { d.Polling.RecordsPath = "" }, "name where the records list is"},
		{"every time needs none", func(d *flows.Definition) { d.Polling.RunMode, d.Polling.RecordsPath = flows.RunEveryTime, "" }, ""},
		{"unknown run mode", func(d *flows.Definition) { d.Polling.RunMode = flows.RunSingle }, "choose a run mode: each record, list of records, every time or no new data"},
		{"bad default interval", func(d *flows.Definition) { d.Polling.Every = "often" }, `the default interval: "often" is not an interval`},
		{"no settings", func(d *flows.Definition) { d.Polling = nil }, "set the Polling Event card's run mode"},
		{"option named as the interval", func(d *flows.Definition) {
			d.Event.Outputs = []flows.Field{{Key: flows.FieldPollInterval, Type: flows.TypeText}}
		}, "is taken"},
		{"settings on another kind", func(d *flows.Definition) { d.Kind, d.Event.Type = flows.KindHelper, flows.EventHelper }, "only a Polling Event flow has polling settings"},
		{"cursor card in a helper", func(d *flows.Definition) {
			d.Kind, d.Event.Type, d.Polling = flows.KindHelper, flows.EventHelper, nil
			d.Cards = append(d.Cards, Card("get", flows.PollingGetCursor))
		}, "Get Cursor works only in a Polling Event flow"},
		{"cursor card in a workspace flow", func(d *flows.Definition) {
			d.Kind, d.Event, d.Polling = flows.KindWorkspace, Manual(), nil
			d.Cards = append(d.Cards, Card("set", flows.PollingSetCursor))
		}, "Set Cursor works only in a Polling Event flow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := pollingFlow(Card("return", flows.ControlReturn, Inputs(F("records", flows.ListOf(object)))))
			tt.edit(&def)
			err := flows.Validate(def, Registry())
			if tt.want == "" {
				if err != nil {
					t.Fatalf("invalid: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// TestDeployChecksPollingFlows validates a connector holding a Polling
// Event flow as Deploy does: it needs a Return card with fields, and its
// records path names a list field of that card.
func TestDeployChecksPollingFlows(t *testing.T) {
	ret := func(fields ...flows.Field) flows.Node { return Card("return", flows.ControlReturn, Inputs(fields...)) }
	tests := []struct {
		name  string
		cards []flows.Node
		path  string
		want  string
	}{
		{"valid", []flows.Node{ret(F("records", flows.ListOf(object)))}, "records", ""},
		{"a path inside a field", []flows.Node{ret(F("page", object))}, "page.items", ""},
		{"without a Return", nil, "records", `flow "New tickets": a Polling Event flow ends in a Return card`},
		{"a Return without fields", []flows.Node{ret()}, "records", "its Return card has no fields"},
		{"an unknown records path", []flows.Node{ret(F("items", flows.ListOf(object)), F("next", text))}, "records",
			`the records path "records" names no field of the Return card (its fields: items, next)`},
		{"records that are no list", []flows.Node{ret(F("records", text))}, "records", "make it a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := pollingFlow(tt.cards...)
			def.Polling.RecordsPath = tt.path
			x := flows.ConnectorExport{Schema: flows.SchemaVersion, Connector: flows.ConnectorInfo{Name: "Acme", Auth: flows.AuthDefinition{Kind: flows.AuthNone}},
				Flows: []flows.ExportedFlow{{Key: "1", Definition: def}}}
			err := flows.ValidateConnector(x, Registry())
			if tt.want == "" {
				if err != nil {
					t.Fatalf("invalid: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// TestPollingEventCard makes a workspace flow's event card from a
// deployed Polling Event: the interval first, then the options; the
// Return fields as outputs, one record in run mode each.
func TestPollingEventCard(t *testing.T) {
	def := pollingFlow(Card("return", flows.ControlReturn, Inputs(F("records", flows.ListOf(object)), F("next", text))))
	def.Event.Outputs = []flows.Field{{Key: "project", Label: "Project", Type: flows.TypeText, Required: true}}
	def.Polling.Every = "10m"
	v := flows.ConnectorVersion{ConnectorID: 3, Version: 2, Export: flows.ConnectorExport{Connector: flows.ConnectorInfo{Name: "Acme"},
		Flows: []flows.ExportedFlow{{Key: "7", Definition: def}}}}
	n, src, err := flows.ConnectorEvent(v, 7)
	if err != nil {
		t.Fatal(err)
	}
	if n.Type != flows.EventConnector || n.Label != "Acme: New tickets" || *src != (flows.EventSource{Connector: 3, Version: 2, Flow: 7}) {
		t.Fatalf("card %+v from %+v", n, src)
	}
	if len(n.Inputs) != 2 || n.Inputs[0].Key != flows.FieldPollInterval || !strings.Contains(n.Inputs[0].Help, "every 10m if empty") || n.Inputs[1].Key != "project" {
		t.Fatalf("inputs %+v", n.Inputs)
	}
	if len(n.Outputs) != 2 || n.Outputs[0].Type != object || n.Outputs[1].Type != text {
		t.Fatalf("outputs %+v", n.Outputs)
	}
}

// TestPollInterval reads the interval a flow polls at: its user's, or the
// connector's default, never under the server's minimum.
func TestPollInterval(t *testing.T) {
	tests := []struct {
		name    string
		every   string // the connector's default
		chosen  any    // the event card's value
		min     time.Duration
		want    time.Duration
		wantErr string
	}{
		{"the connector's default", "", nil, time.Minute, 5 * time.Minute, ""},
		{"the connector's own", "10m", nil, time.Minute, 10 * time.Minute, ""},
		{"the user's choice", "10m", "2m", time.Minute, 2 * time.Minute, ""},
		{"days", "", "1d", time.Minute, 24 * time.Hour, ""},
		{"under the server's minimum", "", "30s", time.Minute, 0, "this server polls at most once every minute"},
		{"a test server's second", "", "1s", time.Second, time.Second, ""},
		{"not an interval", "", "soon", time.Minute, 0, `Poll every: "soon" is not an interval`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := flows.Definition{Event: flows.Node{Bindings: map[string]flows.Binding{}}}
			if tt.chosen != nil {
				def.Event.Bindings[flows.FieldPollInterval] = flows.Binding{Value: tt.chosen}
			}
			got, err := flows.PollInterval(&def, &flows.PollingSettings{Every: tt.every}, tt.min)
			if tt.wantErr != "" {
				if !errors.Is(err, flows.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %s, %v", got, err)
			}
		})
	}
}

// pollingVersion is version n of a connector (id 9) whose Polling Event
// (key 4) has the given options.
func pollingVersion(n int, options ...flows.Field) flows.ConnectorVersion {
	def := pollingFlow(Card("return", flows.ControlReturn, Inputs(F("records", flows.ListOf(object)))))
	def.Event.Outputs = options
	return flows.ConnectorVersion{ConnectorID: 9, Version: n, Export: flows.ConnectorExport{Schema: flows.SchemaVersion,
		Connector: flows.ConnectorInfo{Name: "Tracker"}, Flows: []flows.ExportedFlow{{Key: "4", Definition: def}}}}
}

// TestPollingEventMovesToANewVersion upgrades a workspace flow on a
// Polling Event: the event card moves with its interval and options kept,
// and an option the new version adds as required is listed.
func TestPollingEventMovesToANewVersion(t *testing.T) {
	project := flows.Field{Key: "project", Label: "Project", Type: flows.TypeText}
	v1 := pollingVersion(1, project)
	ev, src, err := flows.ConnectorEvent(v1, 4)
	if err != nil {
		t.Fatal(err)
	}
	ev.Bindings[flows.FieldPollInterval], ev.Bindings["project"] = Static("2m"), Static("HF")
	def := Flow(ev)
	def.Source = src
	v2 := pollingVersion(2, project, flows.Field{Key: "status", Label: "Status", Type: flows.TypeText, Required: true})
	p := flows.PlanMove(flows.Flow{ID: 1, Revision: 3, Definition: def}, map[int]flows.ConnectorVersion{1: v1}, v2, Registry())
	if len(p.Blocked) > 0 || len(p.Moved) != 1 || p.Definition.Source.Version != 2 {
		t.Fatalf("plan %+v", p)
	}
	b := p.Definition.Event.Bindings
	if b[flows.FieldPollInterval].Value != "2m" || b["project"].Value != "HF" || len(p.Definition.Event.Inputs) != 3 {
		t.Fatalf("the moved card: %+v", p.Definition.Event)
	}
	if len(p.Problems) != 1 || p.Problems[0].Field != "status" || p.Problems[0].Code != "missing_input" {
		t.Fatalf("problems %+v", p.Problems)
	}
}

// TestPollingFlowExportsAndImports writes a connector holding a Polling
// Event flow and reads it back: the settings, options and cursor cards
// come back as they were.
func TestPollingFlowExportsAndImports(t *testing.T) {
	x := pollingVersion(1, flows.Field{Key: "project", Type: flows.TypeText}).Export
	x.Flows[0].Definition.Cards = append([]flows.Node{Card("get", flows.PollingGetCursor)}, x.Flows[0].Definition.Cards...)
	x.Flows[0].Definition.Polling = &flows.PollingSettings{RunMode: flows.RunNoNewData, RecordsPath: "records", Every: "1h"}
	b, err := flows.MarshalConnector(x)
	if err != nil {
		t.Fatal(err)
	}
	back, err := flows.ParseConnector(b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := flows.MarshalConnector(back)
	def := back.Flows[0].Definition
	if string(again) != string(b) || *def.Polling != *x.Flows[0].Definition.Polling || def.Cards[0].Type != flows.PollingGetCursor || def.Event.Outputs[0].Key != "project" {
		t.Fatalf("read back %s", again)
	}
}
