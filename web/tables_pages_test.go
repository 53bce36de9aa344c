package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// tablesFixture makes a table "Customers" (email text, age number, vip
// true/false with default false) with rows through the API.
func tablesFixture(t *testing.T, srv *webtest.Server, rows int) int64 {
	t.Helper()
	c, token := srv.NewClient(), srv.Token(t)
	tb := apiCall(t, c, token, "POST", "/api/v1/tables", `{"name":"Customers","description":"who buys",
		"columns":[{"name":"email","type":"text","unique":true},{"name":"age","type":"number"},{"name":"vip","type":"boolean","default":false}]}`, 201)
	id := int64(tb["id"].(float64))
	for i := range rows {
		apiCall(t, c, token, "POST", fmt.Sprintf("/api/v1/tables/%d/rows", id), fmt.Sprintf(`{"email":"user%02d@example.org","age":%d}`, i, 20+i), 201)
	}
	return id
}

// TestTablesPages checks the list (with row counts), the new table form
// and its errors beside their fields, and a table's page: rows, search,
// filters, pages and the settings.
func TestTablesPages(t *testing.T) {
	srv := webtest.Start(t)
	web := srv.SignedIn(t)

	_, body := web.Get(t, "/tables")
	if parse(t, body).Find(`[data-testid="tables-empty"]`).Length() != 1 || parse(t, body).Find(`[data-testid="nav-tables"].active`).Length() != 1 {
		t.Fatalf("an empty list shows no empty state or active nav: %s", body)
	}
	csrf := web.CSRF(t, "/tables")
	res := web.PostForm(t, "/tables", url.Values{"_csrf": {csrf}, "name": {"Orders"},
		"columns.0.name": {"total"}, "columns.0.type": {"number"}, "columns.0.default": {"lots"},
		"columns.1.name": {"id"}, "columns.1.type": {"text"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a bad table = %d", res.StatusCode)
	}
	_, body = web.Do(t, "POST", "/tables", strings.NewReader(url.Values{"_csrf": {csrf}, "name": {"Orders"},
		"columns.0.name": {"total"}, "columns.0.type": {"number"}, "columns.0.default": {"lots"}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	doc := parse(t, body)
	if msg := doc.Find(`[data-testid="error-columns.0.default"]`).Text(); !strings.Contains(msg, `column "total" takes a number, not "lots"`) {
		t.Errorf("the default's error = %q", msg)
	}
	if v, _ := doc.Find(`[data-testid="columns.0.name"]`).Attr("value"); v != "total" {
		t.Errorf("the form forgot the column: %q", v)
	}

	id := tablesFixture(t, srv, 30)
	_, body = web.Get(t, "/tables")
	doc = parse(t, body)
	if doc.Find(`[data-testid="table-item"]`).Length() != 1 || doc.Find(`[data-testid="table-rows"]`).Text() != "30" {
		t.Errorf("the list = %s", doc.Find(`[data-testid="tables-list"]`).Text())
	}
	// A taken name is refused by the name, and the list stays.
	_, body = web.Do(t, "POST", "/tables", strings.NewReader(url.Values{"_csrf": {csrf}, "name": {"customers"}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	doc = parse(t, body)
	if msg := doc.Find(`[data-testid="error-name"]`).Text(); msg != `A table named "customers" exists already` || doc.Find(`[data-testid="table-item"]`).Length() != 1 {
		t.Errorf("a taken name = %q, with %d tables listed", msg, doc.Find(`[data-testid="table-item"]`).Length())
	}

	base := fmt.Sprintf("/tables/%d", id)
	tests := []struct {
		name, query string
		rows        int
		next        bool
		first       string
	}{
		{"first page", "", 25, true, "user00@example.org"},
		{"search", "?q=USER0", 10, false, "user00@example.org"},
		{"filter by number", "?where.age=25", 1, false, "user05@example.org"},
		{"filter text contains and sort down", "?where.email.contains=user1&sort=age&desc=true", 10, false, "user19@example.org"},
		{"empty filters are left out", "?q=&where.age=", 25, true, "user00@example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body := web.Get(t, base+tt.query)
			doc := parse(t, body)
			if n := doc.Find(`[data-testid="row"]`).Length(); n != tt.rows {
				t.Errorf("rows = %d, want %d", n, tt.rows)
			}
			if got := doc.Find(`[data-testid="page-next"]`).Length() == 1; got != tt.next {
				t.Errorf("next page link = %v", got)
			}
			if got := doc.Find(`[data-testid="row"] [data-testid="cell-email"]`).First().Text(); got != tt.first {
				t.Errorf("first row = %q, want %q", got, tt.first)
			}
		})
	}
	_, body = web.Get(t, base+"?where.age=old")
	if msg := parse(t, body).Find(`[data-testid="search-error"]`).Text(); !strings.Contains(strings.ToLower(msg), `column "age" takes a number, not "old"`) {
		t.Errorf("a bad filter = %q", msg)
	}
	// The next page starts after the last row shown, though rows are
	// added before it meanwhile.
	_, body = web.Get(t, base)
	next, _ := parse(t, body).Find(`[data-testid="page-next"]`).Attr("href")
	apiCall(t, srv.NewClient(), srv.Token(t), "POST", fmt.Sprintf("/api/v1/tables/%d/rows", id), `{"email":"late@example.org"}`, 201)
	_, body = web.Get(t, next)
	doc = parse(t, body)
	if got := doc.Find(`[data-testid="cell-email"]`).First().Text(); got != "user25@example.org" || doc.Find(`[data-testid="row"]`).Length() != 6 {
		t.Errorf("the next page starts at %q with %d rows", got, doc.Find(`[data-testid="row"]`).Length())
	}
	for _, tid := range []string{"table-search", "row-new", "table-settings", "table-delete-form", "table-import", "table-export", "sort-email"} {
		if doc.Find(`[data-testid="`+tid+`"]`).Length() == 0 {
			t.Errorf("the table page has no %s", tid)
		}
	}
}

// TestTablePageRows adds, edits and deletes rows as the inline forms do
// (htmx), with a type error or a taken unique value shown by its field.
func TestTablePageRows(t *testing.T) {
	srv := webtest.Start(t)
	web := srv.SignedIn(t)
	id := tablesFixture(t, srv, 1)
	csrf := web.CSRF(t, fmt.Sprintf("/tables/%d", id))
	post := func(path string, form url.Values) (int, string) {
		res, body := web.Do(t, "POST", path, strings.NewReader(form.Encode()), http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"}, "HX-Request": {"true"}, "X-CSRF-Token": {csrf}})
		return res.StatusCode, "<table><tbody>" + body + "</tbody></table>"
	}
	rows := fmt.Sprintf("/tables/%d/rows", id)
	code, body := post(rows, url.Values{"v.email": {"ada@example.com"}, "v.age": {"thirty"}})
	if msg := parse(t, body).Find(`[data-testid="error-age"]`).Text(); code != 422 || msg != `Column "age" takes a number, not "thirty".` {
		t.Errorf("a bad age = %d %q", code, msg)
	}
	code, body = post(rows, url.Values{"v.email": {"user00@example.org"}})
	if msg := parse(t, body).Find(`[data-testid="error-row"]`).Text(); code != 409 && code != 422 || !strings.Contains(msg, `already has a row with email "user00@example.org"`) {
		t.Errorf("a taken email = %d %q", code, msg)
	}
	code, body = post(rows, url.Values{"v.email": {"ada@example.com"}, "v.age": {"36"}, "v.vip": {""}})
	doc := parse(t, body)
	if code != 200 || doc.Find(`[data-testid="row-new"]`).Length() != 1 || doc.Find(`[data-testid="cell-vip"]`).Text() != "false" {
		t.Fatalf("an added row = %d %s", code, body)
	}
	rowID, _ := doc.Find(`[data-testid="row"]`).Attr("data-row")
	rowPath := fmt.Sprintf("%s/%s", rows, rowID)

	_, body = web.Get(t, rowPath+"/edit")
	body = "<table><tbody>" + body + "</tbody></table>"
	if v, _ := parse(t, body).Find(`[data-testid="input-age"]`).Attr("value"); v != "36" {
		t.Errorf("the edit form's age = %q", v)
	}
	code, body = post(rowPath, url.Values{"v.email": {"ada@example.com"}, "v.age": {"36"}, "v.vip": {"maybe"}})
	if msg := parse(t, body).Find(`[data-testid="error-vip"]`).Text(); code != 422 || msg != `Column "vip" takes true or false, not "maybe".` {
		t.Errorf("a bad vip = %d %q", code, msg)
	}
	code, body = post(rowPath, url.Values{"v.email": {"ada@example.com"}, "v.age": {""}, "v.vip": {"true"}})
	doc = parse(t, body)
	if code != 200 || doc.Find(`[data-testid="cell-vip"]`).Text() != "true" || doc.Find(`[data-testid="cell-age"]`).Text() != "" {
		t.Errorf("a saved row = %d %s", code, body)
	}
	if code, _ = post(rowPath+"/delete", url.Values{}); code != 200 {
		t.Errorf("delete = %d", code)
	}
	if res, _ := web.Get(t, rowPath); res.StatusCode != 404 {
		t.Errorf("a deleted row = %d", res.StatusCode)
	}
}

// TestTablePageSettings renames a table and changes its columns, asks
// before removing one, and refuses to delete a table a flow uses, naming it.
func TestTablePageSettings(t *testing.T) {
	srv := webtest.Start(t)
	web := srv.SignedIn(t)
	id := tablesFixture(t, srv, 2)
	page := fmt.Sprintf("/tables/%d", id)
	csrf := web.CSRF(t, page)
	tb, _ := srv.Store.Table(context.Background(), id)
	form := func(extra ...string) url.Values {
		f := url.Values{"_csrf": {csrf}, "name": {"Buyers"}, "description": {"people"}}
		for i, c := range tb.Columns {
			f.Set(fmt.Sprintf("columns.%d.id", i), fmt.Sprint(c.ID))
			f.Set(fmt.Sprintf("columns.%d.name", i), c.Name)
		}
		for i := 0; i+1 < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		return f
	}
	flash := func() string {
		_, body := web.Get(t, page)
		doc := parse(t, body)
		return doc.Find(`[data-testid="flash-error"]`).Text() + doc.Find(`[data-testid="flash-success"]`).Text()
	}
	web.PostForm(t, page+"/settings", form("columns.1.remove", "1"))
	if msg := flash(); !strings.Contains(strings.ToLower(msg), `removing column "age" deletes its values in every row`) {
		t.Errorf("removing without confirming = %q", msg)
	}
	web.PostForm(t, page+"/settings", form("columns.1.remove", "1", "confirmRemove", "1", "columns.0.name", "mail", "new.name", "since", "new.type", "datetime"))
	if msg := flash(); msg != "Table Buyers saved." {
		t.Errorf("saving = %q", msg)
	}
	got, _ := srv.Store.Table(context.Background(), id)
	var names []string
	for _, c := range got.Columns {
		names = append(names, c.Name+":"+string(c.Type))
	}
	if got.Name != "Buyers" || strings.Join(names, ",") != "mail:text,vip:boolean,since:datetime" {
		t.Errorf("after saving: %s %v", got.Name, names)
	}

	def, _ := flows.NewDefinition(flows.KindWorkspace, "Dedupe orders")
	def.Cards = append(def.Cards, flows.Node{ID: "c1", Type: "table.create_row", Label: "Remember the order",
		Bindings: map[string]flows.Binding{flows.TableInput: {Value: float64(id)}}})
	if _, err := srv.Store.CreateFlow(context.Background(), flows.Flow{Definition: def}); err != nil {
		t.Fatal(err)
	}
	_, body := web.Get(t, page)
	if used := parse(t, body).Find(`[data-testid="table-used-by"]`).Text(); !strings.Contains(used, "Dedupe orders") {
		t.Errorf("used by = %q", used)
	}
	web.PostForm(t, page+"/delete", url.Values{"_csrf": {csrf}})
	if msg := flash(); msg != `The table "Buyers" is used by flow "Dedupe orders" (card "Remember the order"): change those cards before deleting it.` {
		t.Errorf("deleting a used table = %q", msg)
	}
}

// TestTablePageImport previews a CSV file (its first rows and problems,
// nothing written) and imports all of its rows or, when one is refused
// as it is written, none.
func TestTablePageImport(t *testing.T) {
	srv := webtest.Start(t)
	web := srv.SignedIn(t)
	id := tablesFixture(t, srv, 1)
	page := fmt.Sprintf("/tables/%d", id)
	csrf := web.CSRF(t, page+"/import")
	preview := func(text string) (int, *goquery.Document) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("_csrf", csrf)
		fw, _ := mw.CreateFormFile("file", "rows.csv")
		io.WriteString(fw, text)
		mw.Close()
		res, body := web.Do(t, "POST", page+"/import/preview", &buf, http.Header{"Content-Type": {mw.FormDataContentType()}})
		return res.StatusCode, parse(t, body)
	}
	count := func() int64 {
		tb, _ := srv.Store.Table(context.Background(), id)
		n, _ := srv.Store.CountRows(context.Background(), &tb)
		return n
	}

	code, doc := preview("email,age,colour\nx@example.org,1,red\n")
	if code != 422 || doc.Find(`[data-testid="import-problem"]`).Text() != `Line 1: the table "Customers" has no column "colour".` || doc.Find(`[data-testid="import-confirm"]`).Length() != 0 {
		t.Errorf("an unknown column = %d %q", code, doc.Find(`[data-testid="import-problems"]`).Text())
	}
	code, doc = preview("email,age\na@example.org,1\nb@example.org,two\n")
	if code != 422 || doc.Find(`[data-testid="import-line"]`).Length() != 2 || !strings.Contains(doc.Find(`[data-testid="import-problem"]`).Text(), `Line 3: column "age" takes a number, not "two".`) {
		t.Errorf("a bad value = %d %q", code, doc.Find(`[data-testid="import-preview"]`).Text())
	}
	good := "email,age\na@example.org,1\nb@example.org,2\n"
	code, doc = preview(good)
	if code != 200 || doc.Find(`[data-testid="import-confirm"]`).Text() != "Import 2 rows" {
		t.Fatalf("a good file = %d %q", code, doc.Find(`[data-testid="import-preview"]`).Text())
	}
	if count() != 1 {
		t.Fatalf("a preview wrote rows")
	}
	// A row that the database refuses (a unique value taken) stops them all.
	web.PostForm(t, page+"/import", url.Values{"_csrf": {csrf}, "csv": {"email\nc@example.org\nuser00@example.org\n"}})
	_, body := web.Get(t, page+"/import")
	if msg := parse(t, body).Find(`[data-testid="flash-error"]`).Text(); !strings.HasPrefix(msg, "Nothing was imported. Line 3: the table \"Customers\" already has a row with email") || count() != 1 {
		t.Errorf("a refused import = %q, %d rows", msg, count())
	}
	web.PostForm(t, page+"/import", url.Values{"_csrf": {csrf}, "csv": {good}})
	_, body = web.Get(t, page)
	if msg := parse(t, body).Find(`[data-testid="flash-success"]`).Text(); msg != "Imported 2 rows." || count() != 3 {
		t.Errorf("an import = %q, %d rows", msg, count())
	}
}
