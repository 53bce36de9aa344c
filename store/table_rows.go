package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// selectList is the columns a row is read with: id, its times, then the
// table's columns in order.
func selectList(t *flows.Table) string {
	var b strings.Builder
	b.WriteString("id, created_at, updated_at")
	for _, c := range t.Columns {
		b.WriteString(", " + columnName(c.ID))
	}
	return b.String()
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanRow reads a row selected with selectList.
func scanRow(sc scanner, t *flows.Table) (flows.Row, error) {
	vals := make([]any, len(t.Columns)+3)
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := sc.Scan(ptrs...); err != nil {
		return flows.Row{}, err
	}
	r := flows.Row{Values: make(map[string]any, len(t.Columns))}
	switch x := vals[0].(type) {
	case int64:
		r.ID = x
	case int32:
		r.ID = int64(x)
	}
	r.CreatedAt, _ = fromDB(flows.TypeDate, vals[1]).(time.Time)
	r.UpdatedAt, _ = fromDB(flows.TypeDate, vals[2]).(time.Time)
	for i, c := range t.Columns {
		if v := fromDB(c.Type, vals[i+3]); v != nil {
			r.Values[c.Name] = v
		}
	}
	return r, nil
}

// CreateRow adds a row; a *flows.UniqueError when a unique column's
// value is taken.
func (s *Store) CreateRow(ctx context.Context, t *flows.Table, values map[string]any) (flows.Row, error) {
	var r flows.Row
	err := s.writeRow(ctx, func(ctx context.Context, q queryer) error {
		var err error
		if r, err = s.insertRow(ctx, q, t, values, time.Now().UTC().Truncate(time.Millisecond)); err != nil {
			return s.rowError(ctx, q, t, 0, values, err, "create a row")
		}
		return nil
	})
	return r, err
}

// insertRow writes a row of the values given.
func (s *Store) insertRow(ctx context.Context, q queryer, t *flows.Table, values map[string]any, now time.Time) (flows.Row, error) {
	names := []string{"created_at", "updated_at"}
	args := []any{s.dbTime(now), s.dbTime(now)}
	r := flows.Row{Values: make(map[string]any, len(values)), CreatedAt: now, UpdatedAt: now}
	for _, c := range t.Columns {
		if v, ok := values[c.Name]; ok && v != nil {
			names = append(names, columnName(c.ID))
			args = append(args, s.dbValue(v))
			r.Values[c.Name] = v
		}
	}
	stmt := fmt.Sprintf("INSERT INTO %s (%s) VALUES (?%s) RETURNING id", tableName(t.ID), strings.Join(names, ", "), strings.Repeat(", ?", len(names)-1))
	if err := q.QueryRowContext(ctx, s.rebind(stmt), args...).Scan(&r.ID); err != nil {
		return flows.Row{}, err
	}
	return r, nil
}

// rowError explains a failed write of a row: a *flows.UniqueError naming
// the unique column whose value is taken, or the error as it is.
func (s *Store) rowError(ctx context.Context, q queryer, t *flows.Table, rowID int64, values map[string]any, err error, what string) error {
	if !isUnique(err) {
		return fmt.Errorf("store: %s in table %d: %w", what, t.ID, errNoRows(err))
	}
	ue := &flows.UniqueError{Table: t.Name}
	byID := uniqueColumn(err)
	for _, c := range t.Columns {
		v, ok := values[c.Name]
		if !ok || v == nil || !c.Unique {
			continue
		}
		if c.ID == byID {
			ue.Column, ue.Value = c.Name, v
			break
		}
		if byID != 0 {
			continue
		}
		var one int
		e := q.QueryRowContext(ctx, s.rebind(fmt.Sprintf("SELECT 1 FROM %s WHERE %s = ? AND id <> ? LIMIT 1", tableName(t.ID), columnName(c.ID))), s.dbValue(v), rowID).Scan(&one)
		if e == nil || ue.Column == "" {
			ue.Column, ue.Value = c.Name, v
		}
		if e == nil {
			break
		}
	}
	return ue
}

// Row reads one row.
func (s *Store) Row(ctx context.Context, t *flows.Table, rowID int64) (flows.Row, error) {
	stmt := fmt.Sprintf("SELECT %s FROM %s WHERE id = ?", selectList(t), tableName(t.ID))
	r, err := scanRow(s.tableReads().QueryRowContext(ctx, s.rebind(stmt), rowID), t)
	if err != nil {
		return flows.Row{}, fmt.Errorf("store: row %d of table %d: %w", rowID, t.ID, errNoRows(err))
	}
	return r, nil
}

// UpdateRow sets the given columns of one row, and only those, in one
// statement, and returns the row as it is then.
func (s *Store) UpdateRow(ctx context.Context, t *flows.Table, rowID int64, values map[string]any) (flows.Row, error) {
	sets := []string{"updated_at = ?"}
	args := []any{s.dbTime(time.Now().UTC().Truncate(time.Millisecond))}
	for _, c := range t.Columns {
		if v, ok := values[c.Name]; ok {
			sets = append(sets, columnName(c.ID)+" = ?")
			args = append(args, s.dbValue(v))
		}
	}
	if len(sets) == 1 {
		return s.Row(ctx, t, rowID)
	}
	stmt := fmt.Sprintf("UPDATE %s SET %s WHERE id = ? RETURNING %s", tableName(t.ID), strings.Join(sets, ", "), selectList(t))
	var r flows.Row
	err := s.writeRow(ctx, func(ctx context.Context, q queryer) error {
		var err error
		if r, err = scanRow(q.QueryRowContext(ctx, s.rebind(stmt), append(args, rowID)...), t); err != nil {
			return s.rowError(ctx, q, t, rowID, values, err, fmt.Sprintf("update row %d", rowID))
		}
		return nil
	})
	return r, err
}

// DeleteRow removes one row.
func (s *Store) DeleteRow(ctx context.Context, t *flows.Table, rowID int64) error {
	return s.writeRow(ctx, func(ctx context.Context, q queryer) error {
		res, err := q.ExecContext(ctx, s.rebind("DELETE FROM "+tableName(t.ID)+" WHERE id = ?"), rowID)
		if err != nil {
			return fmt.Errorf("store: delete row %d of table %d: %w", rowID, t.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: row %d of table %d: %w", rowID, t.ID, flows.ErrNotFound)
		}
		return nil
	})
}

// ClearTable removes every row. On SQLite the text search index is made
// anew rather than kept in step row by row.
func (s *Store) ClearTable(ctx context.Context, t *flows.Table) (int64, error) {
	var n int64
	err := s.tableTx(ctx, func(tx *sql.Tx) error {
		if s.dialect == SQLite {
			if err := s.exec(ctx, tx, dropSearch(t.ID)...); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM "+tableName(t.ID))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		if err := s.emitRaw(ctx, tx, nil, tableClearedEvent(t, n)); err != nil {
			return err
		}
		if s.dialect == SQLite {
			return s.exec(ctx, tx, createSearch(t)...)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: clear table %d: %w", t.ID, err)
	}
	return n, nil
}

// ImportRows adds rows in one transaction: all, or none.
func (s *Store) ImportRows(ctx context.Context, t *flows.Table, rows []map[string]any, lines []int) (int, error) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	err := s.tableTx(ctx, func(tx *sql.Tx) error {
		for i, vals := range rows {
			if _, err := s.insertRow(ctx, tx, t, vals, now); err != nil {
				err = s.rowError(ctx, tx, t, 0, vals, err, "import rows")
				if ue, ok := err.(*flows.UniqueError); ok && i < len(lines) {
					ue.Line = lines[i]
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(rows), nil
}

// CountRows counts a table's rows: on SQLite the count its triggers keep
// (see countRows), on Postgres by counting them.
func (s *Store) CountRows(ctx context.Context, t *flows.Table) (int64, error) {
	var n int64
	stmt, args := "SELECT count(*) FROM "+tableName(t.ID), []any(nil)
	if s.dialect == SQLite {
		stmt, args = "SELECT row_count FROM data_table_counts WHERE table_id = ?", []any{t.ID}
	}
	if err := s.tableReads().QueryRowContext(ctx, stmt, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count rows of table %d: %w", t.ID, errNoRows(err))
	}
	return n, nil
}
