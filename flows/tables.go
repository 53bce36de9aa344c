package flows

import (
	"context"
	"fmt"
	"io"
)

// Tables is what people (through the API and pages) and the Tables cards
// do with tables: the rules are checked here, and Store keeps them.
type Tables struct {
	Store TableStore
}

// Create checks and saves a new table with its columns.
func (ts Tables) Create(ctx context.Context, t Table) (Table, error) {
	t.ID = 0
	for i := range t.Columns {
		t.Columns[i].ID = 0
	}
	if err := CheckTable(&t); err != nil {
		return Table{}, err
	}
	return ts.Store.CreateTable(ctx, t)
}

// TablePatch changes a table: what is nil stays. Columns is the whole new
// list of columns (see PlanTableChange); ConfirmRemove lets it remove
// columns and their values. Revision, when not 0, is the revision the
// change was made to: a stale one is refused.
type TablePatch struct {
	Revision      int       `json:"revision,omitempty"`
	Name          *string   `json:"name"`
	Description   *string   `json:"description"`
	Columns       *[]Column `json:"columns"`
	ConfirmRemove bool      `json:"confirmRemove"`
}

// Change applies a patch to a table as it is when the change is made.
func (ts Tables) Change(ctx context.Context, id int64, p TablePatch) (Table, error) {
	return ts.Store.ChangeTable(ctx, id, func(old Table) (TableChange, error) {
		if err := checkRevision("table", p.Revision, old.Revision); err != nil {
			return TableChange{}, err
		}
		want := old
		if p.Name != nil {
			want.Name = *p.Name
		}
		if p.Description != nil {
			want.Description = *p.Description
		}
		if p.Columns != nil {
			want.Columns = append([]Column(nil), *p.Columns...)
		}
		ch, err := PlanTableChange(old, want, p.ConfirmRemove)
		ch.Revision = p.Revision
		return ch, err
	})
}

// Delete removes a table and its rows, unless a flow's card refers to it.
func (ts Tables) Delete(ctx context.Context, id int64) error {
	return ts.Store.DeleteTable(ctx, id)
}

// CreateRow checks values (defaults fill what they leave out) and adds
// them as a row.
func (ts Tables) CreateRow(ctx context.Context, tableID int64, in map[string]any) (Table, Row, error) {
	t, err := ts.Store.Table(ctx, tableID)
	if err != nil {
		return t, Row{}, err
	}
	vals, err := t.NewRowValues(in)
	if err != nil {
		return t, Row{}, err
	}
	r, err := ts.Store.CreateRow(ctx, &t, vals)
	return t, r, err
}

// Row reads one row.
func (ts Tables) Row(ctx context.Context, tableID, rowID int64) (Table, Row, error) {
	t, err := ts.Store.Table(ctx, tableID)
	if err != nil {
		return t, Row{}, err
	}
	r, err := ts.Store.Row(ctx, &t, rowID)
	return t, r, err
}

// UpdateRow checks values and sets those columns of a row, and only them.
func (ts Tables) UpdateRow(ctx context.Context, tableID, rowID int64, in map[string]any) (Table, Row, error) {
	t, err := ts.Store.Table(ctx, tableID)
	if err != nil {
		return t, Row{}, err
	}
	vals, err := t.Values(in)
	if err != nil {
		return t, Row{}, err
	}
	r, err := ts.Store.UpdateRow(ctx, &t, rowID, vals)
	return t, r, err
}

// DeleteRow removes a row.
func (ts Tables) DeleteRow(ctx context.Context, tableID, rowID int64) error {
	t, err := ts.Store.Table(ctx, tableID)
	if err != nil {
		return err
	}
	return ts.Store.DeleteRow(ctx, &t, rowID)
}

// Search checks a query and returns a page of the rows it matches.
func (ts Tables) Search(ctx context.Context, tableID int64, q RowQuery) (Table, RowPage, error) {
	t, err := ts.Store.Table(ctx, tableID)
	if err != nil {
		return t, RowPage{}, err
	}
	if q, err = t.CheckQuery(q); err != nil {
		return t, RowPage{}, err
	}
	page, err := ts.Store.SearchRows(ctx, &t, q)
	return t, page, err
}

// Clear removes every row of a table and says how many there were.
func (ts Tables) Clear(ctx context.Context, tableID int64) (int64, error) {
	t, err := ts.Store.Table(ctx, tableID)
	if err != nil {
		return 0, err
	}
	return ts.Store.ClearTable(ctx, &t)
}

// Import adds the rows of a CSV file: every one, or (when any value is
// wrong or a unique value is taken) none.
func (ts Tables) Import(ctx context.Context, tableID int64, r io.Reader) (int, error) {
	t, err := ts.Store.Table(ctx, tableID)
	if err != nil {
		return 0, err
	}
	rows, lines, err := ReadCSV(r, &t)
	if err != nil {
		return 0, err
	}
	return ts.Store.ImportRows(ctx, &t, rows, lines)
}

// exportPage is how many rows Export reads at a time.
const exportPage = MaxRowsLimit

// Export writes a table's rows as CSV, in id order, a page at a time; a
// row added while it runs is written if its page is still to come.
func (ts Tables) Export(ctx context.Context, tableID int64, w io.Writer) error {
	t, err := ts.Store.Table(ctx, tableID)
	if err != nil {
		return err
	}
	return ExportRows(ctx, ts.Store, &t, w)
}

// ExportRows writes all of a table's rows as CSV.
func ExportRows(ctx context.Context, rows TableRows, t *Table, w io.Writer) error {
	cw, err := NewCSVWriter(w, t)
	if err != nil {
		return err
	}
	q, err := t.CheckQuery(RowQuery{Limit: exportPage})
	if err != nil {
		return err
	}
	for {
		page, err := rows.SearchRows(ctx, t, q)
		if err != nil {
			return err
		}
		for _, r := range page.Rows {
			if err := cw.Write(r); err != nil {
				return fmt.Errorf("flows: export table %d: %w", t.ID, err)
			}
		}
		if err := cw.Flush(); err != nil {
			return fmt.Errorf("flows: export table %d: %w", t.ID, err)
		}
		if page.Next == "" {
			return nil
		}
		q.Cursor = page.Next
		if q, err = t.CheckQuery(q); err != nil {
			return err
		}
	}
}
