package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
)

// tables is the tables service over the store.
func (s *Server) tables() flows.Tables { return flows.Tables{Store: s.store} }

// tableJSON is a table as the API shows it; Rows and UsedBy are in the
// answer about one table only.
type tableJSON struct {
	flows.Table
	Rows   *int64       `json:"rows,omitempty"`
	UsedBy []usedByJSON `json:"usedBy,omitempty"`
}

// usedByJSON is a flow whose cards refer to a table.
type usedByJSON struct {
	FlowID int64    `json:"flowId"`
	Name   string   `json:"name"`
	Cards  []string `json:"cards"`
}

// tableID reads the route's :id.
func tableID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, flows.ErrNotFound
	}
	return id, nil
}

// rowID reads the route's :row.
func rowID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("row"), 10, 64)
	if err != nil || id <= 0 {
		return 0, flows.ErrNotFound
	}
	return id, nil
}

// decodeJSON reads a JSON request body into v, refusing unknown fields.
func decodeJSON(c echo.Context, v any, shape string) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: the body must be a JSON object like %s: %s", flows.ErrInvalid, shape, flows.DescribeJSONError(b, err))
	}
	return nil
}

func (s *Server) apiTables(c echo.Context) error {
	ts, err := s.store.Tables(c.Request().Context())
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []flows.Table{}
	}
	return c.JSON(http.StatusOK, map[string]any{"tables": ts})
}

const tableShape = `{"name": "…", "description": "…", "columns": [{"name": "…", "type": "text", "default": …, "unique": false}]}`

func (s *Server) apiCreateTable(c echo.Context) error {
	var t flows.Table
	if err := decodeJSON(c, &t, tableShape); err != nil {
		return err
	}
	t, err := s.tables().Create(c.Request().Context(), t)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, tableJSON{Table: t})
}

func (s *Server) apiTable(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := s.store.Table(ctx, id)
	if err != nil {
		return err
	}
	n, err := s.store.CountRows(ctx, &t)
	if err != nil {
		return err
	}
	uses, err := s.store.TableUses(ctx, id)
	if err != nil {
		return err
	}
	out := tableJSON{Table: t, Rows: &n}
	for _, u := range uses {
		j := usedByJSON{FlowID: u.FlowID, Name: u.FlowName}
		for _, r := range u.Cards {
			j.Cards = append(j.Cards, r.Card)
		}
		out.UsedBy = append(out.UsedBy, j)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiChangeTable(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	var p flows.TablePatch
	if err := decodeJSON(c, &p, `{"revision": 1, "name": "…", "description": "…", "columns": […], "confirmRemove": true}`); err != nil {
		return err
	}
	t, err := s.tables().Change(c.Request().Context(), id, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, tableJSON{Table: t})
}

func (s *Server) apiDeleteTable(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	if err := s.tables().Delete(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// rowsJSON is a page of rows; Next continues it (null at the end), Prev
// goes back (null at the start).
type rowsJSON struct {
	Rows  []map[string]any `json:"rows"`
	Count int              `json:"count"`
	Next  *string          `json:"next"`
	Prev  *string          `json:"prev"`
}

// apiRows answers a page of a table's rows: q searches the text columns,
// where.<column>=v and where.<column>.<operator>=v filter (all of them,
// or any with any=true), sort, desc, limit and cursor page.
func (s *Server) apiRows(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := s.store.Table(ctx, id)
	if err != nil {
		return err
	}
	q, err := rowQuery(&t, c.QueryParams())
	if err != nil {
		return err
	}
	t, page, err := s.tables().Search(ctx, id, q)
	if err != nil {
		return err
	}
	out := rowsJSON{Rows: make([]map[string]any, len(page.Rows)), Count: len(page.Rows)}
	for i, r := range page.Rows {
		out.Rows[i] = r.Object(&t)
	}
	if page.Next != "" {
		out.Next = &page.Next
	}
	if page.Prev != "" {
		out.Prev = &page.Prev
	}
	return c.JSON(http.StatusOK, out)
}

// rowQuery reads a search from query parameters.
func rowQuery(t *flows.Table, params url.Values) (flows.RowQuery, error) {
	q := flows.RowQuery{Text: params.Get("q"), Sort: params.Get("sort"), Cursor: params.Get("cursor"),
		Desc: params.Get("desc") == "true", Any: params.Get("any") == "true"}
	if l := params.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return q, fmt.Errorf("%w: the limit is a number of rows, 1 to %d, not %q", flows.ErrInvalid, flows.MaxRowsLimit, l)
		}
		q.Limit = n
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		if strings.HasPrefix(k, "where.") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		cond, err := whereParam(t, strings.TrimPrefix(k, "where."))
		if err != nil {
			return q, err
		}
		for _, v := range params[k] {
			cond.Value = v
			q.Conditions = append(q.Conditions, cond)
		}
	}
	return q, nil
}

// whereParam reads "<column>" or "<column>.<operator>" (a column's name
// may hold dots: a whole name wins).
func whereParam(t *flows.Table, key string) (flows.Condition, error) {
	if _, ok := t.Column(key); ok {
		return flows.Condition{Column: key, Op: flows.OpEqual}, nil
	}
	if i := strings.LastIndex(key, "."); i > 0 {
		op := flows.Operator(key[i+1:])
		if _, ok := t.Column(key[:i]); ok && slices.Contains(flows.TableOperators, op) {
			return flows.Condition{Column: key[:i], Op: op}, nil
		}
	}
	return flows.Condition{}, fmt.Errorf("%w: the filter where.%s names no column of the table %q (where.<column>=value, or where.<column>.<operator>=value)", flows.ErrInvalid, key, t.Name)
}

// rowBody reads a row's values: a JSON object of column names.
func rowBody(c echo.Context) (map[string]any, error) {
	var in map[string]any
	b, err := readBody(c)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &in); err != nil || in == nil {
		return nil, fmt.Errorf("%w: the body must be a JSON object of column names and values, like {\"email\": \"ada@example.com\"}", flows.ErrInvalid)
	}
	return in, nil
}

func (s *Server) apiCreateRow(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	in, err := rowBody(c)
	if err != nil {
		return err
	}
	t, r, err := s.tables().CreateRow(c.Request().Context(), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, r.Object(&t))
}

func (s *Server) apiRow(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	row, err := rowID(c)
	if err != nil {
		return err
	}
	t, r, err := s.tables().Row(c.Request().Context(), id, row)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r.Object(&t))
}

func (s *Server) apiUpdateRow(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	row, err := rowID(c)
	if err != nil {
		return err
	}
	in, err := rowBody(c)
	if err != nil {
		return err
	}
	t, r, err := s.tables().UpdateRow(c.Request().Context(), id, row, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r.Object(&t))
}

func (s *Server) apiDeleteRow(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	row, err := rowID(c)
	if err != nil {
		return err
	}
	if err := s.tables().DeleteRow(c.Request().Context(), id, row); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// apiClearRows removes every row of a table.
func (s *Server) apiClearRows(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	n, err := s.tables().Clear(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int64{"deleted": n})
}
