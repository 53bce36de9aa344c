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

	id := webtest.TablesFixture(t, srv, 30)
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
	webtest.APICall(t, srv.NewClient(), srv.Token(t), "POST", fmt.Sprintf("/api/v1/tables/%d/rows", id), `{"email":"late@example.org"}`, 201)
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
	id := webtest.TablesFixture(t, srv, 1)
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
	id := webtest.TablesFixture(t, srv, 2)
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
	res, body := web.Do(t, "POST", page+"/settings", strings.NewReader(form("columns.1.remove", "1", "columns.0.name", "mail").Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	doc := parse(t, body)
	if msg := doc.Find(`[data-testid="settings-problem"]`).Text(); res.StatusCode != 422 || msg != `Removing column "age" deletes its values in every row: confirm to go on.` {
		t.Errorf("removing without confirming = %d %q", res.StatusCode, msg)
	}
	// The form is shown again as it was sent.
	if v, _ := doc.Find(`[data-testid="columns.0.name"]`).Attr("value"); v != "mail" || doc.Find(`[data-testid="column-remove-age"][checked]`).Length() != 1 {
		t.Errorf("the refused form shows %q, age removed %d", v, doc.Find(`[data-testid="column-remove-age"][checked]`).Length())
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
	_, body = web.Get(t, page)
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
	id := webtest.TablesFixture(t, srv, 1)
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

// emailsOf lists the emails of the rows a table's page shows.
func emailsOf(doc *goquery.Document) string {
	var out []string
	doc.Find(`[data-testid="row"] [data-testid="cell-email"]`).Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.Text())
	})
	return strings.Join(out, ",")
}

// TestTablePagePrevious pages forward and back through filtered rows in
// an order: Previous shows the rows just before the page, though rows
// were added and removed meanwhile, and the first page has none.
func TestTablePagePrevious(t *testing.T) {
	srv := webtest.Start(t)
	web := srv.SignedIn(t)
	id := webtest.TablesFixture(t, srv, 30)
	c, token := srv.NewClient(), srv.Token(t)
	open := func(href string) *goquery.Document {
		t.Helper()
		_, body := web.Get(t, href)
		return parse(t, body)
	}
	link := func(doc *goquery.Document, tid string) string {
		t.Helper()
		href, ok := doc.Find(`[data-testid="` + tid + `"]`).Attr("href")
		if !ok {
			t.Fatalf("no %s link on the page", tid)
		}
		return href
	}
	p1 := open(fmt.Sprintf("/tables/%d?where.email.contains=user&sort=age&desc=true&limit=4", id))
	if p1.Find(`[data-testid="page-prev"]`).Length() != 0 || p1.Find(`[data-testid="page-first"]`).Length() != 0 {
		t.Errorf("the first page links back")
	}
	p2 := open(link(p1, "page-next"))
	p3 := open(link(p2, "page-next"))
	if got := emailsOf(p3); got != "user21@example.org,user20@example.org,user19@example.org,user18@example.org" {
		t.Fatalf("page 3 = %s", got)
	}
	if got := emailsOf(open(link(p2, "page-prev"))); got != emailsOf(p1) {
		t.Errorf("back from page 2 = %s, want %s", got, emailsOf(p1))
	}
	// A row of page 2 goes and one comes in its place.
	tb, _ := srv.Store.Table(context.Background(), id)
	page, _ := srv.Store.SearchRows(context.Background(), &tb, flows.RowQuery{Conditions: []flows.Condition{{Column: "email", Op: flows.OpEqual, Value: "user23@example.org"}}, Limit: 1})
	webtest.APICall(t, c, token, "DELETE", fmt.Sprintf("/api/v1/tables/%d/rows/%d", id, page.Rows[0].ID), "", 204)
	webtest.APICall(t, c, token, "POST", fmt.Sprintf("/api/v1/tables/%d/rows", id), `{"email":"user-late@example.org","age":43.5}`, 201)
	back := open(link(p3, "page-prev"))
	if got := emailsOf(back); got != "user25@example.org,user24@example.org,user-late@example.org,user22@example.org" {
		t.Errorf("back from page 3 = %s", got)
	}
	for _, tid := range []string{"page-first", "page-prev", "page-next"} {
		if back.Find(`[data-testid="`+tid+`"]`).Length() != 1 {
			t.Errorf("page 2 has no %s", tid)
		}
	}
	if got := emailsOf(open(link(back, "page-next"))); got != emailsOf(p3) {
		t.Errorf("next again = %s, want %s", got, emailsOf(p3))
	}
}

// TestTablePageUnique sets the unique flag when a table is created, when
// a column is added and in the column settings; turning it on for a
// column holding the same value twice is refused, naming the column, and
// changes nothing.
func TestTablePageUnique(t *testing.T) {
	srv := webtest.Start(t)
	web := srv.SignedIn(t)
	csrf := web.CSRF(t, "/tables")
	web.PostForm(t, "/tables", url.Values{"_csrf": {csrf}, "name": {"Codes"},
		"columns.0.name": {"code"}, "columns.0.type": {"text"}, "columns.0.unique": {"1"},
		"columns.1.name": {"kind"}, "columns.1.type": {"text"}})
	ts, _ := srv.Store.Tables(context.Background())
	if len(ts) != 1 || !ts[0].Columns[0].Unique || ts[0].Columns[1].Unique {
		t.Fatalf("after create: %+v", ts)
	}
	tb := ts[0]
	page := fmt.Sprintf("/tables/%d", tb.ID)
	c, token := srv.NewClient(), srv.Token(t)
	for _, code := range []string{"A1", "B2"} {
		webtest.APICall(t, c, token, "POST", "/api/v1"+page+"/rows", `{"code":"`+code+`","kind":"same"}`, 201)
	}
	_, body := web.Get(t, page)
	doc := parse(t, body)
	if _, on := doc.Find(`[data-testid="columns.0.unique"]`).Attr("checked"); !on || doc.Find(`[data-testid="col-note-code"]`).Text() != "text, unique" {
		t.Errorf("the page does not show code as unique: %q", doc.Find(`[data-testid="col-note-code"]`).Text())
	}
	if _, on := doc.Find(`[data-testid="columns.1.unique"]`).Attr("checked"); on {
		t.Error("kind shows as unique")
	}
	if doc.Find(`[data-testid="new.unique"]`).Length() != 1 {
		t.Error("adding a column offers no unique flag")
	}
	form := func(extra ...string) url.Values {
		f := url.Values{"_csrf": {csrf}, "name": {"Codes"}}
		for i, col := range tb.Columns {
			f.Set(fmt.Sprintf("columns.%d.id", i), fmt.Sprint(col.ID))
			f.Set(fmt.Sprintf("columns.%d.name", i), col.Name)
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
	res, body := web.Do(t, "POST", page+"/settings", strings.NewReader(form("columns.0.unique", "1", "columns.1.unique", "1", "columns.1.name", "sort", "new.name", "ref", "new.type", "text", "new.unique", "1").Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	doc = parse(t, body)
	if msg := doc.Find(`[data-testid="settings-problem"]`).Text(); res.StatusCode != 422 || msg != `Column "kind" has the same value in more than one row: it can be unique once they differ.` {
		t.Errorf("unique over duplicates = %d %q", res.StatusCode, msg)
	}
	if v, _ := doc.Find(`[data-testid="new.name"]`).Attr("value"); v != "ref" || doc.Find(`[data-testid="columns.1.unique"][checked]`).Length() != 1 {
		t.Errorf("the refused form lost what was typed: new column %q", v)
	}
	got, _ := srv.Store.Table(context.Background(), tb.ID)
	n, _ := srv.Store.CountRows(context.Background(), &got)
	if len(got.Columns) != 2 || got.Columns[1].Name != "kind" || got.Columns[1].Unique || n != 2 {
		t.Fatalf("a refused change changed the table: %+v, %d rows", got.Columns, n)
	}
	web.PostForm(t, page+"/settings", form("new.name", "ref", "new.type", "text", "new.unique", "1"))
	if msg := flash(); msg != "Table Codes saved." {
		t.Errorf("saving = %q", msg)
	}
	got, _ = srv.Store.Table(context.Background(), tb.ID)
	var flags []string
	for _, col := range got.Columns {
		flags = append(flags, fmt.Sprintf("%s:%v", col.Name, col.Unique))
	}
	if strings.Join(flags, ",") != "code:false,kind:false,ref:true" {
		t.Errorf("after saving: %v", flags)
	}
	webtest.APICall(t, c, token, "POST", "/api/v1"+page+"/rows", `{"code":"A1","ref":"r1"}`, 201)
	if status, _ := c.API(t, token, "POST", "/api/v1"+page+"/rows", `{"ref":"r1"}`); status != http.StatusConflict {
		t.Errorf("a taken ref = %d", status)
	}
}

// TestTablePageFilters filters each column type with the ways its filter
// can compare.
func TestTablePageFilters(t *testing.T) {
	srv := webtest.Start(t)
	web := srv.SignedIn(t)
	c, token := srv.NewClient(), srv.Token(t)
	tb := webtest.APICall(t, c, token, "POST", "/api/v1/tables", `{"name":"Events","columns":[{"name":"email","type":"text"},
		{"name":"n","type":"number"},{"name":"ok","type":"boolean"},{"name":"at","type":"datetime"}]}`, 201)
	id := int64(tb["id"].(float64))
	for _, r := range []string{
		`{"email":"ann@example.org","n":1,"ok":true,"at":"2026-01-01T00:00:00Z"}`,
		`{"email":"bob@example.org","n":2,"ok":false,"at":"2026-02-01T00:00:00Z"}`,
		`{"email":"annie@example.com","n":3,"at":"2026-03-01T00:00:00Z"}`,
	} {
		webtest.APICall(t, c, token, "POST", fmt.Sprintf("/api/v1/tables/%d/rows", id), r, 201)
	}
	tests := []struct{ name, query, want string }{
		{"text contains", "where.email.contains=ANN", "ann@example.org,annie@example.com"},
		{"text is", "where.email.contains=ann@example.org&op.email=equal", "ann@example.org"},
		{"text starts with", "where.email.contains=bo&op.email=starts_with", "bob@example.org"},
		{"number equal", "where.n=2", "bob@example.org"},
		{"number not equal", "where.n=2&op.n=not_equal", "ann@example.org,annie@example.com"},
		{"number greater", "where.n=1&op.n=greater", "bob@example.org,annie@example.com"},
		{"number at most", "where.n=2&op.n=less_or_equal", "ann@example.org,bob@example.org"},
		{"true/false", "where.ok=false", "bob@example.org"},
		{"date-time at", "where.at=2026-02-01", "bob@example.org"},
		{"date-time before", "where.at=2026-02-01&op.at=less", "ann@example.org"},
		{"date-time at or after", "where.at=2026-02-01T00:00:00Z&op.at=greater_or_equal", "bob@example.org,annie@example.com"},
		{"an operator a type has not is left out", "where.n=2&op.n=starts_with", "bob@example.org"},
		{"an operator without a value is left out", "op.n=greater", "ann@example.org,bob@example.org,annie@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body := web.Get(t, fmt.Sprintf("/tables/%d?%s", id, tt.query))
			doc := parse(t, body)
			if got := emailsOf(doc); got != tt.want || doc.Find(`[data-testid="search-error"]`).Length() != 0 {
				t.Errorf("rows = %s, want %s (%s)", got, tt.want, doc.Find(`[data-testid="search-error"]`).Text())
			}
		})
	}
	_, body := web.Get(t, fmt.Sprintf("/tables/%d?where.n=2&op.n=greater", id))
	doc := parse(t, body)
	if v, _ := doc.Find(`[data-testid="filter-op-n"] option[selected]`).Attr("value"); v != "greater" || doc.Find(`[data-testid="filter-op-ok"]`).Length() != 0 {
		t.Errorf("the chosen operator = %q", v)
	}
}
