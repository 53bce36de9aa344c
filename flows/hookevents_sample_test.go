package flows_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/hookflow/hookflow/flows"
)

// TestSampleHookBody: every event type has a sample body, the envelope
// with one event of that type with an actor, a description, and a
// failure's reason where the type is one; an unknown type has none.
func TestSampleHookBody(t *testing.T) {
	failures := []flows.HookEventType{flows.EventExecutionFailed, flows.EventSubscriptionFailed, flows.EventDeliveryDead, flows.EventAdminSigninFailed}
	for _, ty := range flows.HookEventTypes {
		t.Run(string(ty), func(t *testing.T) {
			body, err := flows.SampleHookBody("https://hookflow.example.com", 3, ty)
			if err != nil {
				t.Fatal(err)
			}
			var env flows.HookEnvelope
			if err := json.Unmarshal([]byte(body), &env); err != nil || env.EventType != flows.HookEnvelopeType ||
				env.Source != "https://hookflow.example.com/api/v1/event-hooks/3" || len(env.Data.Events) != 1 {
				t.Fatalf("the body %s: %v", body, err)
			}
			var ev flows.HookEvent
			json.Unmarshal(env.Data.Events[0], &ev)
			if ev.EventType != ty || ev.Actor.ID == "" || ev.DisplayMessage == "" || ev.UUID == "" {
				t.Errorf("the event %+v", ev)
			}
			if failed := slices.Contains(failures, ty); failed != (ev.Outcome.Result == "FAILURE") {
				t.Errorf("outcome %+v", ev.Outcome)
			}
			if ty.Describe() == string(ty) {
				t.Errorf("%s has no description", ty)
			}
			if got := flows.HookBodyEventTypes(body); !slices.Equal(got, []flows.HookEventType{ty}) {
				t.Errorf("the body's event types: %v", got)
			}
		})
	}
	if _, err := flows.SampleHookBody("", 1, "no.such"); err == nil {
		t.Error("an unknown type has a sample")
	}
	if got := flows.HookBodyEventTypes("not json"); len(got) != 0 {
		t.Errorf("a body that is not an envelope: %v", got)
	}
}
