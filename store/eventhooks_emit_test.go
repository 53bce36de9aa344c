package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// TestHookChanges: changing the URL, the headers or the secret makes a
// hook unverified again, other fields do not; a name is unique; an
// active hook is not deleted; there are at most 25 hooks.
func TestHookChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := newReceiver(t)
		svc := hookService(t, s, fast)
		h, _ := activeHook(t, svc, r)
		in := flows.HookInput{Name: h.Name, URL: h.URL, AuthField: h.AuthField, Headers: h.Headers, Events: h.Events}
		secret := "other"
		changes := []struct {
			name     string
			change   func(in flows.HookInput) flows.HookInput
			verified bool
		}{
			{"description", func(in flows.HookInput) flows.HookInput { in.Description = "audit log"; return in }, true},
			{"events", func(in flows.HookInput) flows.HookInput {
				in.Events = []flows.HookEventType{flows.EventExecutionSucceeded}
				return in
			}, true},
			{"URL", func(in flows.HookInput) flows.HookInput { in.URL += "/v2"; return in }, false},
			{"headers", func(in flows.HookInput) flows.HookInput {
				in.Headers = []flows.HookHeader{{Name: "X-Team", Value: "dev"}}
				return in
			}, false},
			{"secret", func(in flows.HookInput) flows.HookInput { in.AuthSecret = &secret; return in }, false},
		}
		for _, c := range changes {
			if _, err := svc.Verify(ctx, h.ID); err != nil {
				t.Fatal(err)
			}
			got, err := svc.Update(ctx, h.ID, c.change(in))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got.Verified != c.verified {
				t.Errorf("after changing the %s verified = %v, want %v", c.name, got.Verified, c.verified)
			}
		}
		if sec, err := s.EventHookSecrets(ctx, h.ID); err != nil || sec.Auth != "other" {
			t.Errorf("secret = %q %v", sec.Auth, err)
		}
		if _, _, err := svc.Create(ctx, flows.HookInput{Name: strings.ToUpper(h.Name), URL: r.URL}); !errors.Is(err, flows.ErrConflict) {
			t.Errorf("a second hook with the name: %v", err)
		}
		if err := svc.Delete(ctx, h.ID); !errors.Is(err, flows.ErrConflict) {
			t.Errorf("deleting an active hook: %v", err)
		}
		for _, bad := range []flows.HookInput{
			{Name: "plain", URL: "http://example.com/x"},
			{Name: "reserved", URL: "https://example.com/x", Headers: []flows.HookHeader{{Name: "Content-Type", Value: "x"}}},
			{Name: "unknown", URL: "https://example.com/x", Events: []flows.HookEventType{"user.created"}},
		} {
			strict := &flows.EventHooks{Store: s}
			if _, _, err := strict.Create(ctx, bad); !errors.Is(err, flows.ErrInvalid) {
				t.Errorf("%s: %v, want invalid", bad.Name, err)
			}
		}
		for i := 1; i < flows.MaxEventHooks; i++ {
			if _, _, err := svc.Create(ctx, flows.HookInput{Name: fmt.Sprintf("hook %d", i), URL: "https://example.com"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := svc.Create(ctx, flows.HookInput{Name: "one too many", URL: "https://example.com"}); !errors.Is(err, flows.ErrConflict) {
			t.Errorf("hook 26: %v", err)
		}
		if _, err := svc.Deactivate(ctx, h.ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.Delete(ctx, h.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EventHook(ctx, h.ID); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("deleted hook: %v", err)
		}
	})
}

// TestHookEmitPoints: each write that causes an event records it, and a
// hook that chose every type receives them all, with their targets.
func TestHookEmitPoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := newReceiver(t)
		svc := hookService(t, s, fast)
		activeHook(t, svc, r, flows.HookEventTypes...)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		con, err := s.CreateConnector(ctx, flows.ConnectorInfo{Name: "Acme", Auth: flows.AuthDefinition{Kind: flows.AuthBasic}})
		must(err)
		conn, err := s.CreateConnection(ctx, flows.Connection{ConnectorID: con.ID, Name: "prod", Values: map[string]string{"username": "ada", "password": "pw"}})
		must(err)
		_, err = s.Deploy(ctx, flows.ConnectorExport{Schema: 1, Connector: flows.ConnectorInfo{Name: "Acme"}}, con.ID, "admin@example.com")
		must(err)
		sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 1, Token: "tok", State: flows.SubscriptionRegistering})
		must(err)
		sub.State = flows.SubscriptionActive
		must(s.SaveSubscription(ctx, sub))
		must(s.StopSubscription(ctx, sub.ID))
		sub.State, sub.LastError = flows.SubscriptionFailed, "the service answered 500"
		must(s.SaveSubscription(ctx, sub))
		must(s.DeleteConnection(ctx, conn.ID))
		tb, err := s.CreateTable(ctx, flows.Table{Name: "Leads", Columns: []flows.Column{{Name: "email", Type: flows.TypeText}}})
		must(err)
		_, err = s.CreateRow(ctx, &tb, map[string]any{"email": "a@b.c"})
		must(err)
		_, err = s.ClearTable(ctx, &tb)
		must(err)
		u, err := s.CreateUser(ctx, "ops@example.com", "correct horse battery")
		must(err)
		sess, _, err := s.CreateSession(ctx, flows.Session{UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)})
		must(err)
		must(s.RevokeSession(ctx, u.ID, sess.ID))
		must(s.Emit(ctx, flows.SigninFailedEvent("intruder@example.com", "10.0.0.9", "wrong email or password")))
		at := time.Now().UTC()
		must(s.RecordExecution(ctx, &flows.Execution{ID: flows.NewExecutionID(at), FlowID: 1, Trigger: flows.TriggerAPI,
			Status: flows.StatusSucceeded, StartedAt: at, FinishedAt: at}))
		failRun(t, s, 1)

		want := map[flows.HookEventType]string{ // type → its first target's type
			flows.EventConnectionCreated: "Connection", flows.EventConnectorDeployed: "Connector", flows.EventFlowActivated: "Flow",
			flows.EventFlowDeactivated: "Flow", flows.EventSubscriptionFailed: "Subscription", flows.EventConnectionDeleted: "Connection",
			flows.EventTableCleared: "Table", flows.EventAdminSessionRevoked: "User", flows.EventAdminSigninFailed: "",
			flows.EventExecutionSucceeded: "Execution", flows.EventExecutionFailed: "Execution",
		}
		got := map[flows.HookEventType]flows.HookEvent{}
		waitFor(t, 15*time.Second, "every event", func() bool {
			for _, p := range r.posts() {
				_, evs := envelope(t, p.body)
				for _, ev := range evs {
					got[ev.EventType] = ev
				}
			}
			return len(got) >= len(want)
		})
		for typ, target := range want {
			ev := got[typ]
			first := ""
			if len(ev.Target) > 0 {
				first = ev.Target[0].Type
			}
			if first != target {
				t.Errorf("%s: first target %q, want %q (%+v)", typ, first, target, ev)
			}
		}
		if ev := got[flows.EventSubscriptionFailed]; ev.Outcome.Reason == nil || *ev.Outcome.Reason != "the service answered 500" {
			t.Errorf("subscription.failed outcome %+v", ev.Outcome)
		}
		if ev := got[flows.EventConnectorDeployed]; ev.Actor.ID != "admin@example.com" || ev.Target[0].DetailEntry["version"] != 1.0 {
			t.Errorf("connector.deployed %+v", ev)
		}
		if ev := got[flows.EventTableCleared]; ev.Target[0].DisplayName != "Leads" || ev.Target[0].DetailEntry["rowsDeleted"] != 1.0 {
			t.Errorf("table.cleared %+v", ev)
		}
	})
}

// TestHookResponseCut: a response body is kept to its first 4 KB, as text
// the database stores even when the cut falls inside a character or the
// body holds a NUL byte, and the delivery is recorded once.
func TestHookResponseCut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := newReceiver(t)
		svc := hookService(t, s, fast)
		h, _ := activeHook(t, svc, r)
		r.mu.Lock()
		r.reply = "a\x00" + strings.Repeat("é", 3000)
		r.mu.Unlock()
		failRun(t, s, 1)
		var as []flows.HookAttempt
		waitFor(t, 10*time.Second, "the attempt's record", func() bool {
			as, _ = s.EventHookAttempts(ctx, h.ID, 5)
			return len(as) > 0
		})
		time.Sleep(500 * time.Millisecond)
		as, _ = s.EventHookAttempts(ctx, h.ID, 5)
		if len(as) != 1 || !as[0].OK || len(as[0].ResponseBody) > 4096+2 || !strings.HasPrefix(as[0].ResponseBody, "aé") || !utf8.ValidString(as[0].ResponseBody) {
			t.Fatalf("attempts %d, first body %d bytes %.20q", len(as), len(as[0].ResponseBody), as[0].ResponseBody)
		}
		if n := len(r.posts()); n != 1 {
			t.Errorf("%d deliveries, want 1", n)
		}
	})
}
