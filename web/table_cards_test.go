package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// tableFlow is a workspace flow that adds a row of its inputs to a table
// and returns the rows older than min, oldest first.
const tableFlow = `{"schema":1,"kind":"workspace","name":"Sign-ups",
 "event":{"id":"event","type":"event.manual","outputs":[{"key":"email","type":"text"},{"key":"age","type":"number"},{"key":"min","type":"number"}]},
 "cards":[
  {"id":"add","type":"table.create_row","inputs":[{"key":"email","type":"text"},{"key":"age","type":"number"}],
   "bindings":{"table":{"value":%[1]d},"email":{"ref":{"card":"event","field":"email"}},"age":{"ref":{"card":"event","field":"age"}}}},
  {"id":"find","type":"table.search_rows","bindings":{"table":{"value":%[1]d},"sort":{"value":"age"},"descending":{"value":true},
   "conditions":{"value":[{"column":"age","operator":"greater","value":30},{"column":"email","operator":"contains","value":"example"}]}}},
  {"id":"ret","type":"control.return","inputs":[{"key":"id","type":"number"},{"key":"count","type":"number"},{"key":"oldest","type":"text"}],
   "bindings":{"id":{"ref":{"card":"add","field":"id"}},"count":{"ref":{"card":"find","field":"count"}},
    "oldest":{"ref":{"card":"find","field":"row","path":"email"}}}}]}`

// TestAPITableCardsFlow: a workspace flow writes rows with Create Row and
// finds them with Search Rows, run over HTTP; a second run with a taken
// unique value fails at Create Row naming the column, value and table;
// a flow naming a table that does not exist, or a column its table does
// not have, is refused with the card and the table named.
func TestAPITableCardsFlow(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	tb := webtest.APICall(t, c, token, "POST", "/api/v1/tables", `{"name":"Sign-ups","columns":[{"name":"email","type":"text","unique":true},{"name":"age","type":"number"}]}`, 201)
	id := int(tb["id"].(float64))
	f := webtest.APICall(t, c, token, "POST", "/api/v1/flows", fmt.Sprintf(tableFlow, id), 201)
	runs := fmt.Sprintf("/api/v1/flows/%d/runs", int(f["id"].(float64)))

	var x map[string]any
	for _, in := range []string{`{"email":"ann@example.com","age":41}`, `{"email":"bob@example.com","age":52}`, `{"email":"cy@example.com","age":20}`} {
		x = webtest.APICall(t, c, token, "POST", runs, `{"input":`+in+`}`, 200)
		if x["status"] != "succeeded" {
			t.Fatalf("run %s = %v", in, x)
		}
	}
	out, _ := x["output"].(map[string]any)
	if out["count"] != 2.0 || out["oldest"] != "bob@example.com" || out["id"] != 3.0 {
		t.Errorf("third run's output = %v, want 2 rows over 30, bob the oldest, row 3 added", out)
	}
	x = webtest.APICall(t, c, token, "POST", runs, `{"input":{"email":"ann@example.com","age":1}}`, 200)
	if msg, _ := x["error"].(string); x["status"] != "failed" || x["errorCard"] != "add" ||
		!strings.Contains(msg, `the value "ann@example.com" of column "email" is already in table "Sign-ups"`) {
		t.Errorf("a taken email = %v %v %q", x["status"], x["errorCard"], msg)
	}

	missing := strings.ReplaceAll(tableFlow, `"value":%[1]d`, `"value":9999`)
	if msg := errorMessage(webtest.APICall(t, c, token, "POST", "/api/v1/flows", missing, 422)); !strings.Contains(msg, `card "add" refers to table 9999, which does not exist`) {
		t.Errorf("a flow naming a missing table = %q", msg)
	}
	unknown := strings.Replace(fmt.Sprintf(tableFlow, id), `{"key":"age","type":"number"}]`, `{"key":"years","type":"number"}]`, 1)
	unknown = strings.Replace(unknown, `"age":{"ref"`, `"years":{"ref"`, 1)
	if msg := errorMessage(webtest.APICall(t, c, token, "POST", "/api/v1/flows", unknown, 422)); !strings.Contains(msg, `card "add" names the column "years", which table "Sign-ups" does not have`) {
		t.Errorf("a flow naming an unknown column = %q", msg)
	}
}

// TestEditorTableCard: the palette has the Tables cards; a Create Row
// card placed on the canvas offers the tables by name, and once one is
// chosen shows an input per column, typed as the column, which takes a
// value; choosing another table gives that table's columns instead.
func TestEditorTableCard(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.SignedIn(t), srv.Token(t)
	api := srv.NewClient()
	people := webtest.APICall(t, api, token, "POST", "/api/v1/tables", `{"name":"People","columns":[{"name":"email","type":"text"},{"name":"age","type":"number"}]}`, 201)
	notes := webtest.APICall(t, api, token, "POST", "/api/v1/tables", `{"name":"Notes","columns":[{"name":"body","type":"text"}]}`, 201)
	if res, _ := webtest.PostConnectorForm(t, c, "/flows", url.Values{"name": {"Sign-ups"}, "event": {"manual"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	fs, _ := srv.Store.Flows(context.Background(), 0)
	f := fs[0]
	_, page := c.Get(t, fmt.Sprintf("/flows/%d", f.ID))
	if parse(t, page).Find(`[data-testid="palette"]`).Text() == "" || !strings.Contains(parse(t, page).Find(`[data-testid="palette"]`).Text(), "Create Row") {
		t.Error("the palette has no Create Row card")
	}
	edit := canvasEdit(t, srv, c, fmt.Sprintf("/flows/%d/edit", f.ID), f.ID)
	status, body := edit(url.Values{"op": {"add"}, "type": {flows.TableCreateRow}, "index": {"0"}})
	if status != http.StatusOK {
		t.Fatalf("add: %d %s", status, body)
	}
	saved := func() flows.Node {
		got, _ := srv.Store.Flow(context.Background(), f.ID)
		return got.Definition.Cards[0]
	}
	id := saved().ID
	sel := parse(t, body).Find(fmt.Sprintf(`select[data-testid="value-%s-table"] option`, id))
	if sel.Length() != 3 || !strings.Contains(sel.Text(), "People") || !strings.Contains(sel.Text(), "Notes") {
		t.Fatalf("the table input offers %q", sel.Text())
	}
	status, body = edit(url.Values{"op": {"bind"}, "card": {id}, "field": {"table"}, "value": {fmt.Sprint(people["id"])}})
	doc := parse(t, body)
	if status != http.StatusOK || doc.Find(fmt.Sprintf(`[data-testid="in-%s-email"]`, id)).Length() != 1 ||
		doc.Find(fmt.Sprintf(`[data-testid="in-%s-age"][data-type="number"]`, id)).Length() != 1 {
		t.Fatalf("after choosing People: %d, no email and age inputs", status)
	}
	if got := doc.Find(fmt.Sprintf(`select[data-testid="value-%s-table"] option[selected]`, id)).Text(); got != "People" {
		t.Errorf("the chosen table shows as %q", got)
	}
	if status, _ = edit(url.Values{"op": {"bind"}, "card": {id}, "field": {"age"}, "value": {"42"}}); status != http.StatusOK || saved().Bindings["age"].Value != 42.0 {
		t.Fatalf("age: %d %v", status, saved().Bindings)
	}
	// An input naming no column of the table shows as a problem on the card.
	status, body = edit(url.Values{"op": {"add_field"}, "card": {id}, "key": {"colour"}, "type": {"text"}})
	if got := parse(t, body).Find(fmt.Sprintf(`[data-testid="problem-%s-colour"]`, id)).Text(); status != http.StatusOK ||
		!strings.Contains(got, `names the column "colour", which table "People" does not have`) {
		t.Errorf("an unknown column: %d %q", status, got)
	}
	edit(url.Values{"op": {"bind"}, "card": {id}, "field": {"table"}, "value": {fmt.Sprint(notes["id"])}})

	// Search Rows' sort offers the chosen table's columns.
	status, body = edit(url.Values{"op": {"add"}, "type": {flows.TableSearch}, "index": {"1"}})
	if status != http.StatusOK {
		t.Fatalf("add Search Rows: %d", status)
	}
	got, _ := srv.Store.Flow(context.Background(), f.ID)
	sid := got.Definition.Cards[1].ID
	_, body = edit(url.Values{"op": {"bind"}, "card": {sid}, "field": {"table"}, "value": {fmt.Sprint(people["id"])}})
	if opts := parse(t, body).Find(fmt.Sprintf(`select[data-testid="value-%s-sort"] option`, sid)); opts.Length() != 3 || opts.Eq(2).AttrOr("value", "") != "age" {
		t.Errorf("the sort offers %q", opts.Text())
	}
	n := saved()
	if len(n.Inputs) != 1 || n.Inputs[0].Key != "body" || n.Bindings["age"].Value != nil {
		t.Errorf("after choosing Notes: inputs %v, bindings %v", n.Inputs, n.Bindings)
	}
}
