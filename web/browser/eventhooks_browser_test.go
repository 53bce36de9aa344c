package browser_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestBrowserEventHooks creates an event hook in a real browser pointing
// at a real endpoint that answers the verification challenge (adding a
// custom header row and removing another), sees it Active and Unverified
// with its signing secret shown once, deactivates, verifies and activates
// it, watching the states change, sends a Preview, and reads a delivery;
// each page at 1440 and 1024 px.
func TestBrowserEventHooks(t *testing.T) {
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true, HookTiming: flows.HookTiming{BatchWait: 20 * time.Millisecond}})
	recv := webtest.NewHookReceiver(t)
	b := webtest.NewBrowser(t, srv)
	b.Run(chromedp.EmulateViewport(1440, 900))
	b.SignIn()
	shot := func(name string) {
		for _, w := range []int64{1024, 1440} {
			b.Run(chromedp.EmulateViewport(w, 900))
			b.Screenshot(fmt.Sprintf("event-hooks-%s-%d", name, w))
		}
	}

	b.Open("/settings")
	b.Run(chromedp.Click(webtest.TestID("event-hooks-link")), chromedp.WaitVisible(webtest.TestID("hooks-empty")))
	shot("empty")
	b.Run(chromedp.Click(webtest.TestID("hook-new")), chromedp.WaitVisible(webtest.TestID("hook-form")))
	b.Run(
		chromedp.SendKeys(webtest.TestID("hook-url"), "ftp://example.com/events"),
		chromedp.SendKeys(webtest.TestID("hook-name-input"), "SIEM"),
		chromedp.SendKeys(webtest.TestID("hook-auth-field"), "Authorization"),
		chromedp.SendKeys(webtest.TestID("hook-auth-secret"), "Bearer abc"),
		chromedp.SendKeys(`[data-testid="hook-header-row"]:nth-child(1) [data-testid="hook-header-name"]`, "X-Env"),
		chromedp.SendKeys(`[data-testid="hook-header-row"]:nth-child(1) [data-testid="hook-header-value"]`, "prod"),
		chromedp.Click(webtest.TestID("hook-header-add")),
		chromedp.SendKeys(`[data-testid="hook-header-row"]:nth-child(2) [data-testid="hook-header-name"]`, "X-Drop"),
		chromedp.Click(webtest.TestID("hook-header-add")),
		chromedp.SendKeys(`[data-testid="hook-header-row"]:nth-child(3) [data-testid="hook-header-name"]`, "X-Team"),
		chromedp.SendKeys(`[data-testid="hook-header-row"]:nth-child(3) [data-testid="hook-header-value"]`, "ops"),
		chromedp.Click(`[data-testid="hook-header-row"]:nth-child(2) [data-testid="hook-header-remove"]`),
	)
	shot("new")
	// A refused URL is said beside it; the rest stays as typed but the secret.
	b.Run(chromedp.Click(webtest.TestID("hook-save")), chromedp.WaitVisible(webtest.TestID("error-url")))
	if got := b.Text("error-url"); !strings.HasPrefix(got, "The endpoint URL must start with https://") {
		t.Fatalf("the URL's error: %q", got)
	}
	kept := webtest.Value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="hook-form"] input[type=text]')].map(i => i.value).filter(v => v)`))
	if strings.Join(kept, ",") != "SIEM,Authorization,X-Env,prod,X-Team,ops" {
		t.Fatalf("the refused form kept %q", kept)
	}
	shot("refused")
	b.Run(
		chromedp.SetValue(webtest.TestID("hook-url"), recv.URL+"/events"),
		chromedp.SendKeys(webtest.TestID("hook-auth-secret"), "Bearer abc"),
		chromedp.Click(webtest.TestID("hook-save")), chromedp.WaitVisible(webtest.TestID("signing-secret")))
	if secret := webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="signing-secret-value"]').value`)); !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("the signing secret shown: %q", secret)
	}
	state := func() string {
		return webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="hook-status"] .hook-state').innerText.replace(/\s+/g, " ").trim()`))
	}
	if got := state(); got != "Active Unverified" {
		t.Fatalf("a new hook is %q", got)
	}
	shot("created")
	hooks, err := srv.Store.EventHooks(context.Background())
	if err != nil || len(hooks) != 1 {
		t.Fatalf("hooks %v: %v", hooks, err)
	}
	h := hooks[0]
	if len(h.Headers) != 2 || h.Headers[0] != (flows.HookHeader{Name: "X-Env", Value: "prod"}) || h.Headers[1] != (flows.HookHeader{Name: "X-Team", Value: "ops"}) {
		t.Errorf("the headers saved: %v", h.Headers)
	}
	if sec, err := srv.Store.EventHookSecrets(context.Background(), h.ID); err != nil || sec.Auth != "Bearer abc" {
		t.Errorf("the secret saved: %q, %v", sec.Auth, err)
	}

	b.Run(chromedp.Click(webtest.TestID("hook-deactivate")), chromedp.WaitVisible(webtest.TestID("hook-activate")))
	if got := state(); got != "Inactive Unverified" {
		t.Fatalf("deactivated: %q", got)
	}
	b.Run(chromedp.Click(webtest.TestID("hook-verify")), chromedp.WaitVisible(webtest.TestID("verify-success")))
	if got := state(); got != "Inactive Verified" {
		t.Fatalf("verified: %q", got)
	}
	b.Run(chromedp.Click(webtest.TestID("hook-activate")), chromedp.WaitVisible(webtest.TestID("hook-deactivate")))
	if got := state(); got != "Active Verified" {
		t.Fatalf("activated: %q", got)
	}

	// A Preview of a picked event type.
	b.Run(chromedp.SetValue(webtest.TestID("preview-type"), "flow.activated"), chromedp.Click(webtest.TestID("preview-sample")))
	webtest.WaitFor(t, "the sample of flow.activated", func() bool {
		return strings.Contains(webtest.Value(b, chromedp.Evaluate[string](
			`(document.querySelector('[data-testid="preview-body"]') || {}).value || ""`)), `"eventType": "flow.activated"`)
	})
	b.Run(chromedp.Click(webtest.TestID("preview-send")), chromedp.WaitVisible(webtest.TestID("preview-result")))
	if got := b.Text("outcome-ok"); got != "Delivered · HTTP 200" {
		t.Errorf("the preview's outcome: %q", got)
	}

	// A refused sign-in is delivered; its delivery is listed and opened.
	anon := srv.NewClient()
	anon.PostForm(t, "/login", url.Values{"email": {"intruder@example.com"}, "password": {"guess"}}).Body.Close()
	webtest.WaitFor(t, "the delivery", func() bool {
		ds, _, _ := srv.Store.EventHookDeliveries(context.Background(), h.ID, 0, 1)
		return len(ds) == 1
	})
	b.Open(fmt.Sprintf("/settings/event-hooks/%d", h.ID))
	b.Run(chromedp.WaitVisible(webtest.TestID("deliveries-list")))
	shot("hook")
	b.Run(chromedp.Click(webtest.TestID("delivery-link")), chromedp.WaitVisible(webtest.TestID("attempt")))
	shot("delivery")
	b.Open("/settings/event-hooks")
	b.Run(chromedp.WaitVisible(webtest.TestID("hook-row")))
	if got := b.Text("hook-last"); !strings.Contains(got, "Delivered · HTTP 200") {
		t.Errorf("the list's last delivery: %q", got)
	}
	shot("list")
	b.Open(fmt.Sprintf("/settings/event-hooks/%d/edit", h.ID))
	b.Run(chromedp.WaitVisible(webtest.TestID("hook-form")))
	shot("edit")
}

// layoutEventHooks adds the event hooks the layout test looks at: one
// verified and active that received a delivery, and an inactive one. It
// returns their pages to visit.
func layoutEventHooks(t *testing.T, srv *webtest.Server, api *webtest.Client, token string) []layoutPage {
	t.Helper()
	recv := webtest.NewHookReceiver(t)
	route := srv.Web.URL
	h := webtest.APICall(t, api, token, "POST", "/api/v1/event-hooks", fmt.Sprintf(`{"name":"Security team SIEM","description":"Refused sign-ins and failed runs",
		"url":%q,"authField":"Authorization","authSecret":"Bearer x","headers":[{"name":"X-Env","value":"production"}]}`, recv.URL+"/events"), 201)
	id := int64(h["id"].(float64))
	webtest.APICall(t, api, token, "POST", fmt.Sprintf("/api/v1/event-hooks/%d/verify", id), "", 200)
	idle := webtest.APICall(t, api, token, "POST", "/api/v1/event-hooks", fmt.Sprintf(`{"name":"Staging","url":%q}`, recv.URL+"/staging"), 201)
	idleID := int64(idle["id"].(float64))
	webtest.APICall(t, api, token, "POST", fmt.Sprintf("/api/v1/event-hooks/%d/deactivate", idleID), "", 200)
	srv.NewClient().PostForm(t, "/login", url.Values{"email": {"intruder@example.com"}, "password": {"guess"}}).Body.Close()
	var delivery string
	webtest.WaitFor(t, "a delivery to the event hook", func() bool {
		ds, _, _ := srv.Store.EventHookDeliveries(context.Background(), id, 0, 1)
		if len(ds) == 1 {
			delivery = ds[0].ID
		}
		return delivery != ""
	})
	return []layoutPage{
		{"event-hooks", route("event_hooks.list"), "event_hooks.list"},
		{"event-hook-new", route("event_hooks.new"), "event_hooks.new"},
		{"event-hook", route("event_hooks.show", id), "event_hooks.show"},
		{"event-hook-edit", route("event_hooks.edit", id), "event_hooks.edit"},
		{"event-hook-delivery", route("event_hooks.delivery", id, delivery), "event_hooks.delivery"},
		{"event-hook-delete", route("event_hooks.delete.confirm", idleID), "event_hooks.delete.confirm"},
	}
}
