package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

func TestFlowsSaveWithRevisions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		def := flows.Definition{Schema: flows.SchemaVersion, Kind: flows.KindWorkspace, Name: "Greeter",
			Event: flows.Node{ID: "event", Type: "event.manual"}, Cards: []flows.Node{}}
		f, err := s.CreateFlow(ctx, flows.Flow{Definition: def})
		if err != nil {
			t.Fatal(err)
		}
		if f.ID == 0 || f.Revision != 1 {
			t.Fatalf("created %+v", f)
		}
		got, err := s.Flow(ctx, f.ID)
		if err != nil || got.Definition.Name != "Greeter" || got.Definition.Event.Type != "event.manual" {
			t.Fatalf("Flow = %+v, %v", got, err)
		}

		// Two editors load revision 1; the first save wins, the second is refused.
		first, second := got, got
		first.Definition.Name = "Greeter v2"
		saved, err := s.UpdateFlow(ctx, first)
		if err != nil || saved.Revision != 2 {
			t.Fatalf("first save = %+v, %v", saved, err)
		}
		second.Definition.Name = "Greeter from a stale tab"
		if _, err := s.UpdateFlow(ctx, second); !errors.Is(err, flows.ErrConflict) {
			t.Fatalf("stale save = %v, want ErrConflict", err)
		}
		now, _ := s.Flow(ctx, f.ID)
		if now.Definition.Name != "Greeter v2" || now.Revision != 2 {
			t.Fatalf("stale save damaged the flow: %+v", now)
		}
		if _, err := s.UpdateFlow(ctx, flows.Flow{ID: 999, Revision: 1, Definition: def}); !errors.Is(err, flows.ErrNotFound) {
			t.Fatalf("update of a missing flow = %v, want ErrNotFound", err)
		}
		list, err := s.Flows(ctx, 0)
		if err != nil || len(list) != 1 {
			t.Fatalf("Flows = %d, %v", len(list), err)
		}
		if n, _ := s.CountFlows(ctx); n != 1 {
			t.Fatalf("CountFlows = %d", n)
		}
		if err := s.DeleteFlow(ctx, f.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteFlow(ctx, f.ID); !errors.Is(err, flows.ErrNotFound) {
			t.Fatalf("second delete = %v", err)
		}
	})
}
