package browser_test

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/web/webtest"
)

// layoutWidths are the window widths every page must read well at.
var layoutWidths = []int64{1440, 1024}

// layoutPage is a page the layout test visits: a name for the report, its
// path, and the route it stands for.
type layoutPage struct {
	name, path, route string
}

// layoutFinding is one thing the layout check (testdata/layout.js) found
// on a page: two boxes that overlap, two framed boxes with no room between
// them, a box that sticks out of its container, text that sticks out of
// its box, or a page that scrolls sideways.
type layoutFinding struct {
	Kind  string `json:"kind"` // overlap, touch, overflow, text or page
	A     string `json:"a"`    // a short CSS path
	AText string `json:"aText"`
	B     string `json:"b"` // the other box, or the container
	BText string `json:"bText"`
	Px    int    `json:"px"` // px² overlapping, or px sticking out
	Side  string `json:"side"`
}

func (f layoutFinding) String() string {
	switch f.Kind {
	case "overlap":
		return fmt.Sprintf("overlap of %d px²: %s %q and %s %q", f.Px, f.A, f.AText, f.B, f.BText)
	case "page":
		return fmt.Sprintf("the page scrolls sideways by %d px: %s %q sticks out", f.Px, f.A, f.AText)
	case "touch":
		return fmt.Sprintf("no room (%d px) between %s %q and %s %q", f.Px, f.A, f.AText, f.B, f.BText)
	case "text":
		return fmt.Sprintf("text sticks out %d px on the %s of %s %q", f.Px, f.Side, f.A, f.AText)
	}
	return fmt.Sprintf("%s %q sticks out %d px on the %s of %s %q", f.A, f.AText, f.Px, f.Side, f.B, f.BText)
}

// layoutException is an overlap or overflow that is meant to be, or that
// other work fixes; page "" matches every page, and a and b are parts of
// the two elements' paths (b "" matches any).
type layoutException struct {
	page, kind, a, b, why string
}

func (e layoutException) matches(page string, f layoutFinding) bool {
	page, _, _ = strings.Cut(strings.TrimSuffix(page, " (opened)"), " #")
	if (e.page != "" && e.page != page) || e.kind != f.Kind {
		return false
	}
	has := func(path, part string) bool { return part == "" || strings.Contains(path, part) }
	return (has(f.A, e.a) && has(f.B, e.b)) || (has(f.B, e.a) && has(f.A, e.b))
}

// layoutExceptions are the findings the layout test lets pass, each with
// its reason. Those of pages being reworked go once the rework lands.
var layoutExceptions = []layoutException{}

// layoutLooks are how shared parts of the pages must look, each a script
// that is true when the page (as the layout test names it) does.
var layoutLooks = []struct{ page, what, js string }{
	{"dashboard", "the tiles' words are not underlined",
		`[...document.querySelectorAll("a.tile")].every(a => getComputedStyle(a).textDecorationLine === "none")`},
	{"connectors", "New connector sits level with the title", `(() => {
		const mid = el => { const r = el.getBoundingClientRect(); return (r.top + r.bottom) / 2; };
		return Math.abs(mid(document.querySelector("main h1")) - mid(document.querySelector('[data-testid="connector-new"]'))) < 3;
	})()`},
	{"connector-delete", "Cancel, a link, looks like the other secondary buttons",
		`getComputedStyle(document.querySelector('[data-testid="delete-confirm"] a.button.secondary')).backgroundColor === "rgb(232, 235, 241)"`},
	{"flows", "Create flow is as wide as its words, not as the form",
		`document.querySelector('[data-testid="flow-create"]').offsetWidth < document.querySelector('[data-testid="new-flow-form"]').offsetWidth / 2`},
	{"flow-on (opened)", "the Save all data checkbox sits on the line of its words",
		`getComputedStyle(document.querySelector('[data-testid="save-data"]').closest("label")).flexDirection === "row"`},
	{"connections", "each row's cells, its buttons' too, are table cells",
		`[...document.querySelectorAll('[data-testid="connection-row"] td')].every(td => getComputedStyle(td).display === "table-cell")`},
	{"settings", "Revoke sits in an actions cell, as Sign out does",
		`document.querySelector('[data-testid="token-revoke"]').closest("td").classList.contains("actions")`},
}

// TestBrowserLayout loads every page a person navigates to, filled with
// real content (a deployed connector, a connection, flows ON and OFF,
// executions that succeeded and failed, API tokens, audit entries), at
// 1440 and 1024 px wide, before and after opening its collapsed sections,
// and fails when two boxes that are not nested overlap, when framed boxes
// have no room between them, when a box or its text sticks out of its
// container, when the page scrolls sideways, or when a page does not
// look as layoutLooks says.
// With HOOKFLOW_SCREENSHOTS set it saves each page at each width there.
func TestBrowserLayout(t *testing.T) {
	srv, pages := layoutContent(t)
	checkCoverage(t, srv, pages)
	b := webtest.NewBrowser(t, srv)

	used := make([]bool, len(layoutExceptions))
	check := func(page string, width int64) {
		t.Helper()
		var found []string
		for _, f := range webtest.Value(b, chromedp.Evaluate[[]layoutFinding](layoutJS)) {
			excepted := false
			for i, e := range layoutExceptions {
				if e.matches(page, f) {
					used[i], excepted = true, true
				}
			}
			if !excepted {
				found = append(found, f.String())
			}
		}
		for _, l := range layoutLooks {
			if l.page == page && !webtest.Value(b, chromedp.Evaluate[bool](l.js)) {
				found = append(found, "it should be that "+l.what)
			}
		}
		if len(found) > 0 {
			t.Errorf("%s at %d px:\n\t%s", page, width, strings.Join(found, "\n\t"))
		}
	}
	for _, width := range layoutWidths {
		b.Run(chromedp.EmulateViewport(width, 900))
		// Signed out: the sign-in page.
		b.Open("/login")
		check("login", width)
		b.Screenshot(fmt.Sprintf("layout-login-%d", width))
		b.SignIn()
		for _, p := range pages {
			b.Open(p.path)
			b.Run(chromedp.WaitReady("main"))
			check(p.name, width)
			b.Screenshot(fmt.Sprintf("layout-%s-%d", p.name, width))
			// A person opens what is folded: it must fit as well.
			if webtest.Value(b, chromedp.Evaluate[int](openAllJS)) > 0 {
				check(p.name+" (opened)", width)
				b.Screenshot(fmt.Sprintf("layout-%s-opened-%d", p.name, width))
			}
			// And each tab of a page with tabs.
			eachTab(b, func(tab string) {
				check(p.name+" #"+tab, width)
				b.Screenshot(fmt.Sprintf("layout-%s-%s-%d", p.name, tab, width))
			})
		}
		b.Run(chromedp.Click(webtest.TestID("logout")), chromedp.WaitVisible(webtest.TestID("login-form")))
	}
	for i, e := range layoutExceptions {
		if !used[i] {
			t.Logf("the layout exception %+v matched nothing: remove it", e)
		}
	}
}

// layoutJS looks at the page as laid out and returns what it found.
//
//go:embed testdata/layout.js
var layoutJS string

// TestBrowserLayoutCheck runs the layout check on small pages made to
// have one fault each, and on one without any.
func TestBrowserLayoutCheck(t *testing.T) {
	const style = `<style>body{margin:0;font:15px sans-serif} .panel{border:1px solid #ccc;padding:10px}
		.canvas{overflow-x:auto} .lane{display:flex;gap:8px;width:max-content} .card{width:300px;border:1px solid #ccc}</style>`
	tests := []struct {
		name, html string
		want       []string // a part of each finding
	}{
		{"nested and spaced boxes, sideways scrolling where meant", `<main style="width:600px">
			<section class="panel"><h2>Title</h2><input style="width:100%"><button>Save</button></section>
			<section class="panel" style="margin-top:12px"><div class="canvas"><div class="lane">
				<div class="card">a</div><div class="card">b</div><div class="card">c</div></div></div>
				<pre style="overflow:auto">` + strings.Repeat("wide ", 200) + `</pre></section></main>`, nil},
		{"two boxes overlapping", `<section class="panel" style="height:80px">a</section>
			<section class="panel" style="margin-top:-30px" data-testid="second">b</section>`,
			[]string{`px²: section.panel:nth-of-type(1) "a" and section[data-testid="second"] "b"`}},
		{"framed boxes with no room between", `<div class="panel">a</div><table class="panel" data-testid="t"><tr><td>b</td></tr></table>`,
			[]string{`no room (0 px) between div.panel "a" and table[data-testid="t"]`}},
		{"a box wider than its container", `<div class="panel" style="width:200px" data-testid="box"><table style="width:300px"><tr><td>x</td></tr></table></div>`,
			[]string{`div[data-testid="box"] > table "x" sticks out 100 px on the right of div[data-testid="box"]`}},
		{"a box making a scroll container scroll sideways", `<div style="width:200px;max-height:100px;overflow:auto" data-testid="list">
			<input style="width:300px" data-testid="search" placeholder="Search"></div>`,
			[]string{`input[data-testid="search"] "Search" sticks out 100 px on the right of div[data-testid="list"]`}},
		{"text wider than its button", `<button style="width:60px;white-space:nowrap;padding:0">Re-run the selected executions</button>`,
			[]string{`px on the right of button "Re-run the selected executions"`}},
		{"a page scrolling sideways", `<div style="width:3000px" data-testid="wide">wide</div>`,
			[]string{`the page scrolls sideways by 1976 px: div[data-testid="wide"]`}},
	}
	b := webtest.NewBrowser(t, nil)
	b.Run(chromedp.EmulateViewport(1024, 700))
	t.Run("each tab is looked at", func(t *testing.T) {
		page := `<main><button role="tab" onclick="show(0)">Overview</button><button role="tab" onclick="show(1)">Flows &amp; runs</button>
			<section>overview</section><section hidden>flows</section></main>
			<script>function show(i) { document.querySelectorAll("section").forEach((s, j) => { s.hidden = i !== j; }); }</script>`
		b.Run(chromedp.Navigate("data:text/html;charset=utf-8," + url.PathEscape(page)))
		var seen []string
		eachTab(b, func(tab string) {
			seen = append(seen, tab+": "+webtest.Value(b, chromedp.Evaluate[string](`document.querySelector("section:not([hidden])").textContent`)))
		})
		if want := "overview: overview, flows-runs: flows"; strings.Join(seen, ", ") != want {
			t.Fatalf("tabs looked at: %q, want %q", strings.Join(seen, ", "), want)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.Run(chromedp.Navigate("data:text/html;charset=utf-8," + url.PathEscape(style+tt.html)))
			var got []string
			for _, f := range webtest.Value(b, chromedp.Evaluate[[]layoutFinding](layoutJS)) {
				got = append(got, f.String())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("found %d things, want %d:\n\t%s", len(got), len(tt.want), strings.Join(got, "\n\t"))
			}
			for _, w := range tt.want {
				if !strings.Contains(strings.Join(got, "\n"), w) {
					t.Errorf("no finding with %q among:\n\t%s", w, strings.Join(got, "\n\t"))
				}
			}
		})
	}
}

// eachTab clicks each tab ([role="tab"]) of the page in turn and calls fn
// with its name, as in its words ("Overview" is "overview").
func eachTab(b *webtest.Browser, fn func(tab string)) {
	for i := range webtest.Value(b, chromedp.Evaluate[int](`document.querySelectorAll('[role="tab"]').length`)) {
		tab := webtest.Value(b, chromedp.Evaluate[string](fmt.Sprintf(`(() => {
			const tab = document.querySelectorAll('[role="tab"]')[%d];
			tab.click();
			return tab.textContent.trim().toLowerCase().replace(/\W+/g, "-");
		})()`, i)))
		b.Run(chromedp.Sleep(200*time.Millisecond), chromedp.WaitReady("main"))
		fn(tab)
	}
}

// openAllJS opens every closed <details> and returns how many it opened.
const openAllJS = `(() => {
	const closed = [...document.querySelectorAll("details:not([open])")];
	closed.forEach(d => { d.open = true; });
	return closed.length;
})()`

// checkCoverage fails when a page a person navigates to (a GET route that
// renders HTML) is missing from pages.
func checkCoverage(t *testing.T, srv *webtest.Server, pages []layoutPage) {
	t.Helper()
	covered := map[string]bool{"auth.login.form": true}
	for _, p := range pages {
		covered[p.route] = true
	}
	for _, r := range srv.Web.Routes() {
		if r.Method != http.MethodGet || strings.Contains(r.Name, "/") || strings.HasPrefix(r.Name, "ops.") ||
			strings.HasPrefix(r.Name, "api.") || r.Name == "hooks" || r.Name == "connectors.export" ||
			r.Name == "tables.export" || r.Name == "tables.rows.show" || r.Name == "tables.rows.edit" { // a file, and a row's htmx parts
			continue
		}
		if !covered[r.Name] {
			t.Errorf("the layout test visits no page of the route %s (%s)", r.Name, r.Path)
		}
	}
}

// layoutContent fills a server as a team using it would: the Acme
// connector (registration, deregistration, a Webhook Event with an option
// and a Return, an Auth Ping and an action) deployed twice, two
// connections, a flow on its event card turned ON that received events,
// a manual flow with an If/Else that ran once well and once failed, a
// named API token and audit entries. It returns the pages to visit.
func layoutContent(t *testing.T) (*webtest.Server, []layoutPage) {
	t.Helper()
	ctx := context.Background()
	prov := webtest.NewAcme(t)
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	token := srv.Token(t)
	api := srv.NewClient()
	web := srv.SignedIn(t)
	route := srv.Web.URL

	flowID := webtest.AcmeSetup(t, srv, prov, token)
	list, err := srv.Store.Connectors(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("connectors %v: %v", list, err)
	}
	conID := list[0].ID
	webtest.APIJSON(t, api, token, "POST", fmt.Sprintf("/api/v1/connectors/%d/deploy", conID), nil, http.StatusCreated)
	webtest.APIJSON(t, api, token, "POST", "/api/v1/connections", map[string]any{"connectorId": conID, "name": "Acme staging",
		"values": map[string]string{"api_key": webtest.AcmeKey}}, http.StatusCreated)

	// ON, and two deliveries of events.
	state := webtest.APIJSON(t, api, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", flowID), nil, http.StatusOK)["state"].(map[string]any)
	regID := state["registrationExecution"].(string)
	prov.Push(t, "d1", false, webtest.UserEvent("u1", "Grace Hopper"), webtest.UserEvent("u2", "Alan Turing"))
	prov.Push(t, "d2", false, webtest.UserEvent("u3", "Katherine Johnson"))
	webtest.WaitFor(t, "the event runs", func() bool {
		runs := webtest.PayloadRuns(t, srv.Store, flowID)
		for _, e := range runs {
			if !e.Status.IsFinal() {
				return false
			}
		}
		return len(runs) == 3
	})

	// A manual flow that branches, ran well once and failed once.
	manual := layoutManualFlow(t, srv)
	doc, _ := flows.MarshalDefinition(manual)
	mf := webtest.APIJSON(t, api, token, "POST", "/api/v1/flows", doc, http.StatusCreated)
	manualID := int64(mf["id"].(float64))
	runs := fmt.Sprintf("/api/v1/flows/%d/runs", manualID)
	webtest.APIJSON(t, api, token, "POST", runs, map[string]any{"input": map[string]any{"n": 30, "customer": "Grace Hopper"}}, http.StatusOK)
	failed := webtest.APIJSON(t, api, token, "POST", runs, map[string]any{"input": map[string]any{"n": 500, "customer": "Alan Turing"}}, http.StatusOK)
	if failed["status"] != "failed" {
		t.Fatalf("the failing run: %v", failed)
	}

	// A named API token, and audit entries.
	csrf := web.CSRF(t, "/settings")
	if res := web.PostForm(t, "/settings/tokens", url.Values{"_csrf": {csrf}, "name": {"deploy script"}}); res.StatusCode >= 400 {
		t.Fatalf("create a token: %d", res.StatusCode)
	}
	if res := web.PostForm(t, "/executions/"+regID+"/registration-data", url.Values{"_csrf": {csrf}}); res.StatusCode >= 400 {
		t.Fatalf("reveal the Registration Data: %d", res.StatusCode)
	}
	if res := web.PostForm(t, fmt.Sprintf("/flows/%d/clear", manualID), url.Values{"_csrf": {csrf}, "mode": {"data"}}); res.StatusCode >= 400 {
		t.Fatalf("clear the manual flow's data: %d", res.StatusCode)
	}
	webtest.APIJSON(t, api, token, "POST", runs, map[string]any{"input": map[string]any{"n": 8, "customer": "Ada Lovelace"}}, http.StatusOK)

	// A table of customers with rows.
	tableID := webtest.TablesFixture(t, srv, 30)

	// An imported flopack: a folder of flows, one waiting for its event.
	imported, _ := webtest.ImportFlopack(t, api, token, "", webtest.OnboardingPack(t), http.StatusCreated)
	var unboundID int64
	for _, f := range imported.Flows {
		if f.Kind == "app_event" {
			unboundID = f.ID
		}
	}

	pages := []layoutPage{
		{"dashboard", route("dashboard"), "dashboard"},
		{"connectors", route("connectors.list"), "connectors.list"},
		{"connector-new", route("connectors.new"), "connectors.new"},
		{"connector", route("connectors.show", conID), "connectors.show"},
		{"connector-delete", route("connectors.delete.confirm", conID), "connectors.delete.confirm"},
		{"flows", route("flows.list"), "flows.list"},
		{"flow-on", route("flows.show", flowID), "flows.show"},
		{"flow-manual", route("flows.show", manualID), "flows.show"},
		{"flow-upgrade", route("flows.upgrade.preview", flowID) + fmt.Sprintf("?connector=%d&version=2", conID), "flows.upgrade.preview"},
		{"connections", route("connections.list"), "connections.list"},
		{"connection-new", route("connections.new") + fmt.Sprintf("?connector=%d", conID), "connections.new"},
		{"executions", route("executions.list"), "executions.list"},
		{"executions-failed", route("executions.list") + "?status=failed", "executions.list"},
		{"settings", route("settings.show"), "settings.show"},
		{"not-found", "/executions/no-such-run", ""},
		{"tables", route("tables.list"), "tables.list"},
		{"table", route("tables.show", tableID), "tables.show"},
		{"table-import", route("tables.import.form", tableID), "tables.import.form"},
		{"flopack-import", route("flopacks.import.form"), "flopacks.import.form"},
		{"flow-unbound", route("flows.show", unboundID), "flows.show"},
	}
	pages = append(pages, layoutEventHooks(t, srv, api, token)...)
	flowsOf, err := srv.Store.Flows(ctx, conID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range flowsOf {
		pages = append(pages, layoutPage{"editor-" + string(f.Definition.Kind), route("connectors.flows.editor", conID, f.ID), "connectors.flows.editor"})
	}
	picked := layoutExecutions(t, srv.Store, regID, failed["id"].(string))
	for _, name := range []string{"registration", "failed", "event", "started"} {
		pages = append(pages, layoutPage{"execution-" + name, route("executions.show", picked[name]), "executions.show"})
	}
	return srv, pages
}

// layoutExecutions picks executions of each kind to look at, by name:
// the registration run, the failed run, a connector's event run on its
// raw request, and a workspace run it started.
func layoutExecutions(t *testing.T, st *store.Store, regID, failedID string) map[string]string {
	t.Helper()
	all, err := st.Executions(context.Background(), store.ExecutionFilter{Trigger: flows.TriggerPayload})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{"registration": regID, "failed": failedID}
	for _, e := range all {
		if _, ok := e.Input["method"]; ok {
			ids["event"] = e.ID
		} else if e.ParentID != "" {
			ids["started"] = e.ID
		}
	}
	if ids["event"] == "" || ids["started"] == "" {
		t.Fatalf("no connector run or no run it started among %d payload runs", len(all))
	}
	return ids
}

// layoutManualFlow is a manual flow that halves an order's size, sorts it
// with an If/Else and fails on orders too large to split.
func layoutManualFlow(t *testing.T, srv *webtest.Server) flows.Definition {
	t.Helper()
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Sort orders")
	def.Event.Outputs = []flows.Field{{Key: "n", Label: "Order size", Type: flows.TypeNumber, Required: true},
		{Key: "customer", Label: "Customer", Type: flows.TypeText}}
	def.Cards = []flows.Node{
		{ID: "half", Type: "number.divide", Bindings: map[string]flows.Binding{"a": webtest.Ref("event", "n", ""), "b": {Value: 2.0}}},
		{ID: "size", Type: flows.ControlIfElse, Outputs: []flows.Field{{Key: "size", Label: "Size", Type: flows.TypeText}},
			Bindings: map[string]flows.Binding{"a": webtest.Ref("half", "output", ""), "operator": {Value: "greater"}, "b": {Value: 10.0}},
			Lanes: []flows.Lane{
				{Name: "then", Cards: []flows.Node{{ID: "shout", Type: "text.upper", Bindings: map[string]flows.Binding{"text": webtest.Ref("event", "customer", "")}}},
					Outputs: map[string]flows.Binding{"size": {Value: "large"}}},
				{Name: "else", Outputs: map[string]flows.Binding{"size": {Value: "small"}}},
			}},
		{ID: "check", Type: "control.return_error_if", Bindings: map[string]flows.Binding{
			"a": webtest.Ref("half", "output", ""), "operator": {Value: "greater"}, "b": {Value: 100.0}, "message": {Value: "the order is too large to split"}}},
	}
	if err := flows.Validate(def, srv.Web.Registry()); err != nil {
		t.Fatal(err)
	}
	return def
}
