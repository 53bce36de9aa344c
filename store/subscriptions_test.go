package store_test

import (
	"context"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// TestDeregistrationSavesOnlyWhileDeregistering ends a deregistration
// attempt after the flow was turned off anyway: its save (failed, or off
// with its run) changes nothing and says so; while the subscription is
// still being deregistered, it is saved. With and without an event hook
// (the save and its event in one transaction).
func TestDeregistrationSavesOnlyWhileDeregistering(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for i, tc := range []struct {
			name      string
			hook      bool
			offAnyway bool
			want      flows.SubscriptionState
		}{
			{name: "turned off anyway meanwhile", offAnyway: true, want: flows.SubscriptionOff},
			{name: "turned off anyway meanwhile, with an event hook", hook: true, offAnyway: true, want: flows.SubscriptionOff},
			{name: "still deregistering", want: flows.SubscriptionFailed},
			{name: "still deregistering, with an event hook", hook: true, want: flows.SubscriptionFailed},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.hook {
					h, err := s.CreateEventHook(ctx, flows.EventHook{Name: tc.name, URL: "https://hooks.example.com/in",
						Events: []flows.HookEventType{flows.EventSubscriptionFailed, flows.EventFlowDeactivated}, Active: true}, flows.HookSecrets{})
					if err != nil {
						t.Fatal(err)
					}
					if _, err := s.SetEventHookState(ctx, h.ID, true, true); err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { s.DeleteEventHook(ctx, h.ID) })
				}
				flowID := int64(100 + i)
				sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: flowID, Token: tc.name, State: flows.SubscriptionRegistering})
				if err != nil {
					t.Fatal(err)
				}
				sub.State = flows.SubscriptionActive
				if err := s.SaveSubscription(ctx, sub); err != nil {
					t.Fatal(err)
				}
				if err := s.StopSubscription(ctx, sub.ID); err != nil {
					t.Fatal(err)
				}
				// The attempt read the subscription as deregistering.
				attempt, err := s.Subscription(ctx, sub.ID)
				if err != nil || attempt.State != flows.SubscriptionDeregistering {
					t.Fatalf("subscription %+v, %v: want it deregistering", attempt, err)
				}
				if tc.offAnyway {
					off := attempt
					off.State = flows.SubscriptionOff
					if err := s.SaveSubscription(ctx, off); err != nil {
						t.Fatal(err)
					}
				}
				attempt.State, attempt.LastError, attempt.DeregistrationExecution = flows.SubscriptionFailed, "Deregistration failed: 500", "dereg-run"
				saved, err := s.SaveSubscriptionFrom(ctx, attempt, flows.SubscriptionDeregistering)
				if err != nil {
					t.Fatal(err)
				}
				if saved != !tc.offAnyway {
					t.Errorf("saved = %v, want %v", saved, !tc.offAnyway)
				}
				got, err := s.Subscription(ctx, sub.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.State != tc.want {
					t.Errorf("state %s, want %s", got.State, tc.want)
				}
				if wantErr := map[bool]string{true: "", false: "Deregistration failed: 500"}[tc.offAnyway]; got.LastError != wantErr {
					t.Errorf("last error %q, want %q", got.LastError, wantErr)
				}
				if _, err := s.LiveSubscription(ctx, flowID); (err == nil) != !tc.offAnyway {
					t.Errorf("live subscription: %v", err)
				}
			})
		}
	})
}
