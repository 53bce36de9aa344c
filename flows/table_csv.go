package flows

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// A table's CSV has a header line naming its columns, then one line per
// row. Export writes id, the columns in order, createdAt and updatedAt;
// import reads any of the columns in any order, ignores id, createdAt and
// updatedAt (rows get new ones), and gives columns the header leaves out
// their defaults. Values are written as text: numbers plainly, true and
// false, date-times in RFC 3339 (UTC); an empty cell is an empty value.

// CSVWriter writes a table's rows as CSV.
type CSVWriter struct {
	w *csv.Writer
	t *Table
}

// NewCSVWriter writes the header line and returns a writer for the rows.
func NewCSVWriter(w io.Writer, t *Table) (*CSVWriter, error) {
	cw := &CSVWriter{w: csv.NewWriter(w), t: t}
	head := make([]string, 0, len(t.Columns)+3)
	head = append(head, RowID)
	for _, c := range t.Columns {
		head = append(head, c.Name)
	}
	head = append(head, RowCreatedAt, RowUpdatedAt)
	return cw, cw.w.Write(head)
}

// Write writes one row.
func (cw *CSVWriter) Write(r Row) error {
	rec := make([]string, 0, len(cw.t.Columns)+3)
	rec = append(rec, strconv.FormatInt(r.ID, 10))
	for _, c := range cw.t.Columns {
		rec = append(rec, CellText(r.Values[c.Name]))
	}
	rec = append(rec, CellText(r.CreatedAt), CellText(r.UpdatedAt))
	return cw.w.Write(rec)
}

// Flush writes what is buffered and reports any error of the writes.
func (cw *CSVWriter) Flush() error {
	cw.w.Flush()
	return cw.w.Error()
}

// CellText writes a value as a CSV cell (and a search shows it).
func CellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	s, _ := ToText(v)
	return s
}

// MaxImportProblems bounds the problems an import reports.
const MaxImportProblems = 20

// ReadCSV reads rows for a table from CSV and checks every value. It
// returns the rows' values (for ImportRows) and the line each starts on,
// or a *ValidationError naming each line, column and value that is wrong
// (the first MaxImportProblems): then nothing is to be written.
func ReadCSV(r io.Reader, t *Table) (rows []map[string]any, lines []int, err error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	var ps []Problem
	add := func(line int, field, format string, args ...any) {
		if len(ps) < MaxImportProblems {
			msg := fmt.Sprintf(format, args...)
			if line > 0 {
				msg = fmt.Sprintf("line %d: %s", line, msg)
			}
			ps = append(ps, Problem{Field: field, Code: "csv", Message: msg})
		}
	}
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, &ValidationError{What: "CSV file", Problems: []Problem{{Code: "csv", Message: "the file is empty: its first line names the columns"}}}
	}
	if err != nil {
		return nil, nil, &ValidationError{What: "CSV file", Problems: []Problem{{Code: "csv", Message: csvError(err)}}}
	}
	cols := make([]*Column, len(head))
	seen := map[string]bool{}
	for i, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		switch {
		case h == RowID || h == RowCreatedAt || h == RowUpdatedAt:
		case seen[h]:
			add(1, h, "the header names column %q twice", h)
		default:
			c, ok := t.Column(h)
			if !ok {
				add(1, h, "the table %q has no column %q", t.Name, h)
				break
			}
			cols[i] = &c
		}
		seen[h] = true
	}
	if len(ps) > 0 {
		return nil, nil, &ValidationError{What: "CSV file", Problems: ps}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			add(0, "", "%s", csvError(err))
			break
		}
		line, _ := cr.FieldPos(0)
		vals := make(map[string]any, len(t.Columns))
		for i, cell := range rec {
			if cols[i] == nil {
				continue
			}
			v, err := cols[i].Value(cell)
			if err != nil {
				add(line, cols[i].Name, "%s", err)
				continue
			}
			vals[cols[i].Name] = v
		}
		for _, c := range t.Columns {
			if !seen[c.Name] && c.Default != nil {
				vals[c.Name] = c.Default
			}
		}
		rows, lines = append(rows, vals), append(lines, line)
	}
	if len(ps) > 0 {
		return nil, nil, &ValidationError{What: "CSV file", Problems: ps}
	}
	return rows, lines, nil
}

// csvError describes a CSV syntax error in plain words.
func csvError(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrFieldCount):
			return fmt.Sprintf("line %d has a different number of cells than the header", pe.StartLine)
		case errors.Is(pe.Err, csv.ErrQuote), errors.Is(pe.Err, csv.ErrBareQuote):
			return fmt.Sprintf("line %d has a quote out of place", pe.StartLine)
		}
		return fmt.Sprintf("line %d is not valid CSV", pe.StartLine)
	}
	return "the file could not be read as CSV"
}
