package web_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// githubExample is the worked example of flows/FORMAT.md: the connector
// export in the JSON block under its heading.
func githubExample(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../flows/FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "### Worked example: GitHub repository webhooks")
	_, rest, ok2 := strings.Cut(rest, "```json\n")
	block, _, ok3 := strings.Cut(rest, "\n```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("FORMAT.md has no worked example")
	}
	return block
}

// fakeGitHub is GitHub's repository webhooks API, as the example uses it.
type fakeGitHub struct {
	*httptest.Server
	mu      sync.Mutex
	hook    struct{ URL, Secret string }
	events  []string
	deletes atomic.Int32
}

func newFakeGitHub(t *testing.T, token string) *fakeGitHub {
	g := &fakeGitHub{}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, `{"message": "Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/user":
			fmt.Fprint(w, `{"login": "octocat"}`)
		case r.Method == http.MethodPost && r.URL.Path == "/repos/hookflow/docs/hooks":
			var in struct {
				Name   string
				Active bool
				Events []string
				Config struct {
					URL         string `json:"url"`
					ContentType string `json:"content_type"`
					Secret      string `json:"secret"`
				}
			}
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name != "web" || !in.Active || in.Config.URL == "" || len(in.Config.Secret) != 40 {
				http.Error(w, `{"message": "Validation Failed"}`, http.StatusUnprocessableEntity)
				return
			}
			g.mu.Lock()
			g.hook.URL, g.hook.Secret, g.events = in.Config.URL, in.Config.Secret, in.Events
			g.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id": 42, "name": "web", "active": true, "config": {"url": "…", "secret": "********"}}`)
		case r.Method == http.MethodDelete && r.URL.Path == "/repos/hookflow/docs/hooks/42":
			g.deletes.Add(1)
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(g.Close)
	return g
}

// deliver posts a GitHub delivery to the registered Event URL, signed
// with the hook's secret (or another), and returns the status.
func (g *fakeGitHub) deliver(t *testing.T, id string, body string, secret string) int {
	t.Helper()
	g.mu.Lock()
	url := g.hook.URL
	if secret == "" {
		secret = g.hook.Secret
	}
	g.mu.Unlock()
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "issues")
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestFormatWorkedExample imports the GitHub connector of flows/FORMAT.md
// as it is written there (its base URL pointed at a fake GitHub), deploys
// it, and runs it as a user would: a connection, a workspace flow ON (the
// hook is created with the Event URL and a secret), a signed delivery runs
// the flow with the documented outputs, a redelivery and a wrong signature
// run nothing, OFF deletes the hook.
func TestFormatWorkedExample(t *testing.T) {
	const pat = "ghp_example"
	gh := newFakeGitHub(t, pat)
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	c, token := srv.NewClient(), srv.Token(t)

	export := strings.Replace(githubExample(t), "https://api.github.com", gh.URL, 1)
	conID := int64(webtest.APIJSON(t, c, token, "POST", "/api/v1/connectors/import", export, http.StatusCreated)["id"].(float64))
	webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/connectors/%d/deploy", conID), nil, http.StatusCreated)
	conn := webtest.APIJSON(t, c, token, "POST", "/api/v1/connections", map[string]any{"connectorId": conID, "name": "octocat",
		"values": map[string]string{"token": pat}}, http.StatusCreated)

	v, err := srv.Store.Version(t.Context(), conID, 1)
	if err != nil {
		t.Fatal(err)
	}
	var eventFlow int64
	fmt.Sscan(v.Export.FlowsOfKind(flows.KindWebhookEvent)[0].Key, &eventFlow)
	node, src, err := flows.ConnectorEvent(v, eventFlow)
	if err != nil {
		t.Fatal(err)
	}
	node.Bindings = map[string]flows.Binding{"owner": {Value: "hookflow"}, "repo": {Value: "docs"}, "event": {Value: "issues"}}
	src.Connection = int64(conn["id"].(float64))
	def, _ := flows.NewDefinition(flows.KindWorkspace, "New issues")
	def.Event, def.Source = node, src
	def.Cards = []flows.Node{{ID: "who", Type: "text.upper", Bindings: map[string]flows.Binding{"text": webtest.Ref("event", "sender", "")}}}
	doc, _ := flows.MarshalDefinition(def)
	flowID := int64(webtest.APIJSON(t, c, token, "POST", "/api/v1/flows", doc, http.StatusCreated)["id"].(float64))

	on := webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", flowID), nil, http.StatusOK)
	gh.mu.Lock()
	hookURL, events := gh.hook.URL, strings.Join(gh.events, ",")
	gh.mu.Unlock()
	if st := on["state"].(map[string]any); st["eventUrl"] != hookURL || events != "issues" {
		t.Fatalf("ON: state %v, GitHub's hook at %s for %s", st, hookURL, events)
	}

	body := `{"action": "opened", "issue": {"number": 7}, "repository": {"full_name": "hookflow/docs"}, "sender": {"login": "octocat"}}`
	if code := gh.deliver(t, "d-1", body, "not-the-secret"); code != http.StatusForbidden {
		t.Fatalf("a delivery signed with another secret = %d, want 403", code)
	}
	for range 2 { // a delivery, then GitHub's redelivery of it
		if code := gh.deliver(t, "d-1", body, ""); code != http.StatusAccepted {
			t.Fatalf("delivery = %d, want 202", code)
		}
	}
	run := finishedPayloadRun(t, srv, flowID)
	want := map[string]any{"event": "issues", "action": "opened", "repository": "hookflow/docs", "sender": "octocat"}
	for k, v := range want {
		if run.Input[k] != v {
			t.Errorf("the run's %s = %v, want %v", k, run.Input[k], v)
		}
	}
	if run.Status != flows.StatusSucceeded || stepOf(t, run, "who").Outputs["output"] != "OCTOCAT" {
		t.Fatalf("the run: %s %s", run.Status, run.Error)
	}
	if n := len(webtest.PayloadRuns(t, srv.Store, flowID)); n != 1 {
		t.Fatalf("%d payload runs, want 1: the redelivery ran again", n)
	}

	webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/off", flowID), nil, http.StatusOK)
	webtest.WaitFor(t, "the hook deleted", func() bool { return gh.deletes.Load() == 1 })
}
