package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestPollingEventBuilder builds a Polling Event flow in the connector
// builder's pages: New flow offers the kind, its page has the settings
// panel (run modes, records path, default interval, options) and the
// cursor cards in the palette; the settings save, and what is wrong with
// them is said; the cursor cards go into no other kind of flow.
func TestPollingEventBuilder(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	ctx := context.Background()
	con, err := srv.Store.CreateConnector(ctx, flows.ConnectorInfo{Name: "Tracker", Auth: flows.AuthDefinition{Kind: flows.AuthNone}})
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/connectors/%d", con.ID)
	_, page := c.Get(t, base+"?tab=flows")
	if parse(t, page).Find(`[data-testid="new-flow-kind"] option[value="polling_event"]`).Length() != 1 {
		t.Fatal("New flow does not offer the Polling Event kind")
	}
	res, body := webtest.PostConnectorForm(t, c, base+"/flows", url.Values{"kind": {"polling_event"}, "name": {"New tickets"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	editor := res.Header.Get("Location")
	fs, _ := srv.Store.Flows(ctx, con.ID)
	f := fs[0]

	_, page = c.Get(t, editor)
	doc := parse(t, page)
	var modes []string
	doc.Find(`[data-testid="polling-run-mode"] option`).Each(func(_ int, o *goquery.Selection) { modes = append(modes, o.AttrOr("value", "")) })
	if !slices.Equal(modes, []string{"each", "list", "every_time", "no_new_data"}) {
		t.Fatalf("run modes %v", modes)
	}
	for _, id := range []string{"polling-panel", "polling-records-path", "polling-every", "polling-options.0.key", "palette-group-Polling",
		"palette-polling.get_cursor", "palette-polling.set_cursor", "card-return", "test-cursor"} {
		if doc.Find(`[data-testid="`+id+`"]`).Length() != 1 {
			t.Errorf("the Polling Event flow's page has no %s", id)
		}
	}
	if v, _ := doc.Find(`[data-testid="polling-every"]`).Attr("value"); v != "5m" || doc.Find(`[data-testid="webhook-panel"]`).Length() != 0 {
		t.Fatalf("default interval %q, or a webhook panel", v)
	}

	// The settings save, the options becoming the event card's fields.
	save := func(form url.Values) (*http.Response, flows.Flow) {
		t.Helper()
		cur, _ := srv.Store.Flow(ctx, f.ID)
		form.Set("revision", fmt.Sprint(cur.Revision))
		res, _ := webtest.PostConnectorForm(t, c, editor+"/polling", form)
		after, _ := srv.Store.Flow(ctx, f.ID)
		return res, after
	}
	res, saved := save(url.Values{"runMode": {"list"}, "recordsPath": {"records"}, "every": {"10m"},
		"options.0.key": {"project"}, "options.0.label": {"Project"}, "options.0.type": {"text"}, "options.0.required": {"true"},
		"options.1.key": {""}, "options.1.label": {""}, "options.1.type": {"text"}})
	if res.StatusCode != http.StatusSeeOther || *saved.Definition.Polling != (flows.PollingSettings{RunMode: flows.RunList, RecordsPath: "records", Every: "10m"}) ||
		len(saved.Definition.Event.Outputs) != 1 || !reflect.DeepEqual(saved.Definition.Event.Outputs[0], flows.Field{Key: "project", Label: "Project", Type: flows.TypeText, Required: true}) {
		t.Fatalf("saved %d: %+v, options %+v", res.StatusCode, saved.Definition.Polling, saved.Definition.Event.Outputs)
	}
	_, page = c.Get(t, editor)
	if !strings.Contains(page, "Polling Event settings saved.") || parse(t, page).Find(`[data-testid="out-event-project"]`).Length() != 1 {
		t.Fatal("after saving, the page does not say so or the event card lacks the option")
	}

	// What is wrong is said, and nothing is saved.
	refusals := []struct {
		name string
		form url.Values
		want string
	}{
		{"interval", url.Values{"runMode": {"each"}, "recordsPath": {"records"}, "every": {"often"}}, `the default interval: &#34;often&#34; is not an interval`},
		{"run mode", url.Values{"runMode": {"single"}, "recordsPath": {"records"}}, "choose a run mode"},
		{"records path", url.Values{"runMode": {"each"}}, "name where the records list is"},
		{"option key", url.Values{"runMode": {"each"}, "recordsPath": {"records"}, "options.0.key": {"pollInterval"}, "options.0.type": {"text"}}, "is taken"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			res, after := save(tt.form)
			if res.StatusCode != http.StatusSeeOther || after.Revision != saved.Revision {
				t.Fatalf("%d, revision %d → %d", res.StatusCode, saved.Revision, after.Revision)
			}
			if _, page := c.Get(t, editor); !strings.Contains(page, "The settings were not saved") || !strings.Contains(page, tt.want) {
				t.Fatalf("the page does not say %q", tt.want)
			}
		})
	}

	// The panel says what Deploy would: the records path names no Return field.
	save(url.Values{"runMode": {"each"}, "recordsPath": {"tickets"}, "options.0.key": {"project"}, "options.0.type": {"text"}})
	_, page = c.Get(t, editor)
	if got := parse(t, page).Find(`[data-testid="polling-error-polling.recordsPath"]`).Text(); !strings.Contains(got, `the records path "tickets" names no field of the Return card (its fields: records)`) {
		t.Fatalf("the panel says %q", got)
	}

	// The cursor cards go into a Polling Event flow, and no other.
	add := func(flowPath string) (*http.Response, string) {
		t.Helper()
		var conID, flowID int64
		fmt.Sscanf(flowPath, "/connectors/%d/flows/%d", &conID, &flowID)
		cur, _ := srv.Store.Flow(ctx, flowID)
		return c.Do(t, http.MethodPost, flowPath+"/edit", strings.NewReader(url.Values{"_csrf": {c.CSRF(t, flowPath)}, "revision": {fmt.Sprint(cur.Revision)},
			"op": {"add"}, "type": {flows.PollingGetCursor}, "lane": {""}, "index": {"0"}}.Encode()),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "HX-Request": {"true"}})
	}
	if res, body := add(editor); res.StatusCode != http.StatusOK || parse(t, body).Find(`[data-testid="card-getcursor1"]`).Length() != 1 {
		t.Fatalf("add Get Cursor: %d", res.StatusCode)
	}
	// Settings saved on the page as it was before that card was placed
	// apply on top of it; settings saved over others made since are refused.
	before, _ := srv.Store.Flow(ctx, f.ID)
	form := url.Values{"revision": {fmt.Sprint(before.Revision - 1)}, "runMode": {"list"}, "recordsPath": {"records"}, "options.0.key": {"project"}, "options.0.type": {"text"}}
	if res, _ := webtest.PostConnectorForm(t, c, editor+"/polling", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save on the page before the card: %d", res.StatusCode)
	}
	after, _ := srv.Store.Flow(ctx, f.ID)
	if after.Revision != before.Revision+1 || after.Definition.Polling.RunMode != flows.RunList || after.Definition.Cards[0].Type != flows.PollingGetCursor {
		t.Fatalf("saved over the card: revision %d, %+v, %+v", after.Revision, after.Definition.Polling, after.Definition.Cards)
	}
	form.Set("runMode", "each")
	webtest.PostConnectorForm(t, c, editor+"/polling", form)
	if again, _ := srv.Store.Flow(ctx, f.ID); again.Revision != after.Revision {
		t.Fatal("settings saved over settings changed since the page loaded")
	}
	if _, page := c.Get(t, editor); !strings.Contains(page, "settings were changed elsewhere since the page loaded") {
		t.Fatal("the refusal is not said")
	}

	res, _ = webtest.PostConnectorForm(t, c, base+"/flows", url.Values{"kind": {"action"}, "name": {"Get ticket"}})
	action := res.Header.Get("Location")
	if res, body := add(action); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Get Cursor works only in a Polling Event flow") {
		t.Fatalf("add Get Cursor to an action flow: %d", res.StatusCode)
	}
	if _, page := c.Get(t, action); parse(t, page).Find(`[data-testid="palette-group-Polling"]`).Length() != 0 {
		t.Fatal("an action flow's palette offers the cursor cards")
	}
}

// TestPollingWorkspaceFlowPage makes a workspace flow on a deployed
// Polling Event from the Flows page: its event picker offers the event;
// the flow's page shows the interval and the options on the event card,
// that it polls, its next poll and its last poll once ON, and no Event URL.
func TestPollingWorkspaceFlowPage(t *testing.T) {
	svc := webtest.NewTracker(t)
	svc.Add("one")
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	c := srv.SignedIn(t)
	token := srv.Token(t)
	pf := webtest.TrackerSetup(t, srv, svc, token, flows.RunEach)[0]
	pre, _ := srv.Store.Flow(context.Background(), pf.ID)
	src := pre.Definition.Source

	_, page := c.Get(t, "/flows")
	value := fmt.Sprintf("connector:%d:%d:%d", src.Connector, src.Version, src.Flow)
	if got := parse(t, page).Find(`[data-testid="flow-event"] option[value="` + value + `"]`).Text(); got != "Tracker (version 1): New tickets each (polling)" {
		t.Fatalf("the event picker offers %q", got)
	}
	res := c.PostForm(t, "/flows", url.Values{"_csrf": {c.CSRF(t, "/flows")}, "name": {"Triage"}, "event": {value}, "connection": {fmt.Sprint(src.Connection)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	path := res.Header.Get("Location")
	_, page = c.Get(t, path)
	doc := parse(t, page)
	for _, id := range []string{"in-event-pollInterval", "in-event-project", "out-event-records", "poll-status", "turn-on"} {
		if doc.Find(`[data-testid="`+id+`"]`).Length() != 1 {
			t.Errorf("the flow's page has no %s", id)
		}
	}
	if got := doc.Find(`[data-testid="poll-interval"]`).Text(); !strings.Contains(got, "Turn it ON to poll every 5 minutes") {
		t.Fatalf("the flow says %q", got)
	}

	// Poll every second for project HF, then ON.
	for _, b := range [][2]string{{flows.FieldPollInterval, "1s"}, {"project", "HF"}} {
		f, _ := srv.Store.Flow(context.Background(), flowIDOf(t, path))
		r := c.PostForm(t, path+"/edit", url.Values{"_csrf": {c.CSRF(t, path)}, "revision": {fmt.Sprint(f.Revision)},
			"op": {"bind"}, "card": {"event"}, "field": {b[0]}, "value": {b[1]}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("set %s: %d", b[0], r.StatusCode)
		}
	}
	if r := c.PostForm(t, path+"/on", url.Values{"_csrf": {c.CSRF(t, path)}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("ON: %d", r.StatusCode)
	}
	webtest.WaitFor(t, "a poll shown on the page", func() bool {
		_, page := c.Get(t, path)
		return parse(t, page).Find(`[data-testid="poll-last-status"]`).Text() == "succeeded"
	})
	_, page = c.Get(t, path)
	doc = parse(t, page)
	if got := doc.Find(`[data-testid="poll-interval"]`).Text(); !strings.Contains(got, "Polls every second.") || doc.Find(`[data-testid="poll-next"]`).Length() != 1 {
		t.Fatalf("the flow says %q", got)
	}
	if doc.Find(`[data-testid="event-url"]`).Length() != 0 || doc.Find(`[data-testid="turn-off"]`).Length() != 1 || doc.Find(`[data-testid="flow-state"]`).Text() != "ON" {
		t.Fatal("an ON polling flow shows an Event URL, or no OFF")
	}
	if href, _ := doc.Find(`[data-testid="poll-last-execution"]`).Attr("href"); !strings.HasPrefix(href, "/executions/") {
		t.Fatalf("the last poll links %q", href)
	}
	if r := c.PostForm(t, path+"/off", url.Values{"_csrf": {c.CSRF(t, path)}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("OFF: %d", r.StatusCode)
	}
	if _, page := c.Get(t, path); !strings.Contains(page, "it polls no more") {
		t.Fatal("OFF does not say the flow polls no more")
	}
}

func flowIDOf(t *testing.T, path string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscanf(path, "/flows/%d", &id); err != nil {
		t.Fatalf("flow path %q: %v", path, err)
	}
	return id
}
