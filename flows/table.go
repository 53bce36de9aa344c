package flows

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A Table keeps rows that flows read and write with the Tables cards: a
// name, a description and typed columns. Every row has a system id and
// the times it was created and last updated. The store keeps each table's
// rows in a database table of its own, one database column per column,
// named by ids only, so that a column can carry an index and its unique
// flag is the database's own UNIQUE index.

// Table is a table's schema.
type Table struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Columns     []Column `json:"columns"`
	// Revision starts at 1 and counts every change of the table's name,
	// description or columns (not of its rows).
	Revision  int       `json:"revision,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Column is one typed column of a table. Default, when set, is what
// Create Row and CSV import write where no value is given; Unique makes
// the database refuse a second row with the same value (empty values do
// not count).
type Column struct {
	ID      int64  `json:"id,omitempty"`
	Name    string `json:"name"`
	Type    Type   `json:"type"`
	Default any    `json:"default,omitempty"`
	Unique  bool   `json:"unique,omitempty"`
}

// ColumnTypes are the types a column can have.
var ColumnTypes = []Type{TypeText, TypeNumber, TypeBool, TypeDate}

// The system fields of every row. No column may take their names.
const (
	RowID        = "id"
	RowCreatedAt = "createdAt"
	RowUpdatedAt = "updatedAt"
)

// Limits of tables.
const (
	MaxColumns = 100
	// MaxTextValue bounds a text value, in bytes.
	MaxTextValue = 65536
	// MaxDescription bounds a table's description, in characters.
	MaxDescription = 1000
	// MaxRowsLimit bounds the rows one search or read returns.
	MaxRowsLimit = 1000
	// DefaultRowsLimit is the page size when none is asked.
	DefaultRowsLimit = 100
)

// Row is one row of a table: its values by column name (a column that is
// empty has none).
type Row struct {
	ID        int64
	Values    map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Object is the row as flows and the API see it: the columns' values by
// name, empty ones nil, beside id, createdAt and updatedAt.
func (r Row) Object(t *Table) map[string]any {
	m := make(map[string]any, len(t.Columns)+3)
	for _, c := range t.Columns {
		m[c.Name] = r.Values[c.Name]
	}
	m[RowID], m[RowCreatedAt], m[RowUpdatedAt] = r.ID, r.CreatedAt, r.UpdatedAt
	return m
}

// Column finds a column by name.
func (t *Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// TypeWords names a column type in plain words.
func TypeWords(t Type) string {
	switch t {
	case TypeText:
		return "text"
	case TypeNumber:
		return "a number"
	case TypeBool:
		return "true or false"
	case TypeDate:
		return "a date-time"
	}
	return string(t)
}

// Value checks and converts a value for the column: text, a number,
// true/false or a UTC date-time to the millisecond. Empty text and nil
// are empty (nil). The error names the column and the value.
func (c Column) Value(v any) (any, error) {
	v = normalize(v)
	if s, ok := v.(string); ok && s == "" || v == nil {
		return nil, nil
	}
	bad := func() error {
		shown, _ := ToText(v)
		return fmt.Errorf("column %q takes %s, not %q", c.Name, TypeWords(c.Type), truncate(shown, 40))
	}
	switch c.Type {
	case TypeText:
		s, err := ToText(v)
		if err != nil {
			return nil, bad()
		}
		if len(s) > MaxTextValue || !utf8.ValidString(s) {
			return nil, fmt.Errorf("column %q takes text of at most %d bytes of UTF-8", c.Name, MaxTextValue)
		}
		return s, nil
	case TypeNumber:
		switch x := v.(type) {
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, bad()
			}
			return x, nil
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, bad()
			}
			return f, nil
		}
	case TypeBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true", "yes":
				return true, nil
			case "false", "no":
				return false, nil
			}
		}
	case TypeDate:
		switch x := v.(type) {
		case time.Time:
			return x.UTC().Truncate(time.Millisecond), nil
		case string:
			for _, l := range dateLayouts {
				if t, err := time.Parse(l, strings.TrimSpace(x)); err == nil {
					return t.UTC().Truncate(time.Millisecond), nil
				}
			}
		}
	}
	return nil, bad()
}

// Values checks a row's values against the table: every key names a
// column (the system fields are left out), every value fits its column.
// It returns the converted values, or a *ValidationError naming each
// column and value that is wrong.
func (t *Table) Values(in map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(in))
	var ps []Problem
	for k, v := range in {
		if k == RowID || k == RowCreatedAt || k == RowUpdatedAt {
			continue
		}
		c, ok := t.Column(k)
		if !ok {
			ps = append(ps, Problem{Field: k, Code: "column", Message: fmt.Sprintf("the table %q has no column %q", t.Name, k)})
			continue
		}
		x, err := c.Value(v)
		if err != nil {
			ps = append(ps, Problem{Field: k, Code: "value", Message: err.Error()})
			continue
		}
		out[k] = x
	}
	if len(ps) > 0 {
		sortProblems(ps)
		return nil, &ValidationError{What: "row", Problems: ps}
	}
	return out, nil
}

// NewRowValues is what Create Row writes: the values given, and each
// column's default where none is.
func (t *Table) NewRowValues(in map[string]any) (map[string]any, error) {
	out, err := t.Values(in)
	if err != nil {
		return nil, err
	}
	for _, c := range t.Columns {
		if _, given := in[c.Name]; !given && c.Default != nil {
			out[c.Name] = c.Default
		}
	}
	return out, nil
}

// UniqueError is why a row was refused: another row has the same value
// in a unique column. It matches ErrConflict.
type UniqueError struct {
	Table  string
	Column string
	Value  any
	// Line is the CSV line of the row, in an import (0 otherwise).
	Line int
}

func (e *UniqueError) Error() string {
	v, _ := ToText(e.Value)
	msg := fmt.Sprintf("the table %q already has a row with %s %q, and that column is unique", e.Table, e.Column, truncate(v, 60))
	if e.Line > 0 {
		msg = fmt.Sprintf("line %d: %s", e.Line, msg)
	}
	return msg
}

// Is makes a UniqueError match ErrConflict.
func (e *UniqueError) Is(target error) bool { return target == ErrConflict }

// TableRows is what the Tables cards need of the store: one table's
// schema and its rows. The row methods take the table as Table loaded it
// (its columns' ids say where values go). Every write is atomic: a row
// is written whole or not at all, and UpdateRow writes only the columns
// it is given, so that runs updating different columns of one row at
// once all win.
type TableRows interface {
	// Table is a table's schema, or ErrNotFound.
	Table(ctx context.Context, id int64) (Table, error)
	// CreateRow adds a row of values that Table.NewRowValues checked;
	// a *UniqueError when a unique column's value is taken.
	CreateRow(ctx context.Context, t *Table, values map[string]any) (Row, error)
	// Row reads one row, or ErrNotFound.
	Row(ctx context.Context, t *Table, rowID int64) (Row, error)
	// UpdateRow sets the given columns (checked by Table.Values) of one
	// row and returns it whole; ErrNotFound when there is no such row, a
	// *UniqueError when a unique column's value is taken.
	UpdateRow(ctx context.Context, t *Table, rowID int64, values map[string]any) (Row, error)
	// DeleteRow removes a row; ErrNotFound when there is none.
	DeleteRow(ctx context.Context, t *Table, rowID int64) error
	// SearchRows returns a page of the rows that a query checked by
	// Table.CheckQuery matches (RowPage.Next continues it, RowPage.Prev
	// goes back; a page going back that reaches the start is the first
	// page, full).
	SearchRows(ctx context.Context, t *Table, q RowQuery) (RowPage, error)
	// ClearTable removes every row and says how many there were.
	ClearTable(ctx context.Context, t *Table) (int64, error)
}

// TableStore keeps the tables; store implements it.
type TableStore interface {
	TableRows
	// Tables lists every table by name.
	Tables(ctx context.Context) ([]Table, error)
	// CreateTable saves a table that CheckTable checked, with its
	// columns; ErrConflict when its name is taken.
	CreateTable(ctx context.Context, t Table) (Table, error)
	// ChangeTable applies the change that plan makes of the table as it
	// is now (PlanTableChange), in one transaction.
	ChangeTable(ctx context.Context, id int64, plan func(Table) (TableChange, error)) (Table, error)
	// DeleteTable removes a table and its rows; a *TableInUseError while
	// a flow's card refers to it.
	DeleteTable(ctx context.Context, id int64) error
	// TableUses lists the flows whose cards refer to a table.
	TableUses(ctx context.Context, id int64) ([]FlowUse, error)
	// ImportRows adds rows of checked values (ReadCSV) in one
	// transaction: all of them, or none (a *UniqueError naming the first
	// refused, with its Line from lines).
	ImportRows(ctx context.Context, t *Table, rows []map[string]any, lines []int) (int, error)
	// CountRows counts a table's rows.
	CountRows(ctx context.Context, t *Table) (int64, error)
}

// sortProblems orders problems by field, so that messages are stable.
func sortProblems(ps []Problem) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].Field < ps[j-1].Field; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}
