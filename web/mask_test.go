package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

// acmeSetupWith is webtest.AcmeSetup on the Acme connector changed by edit.
func acmeSetupWith(t *testing.T, srv *webtest.Server, prov *webtest.Acme, token string, edit func(*flows.ConnectorExport)) int64 {
	t.Helper()
	c := srv.NewClient()
	con := webtest.APIJSON(t, c, token, "POST", "/api/v1/connectors/import", webtest.AcmeExportWith(t, prov.URL, edit), http.StatusCreated)
	conID := int64(con["id"].(float64))
	webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/connectors/%d/deploy", conID), nil, http.StatusCreated)
	v, err := srv.Store.Version(context.Background(), conID, 1)
	if err != nil {
		t.Fatal(err)
	}
	flowID, _ := webtest.NewUsersFlow(t, srv, token, conID, v)
	return flowID
}

// searchIDs lists the ids of the executions a history search finds,
// through the API.
func searchIDs(t *testing.T, c *webtest.Client, token, q string) []string {
	t.Helper()
	var page struct{ Executions []flows.Execution }
	code, body := c.API(t, token, "GET", "/api/v1/executions?q="+url.QueryEscape(q), "")
	if code != http.StatusOK || json.Unmarshal([]byte(body), &page) != nil {
		t.Fatalf("search %q: %d %s", q, code, body)
	}
	var ids []string
	for _, e := range page.Executions {
		ids = append(ids, e.ID)
	}
	return ids
}

// apiExecution fetches a stored execution through the API, decoded and raw.
func apiExecution(t *testing.T, c *webtest.Client, token, id string) (map[string]any, string) {
	t.Helper()
	code, body := c.API(t, token, "GET", "/api/v1/executions/"+id, "")
	if code != http.StatusOK {
		t.Fatalf("execution %s: %d %s", id, code, body)
	}
	var m map[string]any
	json.Unmarshal([]byte(body), &m)
	return m, body
}

// at walks a decoded JSON value down the keys.
func at(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// TestRequestCredentialsAreMaskedInHistory: the credentials a request at
// the Event URL carries (X-Api-Key, Authorization, ?api_key=, the
// signature) are masked in the stored runs it starts, where the connector
// passes them on too, and search does not find them; its ordinary values
// are kept and found. On SQLite and on Postgres.
func TestRequestCredentialsAreMaskedInHistory(t *testing.T) {
	secrets := []string{"k-123", "t-456", "q-789"}
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			prov := webtest.NewAcme(t)
			srv := webtest.StartWith(t, webtest.Options{DatabaseURL: db.URL(t), StartQueue: true})
			token := srv.Token(t)
			c := srv.NewClient()
			// The connector hands the API key and the query on to the flow.
			flowID := acmeSetupWith(t, srv, prov, token, func(x *flows.ConnectorExport) {
				ret := &x.Flows[2].Definition.Cards[0]
				ret.Inputs = append(ret.Inputs, flows.Field{Key: "apiKey", Type: flows.TypeText}, flows.Field{Key: "query", Type: flows.TypeObject})
				ret.Bindings["apiKey"], ret.Bindings["query"] = webtest.Ref("event", "headers", "x-api-key"), webtest.Ref("event", "query", "")
			})
			on := webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", flowID), nil, http.StatusOK)
			eventURL := on["state"].(map[string]any)["eventUrl"].(string)

			body := `{"data":{"events":[{"uuid":"u-zelda","actor":{"displayName":"Zelda Quartz"}}]}}`
			req, _ := http.NewRequest(http.MethodPost, eventURL+"?api_key=q-789&page=p-2", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Api-Key", "k-123")
			req.Header.Set("Authorization", "Bearer t-456")
			req.Header.Set("X-Delivery-Id", "m-1")
			prov.Sign(req, prov.Subscriptions()[0].Secret, body)
			signature := req.Header.Get("X-Acme-Signature")
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != http.StatusAccepted {
				t.Fatalf("delivery: %v %v", res, err)
			}
			res.Body.Close()
			webtest.WaitFor(t, "the run", func() bool { return len(webtest.PayloadRuns(t, srv.Store, flowID)) == 1 })
			run := webtest.PayloadRuns(t, srv.Store, flowID)[0]
			if run.Status != flows.StatusSucceeded || run.Steps[len(run.Steps)-1].Outputs["output"] != "ZELDA QUARTZ" {
				t.Fatalf("the run: %s %q %+v", run.Status, run.Error, run.Steps)
			}

			// The connector's run: the request, credentials masked.
			ev, raw := apiExecution(t, c, token, run.ParentID)
			in := ev["input"]
			for _, path := range [][]string{{"headers", "x-api-key"}, {"headers", "authorization"}, {"headers", "x-acme-signature"}, {"query", "api_key"}} {
				if got := at(in, path...); got != flows.Masked {
					t.Errorf("input %v = %v, want it masked", path, got)
				}
			}
			if got := at(in, "query", "page"); got != "p-2" {
				t.Errorf("an ordinary query parameter is %v", got)
			}
			// The workspace flow's run: what the connector passed on, masked.
			ws, wsRaw := apiExecution(t, c, token, run.ID)
			if at(ws, "input", "apiKey") != flows.Masked || at(ws, "input", "query", "api_key") != flows.Masked {
				t.Errorf("the flow's input: %v", ws["input"])
			}
			for _, s := range append(secrets, signature) {
				if strings.Contains(raw+wsRaw, s) {
					t.Fatalf("a stored run holds %q:\n%s\n%s", s, raw, wsRaw)
				}
			}
			// The execution page shows the request masked.
			_, page := srv.SignedIn(t).Get(t, "/executions/"+run.ParentID)
			shown := parse(t, page).Find(`[data-testid="raw-request"]`).Text()
			if !strings.Contains(shown, `"x-api-key": "`+flows.Masked+`"`) {
				t.Errorf("the inbound request shows:\n%s", shown)
			}
			for _, s := range secrets {
				if strings.Contains(page, s) {
					t.Fatalf("the execution page shows %q", s)
				}
				if ids := searchIDs(t, c, token, s); len(ids) != 0 {
					t.Fatalf("a search for %q finds %v", s, ids)
				}
			}
			// Search finds both runs by the payload's ordinary values.
			if ids := searchIDs(t, c, token, "Zelda Quartz"); len(ids) != 2 {
				t.Fatalf("a search for the payload finds %v, want the two runs", ids)
			}
		})
	}
}

// TestRegistrationDataIsMaskedAndRevealed: the HMAC secret a registration
// returns is masked in the registration run and the deregistration run,
// which search does not find them by; the admin reveals it on the
// registration run's page (audited, CSRF-checked); deliveries are still
// verified with the real secret; the Event URL's token is in no stored
// execution.
func TestRegistrationDataIsMaskedAndRevealed(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	token := srv.Token(t)
	c := srv.NewClient()
	ctx := context.Background()
	flowID := webtest.AcmeSetup(t, srv, prov, token)
	path := fmt.Sprintf("/api/v1/flows/%d", flowID)
	state := webtest.APIJSON(t, c, token, "POST", path+"/on", nil, http.StatusOK)["state"].(map[string]any)
	regID := state["registrationExecution"].(string)
	eventToken := strings.TrimPrefix(state["eventUrl"].(string), srv.URL+"/hooks/")
	secret := prov.Subscriptions()[0].Secret

	reg, raw := apiExecution(t, c, token, regID)
	masked := map[string]any{"id": flows.Masked, "secret": flows.Masked}
	if got := at(reg, "output", flows.FieldRegistrationData); fmt.Sprint(got) != fmt.Sprint(masked) {
		t.Fatalf("the registration run's output: %v", got)
	}
	if strings.Contains(raw, secret) || strings.Contains(raw, eventToken) {
		t.Fatalf("the registration run holds the secret or the Event URL token:\n%s", raw)
	}
	if ids := searchIDs(t, c, token, secret); len(ids) != 0 {
		t.Fatalf("a search for the secret finds %v", ids)
	}
	if ids := searchIDs(t, c, token, "user.created"); len(ids) != 1 || ids[0] != regID {
		t.Fatalf("a search for the run's option finds %v, want %s", ids, regID)
	}

	// The page shows it masked, with Reveal.
	admin := srv.SignedIn(t)
	_, page := admin.Get(t, "/executions/"+regID)
	doc := parse(t, page)
	if doc.Find(`[data-testid="registration-data-state"]`).Text() != "masked" || doc.Find(`[data-testid="reveal-registration-data"]`).Length() != 1 ||
		strings.Contains(page, secret) {
		t.Fatalf("the registration run's page:\n%s", doc.Find(`[data-testid="registration-data"]`).Text())
	}
	reveal := "/executions/" + regID + "/registration-data"
	reveals := func() int {
		es, err := srv.Store.AuditLog(ctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range es {
			if e.Action == "reveal_registration_data" {
				if e.Actor != webtest.AdminEmail || e.Subject != "execution "+regID {
					t.Fatalf("audit entry %+v", e)
				}
				n++
			}
		}
		return n
	}
	// A forged request, without the CSRF token, reveals nothing.
	if res, body := admin.Do(t, "POST", reveal, strings.NewReader(""), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}); res.StatusCode != http.StatusForbidden ||
		strings.Contains(body, secret) || reveals() != 0 {
		t.Fatalf("reveal without CSRF: %d", res.StatusCode)
	}
	// Reveal in place (htmx): the panel alone, with the real secret.
	csrf := admin.CSRF(t, "/executions/"+regID)
	res, body := admin.Do(t, "POST", reveal, nil, http.Header{"HX-Request": {"true"}, "X-CSRF-Token": {csrf}})
	panel := parse(t, body)
	if res.StatusCode != http.StatusOK || panel.Find("html body header").Length() != 0 ||
		!strings.Contains(panel.Find(`[data-testid="registration-data-value"]`).Text(), secret) || reveals() != 1 {
		t.Fatalf("reveal: %d\n%s", res.StatusCode, body)
	}
	// Without htmx, the form post answers with the page.
	res, body = admin.Do(t, "POST", reveal, strings.NewReader(url.Values{"_csrf": {csrf}}.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if doc := parse(t, body); res.StatusCode != http.StatusOK || doc.Find(`[data-testid="execution-steps"]`).Length() != 1 ||
		!strings.Contains(doc.Find(`[data-testid="registration-data-value"]`).Text(), secret) || reveals() != 2 {
		t.Fatalf("reveal by form: %d", res.StatusCode)
	}
	// Only a registration run has Registration Data to reveal.
	if res, _ := admin.Do(t, "POST", "/executions/nope/registration-data", nil, http.Header{"HX-Request": {"true"}, "X-CSRF-Token": {csrf}}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("reveal of an unknown execution: %d", res.StatusCode)
	}

	// Masking changes nothing of what runs: deliveries are verified with
	// the real secret.
	if codes := prov.Push(t, "d1", false, webtest.UserEvent("u1", "Ada")); len(codes) != 1 || codes[0] != http.StatusAccepted {
		t.Fatalf("a delivery signed with the secret: %v", codes)
	}
	if codes := prov.Push(t, "d2", true, webtest.UserEvent("u2", "Bob")); len(codes) != 1 || codes[0] != http.StatusForbidden {
		t.Fatalf("a delivery signed otherwise: %v", codes)
	}
	webtest.WaitFor(t, "the run", func() bool { return len(webtest.PayloadRuns(t, srv.Store, flowID)) == 1 })
	if res, _ := admin.Do(t, "POST", "/executions/"+webtest.PayloadRuns(t, srv.Store, flowID)[0].ID+"/registration-data", nil,
		http.Header{"HX-Request": {"true"}, "X-CSRF-Token": {csrf}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("reveal on a payload run: %d", res.StatusCode)
	}

	// OFF: the deregistration run gets it, masked in its record.
	webtest.APIJSON(t, c, token, "POST", path+"/off", nil, http.StatusOK)
	var deregID string
	webtest.WaitFor(t, "the deregistration", func() bool {
		st := webtest.APIJSON(t, c, token, "GET", path, nil, http.StatusOK)["state"].(map[string]any)
		deregID, _ = st["deregistrationExecution"].(string)
		return st["subscription"] == "off" && deregID != ""
	})
	dereg, _ := apiExecution(t, c, token, deregID)
	if got := at(dereg, "input", flows.FieldRegistrationData); fmt.Sprint(got) != fmt.Sprint(masked) || dereg["status"] != "succeeded" {
		t.Fatalf("the deregistration run: %v %v", dereg["status"], got)
	}

	// A registration that failed has no Registration Data to reveal.
	prov.Fail.Store(true)
	failed := webtest.APIJSON(t, c, token, "POST", path+"/on", nil, http.StatusUnprocessableEntity)["execution"].(string)
	prov.Fail.Store(false)
	_, page = admin.Get(t, "/executions/"+failed)
	if doc := parse(t, page); doc.Find(`[data-testid="registration-data-missing"]`).Length() != 1 || doc.Find(`[data-testid="reveal-registration-data"]`).Length() != 0 {
		t.Fatalf("a failed registration's page:\n%s", doc.Find(`[data-testid="registration-data"]`).Text())
	}
	if res, body := admin.Do(t, "POST", "/executions/"+failed+"/registration-data", nil, http.Header{"HX-Request": {"true"}, "X-CSRF-Token": {csrf}}); res.StatusCode != http.StatusOK ||
		parse(t, body).Find(`[data-testid="registration-data-missing"]`).Length() != 1 || reveals() != 2 {
		t.Fatalf("reveal of a failed registration: %d %s", res.StatusCode, body)
	}

	// No stored execution holds the secret or the Event URL token.
	n := 0
	err := srv.Store.EachExecution(ctx, store.ExecutionFilter{}, func(e *flows.Execution) error {
		n++
		b, _ := json.Marshal(e)
		if strings.Contains(string(b), secret) || strings.Contains(string(b), eventToken) {
			return fmt.Errorf("execution %s holds a secret:\n%s", e.ID, b)
		}
		return nil
	})
	if err != nil || n < 4 {
		t.Fatalf("%d executions: %v", n, err)
	}
	if ids := searchIDs(t, c, token, eventToken); len(ids) != 0 {
		t.Fatalf("a search for the Event URL token finds %v", ids)
	}
}

// TestPasswordOutputIsMaskedInHistory: a card output typed password is
// masked in the stored steps, while the next card gets the real value
// (the outside service receives it); search finds the run by its other
// values only.
func TestPasswordOutputIsMaskedInHistory(t *testing.T) {
	const pass = "pw-correct-horse-42"
	var mu sync.Mutex
	var got []string
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true}`)
	}))
	t.Cleanup(svc.Close)
	srv := webtest.Start(t)
	token := srv.Token(t)
	c := srv.NewClient()

	def, _ := flows.NewDefinition(flows.KindWorkspace, "Sign in")
	def.Event.Outputs = []flows.Field{{Key: "login", Type: flows.TypeObject}}
	def.Cards = []flows.Node{
		{ID: "pick", Type: "object.get_multiple", Outputs: []flows.Field{{Key: "user", Type: flows.TypeText}, {Key: "pass", Type: flows.TypePassword}},
			Bindings: map[string]flows.Binding{"object": webtest.Ref("event", "login", "")}},
		{ID: "send", Type: "http.post", Bindings: map[string]flows.Binding{"url": {Value: svc.URL + "/login"},
			"body": {Parts: []flows.Part{{Text: "user="}, {Ref: &flows.Ref{Card: "pick", Field: "user"}}, {Text: "&pass="}, {Ref: &flows.Ref{Card: "pick", Field: "pass"}}}}}},
	}
	doc, _ := flows.MarshalDefinition(def)
	f := webtest.APIJSON(t, c, token, "POST", "/api/v1/flows", doc, http.StatusCreated)
	run := webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%v/runs", f["id"]),
		map[string]any{"input": map[string]any{"login": map[string]any{"user": "ada-lovelace", "pass": pass}}}, http.StatusOK)
	if run["status"] != "succeeded" {
		t.Fatalf("the run: %v", run)
	}
	mu.Lock()
	sent := strings.Join(got, "\n")
	mu.Unlock()
	if sent != "user=ada-lovelace&pass="+pass {
		t.Fatalf("the service received %q", sent)
	}

	id := run["id"].(string)
	e, raw := apiExecution(t, c, token, id)
	steps := map[string]any{}
	for _, st := range e["steps"].([]any) {
		steps[at(st, "cardId").(string)] = st
	}
	if at(steps["pick"], "outputs", "pass") != flows.Masked || at(steps["pick"], "outputs", "user") != "ada-lovelace" ||
		at(steps["send"], "inputs", "body") != "user=ada-lovelace&pass="+flows.Masked || strings.Contains(raw, pass) {
		t.Fatalf("stored:\n%s", raw)
	}
	_, page := srv.SignedIn(t).Get(t, "/executions/"+id)
	outs := parse(t, page).Find(`[data-testid="execution-step"][data-card="pick"] [data-testid="step-outputs"]`).Text()
	if !strings.Contains(outs, flows.Masked) || strings.Contains(page, pass) {
		t.Fatalf("the page shows the card's outputs as:\n%s", outs)
	}
	if ids := searchIDs(t, c, token, pass); len(ids) != 0 {
		t.Fatalf("a search for the password finds %v", ids)
	}
	if ids := searchIDs(t, c, token, "ada-lovelace"); len(ids) != 1 || ids[0] != id {
		t.Fatalf("a search for the user finds %v", ids)
	}
}
