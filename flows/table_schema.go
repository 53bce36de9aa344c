package flows

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CheckTable checks a table's name, description and columns, and converts
// each column's default to the column's type. Problems name the field
// ("name", "description", "columns.<n>.name" …) and read as plain words.
func CheckTable(t *Table) error {
	var ps []Problem
	add := func(field, code, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
	}
	t.Name = strings.TrimSpace(t.Name)
	if n := utf8.RuneCountInString(t.Name); n == 0 || n > MaxNameLength || hasControl(t.Name) {
		add("name", "name", "give the table a name of 1 to %d characters", MaxNameLength)
	}
	if utf8.RuneCountInString(t.Description) > MaxDescription {
		add("description", "description", "keep the description to %d characters", MaxDescription)
	}
	if len(t.Columns) > MaxColumns {
		add("columns", "columns", "a table has at most %d columns, not %d", MaxColumns, len(t.Columns))
	}
	seen := map[string]bool{}
	for i := range t.Columns {
		c := &t.Columns[i]
		field := fmt.Sprintf("columns.%d", i)
		c.Name = strings.TrimSpace(c.Name)
		key := strings.ToLower(c.Name)
		switch n := utf8.RuneCountInString(c.Name); {
		case n == 0 || n > MaxNameLength || hasControl(c.Name):
			add(field+".name", "column_name", "give column %d a name of 1 to %d characters", i+1, MaxNameLength)
		case key == strings.ToLower(RowID) || key == strings.ToLower(RowCreatedAt) || key == strings.ToLower(RowUpdatedAt):
			add(field+".name", "column_name", "the column name %q is kept for every row's own %s: choose another", c.Name, c.Name)
		case seen[key]:
			add(field+".name", "column_name", "two columns are named %q", c.Name)
		}
		seen[key] = true
		if !slices.Contains(ColumnTypes, c.Type) {
			add(field+".type", "column_type", "column %q has the type %q: choose text, number, boolean or datetime", c.Name, c.Type)
			continue
		}
		d, err := c.Value(c.Default)
		if err != nil {
			add(field+".default", "column_default", "the default of %s", err)
			continue
		}
		c.Default = d
	}
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{What: "table", Problems: ps}
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// TableChange is what changing a table does, in one transaction: its new
// name and description, the columns it adds, those it changes (renamed, a
// new default, the unique flag set or cleared) and those it removes with
// their values. Columns lists them all in their new order. Revision, when
// not 0, is the revision it is made to: the store refuses it
// (*StaleError) when the table is at another.
type TableChange struct {
	Revision    int
	Name        string
	Description string
	Columns     []Column
	Add         []Column
	Change      []Column
	Remove      []Column
}

// PlanTableChange works out how to make table old into want, where want's
// columns with an id are old ones (renamed, a new default or unique flag;
// their type stays) and those without are new; old columns that want
// leaves out are removed, which takes confirmRemove since their values go.
func PlanTableChange(old, want Table, confirmRemove bool) (TableChange, error) {
	if err := CheckTable(&want); err != nil {
		return TableChange{}, err
	}
	var ps []Problem
	ch := TableChange{Name: want.Name, Description: want.Description, Columns: want.Columns}
	kept := map[int64]bool{}
	for i, c := range want.Columns {
		if c.ID == 0 {
			ch.Add = append(ch.Add, c)
			continue
		}
		o, ok := old.columnByID(c.ID)
		switch {
		case !ok:
			ps = append(ps, Problem{Field: fmt.Sprintf("columns.%d.id", i), Code: "column_id", Message: fmt.Sprintf("the table %q has no column with the id %d", old.Name, c.ID)})
			continue
		case kept[c.ID]:
			ps = append(ps, Problem{Field: fmt.Sprintf("columns.%d.id", i), Code: "column_id", Message: fmt.Sprintf("column %q is listed twice", o.Name)})
			continue
		case o.Type != c.Type:
			ps = append(ps, Problem{Field: fmt.Sprintf("columns.%d.type", i), Code: "column_type",
				Message: fmt.Sprintf("column %q holds %s: its type cannot change (add a new column instead)", o.Name, TypeWords(o.Type))})
		}
		kept[c.ID] = true
		if o.Name != c.Name || o.Unique != c.Unique || o.Default != c.Default {
			ch.Change = append(ch.Change, c)
		}
	}
	var gone []string
	for _, c := range old.Columns {
		if !kept[c.ID] {
			ch.Remove = append(ch.Remove, c)
			gone = append(gone, fmt.Sprintf("%q", c.Name))
		}
	}
	if len(gone) > 0 && !confirmRemove {
		ps = append(ps, Problem{Field: "columns", Code: "confirm_remove",
			Message: fmt.Sprintf("removing %s deletes %s values in every row: confirm to go on", wordsList(gone, "column "), theirOrIts(len(gone)))})
	}
	if len(ps) > 0 {
		return TableChange{}, &ValidationError{What: "table", Problems: ps}
	}
	return ch, nil
}

func (t *Table) columnByID(id int64) (Column, bool) {
	for _, c := range t.Columns {
		if c.ID == id {
			return c, true
		}
	}
	return Column{}, false
}

// wordsList writes "column "a"", "columns "a" and "b"" or "columns "a", "b" and "c"".
func wordsList(items []string, singular string) string {
	switch len(items) {
	case 1:
		return singular + items[0]
	default:
		return strings.TrimSpace(singular) + "s " + strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
	}
}

func theirOrIts(n int) string {
	if n == 1 {
		return "its"
	}
	return "their"
}
