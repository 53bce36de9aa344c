package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// tablesState is what the store knows of the database for tables.
type tablesState struct {
	trgmOnce sync.Once
	trgm     bool
	// writes feeds the row writer (table_writer.go), started once.
	writerOnce sync.Once
	writes     chan *rowWrite
	writerDone chan struct{}
	// schemas caches tables' schemas (table id → cachedSchema) for the row
	// writes of runs; gen counts changes, so that a schema read while one
	// is made is not kept.
	schemas sync.Map
	gen     atomic.Int64
}

// cachedSchema is a table's schema as read at a time.
type cachedSchema struct {
	t  flows.Table
	at time.Time
}

// schemaTTL is how long a table's schema is trusted without the database:
// a change made on this server takes effect at once, one made by another
// server sharing its database within schemaTTL.
const schemaTTL = time.Second

// forgetSchema drops a table's cached schema.
func (s *Store) forgetSchema(id int64) {
	s.tables.gen.Add(1)
	s.tables.schemas.Delete(id)
}

// tableTx runs fn in a transaction of the writer.
func (s *Store) tableTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Tables lists every table by name, with its columns.
func (s *Store) Tables(ctx context.Context) ([]flows.Table, error) {
	ts, err := s.loadTables(ctx, s.tableReads(), 0, false)
	if err != nil {
		return nil, fmt.Errorf("store: tables: %w", err)
	}
	return ts, nil
}

// Table loads a table's schema (at most schemaTTL old).
func (s *Store) Table(ctx context.Context, id int64) (flows.Table, error) {
	if c, ok := s.tables.schemas.Load(id); ok && time.Since(c.(cachedSchema).at) < schemaTTL {
		t := c.(cachedSchema).t
		t.Columns = slices.Clone(t.Columns)
		return t, nil
	}
	gen := s.tables.gen.Load()
	ts, err := s.loadTables(ctx, s.tableReads(), id, false)
	if err != nil {
		return flows.Table{}, fmt.Errorf("store: table %d: %w", id, err)
	}
	if s.tables.gen.Load() == gen {
		s.tables.schemas.Store(id, cachedSchema{t: ts[0], at: time.Now()})
	}
	t := ts[0]
	t.Columns = slices.Clone(t.Columns)
	return t, nil
}

// loadTables reads one table (id > 0; flows.ErrNotFound when there is
// none, locked FOR UPDATE on Postgres with lock) or all of them.
func (s *Store) loadTables(ctx context.Context, q queryer, id int64, lock bool) ([]flows.Table, error) {
	var where, suffix string
	var args []any
	if id > 0 {
		where, args = " WHERE id = ?", []any{id}
		if lock && s.dialect == Postgres {
			suffix = " FOR UPDATE"
		}
	}
	rows, err := q.QueryContext(ctx, s.rebind("SELECT id, name, description, revision, created_at, updated_at FROM data_tables"+where+" ORDER BY name_key"+suffix), args...)
	if err != nil {
		return nil, err
	}
	var out []flows.Table
	byID := map[int64]int{}
	for rows.Next() {
		var t flows.Table
		var created, updated any
		if err := rows.Scan(&t.ID, &t.Name, &t.Description, &t.Revision, &created, &updated); err != nil {
			rows.Close()
			return nil, err
		}
		t.CreatedAt, t.UpdatedAt = scanTime(created), scanTime(updated)
		t.Columns = []flows.Column{}
		byID[t.ID] = len(out)
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if id > 0 && len(out) == 0 {
		return nil, flows.ErrNotFound
	}
	rows, err = q.QueryContext(ctx, s.rebind("SELECT id, table_id, name, type, default_value, is_unique FROM data_table_columns"+
		strings.Replace(where, "id", "table_id", 1)+" ORDER BY table_id, position"), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c flows.Column
		var tableID int64
		var def string
		if err := rows.Scan(&c.ID, &tableID, &c.Name, &c.Type, &def, &c.Unique); err != nil {
			return nil, err
		}
		i, ok := byID[tableID]
		if !ok {
			continue
		}
		if def != "" {
			var v any
			if err := json.Unmarshal([]byte(def), &v); err != nil {
				return nil, fmt.Errorf("damaged default of column %d: %w", c.ID, err)
			}
			c.Default, _ = c.Value(v)
		}
		out[i].Columns = append(out[i].Columns, c)
	}
	return out, rows.Err()
}

// scanTime reads a time that gorm wrote: a time.Time, or SQLite's text.
func scanTime(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return x.UTC()
	case string:
		for _, l := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano} {
			if t, err := time.Parse(l, x); err == nil {
				return t.UTC()
			}
		}
	}
	return time.Time{}
}

// encodeDefault writes a column's default as JSON ("" for none).
func encodeDefault(v any) string {
	if v == nil {
		return ""
	}
	if t, ok := v.(time.Time); ok {
		v = t.Format(time.RFC3339Nano)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// CreateTable saves a checked table and makes the database table of its
// rows, with its indexes, in one transaction; flows.ErrConflict when its
// name is taken.
func (s *Store) CreateTable(ctx context.Context, t flows.Table) (flows.Table, error) {
	err := s.tableTx(ctx, func(tx *sql.Tx) error { return s.createTable(ctx, tx, &t, time.Now().UTC()) })
	if isUnique(err) {
		return flows.Table{}, fmt.Errorf("store: create table: %w: a table named %q exists already", flows.ErrConflict, t.Name)
	}
	if err != nil {
		return flows.Table{}, fmt.Errorf("store: create table: %w", err)
	}
	return s.Table(ctx, t.ID)
}

// createTable saves a table's schema in tx, setting its id, and makes
// the database table of its rows.
func (s *Store) createTable(ctx context.Context, tx *sql.Tx, t *flows.Table, now time.Time) error {
	err := tx.QueryRowContext(ctx, s.rebind("INSERT INTO data_tables (name, name_key, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id"),
		t.Name, strings.ToLower(t.Name), t.Description, now, now).Scan(&t.ID)
	if err != nil {
		return err
	}
	if err := s.insertColumns(ctx, tx, t.ID, t.Columns, 0); err != nil {
		return err
	}
	return s.createRowsTable(ctx, tx, t)
}

// insertColumns saves new columns' schemas at positions from first on,
// setting their ids.
func (s *Store) insertColumns(ctx context.Context, tx *sql.Tx, tableID int64, cols []flows.Column, first int) error {
	for i := range cols {
		c := &cols[i]
		err := tx.QueryRowContext(ctx, s.rebind("INSERT INTO data_table_columns (table_id, position, name, type, default_value, is_unique) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"),
			tableID, first+i, c.Name, string(c.Type), encodeDefault(c.Default), c.Unique).Scan(&c.ID)
		if err != nil {
			return err
		}
	}
	return nil
}

// createRowsTable makes the database table of a table's rows.
func (s *Store) createRowsTable(ctx context.Context, tx *sql.Tx, t *flows.Table) error {
	defs := []string{"id INTEGER PRIMARY KEY AUTOINCREMENT", "created_at INTEGER NOT NULL", "updated_at INTEGER NOT NULL"}
	if s.dialect == Postgres {
		defs = []string{"id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "created_at TIMESTAMPTZ NOT NULL", "updated_at TIMESTAMPTZ NOT NULL"}
	}
	for _, c := range t.Columns {
		defs = append(defs, columnName(c.ID)+" "+s.sqlType(c.Type))
	}
	stmts := []string{fmt.Sprintf("CREATE TABLE %s (%s)", tableName(t.ID), strings.Join(defs, ", "))}
	for _, c := range t.Columns {
		stmts = append(stmts, s.columnIndexes(ctx, t.ID, c)...)
	}
	if s.dialect == SQLite {
		stmts = append(stmts, createSearch(t)...)
		stmts = append(stmts, countRows(t.ID)...)
	}
	return s.exec(ctx, tx, stmts...)
}

// ChangeTable applies what plan makes of the table as it is now, in one
// transaction, as its next revision: its name and description, and its
// columns added (with their indexes), changed (renamed, a new default, a
// unique index made or dropped) and removed with their values. A change
// made to a revision (TableChange.Revision) the table is no longer at is
// a *flows.StaleError, and nothing is written.
func (s *Store) ChangeTable(ctx context.Context, id int64, plan func(flows.Table) (flows.TableChange, error)) (flows.Table, error) {
	s.forgetSchema(id)
	defer s.forgetSchema(id)
	err := s.tableTx(ctx, func(tx *sql.Tx) error {
		ts, err := s.loadTables(ctx, tx, id, true)
		if err != nil {
			return err
		}
		old := ts[0]
		ch, err := plan(old)
		if err != nil {
			return err
		}
		return s.applyChange(ctx, tx, &old, ch)
	})
	if isUnique(err) {
		return flows.Table{}, fmt.Errorf("store: change table %d: %w: a table with that name exists already", id, flows.ErrConflict)
	}
	if err != nil {
		return flows.Table{}, fmt.Errorf("store: change table %d: %w", id, err)
	}
	return s.Table(ctx, id)
}

func (s *Store) applyChange(ctx context.Context, tx *sql.Tx, old *flows.Table, ch flows.TableChange) error {
	if err := s.nextTableRevision(ctx, tx, old.ID, ch); err != nil {
		return err
	}
	tn := tableName(old.ID)
	// SQLite's search index is made anew only when the text columns it
	// holds change: that reads every row.
	now := flows.Table{ID: old.ID, Columns: ch.Columns}
	research := s.dialect == SQLite && (len(ch.Add) > 0 || len(ch.Remove) > 0) && !slices.Equal(textColumns(old), textColumnsAfter(ch))
	var stmts []string
	if research {
		stmts = append(stmts, dropSearch(old.ID)...)
	}
	for _, c := range ch.Remove {
		stmts = append(stmts, s.dropColumnIndexes(old.ID, c)...)
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", tn, columnName(c.ID)))
		if _, err := tx.ExecContext(ctx, s.rebind("DELETE FROM data_table_columns WHERE id = ?"), c.ID); err != nil {
			return err
		}
	}
	if err := s.exec(ctx, tx, stmts...); err != nil {
		return err
	}
	for _, c := range ch.Change {
		o, _ := old.Column(nameOf(old, c.ID))
		if o.Unique && !c.Unique {
			if err := s.exec(ctx, tx, "DROP INDEX IF EXISTS "+tn+"_"+columnName(c.ID)+"_u"); err != nil {
				return err
			}
		}
		if !o.Unique && c.Unique {
			if _, err := tx.ExecContext(ctx, s.uniqueIndex(old.ID, c)); err != nil {
				if isUnique(err) {
					return &flows.ValidationError{What: "table", Problems: []flows.Problem{{Field: "columns", Code: "column_unique",
						Message: fmt.Sprintf("column %q has the same value in more than one row: it can be unique once they differ", o.Name)}}}
				}
				return err
			}
		}
	}
	for i := range ch.Add {
		c := &ch.Add[i]
		if err := s.insertColumns(ctx, tx, old.ID, ch.Add[i:i+1], 0); err != nil {
			return err
		}
		stmts := append([]string{fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", tn, columnName(c.ID), s.sqlType(c.Type))}, s.columnIndexes(ctx, old.ID, *c)...)
		if err := s.exec(ctx, tx, stmts...); err != nil {
			return err
		}
	}
	added := 0
	for i, c := range ch.Columns {
		if c.ID == 0 {
			c.ID = ch.Add[added].ID
			ch.Columns[i].ID = c.ID
			added++
		}
		_, err := tx.ExecContext(ctx, s.rebind("UPDATE data_table_columns SET position = ?, name = ?, default_value = ?, is_unique = ? WHERE id = ?"),
			i, c.Name, encodeDefault(c.Default), c.Unique, c.ID)
		if err != nil {
			return err
		}
	}
	if research {
		return s.exec(ctx, tx, createSearch(&now)...)
	}
	return nil
}

// textColumnsAfter are the text columns' database names once a change is
// made, new ones (which have no id yet) named "new".
func textColumnsAfter(ch flows.TableChange) []string {
	var out []string
	for _, c := range ch.Columns {
		if c.Type != flows.TypeText {
			continue
		}
		if c.ID == 0 {
			out = append(out, "new")
			continue
		}
		out = append(out, columnName(c.ID))
	}
	return out
}

func nameOf(t *flows.Table, colID int64) string {
	for _, c := range t.Columns {
		if c.ID == colID {
			return c.Name
		}
	}
	return ""
}

// DeleteTable removes a table, its schema and its rows; a
// *flows.TableInUseError while a flow's card refers to it.
func (s *Store) DeleteTable(ctx context.Context, id int64) error {
	s.forgetSchema(id)
	defer s.forgetSchema(id)
	err := s.tableTx(ctx, func(tx *sql.Tx) error {
		ts, err := s.loadTables(ctx, tx, id, true)
		if err != nil {
			return err
		}
		uses, err := s.tableUses(ctx, tx, id)
		if err != nil {
			return err
		}
		if len(uses) > 0 {
			return &flows.TableInUseError{Table: ts[0].Name, Uses: uses}
		}
		var stmts []string
		if s.dialect == SQLite {
			stmts = append(dropSearch(id), fmt.Sprintf("DELETE FROM data_table_counts WHERE table_id = %d", id))
		}
		stmts = append(stmts, "DROP TABLE "+tableName(id))
		if err := s.exec(ctx, tx, stmts...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.rebind("DELETE FROM data_table_columns WHERE table_id = ?"), id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.rebind("DELETE FROM data_tables WHERE id = ?"), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete table %d: %w", id, err)
	}
	return nil
}

// TableUses lists the flows whose cards refer to a table.
func (s *Store) TableUses(ctx context.Context, id int64) ([]flows.FlowUse, error) {
	uses, err := s.tableUses(ctx, s.tableReads(), id)
	if err != nil {
		return nil, fmt.Errorf("store: flows using table %d: %w", id, err)
	}
	return uses, nil
}

// tableUses reads the flows that may hold a Tables card (their document
// names a card type of the prefix) and finds those referring to the
// table.
func (s *Store) tableUses(ctx context.Context, q queryer, id int64) ([]flows.FlowUse, error) {
	rows, err := q.QueryContext(ctx, s.rebind("SELECT id, definition FROM flows WHERE definition LIKE ? ORDER BY id"), `%"type":"`+flows.TableCardPrefix+`%`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var fs []flows.Flow
	for rows.Next() {
		var f flows.Flow
		var def string
		if err := rows.Scan(&f.ID, &def); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(def), &f.Definition); err != nil {
			return nil, fmt.Errorf("flow %d: damaged definition: %w", f.ID, err)
		}
		fs = append(fs, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return flows.UsesOf(fs, id), nil
}

// errNoRows maps sql.ErrNoRows to flows.ErrNotFound.
func errNoRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return flows.ErrNotFound
	}
	return err
}

var _ flows.TableStore = (*Store)(nil)

// nextTableRevision saves a table's name and description as its next
// revision, checking in the same statement that it is at ch.Revision
// (unless that is 0): a *flows.StaleError when it is not.
func (s *Store) nextTableRevision(ctx context.Context, tx *sql.Tx, id int64, ch flows.TableChange) error {
	q, args := "UPDATE data_tables SET name = ?, name_key = ?, description = ?, updated_at = ?, revision = revision + 1 WHERE id = ?",
		[]any{ch.Name, strings.ToLower(ch.Name), ch.Description, time.Now().UTC(), id}
	if ch.Revision > 0 {
		q, args = q+" AND revision = ?", append(args, ch.Revision)
	}
	res, err := tx.ExecContext(ctx, s.rebind(q), args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	var now int
	if err := tx.QueryRowContext(ctx, s.rebind("SELECT revision FROM data_tables WHERE id = ?"), id).Scan(&now); err != nil {
		return err
	}
	return &flows.StaleError{What: "table", Revision: ch.Revision, Now: now}
}
