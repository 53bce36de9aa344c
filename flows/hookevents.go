package flows

import (
	"cmp"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// HookEventType names one of Hookflow's own events: what event hooks
// deliver and what the Hookflow Event card starts flows on. Each event is
// an Okta-style event object (HookEvent); web/API.md ("Event hooks") lists
// each type's actor and targets.
type HookEventType string

// Hookflow's event catalogue.
const (
	// EventExecutionFailed: a run ended failed. Actor: the flow (type
	// "Flow"); targets: the execution ("Execution", with the error in its
	// detailEntry) and the flow.
	EventExecutionFailed HookEventType = "execution.failed"
	// EventExecutionSucceeded: a run ended succeeded; as execution.failed.
	// Off unless a hook chooses it: one event per run.
	EventExecutionSucceeded HookEventType = "execution.succeeded"
	// EventFlowActivated: a workspace flow was turned ON. Target: the flow.
	EventFlowActivated HookEventType = "flow.activated"
	// EventFlowDeactivated: a workspace flow was turned OFF. Target: the flow.
	EventFlowDeactivated HookEventType = "flow.deactivated"
	// EventSubscriptionFailed: a flow's registration or deregistration
	// failed for good. Targets: the subscription and its flow.
	EventSubscriptionFailed HookEventType = "subscription.failed"
	// EventDeliveryDead: a payload at an Event URL failed its last attempt
	// and will not be retried. Targets: the delivery and its subscription.
	EventDeliveryDead HookEventType = "delivery.dead"
	// EventConnectorDeployed: a connector version was deployed. Target:
	// the connector, with the version in its detailEntry.
	EventConnectorDeployed HookEventType = "connector.deployed"
	// EventConnectionCreated: a connection was created. Targets: the
	// connection and its connector.
	EventConnectionCreated HookEventType = "connection.created"
	// EventConnectionDeleted: a connection was deleted. Target: the connection.
	EventConnectionDeleted HookEventType = "connection.deleted"
	// EventAdminSigninFailed: a sign-in was refused. Actor: the name
	// tried; outcome FAILURE with the reason.
	EventAdminSigninFailed HookEventType = "admin.signin.failed"
	// EventAdminSessionRevoked: a signed-in session was revoked. Target:
	// the account.
	EventAdminSessionRevoked HookEventType = "admin.session.revoked"
	// EventTableCleared: every row of a table was deleted. Target: the table.
	EventTableCleared HookEventType = "table.cleared"
)

// HookEventTypes is the catalogue, in the order pages list it.
var HookEventTypes = []HookEventType{
	EventExecutionFailed, EventExecutionSucceeded, EventFlowActivated, EventFlowDeactivated,
	EventSubscriptionFailed, EventDeliveryDead, EventConnectorDeployed, EventConnectionCreated,
	EventConnectionDeleted, EventAdminSigninFailed, EventAdminSessionRevoked, EventTableCleared,
}

// DefaultHookEventTypes are the events a hook that names none receives:
// all but execution.succeeded, whose volume is that of the runs.
func DefaultHookEventTypes() []HookEventType {
	return slices.DeleteFunc(slices.Clone(HookEventTypes), func(t HookEventType) bool { return t == EventExecutionSucceeded })
}

// Known reports whether t is in the catalogue.
func (t HookEventType) Known() bool { return slices.Contains(HookEventTypes, t) }

// HookEvent is one event: Okta's System Log event object, the part of it
// that Hookflow has. It is what data.events[] of a delivery holds.
type HookEvent struct {
	UUID           string          `json:"uuid"`
	EventType      HookEventType   `json:"eventType"`
	Version        string          `json:"version"`
	Published      time.Time       `json:"published"`
	Severity       string          `json:"severity"`
	DisplayMessage string          `json:"displayMessage"`
	Actor          HookActor       `json:"actor"`
	Target         []HookActor     `json:"target"`
	Outcome        HookOutcome     `json:"outcome"`
	Debug          json.RawMessage `json:"debugContext,omitempty"`
}

// HookActor is an event's actor or one of its targets.
type HookActor struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	AlternateID string         `json:"alternateId,omitempty"`
	DisplayName string         `json:"displayName"`
	DetailEntry map[string]any `json:"detailEntry"`
}

// HookOutcome is an event's outcome: SUCCESS or FAILURE, and why.
type HookOutcome struct {
	Result string  `json:"result"`
	Reason *string `json:"reason"`
}

// The actor of events Hookflow causes itself, when no admin did.
var hookflowActor = HookActor{ID: "hookflow", Type: "System", DisplayName: "Hookflow"}

// SystemActor is the actor of events nobody signed in caused.
func SystemActor() HookActor { return hookflowActor }

// NewHookEvent is an event of type t that happened now, with a fresh uuid.
// A failure's reason makes its outcome FAILURE and its severity WARN.
func NewHookEvent(t HookEventType, actor HookActor, message, failure string, targets ...HookActor) HookEvent {
	ev := HookEvent{UUID: NewUUID(), EventType: t, Version: "0", Published: time.Now().UTC(), Severity: "INFO",
		DisplayMessage: message, Actor: actor, Target: targets, Outcome: HookOutcome{Result: "SUCCESS"}}
	if ev.Target == nil {
		ev.Target = []HookActor{}
	}
	if failure != "" {
		ev.Outcome = HookOutcome{Result: "FAILURE", Reason: &failure}
		ev.Severity = "WARN"
	}
	return ev
}

// ExecutionEventType is the type of the event an execution's end raises,
// without making the event; false when it raises none.
func ExecutionEventType(e *Execution) (HookEventType, bool) {
	switch e.Status {
	case StatusFailed:
		return EventExecutionFailed, true
	case StatusSucceeded:
		return EventExecutionSucceeded, true
	}
	return "", false
}

// ExecutionEvent is the event a finished run raises: execution.failed or
// execution.succeeded, and false for a run that has not ended or was
// stopped or canceled. Its uuid derives from the execution's id, so that
// recording the same end twice raises one event.
func ExecutionEvent(e *Execution) (HookEvent, bool) {
	t, ok := ExecutionEventType(e)
	if !ok {
		return HookEvent{}, false
	}
	flowID := fmt.Sprint(e.FlowID)
	name := e.FlowName
	if name == "" {
		name = "flow " + flowID
	}
	detail := map[string]any{"trigger": string(e.Trigger), "startedAt": e.StartedAt.UTC(), "finishedAt": e.FinishedAt.UTC()}
	if e.ParentID != "" {
		detail["parentId"] = e.ParentID
	}
	if e.WorkspaceFlow != 0 {
		detail["workspaceFlow"] = e.WorkspaceFlow
	}
	if e.Error != "" {
		detail["error"] = e.Error
	}
	if e.ErrorCard != "" {
		detail["errorCard"] = e.ErrorCard
	}
	if e.ByHookEvent {
		detail[HookEventMarker] = true
	}
	flow := HookActor{ID: flowID, Type: "Flow", DisplayName: name}
	msg := "Flow run succeeded"
	failure := ""
	if t == EventExecutionFailed {
		msg, failure = "Flow run failed", e.Error
		if failure == "" {
			failure = "failed"
		}
	}
	ev := NewHookEvent(t, flow, msg, failure,
		HookActor{ID: e.ID, Type: "Execution", DisplayName: name + " run", DetailEntry: detail}, flow)
	ev.UUID = uuidFrom(string(t) + ":" + e.ID)
	if !e.FinishedAt.IsZero() {
		ev.Published = e.FinishedAt.UTC()
	}
	return ev, true
}

// NewUUID is a random (version 4) UUID.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return formatUUID(b)
}

// uuidFrom is a UUID made from s's hash (shaped as version 8): the same s
// makes the same UUID.
func uuidFrom(s string) string {
	sum := sha256.Sum256([]byte(s))
	var b [16]byte
	copy(b[:], sum[:16])
	b[6] = b[6]&0x0f | 0x80
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	if b[6]>>4 != 8 {
		b[6] = b[6]&0x0f | 0x40
	}
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// HookEnvelope is the body of a delivery: Okta's event hook envelope with
// Hookflow's event type.
type HookEnvelope struct {
	EventType          string    `json:"eventType"`
	EventTypeVersion   string    `json:"eventTypeVersion"`
	CloudEventsVersion string    `json:"cloudEventsVersion"`
	Source             string    `json:"source"`
	EventID            string    `json:"eventId"`
	EventTime          time.Time `json:"eventTime"`
	ContentType        string    `json:"contentType"`
	Data               struct {
		Events []json.RawMessage `json:"events"`
	} `json:"data"`
}

// The envelope's fixed values.
const (
	HookEnvelopeType        = "com.hookflow.event_hook"
	HookEnvelopeTypeVersion = "1.0"
	HookCloudEventsVersion  = "0.1"
)

// Headers of a delivery beyond Okta's.
const (
	// HeaderHookSignature is the hex HMAC-SHA256 of the body, keyed with
	// the hook's signing secret.
	HeaderHookSignature = "X-Hookflow-Signature"
	// HeaderHookEventID is the envelope's eventId: the same on every
	// attempt of one delivery, so that receivers can drop repeats.
	HeaderHookEventID = "X-Hookflow-Event-Id"
	// HeaderVerification is the header of Okta's one-time verification.
	HeaderVerification = "x-okta-verification-challenge"
)

// EncodeHookEnvelope is the body of the delivery id of events, whose
// source is the hook's API address under baseURL.
func EncodeHookEnvelope(baseURL string, hookID int64, id string, at time.Time, events []json.RawMessage) ([]byte, error) {
	env := HookEnvelope{EventType: HookEnvelopeType, EventTypeVersion: HookEnvelopeTypeVersion,
		CloudEventsVersion: HookCloudEventsVersion, Source: fmt.Sprintf("%s/api/v1/event-hooks/%d", baseURL, hookID),
		EventID: id, EventTime: at.UTC(), ContentType: "application/json"}
	env.Data.Events = events
	if env.Data.Events == nil {
		env.Data.Events = []json.RawMessage{}
	}
	return json.Marshal(env)
}

// SignHookBody is the X-Hookflow-Signature of body: the hex HMAC-SHA256
// of the body's bytes keyed with the hook's signing secret.
func SignHookBody(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// SigninFailedEvent is the admin.signin.failed of a refused sign-in as
// email from addr.
func SigninFailedEvent(email, addr, reason string) HookEvent {
	return NewHookEvent(EventAdminSigninFailed, HookActor{ID: email, Type: "User", AlternateID: email, DisplayName: email,
		DetailEntry: map[string]any{"ipAddress": addr}}, "Sign-in refused", reason)
}

// DeliveryDeadEvent is the delivery.dead of a payload at an Event URL
// whose run failed and will not run again: its last attempt, or a
// failure no retry helps. It names the delivery, its subscription and the
// failed execution; nil when none of execs failed.
func DeliveryDeadEvent(d Delivery, execs []*Execution) (HookEvent, bool) {
	i := slices.IndexFunc(execs, func(e *Execution) bool { return e.Status == StatusFailed })
	if i < 0 {
		return HookEvent{}, false
	}
	e := execs[i]
	id := fmt.Sprint(d.ID)
	ev := NewHookEvent(EventDeliveryDead, hookflowActor, "Payload failed and will not be retried", cmp.Or(e.Error, "failed"),
		HookActor{ID: id, Type: "Delivery", DisplayName: "delivery " + id, DetailEntry: map[string]any{"receivedAt": d.ReceivedAt.UTC()}},
		HookActor{ID: fmt.Sprint(d.SubscriptionID), Type: "Subscription", DisplayName: "subscription " + fmt.Sprint(d.SubscriptionID)},
		HookActor{ID: e.ID, Type: "Execution", DisplayName: cmp.Or(e.FlowName, "flow "+fmt.Sprint(e.FlowID)) + " run"})
	ev.UUID = uuidFrom("delivery.dead:" + id)
	return ev, true
}
