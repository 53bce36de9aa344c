package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// conformEventHooks drives the Event Hooks API against a receiver that
// answers the verification challenge: a hook is created (a bad one and a
// second of the same name refused), listed, read, verified; a refused
// sign-in makes a delivery, which is listed, read and sent again; the
// attempts, the sample body and two Previews are read; the hook is
// changed, turned off and on, and deleted once it is off.
func conformEventHooks(t *testing.T, srv *webtest.Server, call apiCaller) {
	t.Helper()
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			fmt.Fprintf(w, `{"verification":%q}`, r.Header.Get(flows.HeaderVerification))
			return
		}
		w.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(recv.Close)

	doc := fmt.Sprintf(`{"name": "SIEM", "description": "audit trail", "url": %q, "authField": "Authorization",
		"authSecret": "Bearer s3cret", "headers": [{"name": "X-Env", "value": "prod"}], "events": ["admin.signin.failed"]}`, recv.URL+"/hook")
	call("POST", "/api/v1/event-hooks", `{"name": "SIEM", "url": "ftp://example.com"}`, http.StatusUnprocessableEntity)
	created := call("POST", "/api/v1/event-hooks", doc, http.StatusCreated)
	if s, _ := created["signingSecret"].(string); !strings.HasPrefix(s, "whsec_") {
		t.Fatalf("created hook: %v", created)
	}
	call("POST", "/api/v1/event-hooks", strings.Replace(doc, "SIEM", "siem", 1), http.StatusConflict)
	hp := fmt.Sprintf("/api/v1/event-hooks/%d", int64(created["id"].(float64)))
	if list := call("GET", "/api/v1/event-hooks", "", http.StatusOK); len(list["hooks"].([]any)) != 1 {
		t.Fatalf("hooks listed: %v", list)
	}
	call("GET", hp, "", http.StatusOK)
	call("GET", "/api/v1/event-hooks/999", "", http.StatusNotFound)
	if v := call("POST", hp+"/verify", "", http.StatusOK); v["verified"] != true {
		t.Fatalf("verify: %v", v)
	}
	call("DELETE", hp, "", http.StatusConflict) // it is active

	// A refused sign-in is delivered to the hook.
	res := srv.NewClient().PostForm(t, "/login", url.Values{"email": {"intruder@example.com"}, "password": {"guess"}})
	res.Body.Close()
	var delivery string
	webtest.WaitFor(t, "the refused sign-in delivered", func() bool {
		page := call("GET", hp+"/deliveries?page=1&limit=5", "", http.StatusOK)
		ds := page["deliveries"].([]any)
		if len(ds) == 0 {
			return false
		}
		delivery = ds[0].(map[string]any)["id"].(string)
		return true
	})
	call("GET", hp+"/deliveries/"+delivery, "", http.StatusOK)
	call("GET", hp+"/deliveries/nope", "", http.StatusNotFound)
	if a := call("POST", hp+"/deliveries/"+delivery+"/redeliver", "", http.StatusOK); a["ok"] != true || a["attempt"] != 2.0 {
		t.Fatalf("re-delivery: %v", a)
	}
	call("GET", hp+"/attempts", "", http.StatusOK)

	// Preview: the sample body, sent as it is, and a body of one's own.
	if sample := call("GET", hp+"/preview?eventType=table.cleared", "", http.StatusOK); sample["eventType"] != flows.HookEnvelopeType {
		t.Fatalf("sample: %v", sample)
	}
	call("GET", hp+"/preview?eventType=nope", "", http.StatusUnprocessableEntity)
	call("POST", hp+"/preview?eventType=flow.activated", "", http.StatusOK)
	if a := call("POST", hp+"/preview", `{"eventId": "test-1", "data": {"events": []}}`, http.StatusOK); a["delivery"] != "test-1" || a["status"] != 200.0 {
		t.Fatalf("preview: %v", a)
	}

	// Changed (a new URL makes it unverified), off and on, off, and deleted.
	if ch := call("PUT", hp, strings.Replace(doc, "/hook", "/hook2", 1), http.StatusOK); ch["verified"] != false {
		t.Fatalf("changed: %v", ch)
	}
	call("PUT", hp, `{"name": "", "url": "https://example.com"}`, http.StatusUnprocessableEntity)
	call("POST", hp+"/deactivate", "", http.StatusOK)
	call("POST", hp+"/activate", "", http.StatusOK)
	call("POST", hp+"/deactivate", "", http.StatusOK)
	call("DELETE", hp, "", http.StatusNoContent)
	call("GET", hp, "", http.StatusNotFound)
}
