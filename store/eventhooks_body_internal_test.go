package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// TestHookAttemptBodyPacked: a delivery's request body is stored packed,
// a fraction of its size, and read back as it was sent; a short one and
// one stored before bodies were packed are read as they are.
func TestHookAttemptBodyPacked(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{DataDir: t.TempDir(), EncryptionKey: []byte("hookflow-test-key-32-bytes-long!")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	svc := &flows.EventHooks{Store: s}
	h, _, err := svc.Create(ctx, flows.HookInput{Name: "Audit", URL: "https://siem.example.com/hookflow"})
	if err != nil {
		t.Fatal(err)
	}
	var events []json.RawMessage
	for i := range flows.MaxHookBatch {
		e := &flows.Execution{ID: flows.NewExecutionID(time.Now()), FlowID: 7, FlowName: "Orders", Trigger: flows.TriggerPayload,
			Status: flows.StatusFailed, StartedAt: time.Now(), FinishedAt: time.Now(), Error: fmt.Sprintf("card http: HTTP 503 (%d)", i)}
		ev, _ := flows.ExecutionEvent(e)
		raw, _ := json.Marshal(ev)
		events = append(events, raw)
	}
	full, err := flows.EncodeHookEnvelope("https://hookflow.example.com", h.ID, "d1", time.Now(), events)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, delivery, body string
		packed               bool
	}{
		{"a full delivery", "d1", string(full), true},
		{"a short one", "d2", `{"data":{"events":[]}}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := s.RecordEventHookAttempt(ctx, flows.HookAttempt{HookID: h.ID, Delivery: tt.delivery, At: time.Now().UTC(),
				Events: 1, Attempt: 1, Status: 200, OK: true, RequestBody: tt.body})
			if err != nil {
				t.Fatal(err)
			}
			var r hookAttemptRecord
			if err := s.db.First(&r, a.ID).Error; err != nil {
				t.Fatal(err)
			}
			if packed := strings.HasPrefix(r.RequestBody, packedBody); packed != tt.packed || packed && len(r.RequestBody) > len(tt.body)/4 {
				t.Errorf("stored %d bytes of %d (packed %v, want %v)", len(r.RequestBody), len(tt.body), packed, tt.packed)
			}
			for name, read := range map[string]func() ([]flows.HookAttempt, error){
				"attempts": func() ([]flows.HookAttempt, error) { return s.EventHookAttempts(ctx, h.ID, 10) },
				"delivery": func() ([]flows.HookAttempt, error) { return s.EventHookDelivery(ctx, h.ID, tt.delivery) },
			} {
				as, err := read()
				if err != nil || !containsBody(as, tt.body) {
					t.Errorf("%s: the body is not read back as sent (%v)", name, err)
				}
			}
		})
	}
	// A row written before bodies were packed holds the JSON itself.
	old := hookAttemptRecord{HookID: h.ID, Delivery: "d0", At: time.Now().UTC(), Events: 50, Attempt: 1, Status: 200, OK: true, RequestBody: string(full)}
	if err := s.db.Create(&old).Error; err != nil {
		t.Fatal(err)
	}
	if as, err := s.EventHookDelivery(ctx, h.ID, "d0"); err != nil || len(as) != 1 || as[0].RequestBody != string(full) {
		t.Errorf("an unpacked row: %v", err)
	}
	ds, _, err := s.EventHookDeliveries(ctx, h.ID, 0, 10)
	if err != nil || len(ds) != 3 {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
	for _, d := range ds {
		if d.ID != "d2" && (len(d.EventTypes) != 1 || d.EventTypes[0] != flows.EventExecutionFailed) {
			t.Errorf("delivery %s lists event types %v", d.ID, d.EventTypes)
		}
	}
}

// containsBody reports whether one of as was sent with body.
func containsBody(as []flows.HookAttempt, body string) bool {
	for _, a := range as {
		if a.RequestBody == body {
			return true
		}
	}
	return false
}
