package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/hookflow/hookflow/flows"
	. "github.com/hookflow/hookflow/flows/flowstest"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// runTableCard runs a flow of one card with id "c" on an engine whose
// tables are s's, and returns that card's step.
func runTableCard(t *testing.T, e *flows.Engine, typ string, opts ...Opt) flows.Step {
	t.Helper()
	x, err := e.Run(context.Background(), flows.RunRequest{FlowID: 1, Definition: Flow(Manual(), Card("c", typ, opts...)), Trigger: flows.TriggerAPI})
	if err != nil && x == nil {
		t.Fatal(err)
	}
	return Step(t, x, "c")
}

// TestTableCards runs every Tables card on SQLite and Postgres, with good
// inputs and bad ones (wrong types, a missing table, unknown columns, a
// taken unique value, a missing row, a bad search): good ones give the
// rows, bad ones fail the card with words naming what was wrong.
func TestTableCards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := flows.NewEngine(Registry(), flows.Options{Tables: s})
		tb := newTable(t, s, "People",
			flows.Column{Name: "email", Type: flows.TypeText, Unique: true},
			flows.Column{Name: "age", Type: flows.TypeNumber},
			flows.Column{Name: "vip", Type: flows.TypeBool, Default: false})
		table := In("table", Static(float64(tb.ID)))
		cols := Inputs(F("email", flows.TypeText), F("age", flows.TypeAny))

		st := runTableCard(t, e, flows.TableCreateRow, table, cols, In("email", Static("ann@x.test")), In("age", Static(30.0)))
		row, _ := st.Outputs["row"].(map[string]any)
		if st.Error != "" || row["email"] != "ann@x.test" || row["vip"] != false || st.Outputs["id"] == nil {
			t.Fatalf("Create Row = %+v (%s)", st.Outputs, st.Error)
		}
		id := Static(st.Outputs["id"])
		addRow(t, s, &tb, map[string]any{"email": "bob@x.test", "age": 40})
		addRow(t, s, &tb, map[string]any{"email": "cy@y.test", "age": 20, "vip": true})

		good := []struct {
			name, typ string
			opts      []Opt
			check     func(out map[string]any) bool
		}{
			{"read row", flows.TableReadRow, []Opt{table, In("id", id)},
				func(o map[string]any) bool { return o["row"].(map[string]any)["age"] == 30.0 }},
			{"update row sets only the given columns", flows.TableUpdateRow, []Opt{table, In("id", id), cols, In("age", Static("31"))},
				func(o map[string]any) bool {
					r := o["row"].(map[string]any)
					return r["age"] == 31.0 && r["email"] == "ann@x.test"
				}},
			{"search all", flows.TableSearch, []Opt{table, In("conditions", Static([]any{
				map[string]any{"column": "email", "operator": "contains", "value": "X.TEST"},
				map[string]any{"column": "age", "operator": "greater", "value": 35}}))},
				func(o map[string]any) bool {
					return o["count"] == 1.0 && o["row"].(map[string]any)["email"] == "bob@x.test"
				}},
			{"search any, sorted, descending", flows.TableSearch, []Opt{table, In("match", Static("any")), In("sort", Static("age")), In("descending", Static(true)),
				In("conditions", Static([]any{
					map[string]any{"column": "vip", "operator": "equal", "value": true},
					map[string]any{"column": "email", "operator": "starts_with", "value": "ann"}}))},
				func(o map[string]any) bool {
					rs := o["rows"].([]any)
					return o["count"] == 2.0 && rs[0].(map[string]any)["email"] == "ann@x.test" && rs[1].(map[string]any)["email"] == "cy@y.test"
				}},
			{"search first match only", flows.TableSearch, []Opt{table, In("first", Static(true)), In("sort", Static("age"))},
				func(o map[string]any) bool { return o["count"] == 1.0 && o["row"].(map[string]any)["age"] == 20.0 }},
			{"search is empty finds none", flows.TableSearch, []Opt{table, In("conditions", Static([]any{map[string]any{"column": "age", "operator": "is_empty"}}))},
				func(o map[string]any) bool { return o["count"] == 0.0 && o["row"] == nil }},
			{"read table with a limit", flows.TableReadAll, []Opt{table, In("limit", Static(2.0))},
				func(o map[string]any) bool { return o["count"] == 2.0 }},
			{"export to CSV", flows.TableExportCSV, []Opt{table},
				func(o map[string]any) bool {
					csv := o["csv"].(string)
					return strings.Count(csv, "\n") == 4 && strings.Contains(csv, "bob@x.test") && strings.Contains(csv, "email")
				}},
		}
		for _, c := range good {
			t.Run(c.name, func(t *testing.T) {
				st := runTableCard(t, e, c.typ, c.opts...)
				if st.Error != "" || !c.check(st.Outputs) {
					t.Errorf("outputs %+v, error %q", st.Outputs, st.Error)
				}
			})
		}

		missing := In("table", Static(99999.0))
		bad := []struct {
			name, typ string
			opts      []Opt
			want      string
		}{
			{"create: wrong type", flows.TableCreateRow, []Opt{table, cols, In("email", Static("d@x.test")), In("age", Static("old"))}, `column "age" takes a number, not "old"`},
			{"create: unknown column", flows.TableCreateRow, []Opt{table, Inputs(F("nope", flows.TypeText)), In("nope", Static("x"))}, `the table "People" has no column "nope"`},
			{"create: missing table", flows.TableCreateRow, []Opt{missing, cols, In("email", Static("e@x.test"))}, "table 99999 does not exist"},
			{"create: unique value taken", flows.TableCreateRow, []Opt{table, cols, In("email", Static("bob@x.test"))}, `the value "bob@x.test" of column "email" is already in table "People"`},
			{"read: missing table", flows.TableReadRow, []Opt{missing, In("id", id)}, "table 99999 does not exist"},
			{"read: missing row", flows.TableReadRow, []Opt{table, In("id", Static(123456.0))}, `table "People" has no row 123456`},
			{"read: id not a number", flows.TableReadRow, []Opt{table, In("id", Static("first"))}, `input "id"`},
			{"read: id not whole", flows.TableReadRow, []Opt{table, In("id", Static(1.5))}, "the row id is a whole number"},
			{"update: wrong type", flows.TableUpdateRow, []Opt{table, In("id", id), cols, In("age", Static(true))}, `column "age" takes a number`},
			{"update: unknown column", flows.TableUpdateRow, []Opt{table, In("id", id), Inputs(F("nope", flows.TypeText)), In("nope", Static("x"))}, `no column "nope"`},
			{"update: unique value taken", flows.TableUpdateRow, []Opt{table, In("id", id), cols, In("email", Static("cy@y.test"))}, `the value "cy@y.test" of column "email" is already in table "People"`},
			{"update: missing row", flows.TableUpdateRow, []Opt{table, In("id", Static(123456.0)), cols, In("age", Static(1.0))}, "has no row 123456"},
			{"update: missing table", flows.TableUpdateRow, []Opt{missing, In("id", id)}, "table 99999 does not exist"},
			{"delete: missing row", flows.TableDeleteRow, []Opt{table, In("id", Static(123456.0))}, "has no row 123456"},
			{"delete: missing table", flows.TableDeleteRow, []Opt{missing, In("id", id)}, "table 99999 does not exist"},
			{"search: unknown column", flows.TableSearch, []Opt{table, In("conditions", Static([]any{map[string]any{"column": "nope", "value": 1}}))}, `no column "nope"`},
			{"search: unknown operator", flows.TableSearch, []Opt{table, In("conditions", Static([]any{map[string]any{"column": "age", "operator": "about", "value": 1}}))}, `"about" is not an operator`},
			{"search: contains on a number", flows.TableSearch, []Opt{table, In("conditions", Static([]any{map[string]any{"column": "age", "operator": "contains", "value": 1}}))}, "text columns only"},
			{"search: value of the wrong type", flows.TableSearch, []Opt{table, In("conditions", Static([]any{map[string]any{"column": "age", "operator": "less", "value": "young"}}))}, `column "age" takes a number, not "young"`},
			{"search: condition not an object", flows.TableSearch, []Opt{table, In("conditions", Static([]any{"age"}))}, `input "conditions"`},
			{"search: limit over 1000", flows.TableSearch, []Opt{table, In("limit", Static(5000.0))}, "limit is 1 to 1000 rows"},
			{"search: unknown sort", flows.TableSearch, []Opt{table, In("sort", Static("nope"))}, `no column "nope" to sort by`},
			{"search: bad match", flows.TableSearch, []Opt{table, In("match", Static("most"))}, `match is all or any, not "most"`},
			{"search: missing table", flows.TableSearch, []Opt{missing}, "table 99999 does not exist"},
			{"read table: limit 0", flows.TableReadAll, []Opt{table, In("limit", Static(-1.0))}, "limit is 1 to 1000 rows"},
			{"read table: missing table", flows.TableReadAll, []Opt{missing}, "table 99999 does not exist"},
			{"clear: missing table", flows.TableClear, []Opt{missing}, "table 99999 does not exist"},
			{"export: missing table", flows.TableExportCSV, []Opt{missing}, "table 99999 does not exist"},
			{"no table chosen", flows.TableClear, nil, `input "table" is required`},
		}
		for _, c := range bad {
			t.Run(c.name, func(t *testing.T) {
				st := runTableCard(t, e, c.typ, c.opts...)
				if !strings.Contains(st.Error, c.want) {
					t.Errorf("error %q, want it to hold %q (outputs %+v)", st.Error, c.want, st.Outputs)
				}
			})
		}

		st = runTableCard(t, e, flows.TableDeleteRow, table, In("id", id))
		if _, err := s.Row(context.Background(), &tb, int64(id.Value.(float64))); st.Error != "" || !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("Delete Row: %q, then reading the row = %v", st.Error, err)
		}
		st = runTableCard(t, e, flows.TableClear, table)
		if n, _ := s.CountRows(context.Background(), &tb); st.Error != "" || st.Outputs["deleted"] != 2.0 || n != 0 {
			t.Errorf("Clear Table = %+v %q, %d rows left", st.Outputs, st.Error, n)
		}
	})
}

// TestTableCardsConcurrent: 50 Update Rows at once, each on its own
// column of one row, all win; 20 Create Rows at once of one value of a
// unique column: exactly one succeeds, the others say the value is taken.
func TestTableCardsConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := flows.NewEngine(Registry(), flows.Options{Tables: s})
		var cols []flows.Column
		for i := range 50 {
			cols = append(cols, flows.Column{Name: fmt.Sprintf("c%d", i), Type: flows.TypeNumber})
		}
		tb := newTable(t, s, "Wide", cols...)
		row := addRow(t, s, &tb, map[string]any{})
		var wg sync.WaitGroup
		errs := make([]string, 50)
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				col := fmt.Sprintf("c%d", i)
				st := runTableCard(t, e, flows.TableUpdateRow, In("table", Static(float64(tb.ID))), In("id", Static(float64(row.ID))),
					Inputs(F(col, flows.TypeNumber)), In(col, Static(float64(i))))
				errs[i] = st.Error
			}()
		}
		wg.Wait()
		got, err := s.Row(context.Background(), &tb, row.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			if v := got.Values[fmt.Sprintf("c%d", i)]; v != float64(i) || errs[i] != "" {
				t.Errorf("c%d = %v after its Update Row (%q)", i, v, errs[i])
			}
		}

		u := newTable(t, s, "Accounts", flows.Column{Name: "email", Type: flows.TypeText, Unique: true})
		const n = 20
		wins, taken := 0, 0
		var mu sync.Mutex
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st := runTableCard(t, e, flows.TableCreateRow, In("table", Static(float64(u.ID))),
					Inputs(F("email", flows.TypeText)), In("email", Static("same@x.test")))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case st.Error == "":
					wins++
				case strings.Contains(st.Error, `the value "same@x.test" of column "email" is already in table "Accounts"`):
					taken++
				default:
					t.Errorf("Create Row failed otherwise: %s", st.Error)
				}
			}()
		}
		wg.Wait()
		if c, _ := s.CountRows(context.Background(), &u); wins != 1 || taken != n-1 || c != 1 {
			t.Errorf("%d created, %d refused, %d rows; want 1, %d, 1", wins, taken, c, n-1)
		}
	})
}

// TestCheckTableCards: a flow whose Tables cards name a deleted table, or
// columns (inputs, sort, conditions) its table lacks, has problems naming
// the card and the table; a flow that names what is there has none.
func TestCheckTableCards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		tb := newTable(t, s, "Orders", flows.Column{Name: "total", Type: flows.TypeNumber})
		gone := newTable(t, s, "Old", flows.Column{Name: "x", Type: flows.TypeText})
		if err := s.DeleteTable(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		table := In("table", Static(float64(tb.ID)))
		ok := Flow(Manual(), Card("a", flows.TableCreateRow, table, Inputs(F("total", flows.TypeNumber))),
			Card("b", flows.TableSearch, table, In("sort", Static("total"))))
		if err := flows.CheckTableCards(ctx, &ok, s); err != nil {
			t.Errorf("a flow naming what is there: %v", err)
		}
		cases := []struct {
			name string
			card flows.Node
			want string
		}{
			{"deleted table", Card("a", flows.TableReadAll, In("table", Static(float64(gone.ID)))), fmt.Sprintf(`card "a" refers to table %d, which does not exist`, gone.ID)},
			{"unknown column input", Card("a", flows.TableUpdateRow, table, Inputs(F("totl", flows.TypeNumber))), `card "a" names the column "totl", which table "Orders" does not have`},
			{"unknown sort", Card("a", flows.TableSearch, table, In("sort", Static("when"))), `names the column "when", which table "Orders"`},
			{"unknown condition column", Card("a", flows.TableSearch, table, In("conditions", Static([]any{map[string]any{"column": "sum"}}))), `names the column "sum", which table "Orders"`},
			{"inside a lane", Card("if", flows.ControlIfElse, Lane("then", Cards(Card("a", flows.TableCreateRow, table, Inputs(F("nope", flows.TypeText)))))), `card "a" names the column "nope"`},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				def := Flow(Manual(), c.card)
				err := flows.CheckTableCards(ctx, &def, s)
				if !errors.Is(err, flows.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("got %v, want a problem holding %q", err, c.want)
				}
			})
		}
	})
}
