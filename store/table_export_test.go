package store_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// TestFlowExportWithTables exports a flow whose cards use a table: with
// the table's schema, and its rows when asked; importing the export makes
// a new table (a taken name gets " (2)") with those rows and points the
// flow's cards, inside lanes too, at it. An import whose rows are wrong
// leaves no table behind.
func TestFlowExportWithTables(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ts := flows.Tables{Store: s}
		tb := newTable(t, s, "Seen", flows.Column{Name: "key", Type: flows.TypeText, Unique: true}, flows.Column{Name: "at", Type: flows.TypeDate})
		addRow(t, s, &tb, map[string]any{"key": "k1", "at": "2026-05-01T10:00:00Z"})
		addRow(t, s, &tb, map[string]any{"key": "k2"})
		def, _ := flows.NewDefinition(flows.KindWorkspace, "Dedupe")
		ref := map[string]flows.Binding{flows.TableInput: {Value: float64(tb.ID)}}
		def.Cards = []flows.Node{
			{ID: "c1", Type: "table.search_rows", Bindings: ref},
			{ID: "c2", Type: "control.if_else", Lanes: []flows.Lane{{Name: "then", Cards: []flows.Node{{ID: "c3", Type: "table.create_row", Bindings: ref}}}}},
		}
		b, err := ts.ExportFlow(ctx, def, false)
		if err != nil {
			t.Fatal(err)
		}
		if !flows.IsFlowBundle(b) || strings.Contains(string(b), `"rows"`) || !strings.Contains(string(b), `"name": "Seen"`) {
			t.Fatalf("export without rows:\n%s", b)
		}
		if b, err = ts.ExportFlow(ctx, def, true); err != nil {
			t.Fatal(err)
		}
		x, err := flows.ParseFlowBundle(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Tables) != 1 || len(x.Tables[0].Rows) != 2 || x.Tables[0].Columns[0].ID != 0 {
			t.Fatalf("bundle tables = %+v", x.Tables)
		}
		got, made, err := ts.ImportTables(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		if len(made) != 1 || made[0].Name != "Seen (2)" || made[0].ID == tb.ID || !made[0].Columns[0].Unique {
			t.Fatalf("made %+v", made)
		}
		refs := flows.TableRefs(&got)
		if len(refs) != 2 || refs[0].TableID != made[0].ID || refs[1].TableID != made[0].ID || refs[1].Card != "c3" {
			t.Errorf("the imported flow's cards refer to %+v, want table %d", refs, made[0].ID)
		}
		if old := flows.TableRefs(&x.Flow); old[0].TableID != tb.ID {
			t.Errorf("the bundle's own flow changed: %+v", old)
		}
		page, err := s.SearchRows(ctx, &made[0], mustQuery(t, &made[0], flows.RowQuery{Sort: "key"}))
		if err != nil || rowKeys(page.Rows, "key") != "k1,k2" || page.Rows[0].Values["at"] == nil {
			t.Errorf("imported rows = %+v, %v", page.Rows, err)
		}

		x.Tables[0].Rows = append(x.Tables[0].Rows, map[string]any{"key": "k3", "at": "soon"})
		if _, _, err := ts.ImportTables(ctx, x); err == nil || !strings.Contains(err.Error(), `column "at" takes a date-time, not "soon"`) {
			t.Errorf("an import with a bad row = %v", err)
		}
		if all, _ := s.Tables(ctx); len(all) != 2 {
			t.Errorf("%d tables after a failed import, want 2", len(all))
		}
		if _, err := flows.ParseFlowBundle([]byte(strings.Replace(string(b), `"id": `+strconv.FormatInt(tb.ID, 10), `"id": 999`, 1))); err == nil {
			t.Error("a bundle whose cards name a table it does not hold was read")
		}
	})
}
