package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// searchFlow is a workspace flow whose Search Rows card (no conditions
// yet) returns how many rows it found and the emails of the first.
const searchFlow = `{"schema":1,"kind":"workspace","name":"Find",
 "event":{"id":"event","type":"event.manual","outputs":[{"key":"min","type":"number"}]},
 "cards":[
  {"id":"find","type":"table.search_rows","bindings":{"table":{"value":%d},"sort":{"value":"age"}}},
  {"id":"ret","type":"control.return","inputs":[{"key":"count","type":"number"},{"key":"first","type":"text"}],
   "bindings":{"count":{"ref":{"card":"find","field":"count"}},"first":{"ref":{"card":"find","field":"row","path":"email"}}}}]}`

// peopleTable makes the table People (email, age, member) with four rows.
func peopleTable(t *testing.T, srv *webtest.Server) int {
	t.Helper()
	api, token := srv.NewClient(), srv.Token(t)
	tb := webtest.APICall(t, api, token, "POST", "/api/v1/tables", `{"name":"People","columns":[{"name":"email","type":"text"},{"name":"age","type":"number"},{"name":"member","type":"boolean"}]}`, 201)
	id := int(tb["id"].(float64))
	for _, row := range []string{`{"email":"ann@example.com","age":41,"member":true}`, `{"email":"bob@example.com","age":52}`,
		`{"email":"cy@other.test","age":60}`, `{"email":"dee@example.com","age":20}`} {
		webtest.APICall(t, api, token, "POST", fmt.Sprintf("/api/v1/tables/%d/rows", id), row, 201)
	}
	return id
}

// TestEditorTableCardConditions: Search Rows' conditions are made with
// the card's form: Add condition gives a row on the table's first column;
// a row's column and comparison are set together (the comparisons offered
// fit the column's type); its value takes a typed value or a field mapped
// from an earlier card. The flow saved that way runs over HTTP and finds
// the matching rows; removing a condition moves the next one up, its value
// with it.
func TestEditorTableCardConditions(t *testing.T) {
	srv := webtest.Start(t)
	tableID := peopleTable(t, srv)
	api, token := srv.NewClient(), srv.Token(t)
	f := webtest.APICall(t, api, token, "POST", "/api/v1/flows", fmt.Sprintf(searchFlow, tableID), 201)
	flowID := int64(f["id"].(float64))
	c := srv.SignedIn(t)
	edit := canvasEdit(t, srv, c, fmt.Sprintf("/flows/%d/edit", flowID), flowID)
	card := func() flows.Node {
		got, _ := srv.Store.Flow(context.Background(), flowID)
		return got.Definition.Cards[0]
	}

	_, body := edit(url.Values{"op": {"add_condition"}, "card": {"find"}})
	if parse(t, body).Find(`[data-testid="condition-find-0"]`).Length() != 1 {
		t.Fatalf("Add condition shows no condition row:\n%s", body)
	}
	edit(url.Values{"op": {"add_condition"}, "card": {"find"}})
	status, body := edit(url.Values{"op": {"condition"}, "card": {"find"}, "index": {"0"}, "column": {"age"}, "operator": {"greater"}})
	doc := parse(t, body)
	if status != http.StatusOK || doc.Find(`[data-testid="condition-column-find-0"] option[selected]`).Text() != "age" {
		t.Fatalf("setting condition 1: %d", status)
	}
	if ops := doc.Find(`[data-testid="condition-operator-find-0"]`).Text(); strings.Contains(ops, "contains") || !strings.Contains(ops, "is greater than") {
		t.Errorf("a number column offers %q", ops)
	}
	if doc.Find(`input[type="number"][data-testid="value-find-conditions.0.value"]`).Length() != 1 {
		t.Errorf("condition 1's value is no number box")
	}
	if status, _ = edit(url.Values{"op": {"bind"}, "card": {"find"}, "field": {"conditions.0.value"}, "refCard": {"event"}, "refField": {"min"}}); status != http.StatusOK {
		t.Fatalf("mapping condition 1's value: %d", status)
	}
	edit(url.Values{"op": {"condition"}, "card": {"find"}, "index": {"1"}, "column": {"email"}, "operator": {"contains"}})
	status, body = edit(url.Values{"op": {"bind"}, "card": {"find"}, "field": {"conditions.1.value"}, "value": {"example"}})
	if status != http.StatusOK {
		t.Fatalf("condition 2's value: %d %s", status, body)
	}
	if chip := parse(t, body).Find(`[data-testid="binding-find-conditions.0.value"] .chip`).Text(); !strings.Contains(chip, "min") {
		t.Errorf("condition 1's value shows %q, not the mapped field", chip)
	}
	n := card()
	conds, _ := n.Bindings["conditions"].Value.([]any)
	if fmt.Sprint(conds) != "[map[column:age operator:greater] map[column:email operator:contains]]" ||
		n.Bindings["conditions.0.value"].Ref == nil || n.Bindings["conditions.1.value"].Value != "example" {
		t.Fatalf("stored conditions %v, bindings %v", conds, n.Bindings)
	}

	runs := fmt.Sprintf("/api/v1/flows/%d/runs", flowID)
	x := webtest.APICall(t, api, token, "POST", runs, `{"input":{"min":30}}`, 200)
	if out, _ := x["output"].(map[string]any); x["status"] != "succeeded" || out["count"] != 2.0 || out["first"] != "ann@example.com" {
		t.Errorf("run with min 30 = %v", x)
	}
	x = webtest.APICall(t, api, token, "POST", runs, `{"input":{"min":45}}`, 200)
	if out, _ := x["output"].(map[string]any); out["count"] != 1.0 || out["first"] != "bob@example.com" {
		t.Errorf("run with min 45 = %v", x)
	}

	// The comparison a column does not take is refused; is empty drops the value.
	if status, _ = edit(url.Values{"op": {"condition"}, "card": {"find"}, "index": {"0"}, "column": {"age"}, "operator": {"contains"}}); status != http.StatusUnprocessableEntity {
		t.Errorf("contains on a number: %d", status)
	}
	_, body = edit(url.Values{"op": {"remove_condition"}, "card": {"find"}, "index": {"0"}})
	n = card()
	if conds, _ := n.Bindings["conditions"].Value.([]any); len(conds) != 1 || n.Bindings["conditions.0.value"].Value != "example" || len(n.Inputs) != 1 {
		t.Errorf("after removing condition 1: %v %v", n.Bindings, n.Inputs)
	}
	if got := parse(t, body).Find(`[data-testid="condition-column-find-0"] option[selected]`).Text(); got != "email" {
		t.Errorf("condition 1 is now on %q", got)
	}
	_, body = edit(url.Values{"op": {"condition"}, "card": {"find"}, "index": {"0"}, "column": {"email"}, "operator": {"is_empty"}})
	if _, bound := card().Bindings["conditions.0.value"]; bound || parse(t, body).Find(`[data-testid="in-find-conditions.0.value"]`).Length() != 0 {
		t.Errorf("is empty keeps a value")
	}
}

// TestTableCardConditionProblems: a Search Rows condition naming a column
// its table does not have, comparing a column in a way its type does not
// take, or with a value of the wrong type, is refused when the flow is
// saved through the API and shows on its card in the builder, naming the
// condition.
func TestTableCardConditionProblems(t *testing.T) {
	srv := webtest.Start(t)
	tableID := peopleTable(t, srv)
	api, token := srv.NewClient(), srv.Token(t)
	f := webtest.APICall(t, api, token, "POST", "/api/v1/flows", fmt.Sprintf(searchFlow, tableID), 201)
	flowID := int64(f["id"].(float64))
	c := srv.SignedIn(t)
	cases := []struct {
		name, column, operator string
		value                  any
		field, want            string
	}{
		{"unknown column", "years", "greater", 3.0, "column", `condition 2 names the column "years", which table "People" does not have`},
		{"operator not for the type", "age", "starts_with", "4", "operator", `condition 2: column "age" holds a number: starts_with works on text columns only`},
		{"true or false compared", "member", "less", true, "operator", `condition 2: column "member" holds true or false: compare it with equal or not_equal`},
		{"value of the wrong type", "age", "less", "young", "value", `condition 2: column "age" takes a number, not "young"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conds := []any{map[string]any{"column": "email", "operator": "contains"}, map[string]any{"column": tc.column, "operator": tc.operator}}
			find := flows.Node{ID: "find", Type: flows.TableSearch, Bindings: map[string]flows.Binding{"table": {Value: float64(tableID)},
				"conditions": {Value: conds}, "conditions.0.value": {Value: "example"}, "conditions.1.value": {Value: tc.value}},
				Inputs: []flows.Field{{Key: "conditions.0.value", Type: flows.TypeText}, {Key: "conditions.1.value", Type: flows.TypeAny}}}
			def := flows.Definition{Schema: 1, Kind: flows.KindWorkspace, Name: "Find", Event: flows.Node{ID: "event", Type: flows.EventManual}, Cards: []flows.Node{find}}

			body := fmt.Sprintf(`{"schema":1,"kind":"workspace","name":"Find","event":{"id":"event","type":"event.manual"},"cards":[%s]}`, string(must(json.Marshal(find))))
			if msg := errorMessage(webtest.APICall(t, api, token, "POST", "/api/v1/flows", body, 422)); !strings.Contains(msg, `card "find": `+tc.want) {
				t.Errorf("saving through the API: %q, want %q", msg, tc.want)
			}

			saved, err := srv.Store.Flow(context.Background(), flowID)
			if err != nil {
				t.Fatal(err)
			}
			saved.Definition = def
			if _, err := srv.Store.UpdateFlow(context.Background(), saved); err != nil {
				t.Fatal(err)
			}
			_, page := c.Get(t, fmt.Sprintf("/flows/%d", flowID))
			if got := parse(t, page).Find(`[data-testid="problem-find-conditions.1.` + tc.field + `"]`).Text(); !strings.Contains(got, tc.want) {
				t.Errorf("on the card: %q, want %q", got, tc.want)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
