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

// TestSearchRowsUseIndexes checks, on both databases, that the database
// plans each kind of search through an index of the table, not a scan of
// every row: equality, ranges and prefixes through the column's index,
// contains and text search through the text search index, sorted pages
// (the first and the next) through the sort column's index.
func TestSearchRowsUseIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		tb := newTable(t, s, "Big",
			flows.Column{Name: "email", Type: flows.TypeText, Unique: true},
			flows.Column{Name: "name", Type: flows.TypeText},
			flows.Column{Name: "age", Type: flows.TypeNumber},
			flows.Column{Name: "joined", Type: flows.TypeDate})
		for _, r := range []map[string]any{{"email": "a@x", "name": "Ann", "age": 3}, {"email": "b@x", "name": "Bob", "age": 5}} {
			addRow(t, s, &tb, r)
		}
		first, err := s.SearchRows(ctx, &tb, mustQuery(t, &tb, flows.RowQuery{Sort: "name", Desc: true, Limit: 1}))
		if err != nil {
			t.Fatal(err)
		}
		idx := func(col string) string {
			c, _ := tb.Column(col)
			return "tbl_" + itoa(tb.ID) + "_col_" + itoa(c.ID)
		}
		cond := func(col string, op flows.Operator, v any) []flows.Condition {
			return []flows.Condition{{Column: col, Op: op, Value: v}}
		}
		lite := s.Dialect() == store.SQLite
		search := "tbl_" + itoa(tb.ID) + "_fts"
		if !lite {
			search = idx("email") + "_t"
		}
		for _, tc := range []struct {
			name  string
			q     flows.RowQuery
			index string
			sorts bool // the matches are sorted by id after the index finds them
		}{
			{"equal text", flows.RowQuery{Conditions: cond("email", flows.OpEqual, "a@x")}, idx("email"), false},
			{"equal number", flows.RowQuery{Conditions: cond("age", flows.OpEqual, 3)}, idx("age"), false},
			{"a range of dates in their order", flows.RowQuery{Conditions: cond("joined", flows.OpGreater, "2026-01-01"), Sort: "joined"}, idx("joined"), false},
			{"starts with", flows.RowQuery{Conditions: cond("email", flows.OpStartsWith, "a@")}, idx("email"), true},
			{"contains", flows.RowQuery{Conditions: cond("email", flows.OpContains, "x.org")}, search, true},
			{"text search", flows.RowQuery{Text: "x.org"}, search, false},
			{"first page by a column", flows.RowQuery{Sort: "age"}, idx("age"), false},
			{"next page by a text column, descending", flows.RowQuery{Sort: "name", Desc: true, Limit: 1, Cursor: first.Next}, idx("name"), false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				plans, err := store.SearchPlans(ctx, s, &tb, mustQuery(t, &tb, tc.q))
				if err != nil {
					t.Fatal(err)
				}
				plan := plans[0]
				if !strings.Contains(plan, tc.index) {
					t.Errorf("the plan does not use %s:\n%s", tc.index, plan)
				}
				full := "Seq Scan"
				if lite {
					full = "SCAN tbl_" + itoa(tb.ID) + "\n"
				}
				if strings.Contains(plan+"\n", full) || (lite && !tc.sorts && strings.Contains(plan, "TEMP B-TREE")) {
					t.Errorf("the plan reads every row or sorts them:\n%s", plan)
				}
			})
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
