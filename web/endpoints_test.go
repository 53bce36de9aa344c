package web_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// endpointFlow is an API Endpoint flow document whose cards are cards
// (JSON, after the event card "event").
func endpointFlow(name, cards string) string {
	return `{"schema":1,"kind":"workspace","name":"` + name + `","event":{"id":"event","type":"event.api_endpoint"},"cards":[` + cards + `]}`
}

// lookupCards return {id, who, q} of the request: the body's id, its name
// upper-cased, and the query parameter q.
const lookupCards = `
 {"id":"up","type":"text.upper","bindings":{"text":{"ref":{"card":"event","field":"body","path":"name"}}}},
 {"id":"ret","type":"control.return","inputs":[{"key":"id","type":"text"},{"key":"who","type":"text"},{"key":"q","type":"text"}],
  "bindings":{"id":{"ref":{"card":"event","field":"body","path":"id"}},"who":{"ref":{"card":"up","field":"output"}},
   "q":{"ref":{"card":"event","field":"query","path":"q"}}}}`

// endpoint is an API Endpoint flow made through the API and turned ON.
type endpoint struct {
	ID          int64
	InvokeURL   string
	Security    string
	ClientToken string
}

func createEndpoint(t *testing.T, srv *webtest.Server, c *webtest.Client, token, doc string) endpoint {
	t.Helper()
	status, body := c.API(t, token, http.MethodPost, "/api/v1/flows", doc)
	var ep endpoint
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &ep) != nil {
		t.Fatalf("create = %d %s", status, body)
	}
	if ep.ClientToken == "" || ep.Security != "client_token" || !strings.HasPrefix(ep.InvokeURL, srv.URL+"/api/flo/") {
		t.Fatalf("created endpoint flow %s", body)
	}
	if status, body := c.API(t, token, http.MethodPost, fmt.Sprintf("/api/v1/flows/%d/on", ep.ID), ""); status != http.StatusOK {
		t.Fatalf("on = %d %s", status, body)
	}
	return ep
}

// finished waits for an execution to be recorded as ended.
func finished(t *testing.T, srv *webtest.Server, id string) *flows.Execution {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		x, err := srv.Store.Execution(context.Background(), id)
		if err == nil && x.Status.IsFinal() {
			return x
		}
		if err != nil && !errors.Is(err, flows.ErrNotFound) || time.Now().After(deadline) {
			t.Fatalf("execution %s: %v, %+v", id, err, x)
		}
	}
}

func clientHeader(token string) http.Header { return http.Header{"X-Api-Client-Token": {token}} }

// TestEndpointSecurity invokes a flow under each security mode: without
// credentials and with wrong ones it is 401, with the right ones 200; the
// client token works as a header and as a query parameter.
func TestEndpointSecurity(t *testing.T) {
	srv := webtest.Start(t)
	c, apiToken := srv.NewClient(), srv.Token(t)
	ep := createEndpoint(t, srv, c, apiToken, endpointFlow("Lookup", lookupCards))
	body := `{"id":"42","name":"ada"}`
	jsonType := http.Header{"Content-Type": {"application/json"}}
	with := func(h http.Header, k, v string) http.Header {
		out := h.Clone()
		out.Set(k, v)
		return out
	}
	setSecurity := func(mode string) {
		if status, b := c.API(t, apiToken, http.MethodPost, fmt.Sprintf("/api/v1/flows/%d/endpoint", ep.ID), `{"security":"`+mode+`"}`); status != http.StatusOK {
			t.Fatalf("security %s = %d %s", mode, status, b)
		}
	}
	tests := []struct {
		name, mode, url string
		header          http.Header
		want            int
	}{
		{"client token: none", "client_token", ep.InvokeURL, jsonType, 401},
		{"client token: wrong", "client_token", ep.InvokeURL, with(jsonType, "X-Api-Client-Token", "hfc_wrong"), 401},
		{"client token: another flow's API token", "client_token", ep.InvokeURL, with(jsonType, "Authorization", "Bearer "+apiToken), 401},
		{"client token: in the header", "client_token", ep.InvokeURL + "?q=x", with(jsonType, "X-Api-Client-Token", ep.ClientToken), 200},
		{"client token: in the query", "client_token", ep.InvokeURL + "?q=x&clientToken=" + ep.ClientToken, jsonType, 200},
		{"api token: none", "api_token", ep.InvokeURL, jsonType, 401},
		{"api token: wrong", "api_token", ep.InvokeURL, with(jsonType, "Authorization", "Bearer hf_made-up"), 401},
		{"api token: the client token", "api_token", ep.InvokeURL, with(jsonType, "X-Api-Client-Token", ep.ClientToken), 401},
		{"api token: right", "api_token", ep.InvokeURL + "?q=x", with(jsonType, "Authorization", "Bearer "+apiToken), 200},
		{"public", "public", ep.InvokeURL + "?q=x", jsonType, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			setSecurity(tc.mode)
			res, got := webtest.Invoke(t, http.MethodPost, tc.url, body, tc.header)
			if res.StatusCode != tc.want {
				t.Fatalf("status %d %s, want %d", res.StatusCode, got, tc.want)
			}
			if tc.want == 200 && got != `{"id":"42","q":"x","who":"ADA"}` {
				t.Errorf("answer %s", got)
			}
			if tc.want == 401 && !strings.Contains(got, `"error":{"status":401,"message":`) {
				t.Errorf("refusal %s", got)
			}
		})
	}
	// The flow's API view shows the URL and the mode, never the token.
	status, b := c.API(t, apiToken, http.MethodGet, fmt.Sprintf("/api/v1/flows/%d", ep.ID), "")
	if status != 200 || !strings.Contains(b, `"invokeUrl":"`+ep.InvokeURL+`"`) || !strings.Contains(b, `"security":"public"`) ||
		strings.Contains(b, "clientToken") || strings.Contains(b, ep.ClientToken) {
		t.Errorf("GET flow = %d %s", status, b)
	}
	// A rotated client token replaces the old one at once.
	setSecurity("client_token")
	status, b = c.API(t, apiToken, http.MethodPost, fmt.Sprintf("/api/v1/flows/%d/client-token", ep.ID), "")
	var rotated struct{ ClientToken string }
	if status != 200 || json.Unmarshal([]byte(b), &rotated) != nil || rotated.ClientToken == "" {
		t.Fatalf("rotate = %d %s", status, b)
	}
	if res, _ := webtest.Invoke(t, http.MethodPost, ep.InvokeURL, body, with(jsonType, "X-Api-Client-Token", ep.ClientToken)); res.StatusCode != 401 {
		t.Errorf("the old client token: %d, want 401", res.StatusCode)
	}
	if res, _ := webtest.Invoke(t, http.MethodPost, ep.InvokeURL, body, with(jsonType, "X-Api-Client-Token", rotated.ClientToken)); res.StatusCode != 200 {
		t.Errorf("the new client token: %d, want 200", res.StatusCode)
	}
}

// TestEndpointAnswers checks each way a flow answers its caller, the
// header naming the execution on every answer, and that the execution is
// in the history with trigger api and the request as its event outputs,
// credentials masked.
func TestEndpointAnswers(t *testing.T) {
	srv := webtest.Start(t)
	c, apiToken := srv.NewClient(), srv.Token(t)
	tests := []struct {
		name, cards string
		method      string
		body        string // the request's; a JSON user when empty
		wantStatus  int
		wantBody    string
		wantHeader  map[string]string
		wantRun     flows.Status
	}{
		{name: "return", cards: lookupCards, method: http.MethodPost, wantStatus: 200, wantBody: `{"id":"7","q":"v","who":"GRACE"}`,
			wantHeader: map[string]string{"Content-Type": "application/json"}, wantRun: flows.StatusSucceeded},
		{name: "return on GET", cards: `{"id":"ret","type":"control.return","inputs":[{"key":"q","type":"text"},{"key":"method","type":"text"}],
			"bindings":{"q":{"ref":{"card":"event","field":"query","path":"q"}},"method":{"ref":{"card":"event","field":"method"}}}}`,
			method: http.MethodGet, wantStatus: 200, wantBody: `{"method":"GET","q":"v"}`, wantRun: flows.StatusSucceeded},
		{name: "return raw", cards: `{"id":"raw","type":"control.return_raw","bindings":{"status":{"value":404},
			"headers":{"value":{"X-Reason":"unknown user","Content-Length":"1"}},"body":{"value":"no user 7"}}}`,
			method: http.MethodPost, wantStatus: 404, wantBody: "no user 7",
			wantHeader: map[string]string{"X-Reason": "unknown user", "Content-Type": "text/plain; charset=utf-8"}, wantRun: flows.StatusSucceeded},
		{name: "return error", cards: `{"id":"err","type":"control.return_error","bindings":{"status":{"value":409},"message":{"value":"user 7 exists"}}}`,
			method: http.MethodPost, wantStatus: 409, wantBody: `{"error":{"status":409,"message":"user 7 exists"}}`, wantRun: flows.StatusFailed},
		{name: "a failing card", cards: `{"id":"up","type":"text.upper","bindings":{"text":{"ref":{"card":"event","field":"body","path":"missing"}}}}`,
			method: http.MethodPost, wantStatus: 500, wantBody: `{"error":{"status":500,"message":"input \"text\" is required"}}`, wantRun: flows.StatusFailed},
		{name: "a body the flow cannot read", cards: lookupCards, method: http.MethodPost, body: `{"id":`,
			wantStatus: 400, wantBody: `{"error":{"status":400,"message":"the body is not JSON: unexpected end of JSON input (line 1, column 6)"}}`, wantRun: flows.StatusFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ep := createEndpoint(t, srv, c, apiToken, endpointFlow(tc.name, tc.cards))
			body := cmp.Or(tc.body, `{"id":"7","name":"grace"}`)
			res, got := webtest.Invoke(t, tc.method, ep.InvokeURL+"?q=v&clientToken="+ep.ClientToken, body,
				http.Header{"Content-Type": {"application/json"}, "X-Trace": {"abc"}, "Authorization": {"Basic c2VjcmV0"}, "X-Api-Key": {"k-123456"}})
			if res.StatusCode != tc.wantStatus || got != tc.wantBody {
				t.Fatalf("answer %d %s, want %d %s", res.StatusCode, got, tc.wantStatus, tc.wantBody)
			}
			for k, v := range tc.wantHeader {
				if res.Header.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, res.Header.Get(k), v)
				}
			}
			id := res.Header.Get("X-Hookflow-Execution-Id")
			if id == "" {
				t.Fatal("no X-Hookflow-Execution-Id")
			}
			x := finished(t, srv, id)
			if x.Status != tc.wantRun || x.Trigger != flows.TriggerAPI || x.FlowID != ep.ID {
				t.Fatalf("execution %s %s of flow %d", x.Status, x.Trigger, x.FlowID)
			}
			ev := x.Steps[0].Outputs
			headers, _ := ev["headers"].(map[string]any)
			query, _ := ev["query"].(map[string]any)
			evBody, _ := ev["body"].(map[string]any)
			if headers["x-trace"] != "abc" || query["q"] != "v" || ev["executionId"] != id || ev["method"] != tc.method {
				t.Errorf("event outputs %v", ev)
			}
			if tc.method == http.MethodPost && tc.body == "" && evBody["id"] != "7" {
				t.Errorf("event body %v", ev["body"])
			}
			if headers["authorization"] != flows.Masked || query["clientToken"] != flows.Masked || headers["x-api-key"] != flows.Masked {
				t.Errorf("credentials reached the history: %v %v %v", headers["authorization"], query["clientToken"], headers["x-api-key"])
			}
		})
	}
}

// slowService is an outside service that answers after d.
func slowService(t *testing.T, d time.Duration) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(s.Close)
	return s.URL
}

// TestEndpointCloseAnswersFirst checks that HTTP Close answers the caller
// at once while the flow goes on: its later cards run and are recorded.
func TestEndpointCloseAnswersFirst(t *testing.T) {
	srv := webtest.Start(t)
	c, apiToken := srv.NewClient(), srv.Token(t)
	slow := slowService(t, time.Second)
	ep := createEndpoint(t, srv, c, apiToken, endpointFlow("Close", `
		{"id":"close","type":"control.http_close","bindings":{"status":{"value":202},"body":{"value":{"queued":true}}}},
		{"id":"call","type":"http.get","bindings":{"url":{"value":"`+slow+`"}}},
		{"id":"ret","type":"control.return","inputs":[{"key":"done","type":"text"}],"bindings":{"done":{"value":"yes"}}}`))
	res, got := webtest.Invoke(t, http.MethodPost, ep.InvokeURL, `{}`, clientHeader(ep.ClientToken))
	id := res.Header.Get("X-Hookflow-Execution-Id")
	if res.StatusCode != 202 || got != `{"queued":true}` || id == "" {
		t.Fatalf("answer %d %s (execution %q)", res.StatusCode, got, id)
	}
	if !srv.Engine.Running(id) {
		t.Error("the run had ended when the caller got the answer")
	}
	x := finished(t, srv, id)
	if x.Status != flows.StatusSucceeded || len(x.Steps) != 4 || x.Steps[2].CardID != "call" || x.Output["done"] != "yes" {
		t.Fatalf("execution %s, steps %d, output %v", x.Status, len(x.Steps), x.Output)
	}
}

// TestEndpointTimeout checks that a flow that has not answered within the
// server's timeout gets its caller a 504, and goes on to its end.
func TestEndpointTimeout(t *testing.T) {
	srv := webtest.StartWith(t, webtest.Options{EndpointTimeout: 200 * time.Millisecond})
	c, apiToken := srv.NewClient(), srv.Token(t)
	slow := slowService(t, time.Second)
	ep := createEndpoint(t, srv, c, apiToken, endpointFlow("Slow", `
		{"id":"call","type":"http.get","bindings":{"url":{"value":"`+slow+`"}}},
		{"id":"ret","type":"control.return","inputs":[{"key":"done","type":"text"}],"bindings":{"done":{"value":"late"}}}`))
	began := time.Now()
	res, got := webtest.Invoke(t, http.MethodPost, ep.InvokeURL, `{}`, clientHeader(ep.ClientToken))
	id := res.Header.Get("X-Hookflow-Execution-Id")
	if res.StatusCode != http.StatusGatewayTimeout || !strings.Contains(got, `"status":504`) || id == "" {
		t.Fatalf("answer %d %s (execution %q)", res.StatusCode, got, id)
	}
	if took := time.Since(began); took > 900*time.Millisecond {
		t.Errorf("the 504 took %s", took)
	}
	x := finished(t, srv, id)
	if x.Status != flows.StatusSucceeded || x.Output["done"] != "late" {
		t.Fatalf("execution %s %v", x.Status, x.Output)
	}
}

// TestEndpointRateLimit checks the flow's own rate limit: past it, 429
// with Retry-After, without running the flow.
func TestEndpointRateLimit(t *testing.T) {
	srv := webtest.Start(t)
	c, apiToken := srv.NewClient(), srv.Token(t)
	ep := createEndpoint(t, srv, c, apiToken, endpointFlow("Limited", lookupCards))
	if status, b := c.API(t, apiToken, http.MethodPost, fmt.Sprintf("/api/v1/flows/%d/endpoint", ep.ID), `{"rateLimit":2}`); status != 200 || !strings.Contains(b, `"rateLimit":2`) {
		t.Fatalf("rate limit = %d %s", status, b)
	}
	var ok, limited int
	for range 6 {
		res, got := webtest.Invoke(t, http.MethodPost, ep.InvokeURL, `{"id":"1","name":"a"}`, clientHeader(ep.ClientToken))
		switch res.StatusCode {
		case 200:
			ok++
		case 429:
			limited++
			if res.Header.Get("Retry-After") == "" || !strings.Contains(got, `"status":429`) || res.Header.Get("X-Hookflow-Execution-Id") != "" {
				t.Errorf("429 answer %v %s", res.Header, got)
			}
		default:
			t.Fatalf("status %d %s", res.StatusCode, got)
		}
	}
	if ok < 2 || limited == 0 {
		t.Fatalf("%d answered, %d limited; want 2 (a second's worth) answered, then 429", ok, limited)
	}
}

// TestEndpointOffAndNewURL checks that an invoke URL answers 404 while its
// flow is OFF, as an unknown one does, and that a new URL ends the old one.
func TestEndpointOffAndNewURL(t *testing.T) {
	srv := webtest.Start(t)
	c, apiToken := srv.NewClient(), srv.Token(t)
	ep := createEndpoint(t, srv, c, apiToken, endpointFlow("Toggled", lookupCards))
	h := clientHeader(ep.ClientToken)
	call := func(url string) (int, string) {
		res, got := webtest.Invoke(t, http.MethodPost, url, `{"id":"1","name":"a"}`, h)
		return res.StatusCode, got
	}
	if status, got := call(ep.InvokeURL); status != 200 {
		t.Fatalf("ON: %d %s", status, got)
	}
	status, unknown := call(srv.URL + "/api/flo/no-such-alias/invoke")
	if status != 404 {
		t.Fatalf("unknown alias: %d %s", status, unknown)
	}
	c.API(t, apiToken, http.MethodPost, fmt.Sprintf("/api/v1/flows/%d/off", ep.ID), "")
	if status, got := call(ep.InvokeURL); status != 404 || got != unknown {
		t.Fatalf("OFF: %d %s, want the unknown alias's 404 %s", status, got, unknown)
	}
	c.API(t, apiToken, http.MethodPost, fmt.Sprintf("/api/v1/flows/%d/on", ep.ID), "")
	if status, got := call(ep.InvokeURL); status != 200 {
		t.Fatalf("ON again: %d %s", status, got)
	}
	st, b := c.API(t, apiToken, http.MethodPost, fmt.Sprintf("/api/v1/flows/%d/alias", ep.ID), "")
	var fresh endpoint
	if st != 200 || json.Unmarshal([]byte(b), &fresh) != nil || fresh.InvokeURL == ep.InvokeURL || fresh.InvokeURL == "" {
		t.Fatalf("new alias = %d %s", st, b)
	}
	if status, _ := call(ep.InvokeURL); status != 404 {
		t.Errorf("the old URL: %d, want 404", status)
	}
	if status, got := call(fresh.InvokeURL); status != 200 {
		t.Errorf("the new URL: %d %s", status, got)
	}
}
