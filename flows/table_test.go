package flows_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// TestColumnValue converts values for each column type, and names the
// column and the value when one does not fit.
func TestColumnValue(t *testing.T) {
	at := time.Date(2026, 2, 3, 4, 5, 6, 7_000_000, time.UTC)
	for _, tc := range []struct {
		name string
		typ  flows.Type
		in   any
		want any
		err  string
	}{
		{"text", flows.TypeText, "hi", "hi", ""},
		{"a number as text", flows.TypeText, 2.5, "2.5", ""},
		{"empty text is empty", flows.TypeText, "", nil, ""},
		{"nil is empty", flows.TypeNumber, nil, nil, ""},
		{"number", flows.TypeNumber, 3, 3.0, ""},
		{"number from text", flows.TypeNumber, " 4.25 ", 4.25, ""},
		{"not a number", flows.TypeNumber, "four", nil, `column "c" takes a number, not "four"`},
		{"true from text", flows.TypeBool, "Yes", true, ""},
		{"false", flows.TypeBool, false, false, ""},
		{"not true or false", flows.TypeBool, "maybe", nil, `column "c" takes true or false, not "maybe"`},
		{"a number is not true or false", flows.TypeBool, 1, nil, `column "c" takes true or false, not "1"`},
		{"date-time in UTC to the millisecond", flows.TypeDate, "2026-02-03T05:05:06.0071+01:00", at, ""},
		{"a date", flows.TypeDate, "2026-02-03", time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC), ""},
		{"not a date-time", flows.TypeDate, "tomorrow", nil, `column "c" takes a date-time, not "tomorrow"`},
		{"an object is not a number", flows.TypeNumber, map[string]any{"a": 1}, nil, `column "c" takes a number, not "{\"a\":1}"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := flows.Column{Name: "c", Type: tc.typ}.Value(tc.in)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tm, ok := tc.want.(time.Time); ok {
				if g, _ := got.(time.Time); !g.Equal(tm) || g.Location() != time.UTC {
					t.Errorf("got %v, want %v", got, tm)
				}
				return
			}
			if got != tc.want {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

// problems lists a validation error's messages.
func problems(err error) string {
	var ve *flows.ValidationError
	if !errors.As(err, &ve) {
		return ""
	}
	var out []string
	for _, p := range ve.Problems {
		out = append(out, p.Field+": "+p.Message)
	}
	return strings.Join(out, "\n")
}

// TestCheckTable names each problem of a table's schema by its field.
func TestCheckTable(t *testing.T) {
	tb := flows.Table{Name: "  ", Columns: []flows.Column{
		{Name: "Email", Type: flows.TypeText},
		{Name: "email", Type: flows.TypeText},
		{Name: "CreatedAt", Type: flows.TypeDate},
		{Name: "size", Type: "list"},
		{Name: "n", Type: flows.TypeNumber, Default: "x"},
		{Name: "ok", Type: flows.TypeBool, Default: "true"},
	}}
	err := flows.CheckTable(&tb)
	want := strings.Join([]string{
		"name: give the table a name of 1 to 100 characters",
		`columns.1.name: two columns are named "email"`,
		`columns.2.name: the column name "CreatedAt" is kept for every row's own CreatedAt: choose another`,
		`columns.3.type: column "size" has the type "list": choose text, number, boolean or datetime`,
		`columns.4.default: the default of column "n" takes a number, not "x"`,
	}, "\n")
	if got := problems(err); got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
	if !strings.HasPrefix(err.Error(), "flows: invalid table: ") {
		t.Errorf("error %q", err)
	}
	if tb.Columns[5].Default != true {
		t.Errorf("the default of ok = %#v, want true", tb.Columns[5].Default)
	}
}

// TestPlanTableChange works out added, changed and removed columns, and
// refuses a change of type, an unknown column and an unconfirmed removal.
func TestPlanTableChange(t *testing.T) {
	old := flows.Table{ID: 1, Name: "T", Columns: []flows.Column{
		{ID: 10, Name: "a", Type: flows.TypeText}, {ID: 11, Name: "b", Type: flows.TypeNumber}, {ID: 12, Name: "c", Type: flows.TypeBool}}}
	want := flows.Table{Name: "T2", Columns: []flows.Column{
		{ID: 11, Name: "bee", Type: flows.TypeNumber}, {ID: 10, Name: "a", Type: flows.TypeText}, {Name: "d", Type: flows.TypeDate}}}
	if _, err := flows.PlanTableChange(old, want, false); !strings.Contains(problems(err), `columns: removing column "c" deletes its values in every row: confirm to go on`) {
		t.Errorf("unconfirmed removal = %v", err)
	}
	ch, err := flows.PlanTableChange(old, want, true)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Name != "T2" || len(ch.Add) != 1 || ch.Add[0].Name != "d" || len(ch.Change) != 1 || ch.Change[0].Name != "bee" || len(ch.Remove) != 1 || ch.Remove[0].ID != 12 {
		t.Errorf("change = %+v", ch)
	}
	want.Columns = []flows.Column{{ID: 10, Name: "a", Type: flows.TypeNumber}, {ID: 99, Name: "z", Type: flows.TypeText}, {ID: 11, Name: "b", Type: flows.TypeNumber}, {ID: 12, Name: "c", Type: flows.TypeBool}}
	_, err = flows.PlanTableChange(old, want, true)
	if got := problems(err); !strings.Contains(got, `columns.0.type: column "a" holds text: its type cannot change`) || !strings.Contains(got, "columns.1.id: the table \"T\" has no column with the id 99") {
		t.Errorf("problems:\n%s", got)
	}
}

// TestCheckQuery checks a search against the table: operators fit the
// column's type, values are converted, the limit is bounded.
func TestCheckQuery(t *testing.T) {
	tb := flows.Table{Name: "T", Columns: []flows.Column{{ID: 1, Name: "n", Type: flows.TypeNumber}, {ID: 2, Name: "ok", Type: flows.TypeBool}, {ID: 3, Name: "s", Type: flows.TypeText}}}
	q, err := tb.CheckQuery(flows.RowQuery{Conditions: []flows.Condition{{Column: "n", Op: flows.OpGreater, Value: "5"}, {Column: "s", Op: flows.OpIsEmpty, Value: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	if q.Conditions[0].Value != 5.0 || q.Conditions[1].Value != nil || q.Limit != flows.DefaultRowsLimit {
		t.Errorf("checked %+v", q)
	}
	_, err = tb.CheckQuery(flows.RowQuery{Limit: 1001, Sort: "zz", Conditions: []flows.Condition{
		{Column: "n", Op: flows.OpContains, Value: "1"}, {Column: "ok", Op: flows.OpLess, Value: true}, {Column: "x", Op: flows.OpEqual, Value: 1},
		{Column: "s", Op: "like", Value: "a"}, {Column: "n", Op: flows.OpEqual, Value: "ten"}, {Column: "s", Op: flows.OpEqual}}})
	want := strings.Join([]string{
		`conditions.0.operator: column "n" holds a number: contains works on text columns only`,
		`conditions.1.operator: column "ok" holds true or false: compare it with equal or not_equal`,
		`conditions.2.column: the table "T" has no column "x"`,
		`conditions.3.operator: "like" is not an operator of Search Rows: use one of equal, not_equal, less, less_or_equal, greater, greater_or_equal, contains, starts_with, is_empty, is_not_empty`,
		`conditions.4.value: column "n" takes a number, not "ten"`,
		`conditions.5.value: give a value to compare column "s" with (or use is_empty)`,
		`sort: the table "T" has no column "zz" to sort by`,
		`limit: the limit is 1 to 1000 rows, not 1001`,
	}, "\n")
	if got := problems(err); got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
}

// TestReadCSV reads rows for a table, giving left-out columns their
// defaults, and names each bad cell by its line (a quoted cell may span
// lines), column and value.
func TestReadCSV(t *testing.T) {
	tb := flows.Table{Name: "T", Columns: []flows.Column{{ID: 1, Name: "name", Type: flows.TypeText}, {ID: 2, Name: "n", Type: flows.TypeNumber},
		{ID: 3, Name: "ok", Type: flows.TypeBool, Default: true}}}
	rows, lines, err := flows.ReadCSV(strings.NewReader("\ufeffid,name,n\n7,\"a\nb\",1\n8,c,\n"), &tb)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0]["name"] != "a\nb" || rows[0]["n"] != 1.0 || rows[0]["ok"] != true || rows[1]["n"] != nil || lines[0] != 2 || lines[1] != 4 {
		t.Errorf("rows %v, lines %v", rows, lines)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"bad cells", "name,n,ok\n\"x\ny\",one,true\nz,2,perhaps\n", `n: line 2: column "n" takes a number, not "one"` + "\n" + `ok: line 4: column "ok" takes true or false, not "perhaps"`},
		{"a short line", "name,n\na,1\nb\n", `: line 3 has a different number of cells than the header`},
		{"a stray quote", "name\na\"b\n", `: line 2 has a quote out of place`},
		{"an unknown column", "name,colour,name\n", `colour: line 1: the table "T" has no column "colour"` + "\n" + `name: line 1: the header names column "name" twice`},
		{"empty", "", `: the file is empty: its first line names the columns`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, _, err := flows.ReadCSV(strings.NewReader(tc.in), &tb)
			if rows != nil || problems(err) != tc.want {
				t.Errorf("rows %v, problems:\n%s\nwant:\n%s", rows, problems(err), tc.want)
			}
		})
	}
}

// TestTableRefs finds the Tables cards of a flow, inside lanes too, by
// the table id in their table input (a number or text); other cards with
// a table input do not count.
func TestTableRefs(t *testing.T) {
	def, _ := flows.NewDefinition(flows.KindWorkspace, "F")
	bind := func(v any) map[string]flows.Binding { return map[string]flows.Binding{flows.TableInput: {Value: v}} }
	def.Cards = []flows.Node{
		{ID: "a", Type: "table.read_row", Bindings: bind(3.0)},
		{ID: "b", Type: "db.query", Bindings: bind(3.0)},
		{ID: "c", Type: "control.if_else", Lanes: []flows.Lane{{Name: "then", Cards: []flows.Node{{ID: "d", Type: "table.delete_row", Label: "Forget", Bindings: bind("4")}}}}},
		{ID: "e", Type: "table.clear", Bindings: map[string]flows.Binding{flows.TableInput: {Ref: &flows.Ref{Card: "a", Field: "x"}}}},
	}
	refs := flows.TableRefs(&def)
	if len(refs) != 2 || refs[0] != (flows.TableRef{Card: "a", TableID: 3}) || refs[1] != (flows.TableRef{Card: "d", Label: "Forget", TableID: 4}) {
		t.Errorf("refs = %+v", refs)
	}
	uses := flows.UsesOf([]flows.Flow{{ID: 1, Definition: def}, {ID: 2}}, 4)
	if len(uses) != 1 || uses[0].FlowID != 1 || uses[0].Cards[0].Card != "d" {
		t.Errorf("uses of 4 = %+v", uses)
	}
}
