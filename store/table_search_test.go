package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// searchTable makes a table of people with empty values and ties.
func searchTable(t *testing.T, s *store.Store) (flows.Table, []flows.Row) {
	tb := newTable(t, s, "People",
		flows.Column{Name: "name", Type: flows.TypeText},
		flows.Column{Name: "n", Type: flows.TypeNumber},
		flows.Column{Name: "ok", Type: flows.TypeBool},
		flows.Column{Name: "at", Type: flows.TypeDate},
		flows.Column{Name: "city", Type: flows.TypeText})
	day := func(d int) string { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC).Format(time.RFC3339) }
	in := []map[string]any{
		{"name": "Ann", "n": 3, "ok": true, "at": day(3), "city": "Oslo"},
		{"name": "bob", "n": 1, "ok": false, "at": day(1), "city": "Bergen"},
		{"n": 2, "at": day(2)},
		{"name": "Ann", "n": 3, "ok": true, "city": "Straße"},
		{"name": "a_%x", "n": -1, "at": day(9), "city": "oslo fjord"},
		{"name": "Émile", "ok": false, "at": day(3)},
		{"name": "ann marie", "n": 10, "at": day(5), "city": "Trondheim"},
		{},
		{"name": "Zed", "n": 2, "ok": true, "at": day(2), "city": "OSLO"},
		{"name": "a*b", "n": 2.5},
	}
	var rows []flows.Row
	for _, r := range in {
		rows = append(rows, addRow(t, s, &tb, r))
	}
	return tb, rows
}

// TestSearchRowsPages reads every page of every order, three rows at a
// time, and checks that together they are the table in that order, empty
// values first (last when descending), ties by id.
func TestSearchRowsPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		tb, rows := searchTable(t, s)
		for _, sortCol := range []string{"", "name", "n", "ok", "at", "city"} {
			for _, desc := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s desc=%v", sortCol, desc), func(t *testing.T) {
					want := append([]flows.Row(nil), rows...)
					sort.SliceStable(want, func(i, j int) bool {
						c := compareCells(want[i].Values[sortCol], want[j].Values[sortCol])
						if sortCol == "" || c == 0 {
							c = int(want[i].ID - want[j].ID)
						}
						if desc {
							return c > 0
						}
						return c < 0
					})
					var got []flows.Row
					q := flows.RowQuery{Sort: sortCol, Desc: desc, Limit: 3}
					for pages := 0; ; pages++ {
						page, err := s.SearchRows(ctx, &tb, mustQuery(t, &tb, q))
						if err != nil {
							t.Fatal(err)
						}
						got = append(got, page.Rows...)
						if page.Next == "" || pages > 10 {
							break
						}
						q.Cursor = page.Next
					}
					if rowKeys(got, "") != rowKeys(want, "") {
						t.Errorf("pages = %s\nwant    %s", rowKeys(got, ""), rowKeys(want, ""))
					}
				})
			}
		}
		for _, desc := range []bool{false, true} {
			q := flows.RowQuery{Text: "OSL", Desc: desc, Limit: 1}
			var got []flows.Row
			for pages := 0; pages < 10; pages++ {
				page, err := s.SearchRows(ctx, &tb, mustQuery(t, &tb, q))
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, page.Rows...)
				if q.Cursor = page.Next; q.Cursor == "" {
					break
				}
			}
			want := []flows.Row{rows[0], rows[4], rows[8]}
			if desc {
				want = []flows.Row{rows[8], rows[4], rows[0]}
			}
			if rowKeys(got, "") != rowKeys(want, "") {
				t.Errorf("pages of a text search (desc=%v) = %s, want %s", desc, rowKeys(got, ""), rowKeys(want, ""))
			}
		}
		if _, err := tb.CheckQuery(flows.RowQuery{Sort: "n", Cursor: "bm9wZQ"}); !errors.Is(err, flows.ErrInvalid) {
			t.Errorf("a cursor that is not one = %v, want ErrInvalid", err)
		}
		first, _ := s.SearchRows(ctx, &tb, mustQuery(t, &tb, flows.RowQuery{Sort: "n", Limit: 2}))
		if _, err := tb.CheckQuery(flows.RowQuery{Sort: "name", Cursor: first.Next}); err == nil {
			t.Error("a cursor of another sort was taken")
		}
	})
}

// compareCells orders cell values as tables do: empty first, text byte
// by byte, false before true.
func compareCells(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case string:
		y := b.(string)
		if x < y {
			return -1
		} else if x > y {
			return 1
		}
	case float64:
		y := b.(float64)
		if x < y {
			return -1
		} else if x > y {
			return 1
		}
	case bool:
		y := b.(bool)
		if x != y {
			if !x {
				return -1
			}
			return 1
		}
	case time.Time:
		return x.Compare(b.(time.Time))
	}
	return 0
}

// TestSearchRowsConditions checks each operator, all and any, and text
// search across the text columns, on both databases alike.
func TestSearchRowsConditions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		tb, rows := searchTable(t, s)
		ids := func(idx ...int) string {
			var out []flows.Row
			for _, i := range idx {
				out = append(out, rows[i])
			}
			return rowKeys(out, "")
		}
		c := func(col string, op flows.Operator, v any) flows.Condition {
			return flows.Condition{Column: col, Op: op, Value: v}
		}
		for _, tc := range []struct {
			name string
			q    flows.RowQuery
			want string
		}{
			{"equal text counts case", flows.RowQuery{Conditions: []flows.Condition{c("name", flows.OpEqual, "Ann")}}, ids(0, 3)},
			{"equal number", flows.RowQuery{Conditions: []flows.Condition{c("n", flows.OpEqual, "2")}}, ids(2, 8)},
			{"equal true", flows.RowQuery{Conditions: []flows.Condition{c("ok", flows.OpEqual, true)}}, ids(0, 3, 8)},
			{"equal date", flows.RowQuery{Conditions: []flows.Condition{c("at", flows.OpEqual, "2026-01-03")}}, ids(0, 5)},
			{"not equal takes empty cells", flows.RowQuery{Conditions: []flows.Condition{c("ok", flows.OpNotEqual, true)}}, ids(1, 2, 4, 5, 6, 7, 9)},
			{"less", flows.RowQuery{Conditions: []flows.Condition{c("n", flows.OpLess, 2)}}, ids(1, 4)},
			{"greater or equal date", flows.RowQuery{Conditions: []flows.Condition{c("at", flows.OpGreaterOrEqual, "2026-01-05T00:00:00Z")}}, ids(4, 6)},
			{"greater text", flows.RowQuery{Conditions: []flows.Condition{c("name", flows.OpGreater, "a")}}, ids(1, 4, 5, 6, 9)},
			{"contains ignores case", flows.RowQuery{Conditions: []flows.Condition{c("city", flows.OpContains, "OSL")}}, ids(0, 4, 8)},
			{"contains, two letters", flows.RowQuery{Conditions: []flows.Condition{c("name", flows.OpContains, "NN")}}, ids(0, 3, 6)},
			{"contains in one column only", flows.RowQuery{Conditions: []flows.Condition{c("name", flows.OpContains, "oslo")}}, ""},
			{"starts with counts case", flows.RowQuery{Conditions: []flows.Condition{c("name", flows.OpStartsWith, "An")}}, ids(0, 3)},
			{"starts with wildcards", flows.RowQuery{Conditions: []flows.Condition{c("name", flows.OpStartsWith, "a_%")}}, ids(4)},
			{"starts with a star", flows.RowQuery{Conditions: []flows.Condition{c("name", flows.OpStartsWith, "a*")}}, ids(9)},
			{"is empty", flows.RowQuery{Conditions: []flows.Condition{c("name", flows.OpIsEmpty, nil)}}, ids(2, 7)},
			{"is not empty", flows.RowQuery{Conditions: []flows.Condition{c("city", flows.OpIsNotEmpty, nil)}}, ids(0, 1, 3, 4, 6, 8)},
			{"all", flows.RowQuery{Conditions: []flows.Condition{c("n", flows.OpEqual, 3), c("city", flows.OpEqual, "Oslo")}}, ids(0)},
			{"any", flows.RowQuery{Any: true, Conditions: []flows.Condition{c("n", flows.OpEqual, 10), c("city", flows.OpEqual, "Bergen")}}, ids(1, 6)},
			{"text in any text column", flows.RowQuery{Text: "oslo"}, ids(0, 4, 8)},
			{"text of two letters", flows.RowQuery{Text: "ob"}, ids(1)},
			{"text beyond ASCII", flows.RowQuery{Text: "straße"}, ids(3)},
			{"text and a condition", flows.RowQuery{Text: "ann", Conditions: []flows.Condition{c("n", flows.OpGreater, 5)}}, ids(6)},
			{"text with quotes", flows.RowQuery{Text: `"oslo`}, ""},
			{"sorted and limited", flows.RowQuery{Text: "oslo", Sort: "city", Limit: 2}, ids(8, 0)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				page, err := s.SearchRows(ctx, &tb, mustQuery(t, &tb, tc.q))
				if err != nil {
					t.Fatal(err)
				}
				if got := rowKeys(page.Rows, ""); got != tc.want {
					t.Errorf("rows %s, want %s", got, tc.want)
				}
			})
		}
	})
}

// TestTableConcurrency runs 50 updates of different columns of one row at
// once (every one wins), and 20 creates of rows with the same value of a
// unique column at once (exactly one wins; the others fail naming the
// column), and 200 creates at once (none lost).
func TestTableConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var cols []flows.Column
		for i := range 50 {
			cols = append(cols, flows.Column{Name: fmt.Sprintf("c%d", i), Type: flows.TypeNumber})
		}
		cols = append(cols, flows.Column{Name: "key", Type: flows.TypeText, Unique: true})
		tb := newTable(t, s, "Wide", cols...)
		row := addRow(t, s, &tb, map[string]any{})
		var wg sync.WaitGroup
		errs := make(chan error, 300)
		for i := range 50 {
			wg.Go(func() {
				vals, err := tb.Values(map[string]any{fmt.Sprintf("c%d", i): i + 1})
				if err == nil {
					_, err = s.UpdateRow(ctx, &tb, row.ID, vals)
				}
				errs <- err
			})
		}
		wg.Wait()
		got, err := s.Row(ctx, &tb, row.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			if v := got.Values[fmt.Sprintf("c%d", i)]; v != float64(i+1) {
				t.Errorf("c%d = %v after 50 updates at once, want %d", i, v, i+1)
			}
		}
		var won, refused int
		var mu sync.Mutex
		for range 20 {
			wg.Go(func() {
				_, err := s.CreateRow(ctx, &tb, map[string]any{"key": "same"})
				mu.Lock()
				defer mu.Unlock()
				var ue *flows.UniqueError
				switch {
				case err == nil:
					won++
				case errors.As(err, &ue) && ue.Column == "key":
					refused++
				default:
					errs <- err
				}
			})
		}
		for i := range 200 {
			wg.Go(func() {
				_, err := s.CreateRow(ctx, &tb, map[string]any{"key": fmt.Sprintf("k%d", i), "c0": float64(i)})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if won != 1 || refused != 19 {
			t.Errorf("20 creates of one unique value: %d won, %d refused; want 1 and 19", won, refused)
		}
		if n, _ := s.CountRows(ctx, &tb); n != 202 {
			t.Errorf("%d rows, want 202", n)
		}
	})
}

// TestRowWritesEndWithTheStore closes the store while runs are writing
// rows: every write returns, made or refused, and none waits forever.
func TestRowWritesEndWithTheStore(t *testing.T) {
	s := storetest.SQLite(t)
	tb := newTable(t, s, "T", flows.Column{Name: "n", Type: flows.TypeNumber})
	var wg sync.WaitGroup
	for i := range 400 {
		wg.Go(func() { s.CreateRow(context.Background(), &tb, map[string]any{"n": float64(i)}) })
	}
	s.Close()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("row writes still wait 10 s after the store closed")
	}
}
