package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestEventHookAPI creates, verifies, activates, changes, lists and
// deletes an event hook through the API, on SQLite and Postgres: secrets
// are never answered, the signing secret once; a refused sign-in then
// reaches the hook, signed.
func TestEventHookAPI(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			var mu sync.Mutex
			var posts []*http.Request
			var bodies [][]byte
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == "GET" && r.URL.Path == "/mute" {
					return
				}
				if r.Method == "GET" {
					fmt.Fprintf(w, `{"verification":%q}`, r.Header.Get(flows.HeaderVerification))
					return
				}
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				posts, bodies = append(posts, r), append(bodies, b)
				mu.Unlock()
			}))
			defer recv.Close()
			srv := webtest.StartWith(t, webtest.Options{DatabaseURL: db.URL(t), StartQueue: true,
				HookTiming: flows.HookTiming{BatchWait: 20 * time.Millisecond}})
			c, token := srv.NewClient(), srv.Token(t)

			bad := webtest.APICall(t, c, token, "POST", "/api/v1/event-hooks", `{"name":"Audit","url":"ftp://example.com"}`, 422)
			if msg := errorMessage(bad); !strings.Contains(msg, "must start with https://") {
				t.Errorf("a bad URL: %q", msg)
			}
			body := fmt.Sprintf(`{"name":"Audit","description":"to the SIEM","url":%q,"authField":"Authorization","authSecret":"Bearer xyz",
				"headers":[{"name":"X-Env","value":"prod"}],"events":["admin.signin.failed","execution.failed"]}`, recv.URL+"/hook")
			created := webtest.APICall(t, c, token, "POST", "/api/v1/event-hooks", body, 201)
			signing, _ := created["signingSecret"].(string)
			if !strings.HasPrefix(signing, "whsec_") || created["active"] != true || created["verified"] != false || created["hasAuthSecret"] != true {
				t.Fatalf("created %v", created)
			}
			if _, ok := created["authSecret"]; ok {
				t.Errorf("the authentication secret was answered: %v", created)
			}
			base := fmt.Sprintf("/api/v1/event-hooks/%d", int64(created["id"].(float64)))
			webtest.APICall(t, c, token, "POST", "/api/v1/event-hooks", strings.Replace(body, "Audit", "audit", 1), 409)

			shown := webtest.APICall(t, c, token, "GET", base, "", 200)
			raw, _ := json.Marshal(shown)
			if strings.Contains(string(raw), "xyz") || strings.Contains(string(raw), signing) {
				t.Errorf("a secret in %s", raw)
			}
			if v := webtest.APICall(t, c, token, "POST", base+"/verify", "", 200); v["verified"] != true {
				t.Fatalf("verify: %v", v)
			}
			webtest.APICall(t, c, token, "DELETE", base, "", 409)
			other := webtest.APICall(t, c, token, "POST", "/api/v1/event-hooks", fmt.Sprintf(`{"name":"Mute","url":%q}`, recv.URL+"/mute"), 201)
			refused := webtest.APICall(t, c, token, "POST", fmt.Sprintf("/api/v1/event-hooks/%d/verify", int64(other["id"].(float64))), "", 422)
			if msg := errorMessage(refused); msg != `The endpoint was not verified: the endpoint did not answer with JSON {"verification": "<the challenge>"}.` {
				t.Errorf("a failed verification: %q", msg)
			}

			// A refused sign-in reaches the hook, signed.
			res := c.PostForm(t, "/login", map[string][]string{"email": {"intruder@example.com"}, "password": {"guess"}, "_csrf": {c.CSRF(t, "/login")}})
			res.Body.Close()
			var got flows.HookEnvelope
			deadline := time.Now().Add(15 * time.Second)
			for {
				mu.Lock()
				n := len(posts)
				mu.Unlock()
				if n > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no delivery of the refused sign-in")
				}
				time.Sleep(50 * time.Millisecond)
			}
			mu.Lock()
			p, b := posts[0], bodies[0]
			mu.Unlock()
			if err := json.Unmarshal(b, &got); err != nil || len(got.Data.Events) != 1 {
				t.Fatalf("delivery %s: %v", b, err)
			}
			var ev flows.HookEvent
			json.Unmarshal(got.Data.Events[0], &ev)
			if ev.EventType != flows.EventAdminSigninFailed || ev.Actor.AlternateID != "intruder@example.com" || ev.Outcome.Result != "FAILURE" {
				t.Errorf("event %+v", ev)
			}
			if p.Header.Get("Authorization") != "Bearer xyz" || p.Header.Get("X-Env") != "prod" ||
				p.Header.Get(flows.HeaderHookSignature) != flows.SignHookBody(signing, b) || p.Header.Get(flows.HeaderHookEventID) != got.EventID {
				t.Errorf("headers %v", p.Header)
			}
			webtest.APICall(t, c, token, "GET", base+"/attempts", "", 200)

			changed := webtest.APICall(t, c, token, "PUT", base, strings.Replace(body, "/hook", "/hook2", 1), 200)
			if changed["verified"] != false || changed["url"] != recv.URL+"/hook2" {
				t.Errorf("after a new URL: %v", changed)
			}
			list := webtest.APICall(t, c, token, "GET", "/api/v1/event-hooks", "", 200)
			if hooks, _ := list["hooks"].([]any); len(hooks) != 2 {
				t.Errorf("list %v", list)
			}
			if off := webtest.APICall(t, c, token, "POST", base+"/deactivate", "", 200); off["active"] != false {
				t.Errorf("deactivate: %v", off)
			}
			if on := webtest.APICall(t, c, token, "POST", base+"/activate", "", 200); on["active"] != true {
				t.Errorf("activate: %v", on)
			}
			webtest.APICall(t, c, token, "POST", base+"/deactivate", "", 200)
			webtest.APICall(t, c, token, "DELETE", base, "", 204)
			webtest.APICall(t, c, token, "GET", base, "", 404)
		})
	}
}

// TestEventHookFlowEvents: with a hook for them, turning a flow on raises
// flow.activated, and a payload whose run fails for good raises
// execution.failed and delivery.dead, all delivered to the hook.
func TestEventHookFlowEvents(t *testing.T) {
	var mu sync.Mutex
	got := map[flows.HookEventType][]flows.HookEvent{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "GET" && r.URL.Path == "/hook":
			fmt.Fprintf(w, `{"verification":%q}`, r.Header.Get(flows.HeaderVerification))
		case r.URL.Path == "/hook":
			var env flows.HookEnvelope
			json.NewDecoder(r.Body).Decode(&env)
			mu.Lock()
			for _, raw := range env.Data.Events {
				var ev flows.HookEvent
				json.Unmarshal(raw, &ev)
				got[ev.EventType] = append(got[ev.EventType], ev)
			}
			mu.Unlock()
		default: // what the flow calls: gone for good
			http.Error(w, "no such thing", http.StatusNotFound)
		}
	}))
	defer recv.Close()
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true, HookTiming: flows.HookTiming{BatchWait: 20 * time.Millisecond}})
	c, token := srv.NewClient(), srv.Token(t)
	created := webtest.APICall(t, c, token, "POST", "/api/v1/event-hooks", fmt.Sprintf(`{"name":"Ops","url":%q,
		"events":["flow.activated","execution.failed","delivery.dead"]}`, recv.URL+"/hook"), 201)
	webtest.APICall(t, c, token, "POST", fmt.Sprintf("/api/v1/event-hooks/%d/verify", int64(created["id"].(float64))), "", 200)

	flowID, hook := webtest.OktaFlowWith(t, srv, flows.Node{ID: "call", Type: "http.get", Bindings: map[string]flows.Binding{"url": {Value: recv.URL + "/gone"}}})
	webtest.PostOktaEvent(t, srv, hook, 1)
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		done := len(got[flows.EventFlowActivated]) > 0 && len(got[flows.EventDeliveryDead]) > 0 && len(got[flows.EventExecutionFailed]) > 0
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			mu.Lock()
			t.Fatalf("events received: %v", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	on := got[flows.EventFlowActivated][0]
	if on.Target[0].Type != "Flow" || on.Target[0].ID != fmt.Sprint(flowID) || on.Target[0].DisplayName != "Okta events" {
		t.Errorf("flow.activated %+v", on)
	}
	dead := got[flows.EventDeliveryDead]
	if len(dead) != 1 || dead[0].Target[0].Type != "Delivery" || dead[0].Outcome.Result != "FAILURE" || !strings.Contains(*dead[0].Outcome.Reason, "404") {
		t.Errorf("delivery.dead %+v", dead)
	}
	failed := got[flows.EventExecutionFailed]
	if len(failed) != 1 || failed[0].Actor.ID != fmt.Sprint(flowID) {
		t.Errorf("execution.failed %+v", failed)
	}
}
