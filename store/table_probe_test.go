package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// TestSearchRowsInIDOrder pages through searches in id order that no
// index gives in that order — ranges, prefixes, "any" — with matches
// early, late, few and many, both ways, and checks every page against the
// rows read one by one, then pages back to the first. On SQLite the first rows are read apart from the
// rest (7 here), so pages cross from the one step to the other.
func TestSearchRowsInIDOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		store.SetProbeRows(t, 7)
		ctx := context.Background()
		tb := newTable(t, s, "Numbers",
			flows.Column{Name: "n", Type: flows.TypeNumber},
			flows.Column{Name: "tag", Type: flows.TypeText})
		type row struct {
			id  int64
			n   int
			tag string
		}
		var all []row
		for i := range 60 {
			tag := fmt.Sprintf("odd-%d", i)
			if i%2 == 0 {
				tag = fmt.Sprintf("even-%d", i)
			}
			r := addRow(t, s, &tb, map[string]any{"n": i, "tag": tag})
			all = append(all, row{r.ID, i, tag})
		}
		cond := func(col string, op flows.Operator, v any) flows.Condition {
			return flows.Condition{Column: col, Op: op, Value: v}
		}
		for _, tc := range []struct {
			name  string
			q     flows.RowQuery
			match func(row) bool
		}{
			{"few late matches", flows.RowQuery{Conditions: []flows.Condition{cond("n", flows.OpGreaterOrEqual, 50)}}, func(r row) bool { return r.n >= 50 }},
			{"few early matches", flows.RowQuery{Conditions: []flows.Condition{cond("n", flows.OpLess, 3)}}, func(r row) bool { return r.n < 3 }},
			{"most rows", flows.RowQuery{Conditions: []flows.Condition{cond("n", flows.OpGreater, 4)}}, func(r row) bool { return r.n > 4 }},
			{"most rows, descending", flows.RowQuery{Conditions: []flows.Condition{cond("n", flows.OpGreater, 4)}, Desc: true}, func(r row) bool { return r.n > 4 }},
			{"few late matches, descending", flows.RowQuery{Conditions: []flows.Condition{cond("n", flows.OpLess, 9)}, Desc: true}, func(r row) bool { return r.n < 9 }},
			{"a prefix", flows.RowQuery{Conditions: []flows.Condition{cond("tag", flows.OpStartsWith, "even-")}}, func(r row) bool { return r.n%2 == 0 }},
			{"a range and a prefix", flows.RowQuery{Conditions: []flows.Condition{cond("n", flows.OpGreater, 30), cond("tag", flows.OpStartsWith, "odd")}}, func(r row) bool { return r.n > 30 && r.n%2 == 1 }},
			{"any of two", flows.RowQuery{Any: true, Conditions: []flows.Condition{cond("n", flows.OpEqual, 1), cond("n", flows.OpGreater, 55)}}, func(r row) bool { return r.n == 1 || r.n > 55 }},
			{"none", flows.RowQuery{Conditions: []flows.Condition{cond("n", flows.OpGreater, 100)}}, func(r row) bool { return false }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var want []int64
				for _, r := range all {
					if tc.match(r) {
						want = append(want, r.id)
					}
				}
				if tc.q.Desc {
					slices.Reverse(want)
				}
				var got []int64
				var pages [][]int64
				q := tc.q
				q.Limit = 4
				read := func(cursor string) flows.RowPage {
					t.Helper()
					q.Cursor = cursor
					page, err := s.SearchRows(ctx, &tb, mustQuery(t, &tb, q))
					if err != nil {
						t.Fatal(err)
					}
					return page
				}
				page := read("")
				for {
					if len(pages) > 20 {
						t.Fatal("the pages do not end")
					}
					var ids []int64
					for _, r := range page.Rows {
						ids = append(ids, r.ID)
					}
					pages, got = append(pages, ids), append(got, ids...)
					if page.Next == "" {
						break
					}
					page = read(page.Next)
				}
				if !slices.Equal(got, want) {
					t.Errorf("pages of %s = %v, want %v", tc.name, got, want)
				}
				// Back from the last page, each page again.
				for i := len(pages) - 2; i >= 0; i-- {
					if page.Prev == "" {
						t.Fatalf("page %d has no Prev", i+1)
					}
					page = read(page.Prev)
					var ids []int64
					for _, r := range page.Rows {
						ids = append(ids, r.ID)
					}
					if !slices.Equal(ids, pages[i]) {
						t.Errorf("back to page %d: %v, want %v", i, ids, pages[i])
					}
				}
				if page.Prev != "" {
					t.Error("the first page has a Prev")
				}
			})
		}
	})
}
