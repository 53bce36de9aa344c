package browser_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

func TestBrowserConfigureWebhookEvent(t *testing.T) {
	srv := webtest.Start(t)
	con, reg, dereg, ev := webtest.WebhookFlows(t, srv)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	page := fmt.Sprintf("/connectors/%d/flows/%d", con.ID, ev.ID)
	b.Open(page)
	b.Run(
		chromedp.WaitVisible(webtest.TestID("webhook-panel")),
		chromedp.SendKeys(webtest.TestID("options.0.key"), "eventType"),
		chromedp.SetValue(webtest.TestID("webhook-reg-flow"), fmt.Sprint(reg.ID)),
		chromedp.SetValue(webtest.TestID("webhook-dereg-flow"), fmt.Sprint(dereg.ID)),
		chromedp.SetValue(webtest.TestID("webhook-run-mode"), "each"),
		chromedp.SendKeys(webtest.TestID("webhook-records-path"), "data.events"),
		chromedp.Click(webtest.TestID("webhook-challenge")),
		chromedp.Click(webtest.TestID("webhook-save")),
		chromedp.WaitVisible(webtest.TestID("flash-success")),
	)
	// The Registration flow's input is not mapped yet: the panel says so.
	if got := b.Text("webhook-error-webhook.registration"); !strings.Contains(got, `input "events" needs a value`) {
		t.Fatalf("panel says %q", got)
	}
	b.Run(
		chromedp.SetValue(webtest.TestID("webhook-reg-events-option"), "eventType"),
		chromedp.Click(webtest.TestID("webhook-save")),
		chromedp.WaitVisible(webtest.TestID("flash-success")),
		chromedp.WaitNotPresent(webtest.TestID("webhook-error-webhook.registration")),
	)
	got, _ := srv.Store.Flow(context.Background(), ev.ID)
	w := got.Definition.Webhook
	if w == nil || w.Registration.Flow != reg.ID || w.Deregistration.Flow != dereg.ID || w.RunMode != flows.RunEach ||
		!w.Security.VerificationChallenge || w.Registration.Inputs["events"].Ref.Field != "eventType" || w.Options[0].Key != "eventType" {
		t.Fatalf("saved settings = %+v", w)
	}
	// Configured, the connector deploys.
	c, token := srv.NewClient(), srv.Token(t)
	if status, body := c.API(t, token, http.MethodPost, fmt.Sprintf("/api/v1/connectors/%d/deploy", con.ID), ""); status != http.StatusCreated {
		t.Fatalf("deploy: %d %s", status, body)
	}
}

// panelOverlapsJS lists, for the element the page's selector names, the
// pairs of boxes (fieldsets, legends, tables, headings, labels, inputs,
// buttons, paragraphs) that overlap without one holding the other, the
// boxes whose content runs out of them, and a page wider than the window.
const panelOverlapsJS = `((sel) => {
  const root = document.querySelector(sel);
  if (!root) return ["no " + sel];
  const boxes = 'section, fieldset, legend, table, h1, h2, h3, h4, label, input:not([type=hidden]), select, textarea, button, p, nav, a';
  const els = [...root.querySelectorAll(boxes)].filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
  const name = e => e.tagName.toLowerCase() + (e.dataset.testid ? "[" + e.dataset.testid + "]" : "") +
    (e.name ? "(" + e.name + ")" : "") + ' "' + (e.textContent || "").trim().slice(0, 30) + '"';
  const out = [];
  for (let i = 0; i < els.length; i++) {
    for (let j = i + 1; j < els.length; j++) {
      const a = els[i], b = els[j];
      if (a.contains(b) || b.contains(a)) continue;
      const r = a.getBoundingClientRect(), s = b.getBoundingClientRect();
      const w = Math.min(r.right, s.right) - Math.max(r.left, s.left);
      const h = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
      if (w > 1 && h > 1) out.push(name(a) + " overlaps " + name(b));
    }
  }
  for (const e of [root, ...root.querySelectorAll("section, fieldset, table, form, div")]) {
    if (getComputedStyle(e).overflowX === "visible" && e.scrollWidth > e.clientWidth + 1) {
      out.push(name(e) + " overflows: " + e.scrollWidth + " > " + e.clientWidth);
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth) {
    out.push("the page is " + document.documentElement.scrollWidth + " px wide in a " + window.innerWidth + " px window");
  }
  return out;
})`

// hitsItselfJS reports whether a click at the centre of the element with
// the given data-testid lands on that element (after scrolling it into view).
const hitsItselfJS = `((id) => {
  const el = document.querySelector('[data-testid="' + id + '"]');
  el.scrollIntoView({block: "center"});
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return hit === el ? "" : (hit ? hit.tagName.toLowerCase() + " " + (hit.dataset.testid || hit.name || hit.className) : "nothing");
})`

// TestBrowserWebhookPanelLayout loads a configured Webhook Event flow at
// 1440 and 1024 px: none of the settings panel's boxes overlap or overflow,
// and a click on an option's Label or Type lands on it and focuses it.
func TestBrowserWebhookPanelLayout(t *testing.T) {
	srv := webtest.Start(t)
	con, reg, dereg, ev := webtest.WebhookFlows(t, srv)
	ev.Definition.Webhook = &flows.WebhookSettings{RunMode: flows.RunEach, RecordsPath: "data.events",
		Options:        []flows.Field{{Key: "eventType", Label: "Event type", Type: flows.TypeText, Required: true}},
		Registration:   &flows.FlowLink{Flow: reg.ID, Inputs: map[string]flows.Binding{"events": {Ref: &flows.Ref{Card: flows.OptionsCard, Field: "eventType"}}}},
		Deregistration: &flows.FlowLink{Flow: dereg.ID}}
	if _, err := srv.Store.UpdateFlow(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	for _, width := range []int64{1440, 1024} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			b.Run(chromedp.EmulateViewport(width, 900))
			b.Open(fmt.Sprintf("/connectors/%d/flows/%d", con.ID, ev.ID))
			b.Run(chromedp.WaitVisible(webtest.TestID("webhook-reg-events-option")))
			connectorShot(t, b, fmt.Sprintf("webhook-panel-%d", width))
			if bad := webtest.Value(b, chromedp.Evaluate[[]string](panelOverlapsJS+`('[data-testid="webhook-panel"]')`)); len(bad) > 0 {
				t.Fatalf("the settings panel at %d px:\n%s", width, strings.Join(bad, "\n"))
			}
			for _, field := range []string{"options.0.label", "options.0.type", "options.1.label"} {
				if hit := webtest.Value(b, chromedp.Evaluate[string](hitsItselfJS+`('`+field+`')`)); hit != "" {
					t.Fatalf("a click on %s lands on %s", field, hit)
				}
			}
			b.Run(chromedp.Click(webtest.TestID("options.1.label")))
			if got := webtest.Value(b, chromedp.Evaluate[string](`document.activeElement.dataset.testid || ""`)); got != "options.1.label" {
				t.Fatalf("the click focused %q", got)
			}
		})
	}
}

// TestBrowserSettingsSaveAfterCanvasEdits: cards placed on the canvas give
// the flow new revisions; the settings forms above it (a Webhook Event's
// settings, a workspace flow's data setting) follow them and still save,
// instead of being refused as changed elsewhere.
func TestBrowserSettingsSaveAfterCanvasEdits(t *testing.T) {
	srv := webtest.Start(t)
	con, _, _, ev := webtest.WebhookFlows(t, srv)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	place := func(card string) {
		b.Run(
			chromedp.SendKeys(id("palette-search"), "comment"),
			chromedp.Click(id("palette-control.comment")),
			chromedp.Click(id("slot--0")),
			chromedp.WaitVisible(id(card)),
		)
	}

	b.Open(fmt.Sprintf("/connectors/%d/flows/%d", con.ID, ev.ID))
	b.Run(chromedp.WaitVisible(id("webhook-panel")))
	place("card-comment1")
	b.Run(
		chromedp.SetValue(id("webhook-run-mode"), "list"),
		chromedp.SendKeys(id("webhook-records-path"), "data.events"),
		chromedp.Click(id("webhook-save")),
	)
	webtest.WaitFor(t, "the settings' answer", func() bool { return strings.Contains(flashText(b), "saved") })
	if got := flashText(b); !strings.Contains(got, "saved") || strings.Contains(got, "not saved") {
		t.Fatalf("the Webhook Event's settings were not saved after a card was placed: %q", got)
	}
	got, _ := srv.Store.Flow(context.Background(), ev.ID)
	if w := got.Definition.Webhook; w == nil || w.RunMode != flows.RunList || len(got.Definition.Cards) != 2 {
		t.Fatalf("saved: webhook %+v, %d cards", got.Definition.Webhook, len(got.Definition.Cards))
	}

	b.Open("/flows")
	b.Run(
		chromedp.SendKeys(id("flow-name-input"), "Notes"),
		chromedp.SetValue(id("flow-event"), "manual"),
		chromedp.Click(id("flow-create")),
		chromedp.WaitVisible(id("flow-status")),
	)
	place("card-comment1")
	b.Run(
		chromedp.Click(chromedp.CSS(`[data-testid="flow-data"] summary`)),
		chromedp.Click(id("save-data")),
		chromedp.Click(id("save-data-submit")),
	)
	webtest.WaitFor(t, "the data setting's answer", func() bool {
		return strings.Contains(flashText(b), "metadata only") || strings.Contains(flashText(b), "not saved")
	})
	if got := flashText(b); !strings.Contains(got, "metadata only") {
		t.Fatalf("the data setting was not saved after a card was placed: %q", got)
	}
}

// flashText is the page's flash message, whatever its kind.
func flashText(b *webtest.Browser) string {
	return webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('.flash') ? document.querySelector('.flash').innerText : ""`))
}
