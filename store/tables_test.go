package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// newTable checks and creates a table, failing the test on error.
func newTable(t *testing.T, s *store.Store, name string, cols ...flows.Column) flows.Table {
	t.Helper()
	tb := flows.Table{Name: name, Columns: cols}
	if err := flows.CheckTable(&tb); err != nil {
		t.Fatal(err)
	}
	tb, err := s.CreateTable(context.Background(), tb)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// addRow creates a row from raw values, failing the test on error.
func addRow(t *testing.T, s *store.Store, tb *flows.Table, in map[string]any) flows.Row {
	t.Helper()
	vals, err := tb.NewRowValues(in)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.CreateRow(context.Background(), tb, vals)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestTableSchema creates a table, refuses a second of the same name
// (ignoring case), renames it and its columns, adds and removes columns
// (the removed column's values go; the others stay), makes a column
// unique only while its values differ, and deletes the table.
func TestTableSchema(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		tb := newTable(t, s, "Customers",
			flows.Column{Name: "email", Type: flows.TypeText, Unique: true},
			flows.Column{Name: "age", Type: flows.TypeNumber},
			flows.Column{Name: "vip", Type: flows.TypeBool, Default: false},
			flows.Column{Name: "since", Type: flows.TypeDate})
		if len(tb.Columns) != 4 || tb.Columns[0].ID == 0 || !tb.Columns[0].Unique || tb.Columns[2].Default != false {
			t.Fatalf("created %+v", tb)
		}
		if _, err := s.CreateTable(ctx, flows.Table{Name: "customers"}); !errors.Is(err, flows.ErrConflict) {
			t.Errorf("a second table named customers = %v, want ErrConflict", err)
		}
		addRow(t, s, &tb, map[string]any{"email": "a@x.test", "age": 30})
		addRow(t, s, &tb, map[string]any{"email": "b@x.test", "age": 30})

		want := tb
		want.Name, want.Description = "Clients", "People who pay"
		want.Columns = []flows.Column{
			{ID: tb.Columns[1].ID, Name: "years", Type: flows.TypeNumber},
			{ID: tb.Columns[0].ID, Name: "mail", Type: flows.TypeText, Unique: false},
			{Name: "note", Type: flows.TypeText, Default: "none"},
			{ID: tb.Columns[3].ID, Name: "since", Type: flows.TypeDate},
		}
		plan := func(old flows.Table) (flows.TableChange, error) { return flows.PlanTableChange(old, want, false) }
		_, err := s.ChangeTable(ctx, tb.ID, plan)
		var ve *flows.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), `column "vip"`) {
			t.Fatalf("removing vip without confirming = %v, want a problem naming it", err)
		}
		plan = func(old flows.Table) (flows.TableChange, error) { return flows.PlanTableChange(old, want, true) }
		got, err := s.ChangeTable(ctx, tb.ID, plan)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Clients" || got.Description != "People who pay" || len(got.Columns) != 4 ||
			got.Columns[0].Name != "years" || got.Columns[1].Name != "mail" || got.Columns[1].Unique || got.Columns[2].Name != "note" || got.Columns[2].Default != "none" {
			t.Fatalf("changed %+v", got)
		}
		page, err := s.SearchRows(ctx, &got, mustQuery(t, &got, flows.RowQuery{}))
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Rows) != 2 || page.Rows[0].Values["mail"] != "a@x.test" || page.Rows[0].Values["years"] != 30.0 || len(page.Rows[0].Values) != 2 {
			t.Errorf("rows after the change = %+v", page.Rows)
		}
		// Years are equal in both rows: they cannot be unique.
		want = got
		want.Columns = append([]flows.Column(nil), got.Columns...)
		want.Columns[0].Unique = true
		if _, err := s.ChangeTable(ctx, tb.ID, plan); !errors.As(err, &ve) || !strings.Contains(err.Error(), `column "years" has the same value in more than one row`) {
			t.Errorf("a unique years = %v", err)
		}
		want.Columns[0].Unique, want.Columns[1].Unique = false, true
		if got, err = s.ChangeTable(ctx, tb.ID, plan); err != nil || !got.Columns[1].Unique {
			t.Fatalf("a unique mail = %+v, %v", got, err)
		}
		if _, err := s.CreateRow(ctx, &got, map[string]any{"mail": "a@x.test"}); !errors.As(err, new(*flows.UniqueError)) {
			t.Errorf("a duplicate mail = %v, want a UniqueError", err)
		}
		// Removing a number column and renaming the table keep the text
		// search index as it is; it still finds the rows.
		want = got
		want.Name, want.Columns = "Buyers", append([]flows.Column(nil), got.Columns[1:]...)
		if got, err = s.ChangeTable(ctx, tb.ID, plan); err != nil || len(got.Columns) != 3 {
			t.Fatalf("removing years = %+v, %v", got, err)
		}
		if page, err := s.SearchRows(ctx, &got, mustQuery(t, &got, flows.RowQuery{Text: "b@x.t"})); err != nil || len(page.Rows) != 1 {
			t.Errorf("text search after removing a number column = %+v, %v", page, err)
		}
		all, err := s.Tables(ctx)
		if err != nil || len(all) != 1 || all[0].Name != "Buyers" || len(all[0].Columns) != 3 {
			t.Errorf("Tables = %+v, %v", all, err)
		}
		if err := s.DeleteTable(ctx, tb.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Table(ctx, tb.ID); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("the deleted table = %v, want ErrNotFound", err)
		}
		if _, err := s.Row(ctx, &got, 1); err == nil {
			t.Error("the deleted table's rows can still be read")
		}
	})
}

// mustQuery checks a query against a table.
func mustQuery(t *testing.T, tb *flows.Table, q flows.RowQuery) flows.RowQuery {
	t.Helper()
	q, err := tb.CheckQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestTableRows writes, reads, updates and deletes rows: defaults fill
// what Create Row leaves out, Update Row changes only its columns, every
// type reads back as written, and a unique column refuses a duplicate
// with an error naming the column and value.
func TestTableRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		tb := newTable(t, s, "Orders",
			flows.Column{Name: "ref", Type: flows.TypeText, Unique: true},
			flows.Column{Name: "total", Type: flows.TypeNumber},
			flows.Column{Name: "paid", Type: flows.TypeBool, Default: "false"},
			flows.Column{Name: "due", Type: flows.TypeDate},
			flows.Column{Name: "note", Type: flows.TypeText, Default: "new"})
		due := time.Date(2026, 3, 1, 12, 30, 0, 123_000_000, time.UTC)
		r := addRow(t, s, &tb, map[string]any{"ref": "A-1", "total": 12.5, "due": "2026-03-01T13:30:00.123+01:00"})
		if r.ID == 0 || r.Values["paid"] != false || r.Values["note"] != "new" || !r.Values["due"].(time.Time).Equal(due) {
			t.Fatalf("created %+v", r)
		}
		got, err := s.Row(ctx, &tb, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Values["ref"] != "A-1" || got.Values["total"] != 12.5 || got.Values["paid"] != false || !got.Values["due"].(time.Time).Equal(due) ||
			got.CreatedAt.IsZero() || !got.CreatedAt.Equal(r.CreatedAt) {
			t.Errorf("read %+v, want %+v", got, r)
		}
		vals, err := tb.Values(map[string]any{"paid": true, "note": ""})
		if err != nil {
			t.Fatal(err)
		}
		up, err := s.UpdateRow(ctx, &tb, r.ID, vals)
		if err != nil {
			t.Fatal(err)
		}
		if up.Values["paid"] != true || up.Values["note"] != nil || up.Values["ref"] != "A-1" || up.Values["total"] != 12.5 || up.UpdatedAt.Before(up.CreatedAt) {
			t.Errorf("updated %+v", up)
		}
		_, err = s.CreateRow(ctx, &tb, map[string]any{"ref": "A-1"})
		var ue *flows.UniqueError
		if !errors.As(err, &ue) || !errors.Is(err, flows.ErrConflict) || ue.Column != "ref" || ue.Value != "A-1" ||
			ue.Error() != `the table "Orders" already has a row with ref "A-1", and that column is unique` {
			t.Errorf("a duplicate ref = %v", err)
		}
		other := addRow(t, s, &tb, map[string]any{"ref": "A-2"})
		if _, err := s.UpdateRow(ctx, &tb, other.ID, map[string]any{"ref": "A-1"}); !errors.As(err, &ue) || ue.Column != "ref" {
			t.Errorf("updating to a taken ref = %v", err)
		}
		addRow(t, s, &tb, map[string]any{"total": 1}) // empty refs do not clash
		addRow(t, s, &tb, map[string]any{"total": 2})
		if _, err := s.UpdateRow(ctx, &tb, 999, map[string]any{"total": 1.0}); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("updating a missing row = %v, want ErrNotFound", err)
		}
		if err := s.DeleteRow(ctx, &tb, r.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteRow(ctx, &tb, r.ID); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("deleting twice = %v, want ErrNotFound", err)
		}
		if _, err := s.Row(ctx, &tb, r.ID); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("a deleted row = %v, want ErrNotFound", err)
		}
		if n, err := s.CountRows(ctx, &tb); err != nil || n != 3 {
			t.Errorf("CountRows = %d, %v, want 3", n, err)
		}
		if n, err := s.ClearTable(ctx, &tb); err != nil || n != 3 {
			t.Errorf("ClearTable = %d, %v, want 3", n, err)
		}
		// Text search still works after clearing.
		addRow(t, s, &tb, map[string]any{"ref": "Zeta-9"})
		page, err := s.SearchRows(ctx, &tb, mustQuery(t, &tb, flows.RowQuery{Text: "zeta"}))
		if err != nil || len(page.Rows) != 1 {
			t.Errorf("search after clear = %+v, %v", page, err)
		}
	})
}

// TestDeleteTableInUse refuses to delete a table while a flow's card
// refers to it, naming the flow and the card, and deletes it once the
// flow is gone.
func TestDeleteTableInUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		tb := newTable(t, s, "Seen", flows.Column{Name: "key", Type: flows.TypeText})
		other := newTable(t, s, "Other", flows.Column{Name: "key", Type: flows.TypeText})
		def, _ := flows.NewDefinition(flows.KindWorkspace, "Dedupe")
		def.Cards = append(def.Cards, flows.Node{ID: "c9", Type: "control.if_else", Lanes: []flows.Lane{{Name: "then", Cards: []flows.Node{
			{ID: "c2", Type: "table.create_row", Label: "Remember it", Bindings: map[string]flows.Binding{flows.TableInput: {Value: float64(tb.ID)}}},
		}}}})
		f, err := s.CreateFlow(ctx, flows.Flow{Definition: def})
		if err != nil {
			t.Fatal(err)
		}
		err = s.DeleteTable(ctx, tb.ID)
		var inUse *flows.TableInUseError
		if !errors.As(err, &inUse) || !errors.Is(err, flows.ErrConflict) ||
			inUse.Error() != `the table "Seen" is used by flow "Dedupe" (card "Remember it"): change those cards before deleting it` {
			t.Fatalf("deleting a table in use = %v", err)
		}
		if err := s.DeleteTable(ctx, other.ID); err != nil {
			t.Errorf("deleting a table no flow uses = %v", err)
		}
		uses, err := s.TableUses(ctx, tb.ID)
		if err != nil || len(uses) != 1 || uses[0].FlowID != f.ID {
			t.Errorf("TableUses = %+v, %v", uses, err)
		}
		if err := s.DeleteFlow(ctx, f.ID); err != nil {
			t.Fatal(err)
		}
		if err := flows.CheckTableRefs(ctx, &def, s); err != nil {
			t.Errorf("CheckTableRefs while the table is there = %v", err)
		}
		if err := s.DeleteTable(ctx, tb.ID); err != nil {
			t.Errorf("deleting once the flow is gone = %v", err)
		}
		// A flow whose card refers to a deleted table is not valid.
		err = flows.CheckTableRefs(ctx, &def, s)
		want := fmt.Sprintf(`card "Remember it" refers to table %d, which does not exist (it may have been deleted)`, tb.ID)
		var ve *flows.ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Card != "c2" || ve.Problems[0].Message != want {
			t.Errorf("CheckTableRefs after the table is gone = %v", err)
		}
	})
}

// rowKeys lists rows' values of a column, or ids ("#3").
func rowKeys(rows []flows.Row, col string) string {
	var out []string
	for _, r := range rows {
		if col == "" {
			out = append(out, fmt.Sprintf("#%d", r.ID))
			continue
		}
		out = append(out, fmt.Sprint(r.Values[col]))
	}
	return strings.Join(out, ",")
}
