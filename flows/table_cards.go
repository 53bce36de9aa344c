package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// The Tables cards: the interpreter's own, reading and writing the rows of
// the table their table input names (Options.Tables keeps them). Cards
// that write values take one added input per column, keyed by the
// column's name (the builder adds them once a table is chosen).
const (
	TableCreateRow = "table.create_row"
	TableReadRow   = "table.read_row"
	TableUpdateRow = "table.update_row"
	TableDeleteRow = "table.delete_row"
	TableSearch    = "table.search_rows"
	TableClear     = "table.clear"
	TableExportCSV = "table.export_csv"
	TableReadAll   = "table.read_table"
)

// CategoryTables holds the Tables cards in the palette.
const CategoryTables Category = "Tables"

// TableCardColumns says whether a Tables card takes one input per column.
func TableCardColumns(typ string) bool { return typ == TableCreateRow || typ == TableUpdateRow }

var (
	tableField   = Field{Key: TableInput, Label: "Table", Type: TypeNumber, Required: true, Help: "The table to use."}
	rowIDField   = Field{Key: "id", Label: "Row id", Type: TypeNumber, Required: true}
	rowOutput    = Field{Key: "row", Label: "Row", Type: TypeObject, Help: "The row: its columns by name, with id, createdAt and updatedAt."}
	rowsOutput   = Field{Key: "rows", Label: "Rows", Type: ListOf(TypeObject)}
	countOutput  = Field{Key: "count", Label: "Count", Type: TypeNumber, Help: "How many rows there are in Rows."}
	limitField   = Field{Key: "limit", Label: "Limit", Type: TypeNumber, Default: float64(DefaultRowsLimit), Help: "At most this many rows (1 to 1000)."}
	matchChoices = []string{"all", "any"}
)

// tableCardAdder adds one Tables card: its spec (the table input first)
// and what it does with its table.
type tableCardAdder func(typ, title, help string, inputs, outputs []Field, do func(tc tableCall) (Output, error))

func addTableCards(add func(CardSpec, func(r *run, ctx context.Context, n *Node, in map[string]any, step int) (Output, error))) {
	card := func(typ, title, help string, inputs, outputs []Field, do func(tc tableCall) (Output, error)) {
		s := CardSpec{Type: typ, Title: title, Category: CategoryTables, Help: help, Inputs: append([]Field{tableField}, inputs...), Outputs: outputs}
		s.ExtensibleInputs = TableCardColumns(typ) || typ == TableSearch // Search Rows: its conditions' values
		add(s, func(r *run, ctx context.Context, n *Node, in map[string]any, _ int) (Output, error) {
			tc, err := r.tableCall(ctx, n, in)
			if err != nil {
				return nil, err
			}
			return do(tc)
		})
	}
	addRowCards(card)
	addRowsCards(card)
}

// addRowCards adds the cards of one row: Create, Read, Update and Delete Row.
func addRowCards(card tableCardAdder) {
	card(TableCreateRow, "Create Row", "Add a row to the table; columns left out take their defaults.", nil,
		[]Field{rowOutput, {Key: "id", Label: "Row id", Type: TypeNumber}},
		func(tc tableCall) (Output, error) {
			vals, err := tc.t.NewRowValues(tc.columns(false))
			if err != nil {
				return nil, tc.problem(err)
			}
			row, err := tc.rows.CreateRow(tc.ctx, &tc.t, vals)
			if err != nil {
				return nil, tc.problem(err)
			}
			return Output{"row": rowObject(&tc.t, row), "id": float64(row.ID)}, nil
		})
	card(TableReadRow, "Read Row", "Read one row of the table by its id.", []Field{rowIDField}, []Field{rowOutput},
		func(tc tableCall) (Output, error) {
			id, err := tc.rowID()
			if err != nil {
				return nil, err
			}
			row, err := tc.rows.Row(tc.ctx, &tc.t, id)
			if err != nil {
				return nil, tc.rowProblem(id, err)
			}
			return Output{"row": rowObject(&tc.t, row)}, nil
		})
	card(TableUpdateRow, "Update Row", "Set the given columns of one row (by id); the others keep their values.", []Field{rowIDField}, []Field{rowOutput},
		func(tc tableCall) (Output, error) {
			id, err := tc.rowID()
			if err != nil {
				return nil, err
			}
			vals, err := tc.t.Values(tc.columns(true))
			if err != nil {
				return nil, tc.problem(err)
			}
			row, err := tc.rows.UpdateRow(tc.ctx, &tc.t, id, vals)
			if err != nil {
				return nil, tc.rowProblem(id, err)
			}
			return Output{"row": rowObject(&tc.t, row)}, nil
		})
	card(TableDeleteRow, "Delete Row", "Remove one row of the table by its id.", []Field{rowIDField}, nil,
		func(tc tableCall) (Output, error) {
			id, err := tc.rowID()
			if err != nil {
				return nil, err
			}
			if err := tc.rows.DeleteRow(tc.ctx, &tc.t, id); err != nil {
				return nil, tc.rowProblem(id, err)
			}
			return Output{}, nil
		})
}

// addRowsCards adds the cards of many rows: Search Rows, Read Table, Clear
// Table and Export to CSV.
func addRowsCards(card tableCardAdder) {
	card(TableSearch, "Search Rows", "Find the rows whose columns match the conditions (all of them, or any).",
		[]Field{
			{Key: "conditions", Label: "Conditions", Type: ListOf(TypeObject), Help: "Each an object: column, operator (equal, not_equal, less, greater, contains, starts_with, is_empty …) and value; the builder's form adds an input for each value."},
			{Key: "match", Label: "Match", Type: TypeText, Choices: matchChoices, Default: "all", Help: "Rows matching all of the conditions, or any of them."},
			limitField,
			{Key: "sort", Label: "Sort by", Type: TypeText, Help: "A column (empty: the order rows were added)."},
			{Key: "descending", Label: "Descending", Type: TypeBool, Default: false},
			{Key: "first", Label: "Return first match only", Type: TypeBool, Default: false},
		},
		[]Field{rowsOutput, countOutput, {Key: "row", Label: "First row", Type: TypeObject, Help: "The first row found (empty when none)."}},
		func(tc tableCall) (Output, error) {
			q, err := tc.query()
			if err != nil {
				return nil, err
			}
			return tc.search(q, true)
		})
	card(TableReadAll, "Read Table", "Read the table's rows, in the order they were added, up to a limit.", []Field{limitField},
		[]Field{rowsOutput, countOutput},
		func(tc tableCall) (Output, error) {
			return tc.search(RowQuery{Limit: tc.limit()}, false)
		})
	card(TableClear, "Clear Table", "Remove every row of the table.", nil,
		[]Field{{Key: "deleted", Label: "Rows removed", Type: TypeNumber}},
		func(tc tableCall) (Output, error) {
			n, err := tc.rows.ClearTable(tc.ctx, &tc.t)
			if err != nil {
				return nil, err
			}
			return Output{"deleted": float64(n)}, nil
		})
	card(TableExportCSV, "Export to CSV", "Write every row of the table as CSV text, a header line first.", nil,
		[]Field{{Key: "csv", Label: "CSV", Type: TypeText}},
		func(tc tableCall) (Output, error) {
			var b strings.Builder
			if err := ExportRows(tc.ctx, tc.rows, &tc.t, &b); err != nil {
				return nil, err
			}
			return Output{"csv": b.String()}, nil
		})
}

// SetTableColumns gives a Tables card that writes values one input per
// column of its table, typed as the column; what was bound to a column
// that is still there stays bound.
func SetTableColumns(n *Node, t *Table) {
	for _, f := range n.Inputs {
		if _, ok := t.Column(f.Key); !ok {
			delete(n.Bindings, f.Key)
		}
	}
	n.Inputs = make([]Field, len(t.Columns))
	for i, c := range t.Columns {
		n.Inputs[i] = Field{Key: c.Name, Label: c.Name, Type: c.Type}
	}
}

// tableCall is one run of a Tables card: its table as loaded, its node and
// its inputs.
type tableCall struct {
	ctx  context.Context
	rows TableRows
	t    Table
	n    *Node
	in   map[string]any
}

func (r *run) tableCall(ctx context.Context, n *Node, in map[string]any) (tableCall, error) {
	rows := r.e.opts.Tables
	if rows == nil {
		return tableCall{}, errors.New("there are no tables here")
	}
	id, ok := tableID(in[TableInput])
	if !ok {
		return tableCall{}, fmt.Errorf("choose a table: %v is not one", in[TableInput])
	}
	t, err := rows.Table(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return tableCall{}, &TableCardError{Message: fmt.Sprintf("table %d does not exist (it may have been deleted)", id), Err: err}
	}
	if err != nil {
		return tableCall{}, err
	}
	return tableCall{ctx: ctx, rows: rows, t: t, n: n, in: in}, nil
}

// columns are the values of the card's column inputs; with boundOnly,
// only those the card binds (Update Row sets only those).
func (tc tableCall) columns(boundOnly bool) map[string]any {
	out := map[string]any{}
	for _, f := range tc.n.Inputs {
		if _, bound := tc.n.Bindings[f.Key]; boundOnly && !bound {
			continue
		}
		if v, ok := tc.in[f.Key]; ok && (v != nil || boundOnly) {
			out[f.Key] = v
		}
	}
	return out
}

func (tc tableCall) rowID() (int64, error) {
	f, _ := tc.in["id"].(float64)
	if f < 1 || f != float64(int64(f)) {
		return 0, &TableCardError{Message: fmt.Sprintf("the row id is a whole number of at least 1, not %v", tc.in["id"])}
	}
	return int64(f), nil
}

func (tc tableCall) limit() int {
	f, _ := tc.in["limit"].(float64)
	return int(f)
}

// query reads Search Rows' inputs as a query.
func (tc tableCall) query() (RowQuery, error) {
	q := RowQuery{Limit: tc.limit()}
	q.Sort, _ = tc.in["sort"].(string)
	q.Desc = tc.in["descending"] == true
	switch m, _ := tc.in["match"].(string); m {
	case "", "all":
	case "any":
		q.Any = true
	default:
		return q, &TableCardError{Message: fmt.Sprintf("match is all or any, not %q", m)}
	}
	if tc.in["first"] == true {
		q.Limit = 1
	}
	conds, _ := tc.in["conditions"].([]any)
	for i, c := range conds {
		m, ok := c.(map[string]any)
		if !ok {
			return q, &TableCardError{Message: fmt.Sprintf("condition %d is not an object of column, operator and value", i+1)}
		}
		col, _ := m["column"].(string)
		op, _ := m["operator"].(string)
		if op == "" {
			op = string(OpEqual)
		}
		q.Conditions = append(q.Conditions, Condition{Column: col, Op: Operator(op), Value: tc.conditionValue(i, m)})
	}
	return q, nil
}

// search runs a query and outputs its rows and their count (and the
// first row, for Search Rows).
func (tc tableCall) search(q RowQuery, first bool) (Output, error) {
	q, err := tc.t.CheckQuery(q)
	if err != nil {
		return nil, tc.problem(err)
	}
	page, err := tc.rows.SearchRows(tc.ctx, &tc.t, q)
	if err != nil {
		return nil, err
	}
	rows := make([]any, len(page.Rows))
	for i, r := range page.Rows {
		rows[i] = rowObject(&tc.t, r)
	}
	out := Output{"rows": rows, "count": float64(len(rows))}
	if first {
		out["row"] = nil
		if len(rows) > 0 {
			out["row"] = rows[0]
		}
	}
	return out, nil
}

// rowObject is a row as the cards output it: its id a number like every
// number of a flow.
func rowObject(t *Table, r Row) map[string]any {
	m := r.Object(t)
	m[RowID] = float64(r.ID)
	return m
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// problem turns what the table refused into words naming the table.
func (tc tableCall) problem(err error) error {
	var ue *UniqueError
	if errors.As(err, &ue) {
		v, _ := ToText(ue.Value)
		return &TableCardError{Message: fmt.Sprintf("the value %q of column %q is already in table %q", truncate(v, 60), ue.Column, tc.t.Name), Err: err}
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		msgs := make([]string, len(ve.Problems))
		for i, p := range ve.Problems {
			msgs[i] = lowerFirst(strings.TrimSuffix(p.Message, "."))
		}
		return &TableCardError{Message: fmt.Sprintf("table %q: %s", tc.t.Name, strings.Join(msgs, "; ")), Err: err}
	}
	return err
}

func (tc tableCall) rowProblem(id int64, err error) error {
	if errors.Is(err, ErrNotFound) {
		return &TableCardError{Message: fmt.Sprintf("table %q has no row %d", tc.t.Name, id), Err: err}
	}
	return tc.problem(err)
}

// TableCardError is why a Tables card failed, in plain words; it matches
// what it wraps (ErrNotFound, ErrConflict, ErrInvalid).
type TableCardError struct {
	Message string
	Err     error
}

func (e *TableCardError) Error() string { return e.Message }

// Unwrap returns the error the message stands for.
func (e *TableCardError) Unwrap() error { return e.Err }

// CheckTableCards reports each Tables card of a flow that refers to a
// table that does not exist, or to a column its table does not have,
// naming the card and the table (code "table" or "column"), and each
// static condition of Search Rows whose operator or value its column
// does not take (code "condition"), naming the condition.
func CheckTableCards(ctx context.Context, def *Definition, tables TableRows) error {
	if err := CheckTableRefs(ctx, def, tables); err != nil {
		return err
	}
	var ps []Problem
	var walk func(cards []Node) error
	walk = func(cards []Node) error {
		for i := range cards {
			n := &cards[i]
			for _, l := range n.Lanes {
				if err := walk(l.Cards); err != nil {
					return err
				}
			}
			id, ok := tableID(n.Bindings[TableInput].Value)
			if !strings.HasPrefix(n.Type, TableCardPrefix) || !ok {
				continue
			}
			t, err := tables.Table(ctx, id)
			if err != nil {
				return err
			}
			name := cardName(TableRef{Card: n.ID, Label: n.Label})
			for _, col := range tableCardColumns(n) {
				if _, ok := t.Column(col.name); !ok {
					ps = append(ps, Problem{Card: n.ID, Field: col.field, Code: "column",
						Message: fmt.Sprintf("card %s names the column %q, which table %q does not have", name, col.name, t.Name)})
				}
			}
			if n.Type == TableSearch {
				ps = append(ps, searchProblems(n, &t, name)...)
			}
		}
		return nil
	}
	if err := walk(def.Cards); err != nil {
		return err
	}
	if len(ps) > 0 {
		return &ValidationError{Problems: ps}
	}
	return nil
}

type namedColumn struct{ field, name string }

// tableCardColumns are the columns a Tables card names as it is, but for
// Search Rows' conditions (searchProblems checks them): its column inputs
// and its sort.
func tableCardColumns(n *Node) []namedColumn {
	var out []namedColumn
	if TableCardColumns(n.Type) {
		for _, f := range n.Inputs {
			out = append(out, namedColumn{f.Key, f.Key})
		}
	}
	if s, ok := n.Bindings["sort"].Value.(string); ok && n.Type == TableSearch && s != "" && s != RowID {
		out = append(out, namedColumn{"sort", s})
	}
	return out
}
