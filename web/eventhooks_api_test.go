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

			bad := apiCall(t, c, token, "POST", "/api/v1/event-hooks", `{"name":"Audit","url":"ftp://example.com"}`, 422)
			if msg := errorMessage(bad); !strings.Contains(msg, "must start with https://") {
				t.Errorf("a bad URL: %q", msg)
			}
			body := fmt.Sprintf(`{"name":"Audit","description":"to the SIEM","url":%q,"authField":"Authorization","authSecret":"Bearer xyz",
				"headers":[{"name":"X-Env","value":"prod"}],"events":["admin.signin.failed","execution.failed"]}`, recv.URL+"/hook")
			created := apiCall(t, c, token, "POST", "/api/v1/event-hooks", body, 201)
			signing, _ := created["signingSecret"].(string)
			if !strings.HasPrefix(signing, "whsec_") || created["active"] != true || created["verified"] != false || created["hasAuthSecret"] != true {
				t.Fatalf("created %v", created)
			}
			if _, ok := created["authSecret"]; ok {
				t.Errorf("the authentication secret was answered: %v", created)
			}
			base := fmt.Sprintf("/api/v1/event-hooks/%d", int64(created["id"].(float64)))
			apiCall(t, c, token, "POST", "/api/v1/event-hooks", strings.Replace(body, "Audit", "audit", 1), 409)

			shown := apiCall(t, c, token, "GET", base, "", 200)
			raw, _ := json.Marshal(shown)
			if strings.Contains(string(raw), "xyz") || strings.Contains(string(raw), signing) {
				t.Errorf("a secret in %s", raw)
			}
			if v := apiCall(t, c, token, "POST", base+"/verify", "", 200); v["verified"] != true {
				t.Fatalf("verify: %v", v)
			}
			apiCall(t, c, token, "DELETE", base, "", 409)

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
			apiCall(t, c, token, "GET", base+"/attempts", "", 200)

			changed := apiCall(t, c, token, "PUT", base, strings.Replace(body, "/hook", "/hook2", 1), 200)
			if changed["verified"] != false || changed["url"] != recv.URL+"/hook2" {
				t.Errorf("after a new URL: %v", changed)
			}
			list := apiCall(t, c, token, "GET", "/api/v1/event-hooks", "", 200)
			if hooks, _ := list["hooks"].([]any); len(hooks) != 1 {
				t.Errorf("list %v", list)
			}
			if off := apiCall(t, c, token, "POST", base+"/deactivate", "", 200); off["active"] != false {
				t.Errorf("deactivate: %v", off)
			}
			if on := apiCall(t, c, token, "POST", base+"/activate", "", 200); on["active"] != true {
				t.Errorf("activate: %v", on)
			}
			apiCall(t, c, token, "POST", base+"/deactivate", "", 200)
			apiCall(t, c, token, "DELETE", base, "", 204)
			apiCall(t, c, token, "GET", base, "", 404)
		})
	}
}
