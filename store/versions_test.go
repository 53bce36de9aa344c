package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

func TestDeployImportExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		con, _ := s.CreateConnector(ctx, flows.ConnectorInfo{Name: "Acme", Auth: flows.AuthDefinition{Kind: flows.AuthNone}})
		helperDef, _ := flows.NewDefinition(flows.KindHelper, "Helper")
		helper, _ := s.CreateFlow(ctx, flows.Flow{ConnectorID: con.ID, Definition: helperDef})
		actionDef, _ := flows.NewDefinition(flows.KindAction, "Action")
		actionDef.Cards = append(actionDef.Cards, flows.Node{ID: "call", Type: flows.ControlCallFlow, Bindings: map[string]flows.Binding{"flow": {Value: float64(helper.ID)}}})
		if _, err := s.CreateFlow(ctx, flows.Flow{ConnectorID: con.ID, Definition: actionDef}); err != nil {
			t.Fatal(err)
		}
		fs, _ := s.Flows(ctx, con.ID)
		x := flows.ExportConnector(con, fs)

		for want := 1; want <= 2; want++ {
			v, err := s.Deploy(ctx, x, con.ID, "ada@example.com")
			if err != nil || v.Version != want || v.CreatedBy != "ada@example.com" || len(v.Export.Flows) != 2 {
				t.Fatalf("deploy %d = %+v, %v", want, v, err)
			}
		}
		vs, _ := s.Versions(ctx, con.ID)
		if len(vs) != 2 || vs[0].Version != 2 {
			t.Fatalf("versions = %+v", vs)
		}

		// Import as a new connector: a taken name is refused, a new one gets new flow ids with the call rewritten.
		if _, err := s.ImportConnector(ctx, x, 0); !errors.Is(err, flows.ErrConflict) {
			t.Fatalf("import with a taken name = %v", err)
		}
		x.Connector.Name = "Acme (imported)"
		imp, err := s.ImportConnector(ctx, x, 0)
		if err != nil || imp.FlowCount != 2 {
			t.Fatalf("import = %+v, %v", imp, err)
		}
		ifs, _ := s.Flows(ctx, imp.ID)
		var newHelper, newAction flows.Flow
		for _, f := range ifs {
			if f.Definition.Kind == flows.KindHelper {
				newHelper = f
			} else {
				newAction = f
			}
		}
		if newHelper.ID == helper.ID || !newAction.Definition.Calls(newHelper.ID) || newAction.Definition.Calls(helper.ID) {
			t.Fatalf("calls not rewritten to the imported helper %d: %+v", newHelper.ID, newAction.Definition.Cards)
		}

		// Import into an existing connector replaces its draft, versions stay.
		x.Connector.Name = "Acme"
		x.Flows = x.Flows[:1]
		if got, err := s.ImportConnector(ctx, x, con.ID); err != nil || got.FlowCount != 1 || got.Revision != 2 {
			t.Fatalf("import into = %+v, %v", got, err)
		}
		if vs, _ := s.Versions(ctx, con.ID); len(vs) != 2 {
			t.Fatal("import changed the deployed versions")
		}
		if _, err := s.ImportConnector(ctx, x, 999); !errors.Is(err, flows.ErrNotFound) {
			t.Fatalf("import into a missing connector = %v", err)
		}
		if err := s.DeleteConnector(ctx, con.ID); err != nil {
			t.Fatal(err)
		}
		if vs, _ := s.Versions(ctx, con.ID); len(vs) != 0 {
			t.Fatal("versions survive the connector")
		}
	})
}
