package store

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/hookflow/hookflow/flows"
)

// probeRows is how many rows, in id order after a page's cursor, a search
// in id order reads first on SQLite before it turns to the columns'
// indexes.
var probeRows = 2_000

// probes reports whether a search is read by probeRead: on SQLite, in
// id order, with conditions that no index gives in id order. An equality
// condition that all rows must meet does (its index holds value, id), and
// a "contains" of three letters or more is found in the search index; a
// range, a prefix, a text search outside the search index or conditions
// joined by "any" do not. For those SQLite would either read every row in
// id order until the page is full (slow when the matches are few, or all
// late) or read every match through an index and sort them (slow when the
// matches are many).
func (s *Store) probes(t *flows.Table, q flows.RowQuery) bool {
	if s.dialect != SQLite || q.Sort != "" || s.ftsDriven(t, q) || (len(q.Conditions) == 0 && q.Text == "") {
		return false
	}
	if !q.Any {
		for _, c := range q.Conditions {
			text, _ := c.Value.(string)
			if c.Op == flows.OpEqual || (c.Op == flows.OpContains && utf8.RuneCountInString(text) >= 3) {
				return false
			}
		}
	}
	return true
}

// probeRead reads at most limit rows in id order in two steps. It reads the next
// probeRows rows in id order and keeps the matches: when the matches are
// common the page fills there, at the cost of those rows. Otherwise it
// finds the rest of the page among the rows after them through the
// conditions' indexes, sorting the ids of their matches (never the rows),
// at the cost of the matches. Either way no search reads every row of a
// large table to find a few.
func (s *Store) probeRead(ctx context.Context, t *flows.Table, q flows.RowQuery, limit int) ([]flows.Row, error) {
	filter, err := s.filter(t, q)
	if err != nil {
		return nil, err
	}
	tbl, dir, past := tableName(t.ID), "ASC", ">"
	if q.Desc {
		dir, past = "DESC", "<"
	}
	ks := s.keyset(flows.Column{}, q)[0]
	var bound []int64
	boundSQL := fmt.Sprintf("SELECT id FROM %s WHERE %s ORDER BY id %s LIMIT 1 OFFSET %d", tbl, s.keysetOrTrue(q), dir, probeRows-1)
	if err := s.readIDs(ctx, boundSQL, ks.args, &bound); err != nil {
		return nil, fmt.Errorf("store: search rows of table %d: %w", t.ID, err)
	}
	want := limit
	var rows []flows.Row
	// The next rows in id order, read as such whatever index the
	// conditions have, and their matches.
	probe := fmt.Sprintf("SELECT %s FROM (SELECT %s FROM %s WHERE %s ORDER BY id %s LIMIT %d) AS %s WHERE %s ORDER BY id %s LIMIT %d",
		selectList(t), selectList(t), tbl, s.keysetOrTrue(q), dir, probeRows, tbl, filter.sql, dir, want)
	probeArgs := append(append([]any{}, ks.args...), filter.args...)
	if err := s.readRows(ctx, t, probe, probeArgs, &rows); err != nil {
		return nil, fmt.Errorf("store: search rows of table %d: %w", t.ID, err)
	}
	if len(bound) == 1 && len(rows) < want {
		// "+id" keeps SQLite from reading the rows in id order: the
		// conditions' indexes find the matches, and only their ids are
		// sorted before the rows are read.
		rest := fmt.Sprintf("SELECT %s FROM %s WHERE id IN (SELECT id FROM %s WHERE %s AND +id %s ? ORDER BY +id %s LIMIT %d) ORDER BY id %s",
			selectList(t), tbl, tbl, filter.sql, past, dir, want-len(rows), dir)
		restArgs := append(append([]any{}, filter.args...), bound[0])
		if err := s.readRows(ctx, t, rest, restArgs, &rows); err != nil {
			return nil, fmt.Errorf("store: search rows of table %d: %w", t.ID, err)
		}
	}
	return rows, nil
}

// keysetOrTrue is the id keyset of a query in id order, or a condition
// every row meets when the query starts at the first row.
func (s *Store) keysetOrTrue(q flows.RowQuery) string {
	if ks := s.keyset(flows.Column{}, q)[0]; ks.sql != "" {
		return ks.sql
	}
	return "1 = 1"
}

// readIDs reads a statement's first column of ids.
func (s *Store) readIDs(ctx context.Context, stmt string, args []any, out *[]int64) error {
	rows, err := s.tableReads().QueryContext(ctx, stmt, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		*out = append(*out, id)
	}
	return rows.Err()
}
