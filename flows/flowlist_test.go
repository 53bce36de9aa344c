package flows_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
)

func TestFlowFilter(t *testing.T) {
	greeter := flows.Flow{ID: 1, FolderID: 4, Definition: flows.Definition{Name: "Greet new users"}}
	tests := []struct {
		name   string
		filter flows.FlowFilter
		kind   string
		state  flows.SubscriptionState
		want   bool
	}{
		{"no filter", flows.FlowFilter{}, flows.StartManual, flows.SubscriptionOff, true},
		{"words of the name, any case", flows.FlowFilter{Query: " NEW user"}, flows.StartManual, flows.SubscriptionOff, true},
		{"other words", flows.FlowFilter{Query: "goodbye"}, flows.StartManual, flows.SubscriptionOff, false},
		{"on and active", flows.FlowFilter{State: "on"}, flows.StartWebhook, flows.SubscriptionActive, true},
		{"on while still registering", flows.FlowFilter{State: "on"}, flows.StartWebhook, flows.SubscriptionRegistering, false},
		{"off while deregistration failed", flows.FlowFilter{State: "off"}, flows.StartWebhook, flows.SubscriptionFailed, true},
		{"off and active", flows.FlowFilter{State: "off"}, flows.StartWebhook, flows.SubscriptionActive, false},
		{"its folder", flows.FlowFilter{Folder: 4}, flows.StartManual, flows.SubscriptionOff, true},
		{"another folder", flows.FlowFilter{Folder: 5}, flows.StartManual, flows.SubscriptionOff, false},
		{"in no folder", flows.FlowFilter{Folder: -1}, flows.StartManual, flows.SubscriptionOff, false},
		{"its kind", flows.FlowFilter{Kind: flows.StartSchedule}, flows.StartSchedule, flows.SubscriptionOff, true},
		{"another kind", flows.FlowFilter{Kind: flows.StartSchedule}, flows.StartManual, flows.SubscriptionOff, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.filter.Match(greeter, tt.kind, tt.state); got != tt.want {
				t.Fatalf("Match = %v, want %v", got, tt.want)
			}
		})
	}
	for _, bad := range []flows.FlowFilter{{State: "maybe"}, {Kind: "email"}, {Query: strings.Repeat("q", 201)}} {
		if err := bad.Check(); !errors.Is(err, flows.ErrInvalid) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

func TestCheckDelete(t *testing.T) {
	helper := flows.Flow{ID: 2, Definition: flows.Definition{Name: "Shout"}}
	caller := func(id int64, name string) flows.Flow {
		return flows.Flow{ID: id, Definition: flows.Definition{Name: name, Cards: []flows.Node{{ID: "call", Type: flows.ControlCallFlow,
			Bindings: map[string]flows.Binding{"flow": {Value: 2.0}}}}}}
	}
	tests := []struct {
		name  string
		state flows.SubscriptionState
		all   []flows.Flow
		want  string // "" when it may be deleted
	}{
		{"off, called by none", flows.SubscriptionOff, []flows.Flow{helper}, ""},
		{"on", flows.SubscriptionActive, []flows.Flow{helper}, "turn the flow OFF before deleting it"},
		{"deregistering", flows.SubscriptionDeregistering, []flows.Flow{helper}, "still being turned on or off (deregistering)"},
		{"called by one", flows.SubscriptionOff, []flows.Flow{helper, caller(3, "Caller")}, `"Shout" cannot be deleted: "Caller" calls it`},
		{"called by two", flows.SubscriptionOff, []flows.Flow{caller(3, "A"), helper, caller(4, "B")}, `"Shout" cannot be deleted: "A", "B" call it`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := flows.CheckDelete(helper, tt.state, tt.all)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (!errors.Is(err, flows.ErrConflict) || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want a conflict with %q", err, tt.want)
			}
		})
	}
}

func TestCheckReplace(t *testing.T) {
	saved, _ := flows.NewDefinition(flows.KindWorkspace, "Greeter")
	renamed := saved
	renamed.Name = "Welcomer"
	scheduled := saved
	scheduled.Event = flows.NewScheduleEvent()
	helper := saved
	helper.Kind = flows.KindHelper
	tests := []struct {
		name string
		next flows.Definition
		live bool
		want error
	}{
		{"renamed while OFF", renamed, false, nil},
		{"renamed while ON", renamed, true, nil},
		{"another event while OFF", scheduled, false, nil},
		{"another event while ON", scheduled, true, flows.ErrConflict},
		{"another kind", helper, false, flows.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := flows.CheckReplace(&saved, &tt.next, tt.live); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
