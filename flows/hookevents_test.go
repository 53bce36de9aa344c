package flows_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// TestSignHookBody: the signature is the hex HMAC-SHA256 of the body
// keyed with the signing secret (RFC 4231 test case 2).
func TestSignHookBody(t *testing.T) {
	got := flows.SignHookBody("Jefe", []byte("what do ya want for nothing?"))
	if want := "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
}

// TestExecutionEvent: a run that ended raises its event with the flow as
// actor and the execution and the flow as targets; the same end raises
// the same uuid; a run still going or stopped raises none.
func TestExecutionEvent(t *testing.T) {
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		status  flows.Status
		want    flows.HookEventType
		outcome string
	}{
		{"failed", flows.StatusFailed, flows.EventExecutionFailed, "FAILURE"},
		{"succeeded", flows.StatusSucceeded, flows.EventExecutionSucceeded, "SUCCESS"},
		{"running", flows.StatusRunning, "", ""},
		{"stopped", flows.StatusStopped, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := &flows.Execution{ID: "01abc", FlowID: 7, FlowName: "Orders", Status: tc.status, Trigger: flows.TriggerPayload,
				StartedAt: at, FinishedAt: at.Add(time.Second), Error: "card http: HTTP 503"}
			ev, ok := flows.ExecutionEvent(e)
			if ok != (tc.want != "") {
				t.Fatalf("raised = %v", ok)
			}
			if !ok {
				return
			}
			again, _ := flows.ExecutionEvent(e)
			if ev.EventType != tc.want || ev.Outcome.Result != tc.outcome || ev.UUID != again.UUID || !ev.Published.Equal(e.FinishedAt) ||
				ev.Actor.ID != "7" || len(ev.Target) != 2 || ev.Target[0].ID != "01abc" || ev.Target[1].DisplayName != "Orders" {
				t.Errorf("event %+v", ev)
			}
		})
	}
}

// TestHookEnvelope: the envelope has Okta's shape with Hookflow's type.
func TestHookEnvelope(t *testing.T) {
	ev := flows.NewHookEvent(flows.EventTableCleared, flows.SystemActor(), "Table cleared", "")
	raw, _ := json.Marshal(ev)
	b, err := flows.EncodeHookEnvelope("https://hf.example.com", 3, "id-1", time.Unix(0, 0), []json.RawMessage{raw})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for k, v := range map[string]any{"eventType": "com.hookflow.event_hook", "eventTypeVersion": "1.0", "cloudEventsVersion": "0.1",
		"source": "https://hf.example.com/api/v1/event-hooks/3", "eventId": "id-1", "contentType": "application/json", "eventTime": "1970-01-01T00:00:00Z"} {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	events := m["data"].(map[string]any)["events"].([]any)
	first := events[0].(map[string]any)
	for _, k := range []string{"uuid", "eventType", "published", "actor", "target", "outcome", "displayMessage"} {
		if _, ok := first[k]; !ok {
			t.Errorf("event without %s: %v", k, first)
		}
	}
}

// TestDefaultHookEventTypes: a hook that names no events gets all but
// execution.succeeded.
func TestDefaultHookEventTypes(t *testing.T) {
	def := flows.DefaultHookEventTypes()
	if slices.Contains(def, flows.EventExecutionSucceeded) || len(def) != len(flows.HookEventTypes)-1 {
		t.Errorf("defaults %v", def)
	}
}
