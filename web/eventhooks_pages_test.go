package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// hookPost posts a form with the page's CSRF token and returns the
// response and its body.
func hookPost(t *testing.T, c *webtest.Client, csrf, path string, form url.Values) (*http.Response, *goquery.Document) {
	t.Helper()
	form.Set("_csrf", csrf)
	res, body := c.Do(t, "POST", path, strings.NewReader(form.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	return res, parse(t, body)
}

// hookForm is a valid hook form for the endpoint u.
func hookForm(name, u string) url.Values {
	return url.Values{"name": {name}, "url": {u}, "description": {"to the SIEM"}, "authField": {"Authorization"},
		"authSecret": {"Bearer s3cret"}, "headers.0.name": {"X-Env"}, "headers.0.value": {"prod"}, "headers.1.name": {""},
		"headers.1.value": {""}, "events": {"admin.signin.failed", "execution.failed"}}
}

// TestEventHookPagesCreate: the empty list, the new form (execution.succeeded
// unchecked and marked high volume), a refused form with each error beside
// its field and nothing typed lost, a created hook with its signing secret
// shown once, and the list showing it Active and Unverified.
func TestEventHookPagesCreate(t *testing.T) {
	srv := webtest.Start(t)
	web := srv.SignedIn(t)
	recv := webtest.NewHookReceiver(t)

	_, body := web.Get(t, "/settings/event-hooks")
	doc := parse(t, body)
	if doc.Find(`[data-testid="hooks-empty"]`).Length() != 1 || doc.Find(`[data-testid="nav-settings"].active`).Length() != 1 {
		t.Fatalf("the empty list: %s", body)
	}
	_, body = web.Get(t, "/settings/event-hooks/new")
	doc = parse(t, body)
	succeeded := doc.Find(`[data-testid="event-execution.succeeded"]`)
	if _, checked := succeeded.Find("input").Attr("checked"); checked || succeeded.Find(`[data-testid="event-high-volume"]`).Length() != 1 {
		t.Errorf("execution.succeeded is checked or not marked high volume: %s", succeeded.Text())
	}
	if _, checked := doc.Find(`[data-testid="event-execution.failed"] input`).Attr("checked"); !checked {
		t.Error("execution.failed is not checked by default")
	}
	csrf := web.CSRF(t, "/settings/event-hooks/new")

	tests := []struct {
		name, field, want string
		change            func(url.Values)
	}{
		{"no name", "name", "The name is required.", func(f url.Values) { f.Set("name", " ") }},
		{"an ftp URL", "url", "The endpoint URL must start with https://", func(f url.Values) { f.Set("url", "ftp://example.com/x") }},
		{"a reserved header", "headers", `Custom header "Content-Type" is a header Hookflow sets itself.`, func(f url.Values) { f.Set("headers.0.name", "Content-Type") }},
		{"a secret without its field", "authField", "Name the authentication field the secret goes in", func(f url.Values) { f.Set("authField", "") }},
		{"no events", "events", "Choose at least one event.", func(f url.Values) { f.Del("events") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			form := hookForm("Audit", recv.URL+"/hook")
			tc.change(form)
			res, doc := hookPost(t, web, csrf, "/settings/event-hooks", form)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", res.StatusCode)
			}
			if msg := doc.Find(`[data-testid="error-` + tc.field + `"]`).Text(); !strings.HasPrefix(msg, tc.want) {
				t.Errorf("the %s error = %q, want %q", tc.field, msg, tc.want)
			}
			if v, _ := doc.Find(`[data-testid="hook-description"]`).Html(); v != "to the SIEM" {
				t.Errorf("the description was lost: %q", v)
			}
			if v, _ := doc.Find(`[data-testid="hook-header-value"]`).First().Attr("value"); v != "prod" {
				t.Errorf("the header was lost: %q", v)
			}
			if html, _ := doc.Html(); strings.Contains(html, "s3cret") || doc.Find(`[data-testid="hook-secret-again"]`).Length() != 1 {
				t.Error("the secret is sent back, or the form does not ask for it again")
			}
		})
	}

	res, doc := hookPost(t, web, csrf, "/settings/event-hooks", hookForm("Audit", recv.URL+"/hook"))
	secret, _ := doc.Find(`[data-testid="signing-secret-value"]`).Attr("value")
	if res.StatusCode != http.StatusCreated || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("create = %d, secret %q", res.StatusCode, secret)
	}
	res, doc = hookPost(t, web, csrf, "/settings/event-hooks", hookForm("audit", recv.URL+"/other"))
	if msg := doc.Find(`[data-testid="error-name"]`).Text(); res.StatusCode != http.StatusUnprocessableEntity || msg != `Another event hook is named "audit".` {
		t.Errorf("a taken name = %d %q", res.StatusCode, msg)
	}

	_, body = web.Get(t, "/settings/event-hooks")
	doc = parse(t, body)
	row := doc.Find(`[data-testid="hook-row"]`)
	if row.Length() != 1 || row.Find(`[data-testid="hook-active"]`).Length() != 1 || row.Find(`[data-testid="hook-unverified"]`).Length() != 1 ||
		strings.TrimSpace(row.Find(`[data-testid="hook-last"]`).Text()) != "none yet" {
		t.Errorf("the list row: %s", row.Text())
	}
	if strings.Contains(body, secret) || strings.Contains(body, "s3cret") {
		t.Error("a secret is on the list")
	}
	id, _ := row.Attr("data-hook")
	_, body = web.Get(t, "/settings/event-hooks/"+id)
	if strings.Contains(body, secret) || strings.Contains(body, "s3cret") {
		t.Error("a secret is shown again on the hook's page")
	}
}

// TestEventHookPagesFull: with 25 hooks the list and the form say so, and
// a 26th is refused above the form.
func TestEventHookPagesFull(t *testing.T) {
	srv := webtest.Start(t)
	web := srv.SignedIn(t)
	for i := range flows.MaxEventHooks {
		h := flows.EventHook{Name: fmt.Sprintf("Hook %d", i), URL: "https://example.com/h", Headers: []flows.HookHeader{}, Events: flows.DefaultHookEventTypes()}
		if _, err := srv.Store.CreateEventHook(context.Background(), h, flows.HookSecrets{Signing: flows.NewSigningSecret()}); err != nil {
			t.Fatal(err)
		}
	}
	_, body := web.Get(t, "/settings/event-hooks")
	if doc := parse(t, body); doc.Find(`[data-testid="hooks-full"]`).Length() != 1 || doc.Find(`[data-testid="hook-new"]`).Length() != 0 {
		t.Errorf("a full list does not say so")
	}
	_, body = web.Get(t, "/settings/event-hooks/new")
	if parse(t, body).Find(`[data-testid="hooks-full"]`).Length() != 1 {
		t.Errorf("a full form does not say so")
	}
	res, doc := hookPost(t, web, web.CSRF(t, "/settings/event-hooks/new"), "/settings/event-hooks", hookForm("One more", "https://example.com/h"))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Find(`[data-testid="error-form"]`).Text(), "the most there may be") {
		t.Errorf("a 26th hook = %d %q", res.StatusCode, doc.Find(`[data-testid="error-form"]`).Text())
	}
}

// createHookPage creates a hook through the form and returns its page's path.
func createHookPage(t *testing.T, web *webtest.Client, name, u string) string {
	t.Helper()
	res, doc := hookPost(t, web, web.CSRF(t, "/settings/event-hooks/new"), "/settings/event-hooks", hookForm(name, u))
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create %s = %d", name, res.StatusCode)
	}
	edit, _ := doc.Find(`[data-testid="hook-edit"]`).Attr("href")
	return strings.TrimSuffix(edit, "/edit")
}

// TestEventHookPagesEdit: the edit form never shows the secret; saved with
// the secret left blank, the secret is kept; a new URL makes the hook
// unverified; Remove the secret removes it.
func TestEventHookPagesEdit(t *testing.T) {
	srv := webtest.Start(t)
	web := srv.SignedIn(t)
	recv := webtest.NewHookReceiver(t)
	path := createHookPage(t, web, "Audit", recv.URL+"/hook")
	csrf := web.CSRF(t, path)
	hookPost(t, web, csrf, path+"/verify", url.Values{})

	_, body := web.Get(t, path+"/edit")
	doc := parse(t, body)
	if v, has := doc.Find(`[data-testid="hook-auth-secret"]`).Attr("value"); has || strings.Contains(body, "s3cret") {
		t.Fatalf("the edit form shows the secret %q", v)
	}
	form := hookForm("Audit", recv.URL+"/hook")
	form.Set("authSecret", "")
	form.Set("description", "changed")
	if res, _ := hookPost(t, web, csrf, path, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save = %d", res.StatusCode)
	}
	h := hookAt(t, srv, path)
	sec, err := srv.Store.EventHookSecrets(context.Background(), h.ID)
	if err != nil || sec.Auth != "Bearer s3cret" || h.Description != "changed" || !h.Verified {
		t.Errorf("after saving with a blank secret: %+v, auth %q, %v", h, sec.Auth, err)
	}

	form.Set("url", recv.URL+"/moved")
	hookPost(t, web, csrf, path, form)
	if h := hookAt(t, srv, path); h.Verified || h.URL != recv.URL+"/moved" {
		t.Errorf("a new URL kept the hook verified: %+v", h)
	}
	form.Set("authSecretClear", "1")
	hookPost(t, web, csrf, path, form)
	if h := hookAt(t, srv, path); h.HasSecret {
		t.Errorf("Remove the secret kept it")
	}
}

// hookAt loads the hook of a hook page's path.
func hookAt(t *testing.T, srv *webtest.Server, path string) flows.EventHook {
	t.Helper()
	var id int64
	fmt.Sscanf(path, "/settings/event-hooks/%d", &id)
	h, err := srv.Store.EventHook(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestEventHookPagesStateAndDelete: Verify shows its outcome beside it, in
// plain words when it fails; an active hook is not deleted, nor offered a
// Delete; a deactivated one is, after its confirmation page.
func TestEventHookPagesStateAndDelete(t *testing.T) {
	srv := webtest.Start(t)
	web := srv.SignedIn(t)
	recv := webtest.NewHookReceiver(t)
	mute := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	defer mute.Close()

	path := createHookPage(t, web, "Mute", mute.URL+"/hook")
	csrf := web.CSRF(t, path)
	hookPost(t, web, csrf, path+"/verify", url.Values{})
	_, body := web.Get(t, path)
	doc := parse(t, body)
	if msg := doc.Find(`[data-testid="verify-error"]`).Text(); msg != "The endpoint was not verified: the endpoint answered HTTP 500." {
		t.Errorf("a failed verification = %q", msg)
	}
	if doc.Find(`[data-testid="hook-delete"]`).Length() != 0 {
		t.Error("an active hook offers Delete")
	}
	if res, _ := hookPost(t, web, csrf, path+"/delete", url.Values{}); res.StatusCode != http.StatusConflict {
		t.Errorf("delete an active hook = %d", res.StatusCode)
	}
	if res, _ := web.Get(t, path+"/delete"); res.StatusCode != http.StatusConflict {
		t.Errorf("confirm deleting an active hook = %d", res.StatusCode)
	}
	hookAt(t, srv, path)

	hookPost(t, web, csrf, path+"/deactivate", url.Values{})
	_, body = web.Get(t, path)
	doc = parse(t, body)
	if doc.Find(`[data-testid="hook-inactive"]`).Length() != 1 || doc.Find(`[data-testid="hook-delete"]`).Length() != 1 {
		t.Fatalf("a deactivated hook: %s", doc.Find(`[data-testid="hook-status"]`).Text())
	}
	if _, body := web.Get(t, path+"/delete"); parse(t, body).Find(`[data-testid="delete-submit"]`).Length() != 1 {
		t.Fatal("no confirmation page")
	}
	if res, _ := hookPost(t, web, csrf, path+"/delete", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete = %d", res.StatusCode)
	}
	if res, _ := web.Get(t, path); res.StatusCode != http.StatusNotFound {
		t.Errorf("the deleted hook's page = %d", res.StatusCode)
	}

	good := createHookPage(t, web, "Good", recv.URL+"/hook")
	hookPost(t, web, csrf, good+"/verify", url.Values{})
	_, body = web.Get(t, good)
	doc = parse(t, body)
	if doc.Find(`[data-testid="verify-success"]`).Length() != 1 || doc.Find(`[data-testid="hook-verified"]`).Length() != 1 {
		t.Errorf("a verified hook: %s", doc.Find(`[data-testid="hook-status"]`).Text())
	}
}

// TestEventHookPagesDeliveries: a delivery the endpoint refused (400) is
// listed with its status, attempts and error; its page shows the request
// and response bodies; Re-deliver sends the same events again to the real
// endpoint, signed and with the hook's headers, recorded as its next
// attempt; the API lists and re-delivers as well.
func TestEventHookPagesDeliveries(t *testing.T) {
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true, HookTiming: flows.HookTiming{BatchWait: 20 * time.Millisecond}})
	web := srv.SignedIn(t)
	recv := webtest.NewHookReceiver(t)
	recv.SetStatus(http.StatusBadRequest)
	path := createHookPage(t, web, "Audit", recv.URL+"/hook")
	csrf := web.CSRF(t, path)
	hookPost(t, web, csrf, path+"/verify", url.Values{})
	h := hookAt(t, srv, path)

	// A refused sign-in is delivered and refused.
	anon := srv.NewClient()
	anon.PostForm(t, "/login", url.Values{"email": {"intruder@example.com"}, "password": {"guess"}}).Body.Close()
	webtest.WaitFor(t, "the refused delivery", func() bool {
		ds, _, _ := srv.Store.EventHookDeliveries(context.Background(), h.ID, 0, 10)
		return len(ds) == 1
	})
	_, body := web.Get(t, path)
	doc := parse(t, body)
	row := doc.Find(`[data-testid="delivery-row"]`)
	if row.Length() != 1 || strings.TrimSpace(row.Find(`[data-testid="delivery-status"]`).Text()) != "400" ||
		row.Find(`[data-testid="delivery-attempts"]`).Text() != "1" || !strings.Contains(row.Text(), "admin.signin.failed") ||
		!strings.Contains(row.Text(), "it is not retried") {
		t.Fatalf("the deliveries list: %s", row.Text())
	}
	link, _ := row.Find(`[data-testid="delivery-link"]`).Attr("href")
	delivery, _ := row.Attr("data-delivery")
	_, body = web.Get(t, link)
	doc = parse(t, body)
	first := recv.Received()[0]
	if doc.Find(`[data-testid="attempt"]`).Length() != 1 || compactJSON(doc.Find(`[data-testid="attempt-request"]`).Text()) != string(first.Body) ||
		compactJSON(doc.Find(`[data-testid="attempt-response"]`).Text()) != `{"received":true,"status":400}` {
		t.Fatalf("the delivery's page: %s", doc.Find("main").Text())
	}

	// Re-deliver, now that the endpoint accepts.
	recv.SetStatus(http.StatusOK)
	res, _ := hookPost(t, web, csrf, link+"/redeliver", url.Values{})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != link {
		t.Fatalf("re-deliver = %d to %s", res.StatusCode, res.Header.Get("Location"))
	}
	got := recv.Received()
	if len(got) != 2 {
		t.Fatalf("%d requests received", len(got))
	}
	again := got[1]
	sec, _ := srv.Store.EventHookSecrets(context.Background(), h.ID)
	var env1, env2 flows.HookEnvelope
	json.Unmarshal(first.Body, &env1)
	json.Unmarshal(again.Body, &env2)
	if again.Header.Get("Authorization") != "Bearer s3cret" || again.Header.Get("X-Env") != "prod" ||
		again.Header.Get(flows.HeaderHookSignature) != flows.SignHookBody(sec.Signing, again.Body) ||
		again.Header.Get(flows.HeaderHookEventID) != delivery || env2.EventID != delivery ||
		len(env2.Data.Events) != 1 || string(env2.Data.Events[0]) != string(env1.Data.Events[0]) {
		t.Errorf("the re-delivery: %v %s", again.Header, again.Body)
	}
	_, body = web.Get(t, link)
	doc = parse(t, body)
	if doc.Find(`[data-testid="attempt"]`).Length() != 2 || doc.Find(`[data-testid="flash-success"]`).Text() != "Re-delivered: the endpoint answered HTTP 200." {
		t.Errorf("after re-delivering: %s", doc.Find("main").Text())
	}
	_, body = web.Get(t, path)
	if n := parse(t, body).Find(`[data-testid="delivery-attempts"]`).Text(); n != "2" {
		t.Errorf("the list counts %s attempts", n)
	}

	// The API.
	api, token := srv.NewClient(), srv.Token(t)
	base := fmt.Sprintf("/api/v1/event-hooks/%d", h.ID)
	list := webtest.APICall(t, api, token, "GET", base+"/deliveries", "", 200)
	ds, _ := list["deliveries"].([]any)
	if list["total"] != float64(1) || len(ds) != 1 || ds[0].(map[string]any)["attempts"] != float64(2) {
		t.Errorf("the API's deliveries: %v", list)
	}
	a := webtest.APICall(t, api, token, "POST", base+"/deliveries/"+delivery+"/redeliver", "", 200)
	if a["ok"] != true || a["attempt"] != float64(3) || len(recv.Received()) != 3 {
		t.Errorf("the API's re-delivery: %v", a)
	}
	one := webtest.APICall(t, api, token, "GET", base+"/deliveries/"+delivery, "", 200)
	if as, _ := one["attempts"].([]any); len(as) != 3 {
		t.Errorf("the API's delivery: %v", one)
	}
	webtest.APICall(t, api, token, "POST", base+"/deliveries/no-such/redeliver", "", 404)
}

// TestEventHookPagesPreview: a picked event type's sample body is the
// envelope with one event of that type; Deliver now sends the edited body
// to the real endpoint, signed, even though the hook is unverified, and
// shows the status and response; a body that is not JSON is refused beside
// it and kept; the API previews too.
func TestEventHookPagesPreview(t *testing.T) {
	srv := webtest.Start(t)
	web := srv.SignedIn(t)
	recv := webtest.NewHookReceiver(t)
	recv.SetStatus(http.StatusAccepted)
	path := createHookPage(t, web, "Audit", recv.URL+"/hook")
	h := hookAt(t, srv, path)
	csrf := web.CSRF(t, path)

	_, body := web.Get(t, path+"?preview=table.cleared")
	sample := parse(t, body).Find(`[data-testid="preview-body"]`).Text()
	var env flows.HookEnvelope
	var ev flows.HookEvent
	if err := json.Unmarshal([]byte(sample), &env); err != nil || env.EventType != flows.HookEnvelopeType || len(env.Data.Events) != 1 {
		t.Fatalf("the sample %s: %v", sample, err)
	}
	if json.Unmarshal(env.Data.Events[0], &ev); ev.EventType != flows.EventTableCleared || ev.Target[0].Type != "Table" {
		t.Errorf("the sample event: %+v", ev)
	}

	edited := strings.Replace(sample, "Customers", "Invoices", 1)
	res, doc := hookPost(t, web, csrf, path+"/preview", url.Values{"eventType": {"table.cleared"}, "body": {edited}})
	if res.StatusCode != http.StatusOK || doc.Find(`[data-testid="preview-result"] [data-testid="outcome-ok"]`).Text() != "Delivered · HTTP 202" ||
		compactJSON(doc.Find(`[data-testid="preview-response"]`).Text()) != `{"received":true,"status":202}` {
		t.Fatalf("the preview = %d: %s", res.StatusCode, doc.Find(`[data-testid="hook-preview"]`).Text())
	}
	got := recv.Received()
	sec, _ := srv.Store.EventHookSecrets(context.Background(), h.ID)
	if len(got) != 1 || string(got[0].Body) != strings.TrimSpace(edited) || got[0].Header.Get(flows.HeaderHookSignature) != flows.SignHookBody(sec.Signing, got[0].Body) ||
		got[0].Header.Get(flows.HeaderHookEventID) != env.EventID || got[0].Header.Get("X-Env") != "prod" {
		t.Errorf("the endpoint got %v %s", got, edited)
	}

	res, doc = hookPost(t, web, csrf, path+"/preview", url.Values{"eventType": {"table.cleared"}, "body": {`{"eventType": }`}})
	if msg := doc.Find(`[data-testid="error-body"]`).Text(); res.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(msg, "The body is not valid JSON") {
		t.Errorf("invalid JSON = %d %q", res.StatusCode, msg)
	}
	if v := doc.Find(`[data-testid="preview-body"]`).Text(); v != `{"eventType": }` || len(recv.Received()) != 1 {
		t.Errorf("the invalid body was not kept (%q) or was sent", v)
	}

	api, token := srv.NewClient(), srv.Token(t)
	a := webtest.APICall(t, api, token, "POST", fmt.Sprintf("/api/v1/event-hooks/%d/preview?eventType=flow.activated", h.ID), "", 200)
	if a["status"] != float64(202) || a["ok"] != true || !strings.Contains(a["requestBody"].(string), `"flow.activated"`) {
		t.Errorf("the API's preview: %v", a)
	}
	bad := webtest.APICall(t, api, token, "POST", fmt.Sprintf("/api/v1/event-hooks/%d/preview", h.ID), "{nope", 422)
	if !strings.HasPrefix(errorMessage(bad), "The body is not valid JSON") {
		t.Errorf("the API's invalid preview: %v", bad)
	}
}

// compactJSON is a JSON text as it was sent, without the indentation a
// page adds.
func compactJSON(s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return s
	}
	return b.String()
}

// TestEventHookPagesGaveUp: a hook Hookflow turned off after its
// deliveries failed for the give-up period (a short one here) shows why,
// on the list and on its page.
func TestEventHookPagesGaveUp(t *testing.T) {
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true,
		HookTiming: flows.HookTiming{BatchWait: 10 * time.Millisecond, GiveUp: time.Nanosecond, RetryBase: 10 * time.Millisecond}})
	web := srv.SignedIn(t)
	recv := webtest.NewHookReceiver(t)
	recv.SetStatus(http.StatusServiceUnavailable)
	path := createHookPage(t, web, "Flaky", recv.URL+"/hook")
	hookPost(t, web, web.CSRF(t, path), path+"/verify", url.Values{})
	srv.NewClient().PostForm(t, "/login", url.Values{"email": {"intruder@example.com"}, "password": {"guess"}}).Body.Close()
	webtest.WaitFor(t, "the hook turned off", func() bool { return !hookAt(t, srv, path).Active })

	_, body := web.Get(t, "/settings/event-hooks")
	if msg := parse(t, body).Find(`[data-testid="hook-deactivated"]`).Text(); !strings.Contains(msg, "Hookflow turned this hook off") ||
		!strings.Contains(msg, "HTTP 503") {
		t.Errorf("the list's notice = %q", msg)
	}
	_, body = web.Get(t, path)
	doc := parse(t, body)
	if msg := doc.Find(`[data-testid="hook-deactivated"]`).Text(); !strings.Contains(msg, "Activate it again") || doc.Find(`[data-testid="hook-inactive"]`).Length() != 1 {
		t.Errorf("the page's notice = %q", msg)
	}
}

// TestEventHookPagesDeliveriesPaged: a hook's deliveries come 20 to a
// page, newest first, with links to the older and newer pages.
func TestEventHookPagesDeliveriesPaged(t *testing.T) {
	srv := webtest.Start(t)
	web := srv.SignedIn(t)
	path := createHookPage(t, web, "Busy", "https://example.com/events")
	h := hookAt(t, srv, path)
	at := time.Now().UTC()
	for i := range 23 {
		_, err := srv.Store.RecordEventHookAttempt(context.Background(), flows.HookAttempt{HookID: h.ID, Delivery: fmt.Sprintf("d%02d", i),
			At: at.Add(time.Duration(i) * time.Second), Events: 1, Attempt: 1, Status: 200, OK: true, RequestBody: "{}"})
		if err != nil {
			t.Fatal(err)
		}
	}
	_, body := web.Get(t, path)
	doc := parse(t, body)
	first, _ := doc.Find(`[data-testid="delivery-row"]`).First().Attr("data-delivery")
	if doc.Find(`[data-testid="delivery-row"]`).Length() != 20 || first != "d22" || doc.Find(`[data-testid="page-next"]`).Length() != 1 ||
		doc.Find(`[data-testid="page-prev"]`).Length() != 0 {
		t.Fatalf("the first page starts at %s with %d rows", first, doc.Find(`[data-testid="delivery-row"]`).Length())
	}
	next, _ := doc.Find(`[data-testid="page-next"]`).Attr("href")
	_, body = web.Get(t, next)
	doc = parse(t, body)
	first, _ = doc.Find(`[data-testid="delivery-row"]`).First().Attr("data-delivery")
	if doc.Find(`[data-testid="delivery-row"]`).Length() != 3 || first != "d02" || doc.Find(`[data-testid="page-prev"]`).Length() != 1 {
		t.Errorf("the second page starts at %s with %d rows", first, doc.Find(`[data-testid="delivery-row"]`).Length())
	}
}
