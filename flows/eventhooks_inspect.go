package flows

import (
	"bytes"
	"context"
	"encoding/json"
	"time"
)

// HookDelivery is one delivery to a hook as its attempts tell it: the
// events sent under one eventId, and how its latest attempt went.
type HookDelivery struct {
	// ID is the envelope's eventId, the same on every attempt.
	ID string `json:"id"`
	// At is when it was first tried.
	At         time.Time       `json:"at"`
	Events     int             `json:"events"`
	EventTypes []HookEventType `json:"eventTypes"`
	Attempts   int             `json:"attempts"`
	// Last is the latest attempt, without its bodies.
	Last HookAttempt `json:"last"`
}

// HookBodyEventTypes are the event types a delivery's body carries, each
// once, in the order they first appear; none when the body is not an
// envelope.
func HookBodyEventTypes(body string) []HookEventType {
	var env struct {
		Data struct {
			Events []struct {
				EventType HookEventType `json:"eventType"`
			} `json:"events"`
		} `json:"data"`
	}
	out := []HookEventType{}
	if json.Unmarshal([]byte(body), &env) != nil {
		return out
	}
	seen := map[HookEventType]bool{}
	for _, e := range env.Data.Events {
		if e.EventType != "" && !seen[e.EventType] {
			seen[e.EventType] = true
			out = append(out, e.EventType)
		}
	}
	return out
}

// Redeliver sends a delivery's events to its hook again, now, under the
// same eventId (receivers that drop repeats by X-Hookflow-Event-Id keep
// doing so) and with a fresh envelope, signature and headers; the attempt
// is recorded as the delivery's next one. It is sent whether or not the
// hook is active or verified: the admin asks for it.
func (s *EventHooks) Redeliver(ctx context.Context, id int64, delivery string) (HookAttempt, error) {
	h, err := s.Store.EventHook(ctx, id)
	if err != nil {
		return HookAttempt{}, err
	}
	as, err := s.Store.EventHookDelivery(ctx, id, delivery)
	if err != nil {
		return HookAttempt{}, err
	}
	var env HookEnvelope
	if err := json.Unmarshal([]byte(as[0].RequestBody), &env); err != nil || len(env.Data.Events) == 0 {
		return HookAttempt{}, invalidf("delivery %s has no events stored to send again", delivery)
	}
	a := s.Send(ctx, h, delivery, env.Data.Events)
	a.Attempt = as[len(as)-1].Attempt + 1
	return s.Store.RecordEventHookAttempt(ctx, a)
}

// Preview sends body to a hook's endpoint now, as a delivery is sent
// (signed, with its headers), whether or not the hook is active or
// verified, and reports how the endpoint answered. The body must be JSON;
// its eventId, if it has one, is the X-Hookflow-Event-Id. Nothing is
// recorded.
func (s *EventHooks) Preview(ctx context.Context, id int64, body []byte) (HookAttempt, error) {
	h, err := s.Store.EventHook(ctx, id)
	if err != nil {
		return HookAttempt{}, err
	}
	body = bytes.TrimSpace(body)
	var env struct {
		EventID string `json:"eventId"`
		Data    struct {
			Events []json.RawMessage `json:"events"`
		} `json:"data"`
	}
	if len(body) == 0 {
		return HookAttempt{}, invalidf("the body to deliver is empty")
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return HookAttempt{}, invalidf("the body is not valid JSON: %s", DescribeJSONError(body, err))
	}
	_ = json.Unmarshal(body, &env) // any JSON may be sent; an envelope's eventId is used
	if env.EventID == "" {
		env.EventID = NewUUID()
	}
	return s.post(ctx, h, env.EventID, time.Now(), body, len(env.Data.Events)), nil
}
