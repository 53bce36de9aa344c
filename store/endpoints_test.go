package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// TestEndpoints saves an API Endpoint flow's settings, finds them by
// alias, refuses a second alias of the same value or a second row for the
// flow, and drops them with the flow.
func TestEndpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		def, _ := flows.NewDefinition(flows.KindWorkspace, "Lookup")
		def.Event.Type = flows.EventAPIEndpoint
		f, err := s.CreateFlow(ctx, flows.Flow{Definition: def})
		if err != nil {
			t.Fatal(err)
		}
		g, _ := s.CreateFlow(ctx, flows.Flow{Definition: def})
		if _, err := s.Endpoint(ctx, f.ID); !errors.Is(err, flows.ErrNotFound) {
			t.Fatalf("Endpoint before any = %v, want ErrNotFound", err)
		}
		ep := flows.Endpoint{FlowID: f.ID, Alias: "alias-one", Security: flows.SecurityClientToken}
		if err := s.CreateEndpoint(ctx, ep); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateEndpoint(ctx, ep); !errors.Is(err, flows.ErrConflict) {
			t.Errorf("second CreateEndpoint = %v, want ErrConflict", err)
		}
		if err := s.CreateEndpoint(ctx, flows.Endpoint{FlowID: g.ID, Alias: "alias-one", Security: flows.SecurityPublic}); !errors.Is(err, flows.ErrConflict) {
			t.Errorf("a taken alias = %v, want ErrConflict", err)
		}
		at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		ep.Alias, ep.Security, ep.ClientTokenHash, ep.ClientTokenAt, ep.RateLimit = "alias-two", flows.SecurityAPIToken, "abc123", at, 250
		if err := s.SaveEndpoint(ctx, ep); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EndpointByAlias(ctx, "alias-one"); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("the old alias = %v, want ErrNotFound", err)
		}
		got, err := s.EndpointByAlias(ctx, "alias-two")
		if err != nil {
			t.Fatal(err)
		}
		if got.FlowID != f.ID || got.Security != flows.SecurityAPIToken || got.ClientTokenHash != "abc123" || !got.ClientTokenAt.Equal(at) || got.RateLimit != 250 {
			t.Errorf("EndpointByAlias = %+v", got)
		}
		if err := s.SaveEndpoint(ctx, flows.Endpoint{FlowID: g.ID, Alias: "x", Security: flows.SecurityPublic}); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("SaveEndpoint without one = %v, want ErrNotFound", err)
		}
		if err := s.DeleteFlow(ctx, f.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EndpointByAlias(ctx, "alias-two"); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("after the flow is deleted = %v, want ErrNotFound", err)
		}
	})
}
