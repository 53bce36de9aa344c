package flows

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Condition is one test of Search Rows on a column: an operator and,
// except for is_empty and is_not_empty, a value. Equal, not equal,
// less and greater compare as the column's type (text byte by byte, so
// case counts); starts_with counts case too; contains ignores it. An
// empty cell is not equal to any value.
type Condition struct {
	Column string   `json:"column"`
	Op     Operator `json:"operator"`
	Value  any      `json:"value,omitempty"`
}

// TableOperators are the operators Search Rows takes.
var TableOperators = []Operator{OpEqual, OpNotEqual, OpLess, OpLessOrEqual, OpGreater, OpGreaterOrEqual,
	OpContains, OpStartsWith, OpIsEmpty, OpIsNotEmpty}

// RowQuery asks a table for rows: those matching all of Conditions (or
// any, with Any) and, when Text is set, having it in a text column
// (ignoring case); sorted by a column (or by id, the order rows were
// created) with the row id breaking ties; at most Limit of them (1 to
// MaxRowsLimit), after the page that Cursor ended (or, for a cursor of
// RowPage.Prev, before the page it began). Empty values sort before any
// other.
type RowQuery struct {
	Conditions []Condition `json:"conditions,omitempty"`
	Any        bool        `json:"any,omitempty"`
	Text       string      `json:"text,omitempty"`
	Sort       string      `json:"sort,omitempty"`
	Desc       bool        `json:"desc,omitempty"`
	Limit      int         `json:"limit,omitempty"`
	Cursor     string      `json:"cursor,omitempty"`
	// After is where the page starts: Cursor, read by CheckQuery.
	After *RowCursor `json:"-"`
}

// RowCursor is where a page starts: the sort key and id of the last row
// of the page before it or, with Back, of the first row of the page after
// it (the page is then the rows just before that one).
type RowCursor struct {
	Sort  string `json:"s,omitempty"`
	Desc  bool   `json:"d,omitempty"`
	Value any    `json:"v,omitempty"`
	ID    int64  `json:"i"`
	Back  bool   `json:"b,omitempty"`
}

// RowPage is one page of rows; Next continues after it ("" at the end)
// and Prev goes back to the page before it ("" at the start).
type RowPage struct {
	Rows []Row
	Next string
	Prev string
}

// CheckQuery checks a query against the table and returns it ready for
// the store: values converted to their columns' types, the limit set,
// the cursor read. Problems name the condition and read as plain words.
func (t *Table) CheckQuery(q RowQuery) (RowQuery, error) {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Code: "query", Message: fmt.Sprintf(format, args...)})
	}
	conds := make([]Condition, len(q.Conditions))
	for i, c := range q.Conditions {
		field := fmt.Sprintf("conditions.%d", i)
		col, ok := t.Column(c.Column)
		if !ok {
			add(field+".column", "the table %q has no column %q", t.Name, c.Column)
			continue
		}
		if !slices.Contains(TableOperators, c.Op) {
			add(field+".operator", "%q is not an operator of Search Rows: use one of %s", c.Op, operatorList())
			continue
		}
		if (c.Op == OpContains || c.Op == OpStartsWith) && col.Type != TypeText {
			add(field+".operator", "column %q holds %s: %s works on text columns only", col.Name, TypeWords(col.Type), c.Op)
			continue
		}
		if col.Type == TypeBool && c.Op != OpEqual && c.Op != OpNotEqual && c.Op != OpIsEmpty && c.Op != OpIsNotEmpty {
			add(field+".operator", "column %q holds true or false: compare it with equal or not_equal", col.Name)
			continue
		}
		c.Column = col.Name
		if c.Op == OpIsEmpty || c.Op == OpIsNotEmpty {
			c.Value = nil
		} else {
			v, err := col.Value(c.Value)
			if err != nil {
				add(field+".value", "%s", err)
				continue
			}
			if v == nil {
				add(field+".value", "give a value to compare column %q with (or use is_empty)", col.Name)
				continue
			}
			c.Value = v
		}
		conds[i] = c
	}
	q.Conditions = conds
	if q.Sort == RowID {
		q.Sort = ""
	}
	if q.Sort != "" {
		if _, ok := t.Column(q.Sort); !ok {
			add("sort", "the table %q has no column %q to sort by", t.Name, q.Sort)
		}
	}
	switch {
	case q.Limit == 0:
		q.Limit = DefaultRowsLimit
	case q.Limit < 1 || q.Limit > MaxRowsLimit:
		add("limit", "the limit is 1 to %d rows, not %d", MaxRowsLimit, q.Limit)
	}
	if len(q.Text) > 1000 {
		add("text", "search for at most 1000 characters")
	}
	q.After = nil
	if q.Cursor != "" && len(ps) == 0 {
		c, err := t.readCursor(q)
		if err != nil {
			add("cursor", "%s", err)
		}
		q.After = c
	}
	if len(ps) > 0 {
		return RowQuery{}, &ValidationError{What: "search", Problems: ps}
	}
	return q, nil
}

func operatorList() string {
	names := make([]string, len(TableOperators))
	for i, o := range TableOperators {
		names[i] = string(o)
	}
	return strings.Join(names, ", ")
}

// NextCursor is the cursor of the page after one that ended with row.
func (q RowQuery) NextCursor(t *Table, row Row) string {
	return q.cursorText(row, false)
}

// PrevCursor is the cursor of the page before one that began with row.
func (q RowQuery) PrevCursor(t *Table, row Row) string {
	return q.cursorText(row, true)
}

// At is where row stands in the query's order, as a cursor.
func (q RowQuery) At(row Row) *RowCursor {
	c := &RowCursor{Sort: q.Sort, Desc: q.Desc, ID: row.ID}
	if q.Sort != "" {
		c.Value = row.Values[q.Sort]
	}
	return c
}

func (q RowQuery) cursorText(row Row, back bool) string {
	c := q.At(row)
	c.Back = back
	if tm, ok := c.Value.(time.Time); ok {
		c.Value = tm.Format(time.RFC3339Nano)
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (t *Table) readCursor(q RowQuery) (*RowCursor, error) {
	bad := fmt.Errorf("the cursor %q is not one this table's pages gave", truncate(q.Cursor, 40))
	b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
	if err != nil {
		return nil, bad
	}
	var c RowCursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID <= 0 {
		return nil, bad
	}
	if c.Sort != q.Sort || c.Desc != q.Desc {
		return nil, fmt.Errorf("the cursor belongs to pages in another order: ask with the sort it was made with")
	}
	if c.Sort != "" {
		col, _ := t.Column(c.Sort)
		v := c.Value
		if f, ok := v.(float64); ok && col.Type == TypeText {
			v = strconv.FormatFloat(f, 'g', -1, 64)
		}
		if c.Value, err = col.Value(v); err != nil {
			return nil, bad
		}
	}
	return &c, nil
}
