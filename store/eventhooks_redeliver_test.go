package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// TestHookDeliveriesAndRedeliver: attempts are grouped by delivery,
// newest first and paged, each with its latest attempt and its event
// types; a delivery's attempts come oldest first with their bodies; a
// re-delivery sends the same events under the same eventId to a real
// endpoint and is recorded as the delivery's next attempt.
func TestHookDeliveriesAndRedeliver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := newReceiver(t)
		svc := &flows.EventHooks{Store: s, Client: &http.Client{}, BaseURL: "http://hookflow.test", PlainHTTP: func(string) bool { return true }}
		h, signing, err := svc.Create(ctx, flows.HookInput{Name: "Audit", URL: r.URL + "/events"})
		if err != nil {
			t.Fatal(err)
		}
		at := time.Now().UTC().Truncate(time.Millisecond)
		body := func(id string, types ...flows.HookEventType) string {
			var evs []json.RawMessage
			for _, ty := range types {
				b, _ := json.Marshal(flows.SampleHookEvent(ty))
				evs = append(evs, b)
			}
			b, _ := flows.EncodeHookEnvelope(svc.BaseURL, h.ID, id, at, evs)
			return string(b)
		}
		record := func(id string, n int, ok bool, status int, b string) {
			t.Helper()
			_, err := s.RecordEventHookAttempt(ctx, flows.HookAttempt{HookID: h.ID, Delivery: id, At: at.Add(time.Duration(n) * time.Second),
				Events: 2, Attempt: n, Status: status, OK: ok, Latency: 3 * time.Millisecond, RequestBody: b, ResponseBody: "answer"})
			if err != nil {
				t.Fatal(err)
			}
		}
		d1 := body("d1", flows.EventExecutionFailed, flows.EventTableCleared)
		record("d1", 1, false, 503, d1)
		record("d1", 2, true, 200, d1)
		record("d2", 1, true, 200, body("d2", flows.EventFlowActivated))
		record("d3", 1, false, 400, body("d3", flows.EventFlowDeactivated))

		page, total, err := s.EventHookDeliveries(ctx, h.ID, 0, 2)
		if err != nil || total != 3 || len(page) != 2 || page[0].ID != "d3" || page[1].ID != "d2" {
			t.Fatalf("the first page: %+v, %d, %v", page, total, err)
		}
		page, _, err = s.EventHookDeliveries(ctx, h.ID, 2, 2)
		if err != nil || len(page) != 1 {
			t.Fatalf("the second page: %+v, %v", page, err)
		}
		d := page[0]
		if d.ID != "d1" || d.Attempts != 2 || !d.Last.OK || d.Last.Attempt != 2 || d.Last.Status != 200 || !d.At.Equal(at.Add(time.Second)) ||
			!slices.Equal(d.EventTypes, []flows.HookEventType{flows.EventExecutionFailed, flows.EventTableCleared}) ||
			d.Last.RequestBody != "" || d.Last.Latency != 3*time.Millisecond {
			t.Errorf("d1 = %+v", d)
		}
		as, err := s.EventHookDelivery(ctx, h.ID, "d1")
		if err != nil || len(as) != 2 || as[0].Attempt != 1 || as[1].Attempt != 2 || as[0].RequestBody != d1 || as[0].ResponseBody != "answer" {
			t.Fatalf("d1's attempts: %+v, %v", as, err)
		}
		if _, err := s.EventHookDelivery(ctx, h.ID, "nope"); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("an unknown delivery: %v", err)
		}

		a, err := svc.Redeliver(ctx, h.ID, "d1")
		if err != nil || !a.OK || a.Attempt != 3 || a.ID == 0 || a.Delivery != "d1" {
			t.Fatalf("re-deliver: %+v, %v", a, err)
		}
		posts := r.posts()
		if len(posts) != 1 {
			t.Fatalf("%d posts", len(posts))
		}
		env, evs := envelope(t, posts[0].body)
		if env.EventID != "d1" || len(evs) != 2 || evs[0].EventType != flows.EventExecutionFailed ||
			posts[0].header.Get(flows.HeaderHookSignature) != flows.SignHookBody(signing, posts[0].body) {
			t.Errorf("the re-delivery: %+v %v", env, posts[0].header)
		}
		if _, total, _ := s.EventHookDeliveries(ctx, h.ID, 0, 10); total != 3 {
			t.Errorf("a re-delivery made a new delivery: %d", total)
		}
		if as, _ := s.EventHookDelivery(ctx, h.ID, "d1"); len(as) != 3 || as[2].Status != 200 {
			t.Errorf("the re-delivery's record: %+v", as)
		}
		if _, err := svc.Redeliver(ctx, h.ID, "nope"); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("re-deliver an unknown delivery: %v", err)
		}
	})
}
