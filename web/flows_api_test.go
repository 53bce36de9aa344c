package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

const greeter = `{"schema":1,"kind":"workspace","name":"Greeter",
 "event":{"id":"event","type":"event.manual","outputs":[{"key":"name","type":"text","required":true}]},
 "cards":[
  {"id":"up","type":"text.upper","bindings":{"text":{"ref":{"card":"event","field":"name"}}}},
  {"id":"ret","type":"control.return","inputs":[{"key":"greeting","type":"text"}],
   "bindings":{"greeting":{"parts":[{"text":"Hello, "},{"ref":{"card":"up","field":"output"}}]}}}]}`

func TestAPIFlowsCreateShowRun(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)

	status, body := c.API(t, token, http.MethodPost, "/api/v1/flows", greeter)
	if status != http.StatusCreated {
		t.Fatalf("create = %d %s", status, body)
	}
	var created struct {
		ID         int64
		Revision   int
		Definition flows.Definition
	}
	json.Unmarshal([]byte(body), &created)
	if created.ID == 0 || created.Revision != 1 || created.Definition.Name != "Greeter" {
		t.Fatalf("created %s", body)
	}

	status, body = c.API(t, token, http.MethodGet, fmt.Sprintf("/api/v1/flows/%d", created.ID), "")
	if status != http.StatusOK || !strings.Contains(body, `"name":"Greeter"`) {
		t.Fatalf("show = %d %s", status, body)
	}

	// Export, import the export, export again: the same bytes.
	_, exported := c.API(t, token, http.MethodGet, fmt.Sprintf("/api/v1/flows/%d/export", created.ID), "")
	status, body = c.API(t, token, http.MethodPost, "/api/v1/flows", exported)
	var again struct{ ID int64 }
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &again) != nil {
		t.Fatalf("import of an export = %d %s", status, body)
	}
	if _, reexported := c.API(t, token, http.MethodGet, fmt.Sprintf("/api/v1/flows/%d/export", again.ID), ""); reexported != exported {
		t.Fatalf("export of the import differs:\n%s\n%s", exported, reexported)
	}

	status, body = c.API(t, token, http.MethodPost, fmt.Sprintf("/api/v1/flows/%d/runs", created.ID), `{"input":{"name":"ada"}}`)
	var exec flows.Execution
	if status != http.StatusOK || json.Unmarshal([]byte(body), &exec) != nil {
		t.Fatalf("run = %d %s", status, body)
	}
	if exec.Status != flows.StatusSucceeded || exec.Output["greeting"] != "Hello, ADA" || exec.Trigger != flows.TriggerAPI || len(exec.Steps) != 3 {
		t.Fatalf("execution = %+v", exec)
	}
	if exec.Steps[1].CardID != "up" || exec.Steps[1].Inputs["text"] != "ada" || exec.Steps[1].Outputs["output"] != "ADA" {
		t.Fatalf("step = %+v", exec.Steps[1])
	}

	// The execution was recorded, card by card.
	status, body = c.API(t, token, http.MethodGet, "/api/v1/executions/"+exec.ID, "")
	var stored flows.Execution
	if status != http.StatusOK || json.Unmarshal([]byte(body), &stored) != nil || stored.Output["greeting"] != "Hello, ADA" || len(stored.Steps) != 3 {
		t.Fatalf("stored execution = %d %s", status, body)
	}

	// A run whose input does not fit fails, and says which input.
	status, body = c.API(t, token, http.MethodPost, fmt.Sprintf("/api/v1/flows/%d/runs", created.ID), `{"input":{}}`)
	if status != http.StatusOK || !strings.Contains(body, `"status":"failed"`) || !strings.Contains(body, `input \"name\" is required`) {
		t.Fatalf("run without input = %d %s", status, body)
	}
}

func TestAPIFlowsRefuseBadInput(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	invalid := strings.Replace(greeter, `"text":{"ref":{"card":"event","field":"name"}}`, `"text":{"ref":{"card":"ret","field":"greeting"}}`, 1)
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"reference to a later card", http.MethodPost, "/api/v1/flows", invalid, 422, `"problems":[{"card":"up","field":"text","code":"bad_ref"`},
		{"not JSON", http.MethodPost, "/api/v1/flows", `{"schema":`, 422, `"message":"`},
		{"unknown field", http.MethodPost, "/api/v1/flows", strings.Replace(greeter, `"name":"Greeter"`, `"name":"Greeter","owner":"me"`, 1), 422, `unknown field`},
		{"connector flow kind", http.MethodPost, "/api/v1/flows", strings.Replace(greeter, `"kind":"workspace"`, `"kind":"helper"`, 1), 422, "workspace flows"},
		{"unknown flow", http.MethodGet, "/api/v1/flows/999", "", 404, `"status":404`},
		{"run unknown flow", http.MethodPost, "/api/v1/flows/999/runs", `{}`, 404, `"status":404`},
		{"run with a body that is not an object", http.MethodPost, "/api/v1/flows/1/runs", `[1]`, 422, "JSON object"},
		{"unknown execution", http.MethodGet, "/api/v1/executions/nope", "", 404, `"status":404`},
	}
	// Flow 1 exists for the run case.
	if status, body := c.API(t, token, http.MethodPost, "/api/v1/flows", greeter); status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := c.API(t, token, tt.method, tt.path, tt.body)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("%d %s; want %d containing %s", status, body, tt.status, tt.want)
			}
		})
	}
	if n, _ := srv.Store.CountFlows(t.Context()); n != 1 {
		t.Fatalf("refused requests stored flows: %d", n)
	}
}

func TestAPIRunCallsSavedHelperFlow(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	create := func(doc string) int64 {
		t.Helper()
		status, body := c.API(t, token, http.MethodPost, "/api/v1/flows", doc)
		var f struct{ ID int64 }
		if status != 201 || json.Unmarshal([]byte(body), &f) != nil {
			t.Fatalf("create: %d %s", status, body)
		}
		return f.ID
	}
	shout := create(`{"schema":1,"kind":"workspace","name":"Shout","event":{"id":"event","type":"event.helper","outputs":[{"key":"item","type":"text"}]},
	 "cards":[{"id":"up","type":"text.upper","bindings":{"text":{"ref":{"card":"event","field":"item"}}}},
	  {"id":"ret","type":"control.return","inputs":[{"key":"output","type":"text"}],"bindings":{"output":{"ref":{"card":"up","field":"output"}}}}]}`)
	caller := func(list string) int64 {
		return create(fmt.Sprintf(`{"schema":1,"kind":"workspace","name":"Caller","event":{"id":"event","type":"event.manual"},
		 "cards":[{"id":"map","type":"control.map","bindings":{"list":{"value":%s},"flow":{"value":%d},"concurrency":{"value":2}}}]}`, list, shout))
	}
	run := func(id int64) flows.Execution {
		t.Helper()
		status, body := c.API(t, token, http.MethodPost, fmt.Sprintf("/api/v1/flows/%d/runs", id), `{}`)
		var e flows.Execution
		if status != 200 || json.Unmarshal([]byte(body), &e) != nil {
			t.Fatalf("run: %d %s", status, body)
		}
		return e
	}

	exec := run(caller(`["ada","bob"]`))
	if exec.Status != flows.StatusSucceeded || fmt.Sprint(exec.Steps[1].Outputs["output"]) != "[ADA BOB]" {
		t.Fatalf("map = %s %q %v", exec.Status, exec.Error, exec.Steps[1].Outputs)
	}
	for _, id := range exec.Steps[1].Children {
		child, err := srv.Store.Execution(t.Context(), id)
		if err != nil || child.ParentID != exec.ID || child.FlowID != shout || child.Trigger != flows.TriggerHelper || child.Status != flows.StatusSucceeded {
			t.Fatalf("child = %+v, %v", child, err)
		}
	}

	// One item without a value fails the run with that item's
	// error, not with the cancellation of its sibling.
	exec = run(caller(`["ada", null, "bob", "carl"]`))
	if exec.Status != flows.StatusFailed || exec.ErrorCard != "map" || strings.Contains(exec.Error, "canceled") {
		t.Fatalf("failing item = %s %q", exec.Status, exec.Error)
	}
}

func TestDashboardCountsFlowsAndExecutions(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	_, body := c.API(t, token, http.MethodPost, "/api/v1/flows", greeter)
	var f struct{ ID int64 }
	json.Unmarshal([]byte(body), &f)
	c.API(t, token, http.MethodPost, fmt.Sprintf("/api/v1/flows/%d/runs", f.ID), `{"input":{"name":"x"}}`)
	c.API(t, token, http.MethodPost, fmt.Sprintf("/api/v1/flows/%d/runs", f.ID), `{"input":{"name":"y"}}`)
	_, page := srv.SignedIn(t).Get(t, "/")
	doc := parse(t, page)
	if got := doc.Find(`[data-testid="tile-flows"] p`).Text(); got != "1 flow" {
		t.Errorf("flows tile = %q", got)
	}
	if got := doc.Find(`[data-testid="tile-executions"] p`).Text(); got != "2 executions" {
		t.Errorf("executions tile = %q", got)
	}
	if doc.Find(`[data-testid="dashboard-empty"]`).Length() != 0 {
		t.Error("the welcome is still shown with a flow saved")
	}
}

// TestAPIErrorsNameFieldsNotGoTypes sends bodies with values of the wrong
// kind: the error names the field by its path in the document and says
// what it must be, in JSON's words, never in Go's.
func TestAPIErrorsNameFieldsNotGoTypes(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	tests := []struct {
		name, path, body, want string
	}{
		{"cards is text", "/api/v1/flows", strings.Replace(greeter, `"cards":[`, `"cards":"none","x":[`, 1),
			`the field \"cards\" must be a list, not text`},
		{"a card's inputs are text", "/api/v1/flows", strings.Replace(greeter, `"inputs":[{"key":"greeting","type":"text"}]`, `"inputs":"greeting"`, 1),
			`the field \"cards[1].inputs\" must be a list, not text`},
		{"name is a number", "/api/v1/flows", strings.Replace(greeter, `"name":"Greeter"`, `"name":42`, 1),
			`the field \"name\" must be text, not a number`},
		{"required is text", "/api/v1/flows", strings.Replace(greeter, `"required":true`, `"required":"yes"`, 1),
			`the field \"event.outputs[0].required\" must be true or false, not text`},
		{"bindings are a list", "/api/v1/flows", strings.Replace(greeter, `"bindings":{"text"`, `"bindings":[],"x":{"text"`, 1),
			`the field \"cards[0].bindings\" must be an object, not a list`},
		{"the document is a list", "/api/v1/flows", `[1, 2]`, `the body must be an object, not a list`},
		{"broken JSON", "/api/v1/flows", "{\"schema\": 1,\n \"kind\": }", `not valid JSON: invalid character '}' looking for beginning of value (line 2, column 10)`},
		{"run input is text", "/api/v1/flows/1/runs", `{"input":"ada"}`, `the field \"input\" must be an object, not text`},
		{"connector id is text", "/api/v1/connections", `{"connectorId":"7","name":"x"}`, `the field \"connectorId\" must be a whole number, not text`},
		{"connector id has a fraction", "/api/v1/connections", `{"connectorId":1.5,"name":"x"}`, `the field \"connectorId\" must be a whole number, not 1.5`},
		{"a value is a number", "/api/v1/connections", `{"connectorId":1,"name":"x","values":{"key":3}}`, `the field \"values.key\" must be text, not a number`},
	}
	if status, body := c.API(t, token, http.MethodPost, "/api/v1/flows", greeter); status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := c.API(t, token, http.MethodPost, tt.path, tt.body)
			if status != http.StatusUnprocessableEntity || !strings.Contains(strings.ToLower(body), strings.ToLower(tt.want)) {
				t.Fatalf("%d %s; want 422 saying %s", status, body, tt.want)
			}
			for _, goWord := range []string{"flows.", "web.", "Go ", "struct", "json:", "unmarshal", "int64", "float64", "map[", "[]", "interface"} {
				if strings.Contains(body, goWord) {
					t.Errorf("the error speaks Go (%q): %s", goWord, body)
				}
			}
		})
	}
}
