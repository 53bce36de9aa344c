package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hookflow/hookflow/flows"
)

// clause is a piece of SQL with its arguments.
type clause struct {
	sql  string
	args []any
}

// SearchRows returns a page of the rows a checked query matches, in its
// order, after its cursor (or before it, for a cursor going back). The
// page is read one keyset segment after the other (empty sort values
// apart from the rest), each served by an index. Going back reads the
// other order from the cursor and turns the rows round; when fewer than
// a page are left before the cursor, the page is the first one, full.
func (s *Store) SearchRows(ctx context.Context, t *flows.Table, q flows.RowQuery) (flows.RowPage, error) {
	if q.After != nil && q.After.Back {
		return s.searchBack(ctx, t, q)
	}
	rows, err := s.searchRead(ctx, t, q, q.Limit+1)
	if err != nil {
		return flows.RowPage{}, err
	}
	page := flows.RowPage{Rows: rows}
	if len(page.Rows) > q.Limit {
		page.Rows = page.Rows[:q.Limit]
		page.Next = q.NextCursor(t, page.Rows[q.Limit-1])
	}
	if q.After != nil && len(page.Rows) > 0 {
		more, err := s.searchRead(ctx, t, turned(q, page.Rows[0]), 1)
		if err != nil {
			return flows.RowPage{}, err
		}
		if len(more) > 0 {
			page.Prev = q.PrevCursor(t, page.Rows[0])
		}
	}
	return page, nil
}

// searchBack reads the page that ends just before the query's cursor.
func (s *Store) searchBack(ctx context.Context, t *flows.Table, q flows.RowQuery) (flows.RowPage, error) {
	back := q
	back.Desc = !q.Desc
	rows, err := s.searchRead(ctx, t, back, q.Limit+1)
	if err != nil {
		return flows.RowPage{}, err
	}
	if len(rows) <= q.Limit {
		q.After = nil
		return s.SearchRows(ctx, t, q)
	}
	rows = rows[:q.Limit]
	slices.Reverse(rows)
	page := flows.RowPage{Rows: rows, Prev: q.PrevCursor(t, rows[0])}
	last := rows[len(rows)-1]
	after := q
	after.After = q.At(last)
	more, err := s.searchRead(ctx, t, after, 1)
	if err != nil {
		return flows.RowPage{}, err
	}
	if len(more) > 0 {
		page.Next = q.NextCursor(t, last)
	}
	return page, nil
}

// turned is the query read the other way from row: the rows before it.
func turned(q flows.RowQuery, row flows.Row) flows.RowQuery {
	q.After = q.At(row)
	q.Desc = !q.Desc
	q.After.Desc = q.Desc
	return q
}

// searchRead reads at most limit rows of the query, after its cursor; a
// search in id order that no index gives in that order is read by
// probeRead.
func (s *Store) searchRead(ctx context.Context, t *flows.Table, q flows.RowQuery, limit int) ([]flows.Row, error) {
	if s.probes(t, q) {
		return s.probeRead(ctx, t, q, limit)
	}
	stmts, err := s.searchStatements(t, q)
	if err != nil {
		return nil, err
	}
	var rows []flows.Row
	for _, st := range stmts {
		want := limit - len(rows)
		if want <= 0 {
			break
		}
		if err := s.readRows(ctx, t, s.rebind(st.sql+fmt.Sprintf(" LIMIT %d", want)), st.args, &rows); err != nil {
			return nil, fmt.Errorf("store: search rows of table %d: %w", t.ID, err)
		}
	}
	return rows, nil
}

// searchStatements are the statements, without their LIMIT, that read a
// page: one per keyset segment.
func (s *Store) searchStatements(t *flows.Table, q flows.RowQuery) ([]clause, error) {
	from := clause{sql: tableName(t.ID)}
	var segments []clause
	var order string
	if s.ftsDriven(t, q) {
		// Rows in id order with a text search: the search index gives its
		// matches in that order, so the page is its first ones.
		fts := ftsName(t.ID)
		from = clause{fmt.Sprintf("(SELECT rowid AS fid FROM %s WHERE %s MATCH ?) m JOIN %s ON %s.id = m.fid", fts, fts, tableName(t.ID), tableName(t.ID)),
			[]any{ftsPhrase(q.Text)}}
		q.Text = ""
		segments, order = s.keyset(flows.Column{}, q), "m.fid ASC"
		if q.Desc {
			order = "m.fid DESC"
		}
		for i := range segments {
			segments[i].sql = strings.Replace(segments[i].sql, "id", "m.fid", 1)
		}
	}
	filter, err := s.filter(t, q)
	if err != nil {
		return nil, err
	}
	if order == "" {
		var col flows.Column
		if q.Sort != "" {
			col, _ = t.Column(q.Sort)
		}
		order, segments = s.orderBy(col, q.Desc), s.keyset(col, q)
	}
	out := make([]clause, 0, len(segments))
	for _, seg := range segments {
		where := []string{}
		args := append([]any{}, from.args...)
		for _, c := range []clause{filter, seg} {
			if c.sql != "" {
				where = append(where, c.sql)
				args = append(args, c.args...)
			}
		}
		stmt := fmt.Sprintf("SELECT %s FROM %s", selectList(t), from.sql)
		if len(where) > 0 {
			stmt += " WHERE " + strings.Join(where, " AND ")
		}
		out = append(out, clause{stmt + " ORDER BY " + order, args})
	}
	return out, nil
}

// ftsDriven reports whether SQLite's search index drives the query: rows
// in id order with a text search of three characters or more.
func (s *Store) ftsDriven(t *flows.Table, q flows.RowQuery) bool {
	return s.dialect == SQLite && q.Sort == "" && utf8.RuneCountInString(q.Text) >= 3 && len(textColumns(t)) > 0
}

// ftsPhrase quotes text as one FTS5 phrase: with the trigram tokenizer,
// the rows holding it, ignoring case.
func ftsPhrase(text string) string {
	return `"` + strings.ReplaceAll(text, `"`, `""`) + `"`
}

func (s *Store) readRows(ctx context.Context, t *flows.Table, stmt string, args []any, out *[]flows.Row) error {
	rows, err := s.tableReads().QueryContext(ctx, stmt, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRow(rows, t)
		if err != nil {
			return err
		}
		*out = append(*out, r)
	}
	return rows.Err()
}

// filter is the query's conditions (all, or any) and text search.
func (s *Store) filter(t *flows.Table, q flows.RowQuery) (clause, error) {
	var parts []string
	var args []any
	for _, cond := range q.Conditions {
		c, ok := t.Column(cond.Column)
		if !ok {
			return clause{}, fmt.Errorf("store: search rows: %w: no column %q", flows.ErrInvalid, cond.Column)
		}
		cl := s.condition(t, c, cond)
		parts = append(parts, cl.sql)
		args = append(args, cl.args...)
	}
	var out clause
	if len(parts) > 0 {
		join := " AND "
		if q.Any {
			join = " OR "
		}
		out = clause{"(" + strings.Join(parts, join) + ")", args}
	}
	if q.Text != "" {
		txt := s.textSearch(t, q.Text)
		if out.sql != "" {
			out.sql += " AND "
		}
		out.sql += txt.sql
		out.args = append(out.args, txt.args...)
	}
	return out, nil
}

// condition is one condition on a column. On Postgres a text column's
// comparisons name the prefix its index holds as well.
func (s *Store) condition(t *flows.Table, c flows.Column, cond flows.Condition) clause {
	col := columnName(c.ID)
	v := s.dbValue(cond.Value)
	pgText := s.dialect == Postgres && c.Type == flows.TypeText
	cmp := func(op, prefixOp string) clause {
		if pgText {
			return clause{fmt.Sprintf("(left(%s, %d) %s left(?, %d) AND %s %s ?)", col, textPrefix, prefixOp, textPrefix, col, op), []any{v, v}}
		}
		return clause{col + " " + op + " ?", []any{v}}
	}
	switch cond.Op {
	case flows.OpEqual:
		return cmp("=", "=")
	case flows.OpNotEqual:
		return clause{"(" + col + " <> ? OR " + col + " IS NULL)", []any{v}}
	case flows.OpLess:
		return cmp("<", "<=")
	case flows.OpLessOrEqual:
		return cmp("<=", "<=")
	case flows.OpGreater:
		return cmp(">", ">=")
	case flows.OpGreaterOrEqual:
		return cmp(">=", ">=")
	case flows.OpIsEmpty:
		return clause{col + " IS NULL", nil}
	case flows.OpIsNotEmpty:
		return clause{col + " IS NOT NULL", nil}
	case flows.OpStartsWith:
		text, _ := cond.Value.(string)
		if s.dialect == SQLite {
			return clause{col + " GLOB ?", []any{globEscape(text) + "*"}}
		}
		prefix := text
		if utf8.RuneCountInString(prefix) > textPrefix {
			prefix = string([]rune(prefix)[:textPrefix])
		}
		return clause{fmt.Sprintf("(left(%s, %d) LIKE ? AND %s LIKE ?)", col, textPrefix, col), []any{likeEscape(prefix) + "%", likeEscape(text) + "%"}}
	case flows.OpContains:
		text, _ := cond.Value.(string)
		return s.contains(t, []string{col}, text)
	}
	return clause{"1 = 0", nil}
}

// textSearch finds text in any of the table's text columns.
func (s *Store) textSearch(t *flows.Table, text string) clause {
	cols := textColumns(t)
	if len(cols) == 0 {
		return clause{"1 = 0", nil}
	}
	return s.contains(t, cols, text)
}

// contains finds text, ignoring case, in any of cols: on SQLite through
// the trigram index when the text has three characters or more (the
// index's least), on Postgres through the trigram indexes.
func (s *Store) contains(t *flows.Table, cols []string, text string) clause {
	var parts []string
	var args []any
	if s.dialect == Postgres {
		for _, c := range cols {
			parts = append(parts, c+" ILIKE ?")
			args = append(args, "%"+likeEscape(text)+"%")
		}
		return clause{"(" + strings.Join(parts, " OR ") + ")", args}
	}
	if utf8.RuneCountInString(text) >= 3 {
		match := ftsPhrase(text)
		if len(cols) == 1 {
			match = cols[0] + " : " + match
		}
		fts := ftsName(t.ID)
		return clause{fmt.Sprintf("id IN (SELECT rowid FROM %s WHERE %s MATCH ?)", fts, fts), []any{match}}
	}
	for _, c := range cols {
		parts = append(parts, "instr(lower("+c+"), lower(?)) > 0")
		args = append(args, text)
	}
	return clause{"(" + strings.Join(parts, " OR ") + ")", args}
}

// orderBy sorts by a column (empty values first) and then id, or by id
// when col is the zero Column.
func (s *Store) orderBy(col flows.Column, desc bool) string {
	dir, nulls := " ASC", " NULLS FIRST"
	if desc {
		dir, nulls = " DESC", " NULLS LAST"
	}
	if col.ID == 0 {
		return "id" + dir
	}
	c := columnName(col.ID)
	if s.dialect == SQLite {
		return c + dir + ", id" + dir
	}
	if col.Type == flows.TypeText {
		return fmt.Sprintf("left(%s, %d)%s%s, %s%s%s, id%s", c, textPrefix, dir, nulls, c, dir, nulls, dir)
	}
	return c + dir + nulls + ", id" + dir
}

// keyset is where the query's page starts, as segments read in turn: the
// rows after the cursor whose sort value is not empty, and those whose is.
func (s *Store) keyset(col flows.Column, q flows.RowQuery) []clause {
	after := q.After
	if after == nil {
		return []clause{{}}
	}
	if col.ID == 0 {
		if q.Desc {
			return []clause{{"id < ?", []any{after.ID}}}
		}
		return []clause{{"id > ?", []any{after.ID}}}
	}
	c := columnName(col.ID)
	isNull := clause{c + " IS NULL", nil}
	if after.Value == nil {
		if q.Desc {
			return []clause{{c + " IS NULL AND id < ?", []any{after.ID}}}
		}
		return []clause{{c + " IS NULL AND id > ?", []any{after.ID}}, {c + " IS NOT NULL", nil}}
	}
	v := s.dbValue(after.Value)
	op, prefixOp := ">", ">="
	if q.Desc {
		op, prefixOp = "<", "<="
	}
	rowCmp := clause{fmt.Sprintf("(%s, id) %s (?, ?)", c, op), []any{v, after.ID}}
	if s.dialect == Postgres && col.Type == flows.TypeText {
		rowCmp = clause{fmt.Sprintf("left(%s, %d) %s left(?, %d) AND (%s, id) %s (?, ?)", c, textPrefix, prefixOp, textPrefix, c, op), []any{v, v, after.ID}}
	}
	if q.Desc {
		return []clause{rowCmp, isNull}
	}
	return []clause{rowCmp}
}

// likeEscape escapes LIKE's wildcards (Postgres's escape is \).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// globEscape escapes GLOB's wildcards.
func globEscape(s string) string {
	return strings.NewReplacer(`*`, `[*]`, `?`, `[?]`, `[`, `[[]`).Replace(s)
}
