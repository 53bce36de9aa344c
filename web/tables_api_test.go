package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

// errorMessage is the message of an API error answer.
func errorMessage(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

// TestAPITables creates, shows, changes and deletes a table, and writes,
// reads, searches (text, filters, pages) and deletes its rows through
// the API, with errors in plain words naming the column and value.
func TestAPITables(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)

	bad := webtest.APICall(t, c, token, "POST", "/api/v1/tables", `{"name":"Customers","columns":[{"name":"age","type":"number","default":"old"},{"name":"id","type":"text"}]}`, 422)
	if msg := errorMessage(bad); !strings.Contains(msg, `column "age" takes a number, not "old"`) {
		t.Errorf("a bad default = %q", msg)
	}
	if probs, _ := bad["error"].(map[string]any)["problems"].([]any); len(probs) != 2 {
		t.Errorf("problems = %v, want 2", probs)
	}
	tb := webtest.APICall(t, c, token, "POST", "/api/v1/tables", `{"name":"Customers","description":"who buys",
		"columns":[{"name":"email","type":"text","unique":true},{"name":"age","type":"number"},{"name":"vip","type":"boolean","default":false}]}`, 201)
	id := int64(tb["id"].(float64))
	base := fmt.Sprintf("/api/v1/tables/%d", id)
	if msg := errorMessage(webtest.APICall(t, c, token, "POST", "/api/v1/tables", `{"name":"customers"}`, 409)); msg != `A table named "customers" exists already` {
		t.Errorf("a taken name = %q", msg)
	}
	list := webtest.APICall(t, c, token, "GET", "/api/v1/tables", "", 200)
	if ts := list["tables"].([]any); len(ts) != 1 {
		t.Errorf("list = %v", list)
	}

	ada := webtest.APICall(t, c, token, "POST", base+"/rows", `{"email":"ada@example.com","age":36}`, 201)
	if ada["vip"] != false || ada["age"] != 36.0 || ada["id"] == nil || ada["createdAt"] == nil {
		t.Errorf("created row = %v", ada)
	}
	adaURL := fmt.Sprintf("%s/rows/%d", base, int64(ada["id"].(float64)))
	if msg := errorMessage(webtest.APICall(t, c, token, "POST", base+"/rows", `{"email":"ada@example.com"}`, 409)); msg != `The table "Customers" already has a row with email "ada@example.com", and that column is unique.` {
		t.Errorf("a duplicate email = %q", msg)
	}
	if msg := errorMessage(webtest.APICall(t, c, token, "POST", base+"/rows", `{"email":"x@example.com","age":"many","colour":"red"}`, 422)); !strings.Contains(msg, `The row is not valid: column "age" takes a number, not "many"`) {
		t.Errorf("a bad row = %q", msg)
	}
	for i := range 5 {
		webtest.APICall(t, c, token, "POST", base+"/rows", fmt.Sprintf(`{"email":"user%d@example.org","age":%d}`, i, 20+i), 201)
	}
	up := webtest.APICall(t, c, token, "PATCH", adaURL, `{"vip":true}`, 200)
	if up["vip"] != true || up["email"] != "ada@example.com" || up["age"] != 36.0 {
		t.Errorf("updated row = %v", up)
	}
	if got := webtest.APICall(t, c, token, "GET", adaURL, "", 200); got["vip"] != true {
		t.Errorf("read row = %v", got)
	}

	rows := func(query string) (emails []string, next string) {
		t.Helper()
		page := webtest.APICall(t, c, token, "GET", base+"/rows?"+query, "", 200)
		for _, r := range page["rows"].([]any) {
			emails = append(emails, r.(map[string]any)["email"].(string))
		}
		if n, _ := page["next"].(string); n != "" {
			next = n
		}
		if int(page["count"].(float64)) != len(emails) {
			t.Errorf("count %v for %d rows", page["count"], len(emails))
		}
		return emails, next
	}
	if got, _ := rows("q=EXAMPLE.ORG&where.age.greater=22"); strings.Join(got, ",") != "user3@example.org,user4@example.org" {
		t.Errorf("q and a filter = %v", got)
	}
	if got, _ := rows("where.vip=true"); strings.Join(got, ",") != "ada@example.com" {
		t.Errorf("where.vip=true = %v", got)
	}
	var all []string
	q := "sort=age&desc=true&limit=4"
	for range 5 {
		got, next := rows(q)
		all = append(all, got...)
		if next == "" {
			break
		}
		q = "sort=age&desc=true&limit=4&cursor=" + url.QueryEscape(next)
	}
	if strings.Join(all, ",") != "ada@example.com,user4@example.org,user3@example.org,user2@example.org,user1@example.org,user0@example.org" {
		t.Errorf("pages by age, descending = %v", all)
	}
	// The last page's prev goes back to the rows just before it.
	last := webtest.APICall(t, c, token, "GET", base+"/rows?"+q, "", 200)
	prev, _ := last["prev"].(string)
	if got, _ := rows("sort=age&desc=true&limit=4&cursor=" + url.QueryEscape(prev)); strings.Join(got, ",") != "ada@example.com,user4@example.org,user3@example.org,user2@example.org" {
		t.Errorf("back from the last page = %v", got)
	}
	if msg := errorMessage(webtest.APICall(t, c, token, "GET", base+"/rows?where.colour=red", "", 422)); !strings.Contains(msg, "where.colour names no column") {
		t.Errorf("an unknown filter = %q", msg)
	}
	if msg := errorMessage(webtest.APICall(t, c, token, "GET", base+"/rows?where.age.contains=3", "", 422)); !strings.Contains(msg, `column "age" holds a number: contains works on text columns only`) {
		t.Errorf("contains on a number = %q", msg)
	}

	// Rename the table and a column, add one; removing one asks first.
	cols := tb["columns"].([]any)
	emailID, ageID := cols[0].(map[string]any)["id"], cols[1].(map[string]any)["id"]
	patch := fmt.Sprintf(`{"name":"Clients","columns":[{"id":%v,"name":"mail","type":"text","unique":true},{"id":%v,"name":"age","type":"number"},{"name":"city","type":"text"}]%%s}`, emailID, ageID)
	if msg := errorMessage(webtest.APICall(t, c, token, "PATCH", base, fmt.Sprintf(patch, ""), 422)); !strings.Contains(msg, `removing column "vip" deletes its values in every row: confirm to go on`) {
		t.Errorf("removing without confirming = %q", msg)
	}
	changed := webtest.APICall(t, c, token, "PATCH", base, fmt.Sprintf(patch, `,"confirmRemove":true`), 200)
	if changed["name"] != "Clients" || len(changed["columns"].([]any)) != 3 {
		t.Errorf("changed = %v", changed)
	}
	if got := webtest.APICall(t, c, token, "GET", adaURL, "", 200); got["mail"] != "ada@example.com" || got["city"] != nil || got["vip"] != nil {
		t.Errorf("row after the change = %v", got)
	}
	show := webtest.APICall(t, c, token, "GET", base, "", 200)
	if show["rows"] != 6.0 {
		t.Errorf("show = %v", show)
	}

	webtest.APICall(t, c, token, "DELETE", adaURL, "", 204)
	webtest.APICall(t, c, token, "DELETE", adaURL, "", 404)
	webtest.APICall(t, c, token, "GET", adaURL, "", 404)
	webtest.APICall(t, c, token, "GET", "/api/v1/tables/999/rows", "", 404)
	if cleared := webtest.APICall(t, c, token, "DELETE", base+"/rows", "", 200); cleared["deleted"] != 5.0 {
		t.Errorf("clear = %v", cleared)
	}
	webtest.APICall(t, c, token, "DELETE", base, "", 204)
	webtest.APICall(t, c, token, "GET", base, "", 404)
}

// TestAPIDeleteTableInUse refuses to delete a table a flow's card refers
// to, naming the flow and the card; GET shows who uses it.
func TestAPIDeleteTableInUse(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	tb := webtest.APICall(t, c, token, "POST", "/api/v1/tables", `{"name":"Seen","columns":[{"name":"key","type":"text","unique":true}]}`, 201)
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Dedupe orders")
	def.Cards = append(def.Cards, flows.Node{ID: "c1", Type: "table.create_row", Label: "Remember the order",
		Bindings: map[string]flows.Binding{flows.TableInput: {Value: tb["id"]}}})
	f, err := srv.Store.CreateFlow(context.Background(), flows.Flow{Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/api/v1/tables/%v", tb["id"])
	msg := errorMessage(webtest.APICall(t, c, token, "DELETE", base, "", 409))
	if msg != `The table "Seen" is used by flow "Dedupe orders" (card "Remember the order"): change those cards before deleting it.` {
		t.Errorf("delete in use = %q", msg)
	}
	show := webtest.APICall(t, c, token, "GET", base, "", 200)
	if used := show["usedBy"].([]any); len(used) != 1 || used[0].(map[string]any)["flowId"] != float64(f.ID) {
		t.Errorf("usedBy = %v", show["usedBy"])
	}
}

// TestAPITableCSV imports a CSV file with bad rows (nothing is written,
// each problem names its line, column and value), one with a duplicate
// unique value (nothing is written), then a good one; exports it and
// imports the export into a table of the same columns: the same rows.
func TestAPITableCSV(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			srv := webtest.StartWith(t, webtest.Options{DatabaseURL: db.URL(t)})
			c, token := srv.NewClient(), srv.Token(t)
			schema := `"columns":[{"name":"sku","type":"text","unique":true},{"name":"price","type":"number"},{"name":"in stock","type":"boolean","default":true},{"name":"added","type":"datetime"},{"name":"note","type":"text"}]}`
			a := webtest.APICall(t, c, token, "POST", "/api/v1/tables", `{"name":"Products",`+schema, 201)
			b := webtest.APICall(t, c, token, "POST", "/api/v1/tables", `{"name":"Products copy",`+schema, 201)
			aURL, bURL := fmt.Sprintf("/api/v1/tables/%v", a["id"]), fmt.Sprintf("/api/v1/tables/%v", b["id"])
			send := func(path, body string) (int, map[string]any) {
				res, text := c.Do(t, "POST", path+"/csv", strings.NewReader(body), http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"text/csv"}, "Accept": {"application/json"}})
				var out map[string]any
				json.Unmarshal([]byte(text), &out)
				return res.StatusCode, out
			}
			status, out := send(aURL, "sku,price,added\nA1,9.5,2026-01-02\nA2,cheap,2026-01-03\nA3,3,someday\n")
			if msg := errorMessage(out); status != 422 || !strings.Contains(msg, `The CSV file is not valid: line 3: column "price" takes a number, not "cheap"`) ||
				len(out["error"].(map[string]any)["problems"].([]any)) != 2 {
				t.Errorf("bad rows = %d %v", status, out)
			}
			status, out = send(aURL, "sku,price\nA1,1\nA2,2\nA1,3\n")
			if msg := errorMessage(out); status != 409 || msg != `Line 4: the table "Products" already has a row with sku "A1", and that column is unique.` {
				t.Errorf("a duplicate sku = %d %q", status, msg)
			}
			if status, out = send(aURL, "colour\nred\n"); status != 422 || !strings.Contains(errorMessage(out), `line 1: the table "Products" has no column "colour"`) {
				t.Errorf("an unknown column = %d %v", status, out)
			}
			if n := webtest.APICall(t, c, token, "GET", aURL, "", 200)["rows"]; n != 0.0 {
				t.Fatalf("%v rows after refused imports, want 0", n)
			}
			good := "sku,note,price,added\n" +
				"A1,\"plain, with a comma\",9.5,2026-01-02T10:00:00Z\n" +
				"A2,\"two\nlines and \"\"quotes\"\"\",,\n" +
				"A3,,0.1,2026-03-04T05:06:07.008+02:00\n"
			if status, out = send(aURL, good); status != 200 || out["imported"] != 3.0 {
				t.Fatalf("import = %d %v", status, out)
			}
			export := func(path string) [][]string {
				res, text := c.Do(t, "GET", path+"/csv", nil, http.Header{"Authorization": {"Bearer " + token}})
				if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
					t.Fatalf("export = %d %s", res.StatusCode, text)
				}
				recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				return recs
			}
			first := export(aURL)
			want := [][]string{
				{"id", "sku", "price", "in stock", "added", "note", "createdAt", "updatedAt"},
				{"1", "A1", "9.5", "true", "2026-01-02T10:00:00Z", "plain, with a comma"},
				{"2", "A2", "", "true", "", "two\nlines and \"quotes\""},
				{"3", "A3", "0.1", "true", "2026-03-04T03:06:07.008Z", ""},
			}
			if len(first) != 4 || strings.Join(first[0], "|") != strings.Join(want[0], "|") {
				t.Fatalf("export = %q", first)
			}
			for i := 1; i < 4; i++ {
				if got := strings.Join(first[i][1:6], "|"); got != strings.Join(want[i][1:6], "|") {
					t.Errorf("exported row %d = %q, want %q", i, first[i][1:6], want[i][1:6])
				}
			}
			var sb strings.Builder
			w := csv.NewWriter(&sb)
			w.WriteAll(first)
			if status, out = send(bURL, sb.String()); status != 200 || out["imported"] != 3.0 {
				t.Fatalf("import of the export = %d %v", status, out)
			}
			second := export(bURL)
			for i := 1; i < 4; i++ {
				if strings.Join(second[i][1:6], "|") != strings.Join(first[i][1:6], "|") {
					t.Errorf("round trip row %d = %q, want %q", i, second[i][1:6], first[i][1:6])
				}
			}
		})
	}
}

// TestAPIFlowExportWithTables exports a flow whose card uses a table as a
// bundle with the table (its rows with rows=true), and imports a bundle:
// the flow and a new table, its rows in it.
func TestAPIFlowExportWithTables(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	tb := webtest.APICall(t, c, token, "POST", "/api/v1/tables", `{"name":"Seen","columns":[{"name":"key","type":"text","unique":true}]}`, 201)
	webtest.APICall(t, c, token, "POST", fmt.Sprintf("/api/v1/tables/%v/rows", tb["id"]), `{"key":"k1"}`, 201)
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Dedupe")
	def.Cards = append(def.Cards, flows.Node{ID: "c1", Type: "table.create_row", Bindings: map[string]flows.Binding{flows.TableInput: {Value: tb["id"]}}})
	f, err := srv.Store.CreateFlow(context.Background(), flows.Flow{Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	_, plain := c.API(t, token, "GET", fmt.Sprintf("/api/v1/flows/%d/export", f.ID), "")
	if !strings.Contains(plain, `"flow": {`) || !strings.Contains(plain, `"name": "Seen"`) || strings.Contains(plain, `"rows"`) {
		t.Errorf("export = %s", plain)
	}
	_, withRows := c.API(t, token, "GET", fmt.Sprintf("/api/v1/flows/%d/export?rows=true", f.ID), "")
	if !strings.Contains(withRows, `"key": "k1"`) {
		t.Errorf("export with rows = %s", withRows)
	}

	bundle := `{"schema":1,"flow":` + greeter + `,"tables":[{"id":41,"name":"Seen","columns":[{"name":"key","type":"text"}],"rows":[{"key":"a"},{"key":"b"}]}]}`
	out := webtest.APICall(t, c, token, "POST", "/api/v1/flows", bundle, 201)
	made := out["tables"].([]any)
	if len(made) != 1 || made[0].(map[string]any)["name"] != "Seen (2)" {
		t.Fatalf("import made %v", out["tables"])
	}
	page := webtest.APICall(t, c, token, "GET", fmt.Sprintf("/api/v1/tables/%v/rows", made[0].(map[string]any)["id"]), "", 200)
	if page["count"] != 2.0 {
		t.Errorf("imported rows = %v", page)
	}
}

// TestAPITableCSVForm imports a CSV file sent as a form's file field.
func TestAPITableCSVForm(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	tb := webtest.APICall(t, c, token, "POST", "/api/v1/tables", `{"name":"Codes","columns":[{"name":"code","type":"text"}]}`, 201)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "codes.csv")
	fw.Write([]byte("code\nA\nB\n"))
	mw.Close()
	res, text := c.Do(t, "POST", fmt.Sprintf("/api/v1/tables/%v/csv", tb["id"]), &body,
		http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {mw.FormDataContentType()}, "Accept": {"application/json"}})
	if res.StatusCode != 200 || !strings.Contains(text, `"imported":2`) {
		t.Errorf("form import = %d %s", res.StatusCode, text)
	}
}
