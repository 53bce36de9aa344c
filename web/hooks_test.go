package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/web/webtest"
)

// oktaSample is the event hook delivery of okta.md §5.3, with two events.
const oktaSample = `{
  "eventType": "com.okta.event_hook",
  "eventTypeVersion": "1.0",
  "cloudEventsVersion": "0.1",
  "source": "https://example.okta.com/api/v1/eventHooks/who7hphp39JoHLni81d7",
  "eventId": "85b60edb-4263-4e13-993b-818e26201052",
  "data": {"events": [
    {"uuid": "f1d0b993-cc19-11ed-a688-db22c99ef6c4", "published": "2023-03-26T21:05:32.159Z", "eventType": "user.session.start",
     "version": "0", "displayMessage": "User login to Okta", "severity": "INFO",
     "actor": {"id": "00uz9fj5aT69fHVro1d6", "type": "User", "alternateId": "admin@okta.com", "displayName": "Admin Name", "detailEntry": null},
     "outcome": {"result": "SUCCESS", "reason": null},
     "target": [{"id": "lae42mkdc9i9cbw3U1d6", "type": "AuthenticatorEnrollment", "alternateId": "unknown", "displayName": "Password", "detailEntry": null}]},
    {"uuid": "f1d0b993-cc19-11ed-a688-db22c99ef6c5", "published": "2023-03-26T21:05:33.001Z", "eventType": "user.lifecycle.create",
     "version": "0", "displayMessage": "Create Okta user", "severity": "INFO",
     "actor": {"id": "00uz9fj5aT69fHVro1d6", "type": "User", "alternateId": "admin@okta.com", "displayName": "Admin Name", "detailEntry": null},
     "outcome": {"result": "SUCCESS", "reason": null},
     "target": [{"id": "00u2", "type": "User", "alternateId": "ada@example.com", "displayName": "Ada Lovelace", "detailEntry": null}]}
  ]},
  "eventTime": "2023-03-28T17:03:37.093Z",
  "contentType": "application/json"
}`

// oktaFlow deploys an Okta-style connector (verification challenge, a
// secret in the Authorization header from the connection, one run per
// data.events item, no registration flow) and turns on a workspace flow
// on it. It returns the flow's id and Event URL path.
func oktaFlow(t *testing.T, srv *webtest.Server) (int64, string) {
	t.Helper()
	return webtest.OktaFlowWith(t, srv, flows.Node{ID: "who", Type: "text.upper", Bindings: map[string]flows.Binding{"text": webtest.Ref("event", "event", "actor.displayName")}})
}

func TestOktaEventHookCompatibility(t *testing.T) {
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	flowID, hook := oktaFlow(t, srv)
	c := srv.NewClient()

	// The one-time verification GET.
	res, body := c.Do(t, http.MethodGet, hook, nil, http.Header{"X-Okta-Verification-Challenge": {"chal-123"}, "Accept": {"application/json"}})
	var v map[string]string
	if json.Unmarshal([]byte(body), &v); res.StatusCode != http.StatusOK || v["verification"] != "chal-123" {
		t.Fatalf("verification: %d %s", res.StatusCode, body)
	}

	// The sample delivery: one execution per data.events item.
	res, _ = c.Do(t, http.MethodPost, hook, strings.NewReader(oktaSample),
		http.Header{"Content-Type": {"application/json"}, "Authorization": {webtest.OktaHookSecret}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("delivery: %d", res.StatusCode)
	}
	webtest.WaitFor(t, "the two runs", func() bool { return len(webtest.PayloadRuns(t, srv.Store, flowID)) == 2 })
	got := map[string]string{}
	for _, e := range webtest.PayloadRuns(t, srv.Store, flowID) {
		rec := e.Input["event"].(map[string]any)
		got[rec["uuid"].(string)] = e.Steps[len(e.Steps)-1].Outputs["output"].(string)
	}
	if len(got) != 2 || got["f1d0b993-cc19-11ed-a688-db22c99ef6c4"] != "ADMIN NAME" || got["f1d0b993-cc19-11ed-a688-db22c99ef6c5"] != "ADMIN NAME" {
		t.Fatalf("runs: %v", got)
	}
	// The secret in the Authorization header never reaches the history.
	for _, e := range webtest.PayloadRuns(t, srv.Store, flowID) {
		parent, err := srv.Store.Execution(t.Context(), e.ParentID)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(parent)
		if strings.Contains(string(raw), webtest.OktaHookSecret) || !strings.Contains(string(raw), flows.Masked) {
			t.Fatalf("the connector run stores the request's secret: %s", raw)
		}
	}
}

func TestEventURLRefusals(t *testing.T) {
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true, MaxHookBytes: 4096})
	flowID, hook := oktaFlow(t, srv)
	c := srv.NewClient()
	json := http.Header{"Content-Type": {"application/json"}}
	with := func(h http.Header, k, v string) http.Header {
		out := h.Clone()
		out.Set(k, v)
		return out
	}
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		header http.Header
		want   int
		metric string
	}{
		{"unknown token", "POST", "/hooks/nope", "{}", with(json, "Authorization", webtest.OktaHookSecret), 404, "unknown_token"},
		{"no secret", "POST", hook, "{}", json, 401, "missing_secret"},
		{"wrong secret", "POST", hook, "{}", with(json, "Authorization", "guess"), 403, "bad_secret"},
		{"method not allowed", "PUT", hook, "{}", with(json, "Authorization", webtest.OktaHookSecret), 405, "method"},
		{"GET without a challenge", "GET", hook, "", nil, 405, "method"},
		{"body over the limit", "POST", hook, `{"x":"` + strings.Repeat("a", 5000) + `"}`, with(json, "Authorization", webtest.OktaHookSecret), 413, "too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := c.Do(t, tt.method, tt.path, strings.NewReader(tt.body), tt.header)
			if res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.want)
			}
			_, metrics := c.Get(t, "/metrics")
			if !strings.Contains(metrics, `hookflow_event_requests_total{outcome="`+tt.metric+`"}`) {
				t.Fatalf("no %s in /metrics", tt.metric)
			}
		})
	}
	if n, _ := srv.Store.CountQueuedDeliveries(t.Context()); n != 0 {
		t.Fatalf("%d refused requests were stored", n)
	}
	if runs := webtest.PayloadRuns(t, srv.Store, flowID); len(runs) != 0 {
		t.Fatalf("refused requests ran %d times", len(runs))
	}
}

// TestEventURLTokensStayOutOfTheLog: the request log names an Event URL
// without its token, which is the URL's secret, whether the request is
// accepted or refused; other paths are logged whole.
func TestEventURLTokensStayOutOfTheLog(t *testing.T) {
	var log webtest.SyncBuffer
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true, Log: &log})
	_, hook := oktaFlow(t, srv)
	c := srv.NewClient()
	json := http.Header{"Content-Type": {"application/json"}, "Authorization": {webtest.OktaHookSecret}}
	if res, _ := c.Do(t, "POST", hook, strings.NewReader(oktaSample), json); res.StatusCode != http.StatusOK && res.StatusCode != http.StatusAccepted {
		t.Fatalf("delivery: %d", res.StatusCode)
	}
	if res, _ := c.Do(t, "POST", "/hooks/unknown-token-xyz", strings.NewReader("{}"), json); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown token: %d", res.StatusCode)
	}
	c.Get(t, "/healthz")
	token := strings.TrimPrefix(hook, "/hooks/")
	text := log.String()
	if strings.Contains(text, token) || strings.Contains(text, "unknown-token-xyz") {
		t.Fatalf("the log holds an Event URL's token:\n%s", text)
	}
	if n := strings.Count(text, "path=/hooks/"+flows.Masked); n != 2 {
		t.Fatalf("%d masked Event URL requests logged, want 2:\n%s", n, text)
	}
	if !strings.Contains(text, "path=/healthz") {
		t.Fatalf("other paths are not logged whole:\n%s", text)
	}
}

// TestResumeTokensStayOutOfTheLog: the request log names a resume URL
// without its token, which resumes a paused run.
func TestResumeTokensStayOutOfTheLog(t *testing.T) {
	var log webtest.SyncBuffer
	srv := webtest.StartWith(t, webtest.Options{Log: &log})
	c := srv.NewClient()
	json := http.Header{"Content-Type": {"application/json"}}
	if res, _ := c.Do(t, "POST", "/resume/secret-resume-token-xyz", strings.NewReader("{}"), json); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown resume token: %d", res.StatusCode)
	}
	text := log.String()
	if strings.Contains(text, "secret-resume-token-xyz") || !strings.Contains(text, "path=/resume/"+flows.Masked) {
		t.Fatalf("the log holds a resume URL's token, or not the masked path:\n%s", text)
	}
}

// runCount counts the flow's payload runs.
func runCount(t *testing.T, srv *webtest.Server, flowID int64) int {
	t.Helper()
	es, err := srv.Store.Executions(t.Context(), store.ExecutionFilter{FlowID: flowID, Trigger: flows.TriggerPayload, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}
