package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// TestTableSearchPagesBack reads every order's pages forward, then back
// from the last one with Prev: each page going back is the page that was
// read going forward, and the first page has no Prev. A text search goes
// back the same way.
func TestTableSearchPagesBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		tb, _ := searchTable(t, s)
		search := func(t *testing.T, q flows.RowQuery) flows.RowPage {
			t.Helper()
			page, err := s.SearchRows(ctx, &tb, mustQuery(t, &tb, q))
			if err != nil {
				t.Fatal(err)
			}
			return page
		}
		for _, sortCol := range []string{"", "name", "n", "ok", "at", "city"} {
			for _, desc := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s desc=%v", sortCol, desc), func(t *testing.T) {
					q := flows.RowQuery{Sort: sortCol, Desc: desc, Limit: 3}
					var forward []flows.RowPage
					for page := search(t, q); ; page = search(t, q) {
						forward = append(forward, page)
						if page.Next == "" || len(forward) > 10 {
							break
						}
						q.Cursor = page.Next
					}
					if forward[0].Prev != "" {
						t.Errorf("the first page has a Prev")
					}
					for i := len(forward) - 1; i > 0; i-- {
						if forward[i].Prev == "" {
							t.Fatalf("page %d has no Prev", i+1)
						}
						q.Cursor = forward[i].Prev
						back := search(t, q)
						if rowKeys(back.Rows, "") != rowKeys(forward[i-1].Rows, "") {
							t.Errorf("back to page %d = %s, want %s", i, rowKeys(back.Rows, ""), rowKeys(forward[i-1].Rows, ""))
						}
						if (back.Prev == "") != (i == 1) || back.Next == "" {
							t.Errorf("back to page %d: prev %q next %q", i, back.Prev, back.Next)
						}
						forward[i-1] = back
					}
				})
			}
		}
		q := flows.RowQuery{Text: "OSL", Limit: 1}
		first := search(t, q)
		q.Cursor = first.Next
		second := search(t, q)
		q.Cursor = second.Prev
		if back := search(t, q); rowKeys(back.Rows, "") != rowKeys(first.Rows, "") || back.Prev != "" {
			t.Errorf("back in a text search = %s (prev %q), want %s", rowKeys(back.Rows, ""), back.Prev, rowKeys(first.Rows, ""))
		}
	})
}

// TestTableSearchBackWhileRowsChange goes back from a page while rows are
// added and removed: the page before holds the rows just before the one
// the page began with, and when fewer than a page are left it is the
// first page, full.
func TestTableSearchBackWhileRowsChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		tb := newTable(t, s, "Numbers", flows.Column{Name: "n", Type: flows.TypeNumber})
		var rows []flows.Row
		for i := range 10 {
			rows = append(rows, addRow(t, s, &tb, map[string]any{"n": i}))
		}
		search := func(q flows.RowQuery) flows.RowPage {
			t.Helper()
			page, err := s.SearchRows(ctx, &tb, mustQuery(t, &tb, q))
			if err != nil {
				t.Fatal(err)
			}
			return page
		}
		q := flows.RowQuery{Sort: "n", Desc: true, Limit: 3}
		p1 := search(q)
		q.Cursor = p1.Next
		p2 := search(q) // 6, 5, 4
		q.Cursor = p2.Next
		p3 := search(q) // 3, 2, 1
		if rowKeys(p3.Rows, "n") != "3,2,1" {
			t.Fatalf("page 3 = %s", rowKeys(p3.Rows, "n"))
		}
		if err := s.DeleteRow(ctx, &tb, rows[5].ID); err != nil {
			t.Fatal(err)
		}
		addRow(t, s, &tb, map[string]any{"n": 4.5})
		addRow(t, s, &tb, map[string]any{"n": 20})
		q.Cursor = p3.Prev
		if got := search(q); rowKeys(got.Rows, "n") != "6,4.5,4" || got.Prev == "" || got.Next == "" {
			t.Errorf("back from page 3 = %s (prev %q, next %q), want 6,4.5,4", rowKeys(got.Rows, "n"), got.Prev, got.Next)
		}
		q.Cursor = p2.Prev // from 6: 20, 9, 8 and 7 are before it
		if got := search(q); rowKeys(got.Rows, "n") != "9,8,7" || got.Prev == "" {
			t.Errorf("back from page 2 = %s (prev %q), want 9,8,7", rowKeys(got.Rows, "n"), got.Prev)
		}
		if err := s.DeleteRow(ctx, &tb, rows[9].ID); err != nil {
			t.Fatal(err)
		}
		if got := search(q); rowKeys(got.Rows, "n") != "20,8,7" || got.Prev != "" {
			t.Errorf("back to the start = %s (prev %q), want the first page 20,8,7", rowKeys(got.Rows, "n"), got.Prev)
		}
	})
}
