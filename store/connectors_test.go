package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

func TestConnectors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		info := flows.ConnectorInfo{Name: "Acme", Description: "Acme's API", BaseURL: "https://api.acme.test",
			Auth: flows.AuthDefinition{Kind: flows.AuthCustom, Fields: []flows.AuthField{{Key: "tenant", Label: "Tenant", Type: "text", Required: true}}}}
		c, err := s.CreateConnector(ctx, info)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateConnector(ctx, info); !errors.Is(err, flows.ErrConflict) {
			t.Fatalf("second connector with the same name: %v", err)
		}
		def := flows.Definition{Schema: 1, Kind: flows.KindHelper, Name: "h", Event: flows.Node{ID: "e", Type: flows.EventHelper}, Cards: []flows.Node{}}
		if _, err := s.CreateFlow(ctx, flows.Flow{ConnectorID: c.ID, Definition: def}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Connector(ctx, c.ID)
		if err != nil || got.Info.Auth.Fields[0].Key != "tenant" || got.FlowCount != 1 || got.Revision != 1 {
			t.Fatalf("Connector = %+v, %v", got, err)
		}

		stale := got
		got.Info.Description = "Changed"
		if got, err = s.UpdateConnector(ctx, got); err != nil || got.Revision != 2 || got.Info.Description != "Changed" {
			t.Fatalf("update = %+v, %v", got, err)
		}
		stale.Info.Name = "Stale"
		if _, err := s.UpdateConnector(ctx, stale); !errors.Is(err, flows.ErrConflict) {
			t.Fatalf("stale update = %v", err)
		}
		list, err := s.Connectors(ctx)
		if err != nil || len(list) != 1 || list[0].Info.Name != "Acme" || list[0].FlowCount != 1 {
			t.Fatalf("Connectors = %+v, %v", list, err)
		}

		if err := s.DeleteConnector(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Connector(ctx, c.ID); !errors.Is(err, flows.ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
		if fl, _ := s.Flows(ctx, c.ID); len(fl) != 0 {
			t.Fatalf("its flows survive: %d", len(fl))
		}
		if err := s.DeleteConnector(ctx, c.ID); !errors.Is(err, flows.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})
}
