package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/templates"
)

// The Tables pages call the same flows.Tables rules as the JSON API.

// newTableColumns is how many empty column lines the new table form has.
const newTableColumns = 4

// tablesPageRows is how many rows a table's page shows at a time.
const tablesPageRows = 25

// tableItems lists the tables with their numbers of rows.
func (s *Server) tableItems(c echo.Context) ([]templates.TableItem, error) {
	ctx := c.Request().Context()
	ts, err := s.store.Tables(ctx)
	if err != nil {
		return nil, err
	}
	list := make([]templates.TableItem, len(ts))
	for i := range ts {
		n, err := s.store.CountRows(ctx, &ts[i])
		if err != nil {
			return nil, err
		}
		list[i] = templates.TableItem{Table: ts[i], Rows: n}
	}
	return list, nil
}

func (s *Server) tablesList(c echo.Context) error {
	list, err := s.tableItems(c)
	if err != nil {
		return err
	}
	f := templates.NewTableForm{Table: flows.Table{Columns: make([]flows.Column, newTableColumns)}, Errors: templates.FormErrors{}}
	return render(c, http.StatusOK, templates.TablesPage(s.page(c, "Tables", "tables"), list, f))
}

func (s *Server) tableCreate(c echo.Context) error {
	t := flows.Table{Name: c.FormValue("name"), Description: c.FormValue("description")}
	form, _ := c.FormParams()
	for i := 0; i < flows.MaxColumns; i++ {
		name, ok := form[fmt.Sprintf("columns.%d.name", i)]
		if !ok {
			break
		}
		col := flows.Column{Name: name[0], Type: flows.Type(form.Get(fmt.Sprintf("columns.%d.type", i)))}
		if d := form.Get(fmt.Sprintf("columns.%d.default", i)); d != "" {
			col.Default = d
		}
		col.Unique = form.Get(fmt.Sprintf("columns.%d.unique", i)) != ""
		if strings.TrimSpace(col.Name) != "" || col.Default != nil || col.Unique {
			t.Columns = append(t.Columns, col)
		}
	}
	shown := t
	saved, err := s.tables().Create(c.Request().Context(), t)
	if ps := problemsOf(err); len(ps) > 0 || errorIsConflict(err) {
		f := templates.NewTableForm{Table: shown, Errors: templates.FormErrors{}}
		for len(f.Columns) < newTableColumns {
			f.Columns = append(f.Columns, flows.Column{})
		}
		for _, p := range ps {
			f.Errors[p.Field] = plainSentence(p.Message)
		}
		if len(ps) == 0 {
			_, f.Errors["name"] = statusOf(err)
		}
		list, lerr := s.tableItems(c)
		if lerr != nil {
			return lerr
		}
		return render(c, http.StatusUnprocessableEntity, templates.TablesPage(s.page(c, "Tables", "tables"), list, f))
	} else if err != nil {
		return err
	}
	s.flash(c, "success", fmt.Sprintf("Table %s created.", saved.Name))
	return c.Redirect(http.StatusSeeOther, s.URL("tables.show", saved.ID))
}

// plainSentence writes a problem's words as a sentence: a capital first
// and a full stop at the end.
func plainSentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

func errorIsConflict(err error) bool {
	code, _ := statusOf(err)
	return err != nil && code == http.StatusConflict
}

// tableShow is a table's page: its rows, searched, filtered, sorted and
// paged by cursor (so pages stay put while rows are added or removed).
func (s *Server) tableShow(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	return s.renderTable(c, id, http.StatusOK, nil)
}

// renderTable renders a table's page; edit, when set, is a settings form
// that was refused, shown again as it was sent with its problems.
func (s *Server) renderTable(c echo.Context, id int64, status int, edit *templates.TableEdit) error {
	ctx := c.Request().Context()
	t, err := s.store.Table(ctx, id)
	if err != nil {
		return err
	}
	v := templates.TableView{Table: t, Params: pageParams(c.QueryParams()), Errors: templates.FormErrors{}, Edit: edit}
	q, err := rowQuery(&t, filterParams(&t, v.Params))
	if err == nil {
		if q.Limit == 0 {
			q.Limit = tablesPageRows
		}
		_, page, serr := s.tables().Search(ctx, id, q)
		err = serr
		v.Rows, v.Next, v.Prev = page.Rows, page.Next, page.Prev
	}
	if err != nil {
		code, msg := statusOf(err)
		if code >= 500 {
			return err
		}
		v.SearchError = msg
	}
	if v.Count, err = s.store.CountRows(ctx, &t); err != nil {
		return err
	}
	uses, err := s.store.TableUses(ctx, id)
	if err != nil {
		return err
	}
	for _, u := range uses {
		v.UsedBy = append(v.UsedBy, u.FlowName)
	}
	return render(c, status, templates.TablePage(s.page(c, t.Name, "tables"), v))
}

// filterParams turns the page's filters into the API's: a column's
// filter value under the operator its op.<column> choice names.
func filterParams(t *flows.Table, params url.Values) url.Values {
	out := url.Values{}
	for k, vs := range params {
		if !strings.HasPrefix(k, "op.") {
			out[k] = vs
		}
	}
	for _, c := range t.Columns {
		op := flows.Operator(params.Get("op." + c.Name))
		key := templates.FilterKey(c)
		if op == "" || !out.Has(key) || !slices.ContainsFunc(templates.FilterOps(c), func(o templates.FilterOp) bool { return o.Value == op }) {
			continue
		}
		out["where."+c.Name+"."+string(op)] = out[key]
		delete(out, key)
	}
	return out
}

// pageParams keeps the search parameters that have a value.
func pageParams(in url.Values) url.Values {
	out := url.Values{}
	for k, vs := range in {
		for _, v := range vs {
			if strings.TrimSpace(v) != "" {
				out.Add(k, v)
			}
		}
	}
	return out
}

// tableChange renames a table, changes its description and its columns
// (columns.<n>.id/name/default/unique/remove, and new.name/type/default/
// unique). A change that is refused shows the settings again as they
// were sent, with what was wrong, and changes nothing.
func (s *Server) tableChange(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := s.store.Table(ctx, id)
	if err != nil {
		return err
	}
	form, _ := c.FormParams()
	edit := settingsForm(&t, form)
	var cols []flows.Column
	for i, col := range edit.Columns {
		if !edit.Remove[col.ID] {
			cols = append(cols, formColumn(col, form.Get(fmt.Sprintf("columns.%d.default", i))))
		}
	}
	if strings.TrimSpace(edit.New.Name) != "" {
		cols = append(cols, formColumn(edit.New, form.Get("new.default")))
	}
	patch := flows.TablePatch{Name: &edit.Name, Description: &edit.Description, Columns: &cols, ConfirmRemove: edit.ConfirmRemove}
	if _, err := s.tables().Change(ctx, id, patch); err != nil {
		code, msg := statusOf(err)
		if code >= 500 {
			return err
		}
		for _, p := range problemsOf(err) {
			edit.Problems = append(edit.Problems, plainSentence(p.Message))
		}
		if len(edit.Problems) == 0 {
			edit.Problems = []string{msg}
		}
		return s.renderTable(c, id, http.StatusUnprocessableEntity, &edit)
	}
	s.flash(c, "success", "Table "+strings.TrimSpace(edit.Name)+" saved.")
	return c.Redirect(http.StatusSeeOther, s.URL("tables.show", id)+"#settings")
}

// settingsForm reads the settings form of a table as it was sent.
func settingsForm(t *flows.Table, form url.Values) templates.TableEdit {
	edit := templates.TableEdit{Name: form.Get("name"), Description: form.Get("description"),
		Remove: map[int64]bool{}, ConfirmRemove: form.Get("confirmRemove") != ""}
	for i, old := range t.Columns {
		p := fmt.Sprintf("columns.%d.", i)
		if form.Get(p+"id") != strconv.FormatInt(old.ID, 10) {
			continue
		}
		col := flows.Column{ID: old.ID, Name: form.Get(p + "name"), Type: old.Type, Default: form.Get(p + "default"), Unique: form.Get(p+"unique") != ""}
		edit.Columns = append(edit.Columns, col)
		edit.Remove[old.ID] = form.Get(p+"remove") != ""
	}
	edit.New = flows.Column{Name: form.Get("new.name"), Type: flows.Type(form.Get("new.type")), Default: form.Get("new.default"), Unique: form.Get("new.unique") != ""}
	return edit
}

// formColumn is a column of the settings form as the table takes it: an
// empty default is none.
func formColumn(col flows.Column, def string) flows.Column {
	col.Default = nil
	if def != "" {
		col.Default = def
	}
	return col
}

func (s *Server) tableDelete(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := s.store.Table(ctx, id)
	if err != nil {
		return err
	}
	if err := s.tables().Delete(ctx, id); err != nil {
		if err := s.flashProblem(c, "", err); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, s.URL("tables.show", id))
	}
	s.flash(c, "success", "Table "+t.Name+" deleted with its rows.")
	return c.Redirect(http.StatusSeeOther, s.URL("tables.list"))
}

// rowForm reads a row's values from a form: v.<column> for every column.
func rowForm(c echo.Context, t *flows.Table) map[string]any {
	form, _ := c.FormParams()
	in := make(map[string]any, len(t.Columns))
	for _, col := range t.Columns {
		if vs, ok := form["v."+col.Name]; ok {
			in[col.Name] = vs[0]
		}
	}
	return in
}

// rowFormError renders the problems of a row's values beside their fields.
func rowFormError(err error) (templates.FormErrors, bool) {
	ps := problemsOf(err)
	code, msg := statusOf(err)
	if len(ps) == 0 && code != http.StatusConflict {
		return nil, false
	}
	errs := templates.FormErrors{}
	for _, p := range ps {
		errs[p.Field] = plainSentence(p.Message)
	}
	if len(ps) == 0 {
		errs[""] = msg
	}
	return errs, true
}

func (s *Server) tableRowCreate(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := s.store.Table(ctx, id)
	if err != nil {
		return err
	}
	in := rowForm(c, &t)
	for k, v := range in {
		if v == "" { // a blank field of the add line takes the column's default
			delete(in, k)
		}
	}
	_, row, err := s.tables().CreateRow(ctx, id, in)
	if errs, ok := rowFormError(err); ok {
		return render(c, http.StatusUnprocessableEntity, templates.TableNewRow(s.page(c, "", "tables"), t, rowValues(in), errs))
	} else if err != nil {
		return err
	}
	p := s.page(c, "", "tables")
	return render(c, http.StatusOK, templates.TableRowAdded(p, t, row))
}

// rowValues turns the values a form sent into the text it shows again.
func rowValues(in map[string]any) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = flows.CellText(v)
	}
	return out
}

// tableRowAt reads a table and one of its rows from the route.
func (s *Server) tableRowAt(c echo.Context) (flows.Table, flows.Row, error) {
	id, err := tableID(c)
	if err != nil {
		return flows.Table{}, flows.Row{}, err
	}
	row, err := rowID(c)
	if err != nil {
		return flows.Table{}, flows.Row{}, err
	}
	return s.tables().Row(c.Request().Context(), id, row)
}

// tableRow answers one row as the table shows it (htmx, after Cancel).
func (s *Server) tableRow(c echo.Context) error {
	t, r, err := s.tableRowAt(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.TableRow(s.page(c, "", "tables"), t, r))
}

// tableRowEdit answers a row as a form of its values (htmx).
func (s *Server) tableRowEdit(c echo.Context) error {
	t, r, err := s.tableRowAt(c)
	if err != nil {
		return err
	}
	vals := map[string]string{}
	for _, col := range t.Columns {
		vals[col.Name] = flows.CellText(r.Values[col.Name])
	}
	return render(c, http.StatusOK, templates.TableRowEdit(s.page(c, "", "tables"), t, r, vals, nil))
}

func (s *Server) tableRowUpdate(c echo.Context) error {
	t, r, err := s.tableRowAt(c)
	if err != nil {
		return err
	}
	in := rowForm(c, &t)
	_, saved, err := s.tables().UpdateRow(c.Request().Context(), t.ID, r.ID, in)
	if errs, ok := rowFormError(err); ok {
		return render(c, http.StatusUnprocessableEntity, templates.TableRowEdit(s.page(c, "", "tables"), t, r, rowValues(in), errs))
	} else if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.TableRow(s.page(c, "", "tables"), t, saved))
}

func (s *Server) tableRowDelete(c echo.Context) error {
	t, r, err := s.tableRowAt(c)
	if err != nil {
		return err
	}
	if err := s.tables().DeleteRow(c.Request().Context(), t.ID, r.ID); err != nil {
		return err
	}
	if c.Request().Header.Get("HX-Request") == "" {
		return c.Redirect(http.StatusSeeOther, s.URL("tables.show", t.ID))
	}
	return c.NoContent(http.StatusOK)
}
