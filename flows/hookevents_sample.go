package flows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// SampleHookEvent is an event of type t as Hookflow raises it, about
// made-up flows, connectors and people: what a Preview shows and sends.
// It is built by the code that builds the real events where that code is
// in flows, and in the same shape as the store's where it is not.
func SampleHookEvent(t HookEventType) HookEvent {
	now := time.Now().UTC().Truncate(time.Second)
	flow := HookActor{ID: "42", Type: "Flow", DisplayName: "Sync new customers"}
	sub := HookActor{ID: "7", Type: "Subscription", DisplayName: "subscription 7"}
	admin := HookActor{ID: "admin@example.com", Type: "User", AlternateID: "admin@example.com", DisplayName: "admin@example.com"}
	connector := HookActor{ID: "3", Type: "Connector", DisplayName: "Acme CRM"}
	switch t {
	case EventExecutionFailed, EventExecutionSucceeded:
		e := &Execution{ID: "01JF3Z8Q5S0000000000000000", FlowID: 42, FlowName: flow.DisplayName, Status: StatusSucceeded,
			Trigger: TriggerPayload, StartedAt: now.Add(-2 * time.Second), FinishedAt: now}
		if t == EventExecutionFailed {
			e.Status, e.Error, e.ErrorCard = StatusFailed, "card http.post: the server answered HTTP 503", "post1"
		}
		ev, _ := ExecutionEvent(e)
		return ev
	case EventFlowActivated:
		sub.DetailEntry = map[string]any{"state": string(SubscriptionActive)}
		return NewHookEvent(t, hookflowActor, "Flow turned ON", "", flow, sub)
	case EventFlowDeactivated:
		sub.DetailEntry = map[string]any{"state": string(SubscriptionOff)}
		return NewHookEvent(t, hookflowActor, "Flow turned OFF", "", flow, sub)
	case EventSubscriptionFailed:
		sub.DetailEntry = map[string]any{"state": string(SubscriptionOff)}
		return NewHookEvent(t, hookflowActor, "Flow registration failed", "the registration flow failed: HTTP 401", sub, flow)
	case EventDeliveryDead:
		ev, _ := DeliveryDeadEvent(Delivery{ID: 1001, SubscriptionID: 7, ReceivedAt: now.Add(-time.Hour)},
			[]*Execution{{ID: "01JF3Z8Q5S0000000000000000", FlowID: 42, FlowName: flow.DisplayName, Status: StatusFailed,
				Error: "card http.post: the server answered HTTP 503"}})
		return ev
	case EventConnectorDeployed:
		connector.DetailEntry = map[string]any{"version": 2}
		return NewHookEvent(t, admin, "Connector deployed as version 2", "", connector)
	case EventConnectionCreated, EventConnectionDeleted:
		msg := "Connection created"
		if t == EventConnectionDeleted {
			msg = "Connection deleted"
		}
		return NewHookEvent(t, hookflowActor, msg, "", HookActor{ID: "12", Type: "Connection", DisplayName: "Acme production"}, connector)
	case EventAdminSigninFailed:
		return SigninFailedEvent("someone@example.com", "203.0.113.7", "wrong email or password")
	case EventAdminSessionRevoked:
		return NewHookEvent(t, hookflowActor, "Signed-in session revoked", "", HookActor{ID: "1", Type: "User", DisplayName: "user 1",
			DetailEntry: map[string]any{"sessionsRevoked": 1, "sessionIds": []int64{5}}})
	case EventTableCleared:
		return NewHookEvent(t, hookflowActor, "Table cleared", "", HookActor{ID: "4", Type: "Table", DisplayName: "Customers",
			DetailEntry: map[string]any{"rowsDeleted": 120}})
	}
	return NewHookEvent(t, hookflowActor, string(t), "")
}

// SampleHookBody is the body of a delivery to hook id holding one sample
// event of type t, indented to be read and edited.
func SampleHookBody(baseURL string, id int64, t HookEventType) (string, error) {
	if !t.Known() {
		return "", invalidf("%q is not a Hookflow event type", t)
	}
	ev, err := json.Marshal(SampleHookEvent(t))
	if err != nil {
		return "", fmt.Errorf("flows: sample event %s: %w", t, err)
	}
	body, err := EncodeHookEnvelope(baseURL, id, NewUUID(), time.Now(), []json.RawMessage{ev})
	if err != nil {
		return "", fmt.Errorf("flows: sample body %s: %w", t, err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, body, "", "  "); err != nil {
		return "", fmt.Errorf("flows: sample body %s: %w", t, err)
	}
	return out.String(), nil
}

// Describe says in one line what an event of type t reports.
func (t HookEventType) Describe() string {
	switch t {
	case EventExecutionFailed:
		return "A flow run ended in failure."
	case EventExecutionSucceeded:
		return "A flow run ended well: one event per run, high volume."
	case EventFlowActivated:
		return "A workspace flow was turned ON."
	case EventFlowDeactivated:
		return "A workspace flow was turned OFF."
	case EventSubscriptionFailed:
		return "A flow's registration or deregistration failed for good."
	case EventDeliveryDead:
		return "A payload at an Event URL failed and will not be retried."
	case EventConnectorDeployed:
		return "A connector version was deployed."
	case EventConnectionCreated:
		return "A connection was created."
	case EventConnectionDeleted:
		return "A connection was deleted."
	case EventAdminSigninFailed:
		return "A sign-in to Hookflow was refused."
	case EventAdminSessionRevoked:
		return "A signed-in session was signed out by an admin or a password change."
	case EventTableCleared:
		return "Every row of a table was deleted."
	}
	return string(t)
}
