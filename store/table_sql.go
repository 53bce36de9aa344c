package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/hookflow/hookflow/flows"
)

// Each table's rows are kept in a database table of its own, tbl_<id>,
// with one database column per column, col_<id>: SQL holds generated
// names only, never a name a user gave. Every column has an index on
// (value, id), which serves equality, ranges and sorting with keyset
// pages; a unique column has a UNIQUE index besides. Text search is
// served by an index too: on SQLite an FTS5 table with the trigram
// tokenizer (tbl_<id>_fts), kept in step by triggers; on Postgres a
// trigram GIN index per text column (pg_trgm, when the server has it).
//
// Values by type: text is TEXT (COLLATE "C" on Postgres, so that both
// databases compare it byte by byte); a number REAL / DOUBLE PRECISION;
// true/false INTEGER 0 or 1 / BOOLEAN; a date-time INTEGER Unix
// milliseconds / TIMESTAMPTZ, so that both compare and sort as instants.
// An empty value is NULL, which sorts before every other value.
//
// Postgres's B-tree cannot hold long text, so a text column's index is
// on its first textPrefix characters (and id), and its unique index on
// its MD5: queries name the prefix beside the column to use them.

// textPrefix is how many characters of a text value Postgres's index of
// the column holds.
const textPrefix = 256

func tableName(id int64) string  { return "tbl_" + strconv.FormatInt(id, 10) }
func columnName(id int64) string { return "col_" + strconv.FormatInt(id, 10) }
func ftsName(id int64) string    { return tableName(id) + "_fts" }

// rebind writes a statement's ? placeholders as $1, $2 … on Postgres.
// Statements of tables hold no literals, so every ? is a placeholder.
func (s *Store) rebind(q string) string {
	if s.dialect != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// tableReads is where rows are read outside transactions.
func (s *Store) tableReads() *sql.DB {
	if s.readDB != nil && s.dialect == SQLite {
		return s.readDB
	}
	return s.sqlDB
}

// sqlType is a column type's database type.
func (s *Store) sqlType(t flows.Type) string {
	lite := s.dialect == SQLite
	switch t {
	case flows.TypeNumber:
		if lite {
			return "REAL"
		}
		return "DOUBLE PRECISION"
	case flows.TypeBool:
		if lite {
			return "INTEGER"
		}
		return "BOOLEAN"
	case flows.TypeDate:
		if lite {
			return "INTEGER"
		}
		return "TIMESTAMPTZ"
	}
	if lite {
		return "TEXT"
	}
	return `TEXT COLLATE "C"`
}

// dbValue turns a checked value into what the database stores.
func (s *Store) dbValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		if s.dialect == SQLite {
			return x.UnixMilli()
		}
		return x.UTC()
	case bool:
		if s.dialect == SQLite {
			if x {
				return int64(1)
			}
			return int64(0)
		}
	}
	return v
}

// dbTime is a row's system time as the database stores it.
func (s *Store) dbTime(t time.Time) any {
	if s.dialect == SQLite {
		return t.UnixMilli()
	}
	return t
}

// fromDB turns what the database holds into a value of the column's type.
func fromDB(t flows.Type, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []byte:
		return string(x)
	case int64:
		switch t {
		case flows.TypeBool:
			return x != 0
		case flows.TypeDate:
			return time.UnixMilli(x).UTC()
		case flows.TypeNumber:
			return float64(x)
		}
	case time.Time:
		return x.UTC()
	}
	return v
}

// isUnique reports a violated UNIQUE index.
func isUnique(err error) bool {
	var le sqlite3.Error
	if errors.As(err, &le) {
		return le.ExtendedCode == sqlite3.ErrConstraintUnique
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// uniqueColumn is the column whose unique index err names on Postgres
// (0 when unknown).
func uniqueColumn(err error) int64 {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return 0
	}
	name := strings.TrimSuffix(pe.ConstraintName, "_u")
	if i := strings.LastIndex(name, "_col_"); i >= 0 {
		id, _ := strconv.ParseInt(name[i+len("_col_"):], 10, 64)
		return id
	}
	return 0
}

// queryer runs statements in a transaction or on a pool.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// exec runs statements one after the other.
func (s *Store) exec(ctx context.Context, q queryer, stmts ...string) error {
	for _, st := range stmts {
		if _, err := q.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("%s: %w", st, err)
		}
	}
	return nil
}

// trigram reports whether Postgres has pg_trgm for text search indexes.
func (s *Store) trigram(ctx context.Context) bool {
	s.tables.trgmOnce.Do(func() {
		var n int
		err := s.sqlDB.QueryRowContext(ctx, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'").Scan(&n)
		s.tables.trgm = err == nil && n > 0
	})
	return s.tables.trgm
}

// columnIndexes are the statements that index a column.
func (s *Store) columnIndexes(ctx context.Context, tableID int64, c flows.Column) []string {
	t, col := tableName(tableID), columnName(c.ID)
	idx := t + "_" + col
	if s.dialect == SQLite {
		out := []string{fmt.Sprintf("CREATE INDEX %s ON %s (%s, id)", idx, t, col)}
		if c.Unique {
			out = append(out, fmt.Sprintf("CREATE UNIQUE INDEX %s_u ON %s (%s)", idx, t, col))
		}
		return out
	}
	if c.Type != flows.TypeText {
		out := []string{fmt.Sprintf("CREATE INDEX %s ON %s (%s NULLS FIRST, id)", idx, t, col)}
		if c.Unique {
			out = append(out, fmt.Sprintf("CREATE UNIQUE INDEX %s_u ON %s (%s)", idx, t, col))
		}
		return out
	}
	out := []string{fmt.Sprintf("CREATE INDEX %s ON %s (left(%s, %d) NULLS FIRST, id)", idx, t, col, textPrefix)}
	if c.Unique {
		out = append(out, fmt.Sprintf("CREATE UNIQUE INDEX %s_u ON %s (md5(%s))", idx, t, col))
	}
	if s.trigram(ctx) {
		out = append(out, fmt.Sprintf("CREATE INDEX %s_t ON %s USING gin (%s gin_trgm_ops)", idx, t, col))
	}
	return out
}

// uniqueIndex is the statement that adds a column's unique index.
func (s *Store) uniqueIndex(tableID int64, c flows.Column) string {
	t, col := tableName(tableID), columnName(c.ID)
	if s.dialect == Postgres && c.Type == flows.TypeText {
		return fmt.Sprintf("CREATE UNIQUE INDEX %s_%s_u ON %s (md5(%s))", t, col, t, col)
	}
	return fmt.Sprintf("CREATE UNIQUE INDEX %s_%s_u ON %s (%s)", t, col, t, col)
}

// dropColumnIndexes are the statements that drop a column's indexes.
func (s *Store) dropColumnIndexes(tableID int64, c flows.Column) []string {
	idx := tableName(tableID) + "_" + columnName(c.ID)
	return []string{"DROP INDEX IF EXISTS " + idx, "DROP INDEX IF EXISTS " + idx + "_u", "DROP INDEX IF EXISTS " + idx + "_t"}
}

// textColumns are a table's text columns' database names.
func textColumns(t *flows.Table) []string {
	var out []string
	for _, c := range t.Columns {
		if c.Type == flows.TypeText {
			out = append(out, columnName(c.ID))
		}
	}
	return out
}

// countRows makes SQLite keep a table's row count in data_table_counts,
// counted once and then kept in step by triggers as rows are added and
// removed, so that a table's count reads one row however many it has.
// The triggers go with the table when it is dropped.
func countRows(id int64) []string {
	tn := tableName(id)
	return []string{
		fmt.Sprintf("INSERT INTO data_table_counts (table_id, row_count) VALUES (%d, (SELECT count(*) FROM %s)) "+
			"ON CONFLICT (table_id) DO UPDATE SET row_count = excluded.row_count", id, tn),
		fmt.Sprintf("CREATE TRIGGER %s_count_i AFTER INSERT ON %s BEGIN UPDATE data_table_counts SET row_count = row_count + 1 WHERE table_id = %d; END", tn, tn, id),
		fmt.Sprintf("CREATE TRIGGER %s_count_d AFTER DELETE ON %s BEGIN UPDATE data_table_counts SET row_count = row_count - 1 WHERE table_id = %d; END", tn, tn, id),
	}
}

// dropSearch drops SQLite's text search index of a table.
func dropSearch(id int64) []string {
	t := tableName(id)
	return []string{"DROP TRIGGER IF EXISTS " + t + "_fts_i", "DROP TRIGGER IF EXISTS " + t + "_fts_d",
		"DROP TRIGGER IF EXISTS " + t + "_fts_u", "DROP TABLE IF EXISTS " + ftsName(id)}
}

// createSearch makes SQLite's text search index of a table's text
// columns, filled from its rows: an FTS5 table whose content is the
// table itself, and triggers that keep it in step. Searches are not
// ranked, so it keeps no column sizes (columnsize=0: a row is written
// for less).
func createSearch(t *flows.Table) []string {
	cols := textColumns(t)
	if len(cols) == 0 {
		return nil
	}
	tn, fts := tableName(t.ID), ftsName(t.ID)
	list := strings.Join(cols, ", ")
	news := "new." + strings.Join(cols, ", new.")
	olds := "old." + strings.Join(cols, ", old.")
	return []string{
		fmt.Sprintf("CREATE VIRTUAL TABLE %s USING fts5(%s, content='%s', content_rowid='id', tokenize='trigram', columnsize=0)", fts, list, tn),
		fmt.Sprintf("CREATE TRIGGER %s_fts_i AFTER INSERT ON %s BEGIN INSERT INTO %s(rowid, %s) VALUES (new.id, %s); END", tn, tn, fts, list, news),
		fmt.Sprintf("CREATE TRIGGER %s_fts_d AFTER DELETE ON %s BEGIN INSERT INTO %s(%s, rowid, %s) VALUES ('delete', old.id, %s); END", tn, tn, fts, fts, list, olds),
		fmt.Sprintf("CREATE TRIGGER %s_fts_u AFTER UPDATE OF %s ON %s BEGIN INSERT INTO %s(%s, rowid, %s) VALUES ('delete', old.id, %s); "+
			"INSERT INTO %s(rowid, %s) VALUES (new.id, %s); END", tn, list, tn, fts, fts, list, olds, fts, list, news),
		fmt.Sprintf("INSERT INTO %s(%s) VALUES ('rebuild')", fts, fts),
	}
}
