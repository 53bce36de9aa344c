package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// countAll counts the folders, tables and workspace flows stored.
func countAll(t *testing.T, srv *webtest.Server) (folders, tables, fs int) {
	t.Helper()
	ctx := context.Background()
	fo, err := srv.Store.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ta, err := srv.Store.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fl, err := srv.Store.Flows(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(fo), len(ta), len(fl)
}

// TestFlopackImportAPI imports a flopack through the API: a dry run
// stores nothing, an import stores a folder of flows (valid or with their
// problems) and the tables, a second one takes free names, and a file
// that is not a flopack gets 422 with the reason. The API wants a token.
func TestFlopackImportAPI(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	pack := webtest.OnboardingPack(t)

	if status, _ := c.API(t, "", "POST", "/api/v1/flopacks/import", string(pack)); status != http.StatusUnauthorized {
		t.Fatalf("import without a token = %d, want 401", status)
	}
	for _, tc := range []struct{ name, body, reason string }{
		{"not JSON", "hello", "Not a flopack: the file is not JSON"},
		{"another JSON document", `{"type":"connector"}`, `Not a flopack: its type is "connector"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, out := webtest.ImportFlopack(t, c, token, "", []byte(tc.body), http.StatusUnprocessableEntity)
			var e apiError
			json.Unmarshal([]byte(out), &e)
			if !strings.HasPrefix(e.Error.Message, tc.reason) {
				t.Fatalf("message %q, want it to start with %q", e.Error.Message, tc.reason)
			}
		})
	}

	dry, _ := webtest.ImportFlopack(t, c, token, "?dryRun=true", pack, http.StatusOK)
	if !dry.DryRun || dry.Folder.Name != "Onboarding" || len(dry.Flows) != 3 || len(dry.Tables) != 1 {
		t.Fatalf("dry run report = %+v", dry)
	}
	if fo, ta, fl := countAll(t, srv); fo+ta+fl != 0 {
		t.Fatalf("a dry run stored %d folders, %d tables, %d flows", fo, ta, fl)
	}

	rep, _ := webtest.ImportFlopack(t, c, token, "", pack, http.StatusCreated)
	if rep.DryRun || rep.Folder.ID == 0 || rep.Folder.Name != "Onboarding" {
		t.Fatalf("folder = %+v", rep.Folder)
	}
	byName := map[string]int{}
	for i, f := range rep.Flows {
		byName[f.Name] = i
		if f.ID == 0 {
			t.Errorf("flow %q has no id", f.Name)
		}
	}
	welcome, notify := rep.Flows[byName["Welcome message"]], rep.Flows[byName["Notify on new user"]]
	if !welcome.Valid || len(welcome.Problems) != 0 || welcome.Kind != "manual" {
		t.Errorf("Welcome message = %+v, want a valid manual flow", welcome)
	}
	if notify.Valid || !hasProblem(notify.Problems, "unbound_event") || len(notify.Notes) == 0 {
		t.Errorf("Notify on new user = %+v, want its unbound event as a problem and a note", notify)
	}
	if len(rep.Tables) != 1 || rep.Tables[0].Name != "New hires" {
		t.Errorf("tables = %+v", rep.Tables)
	}
	// The app event and the Slack action, each with its flow and address.
	var unsupported []string
	for _, u := range rep.Unsupported {
		unsupported = append(unsupported, u["flow"]+" › "+u["card"]+" ("+u["address"]+")")
	}
	if want := []string{"Notify on new user › User Created (root:channels:http:okta:userCreated)",
		"Notify on new user: For Each - Ignore Errors › Send Message (root:channels:http:slack:sendMessage)"}; strings.Join(unsupported, "\n") != strings.Join(want, "\n") {
		t.Errorf("unsupported = %q, want %q", unsupported, want)
	}
	// Every flow is stored in the folder, OFF, with its document.
	for _, f := range rep.Flows {
		got, err := srv.Store.Flow(context.Background(), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.FolderID != rep.Folder.ID || got.Definition.Name != f.Name {
			t.Errorf("stored flow %d = folder %d, name %q", f.ID, got.FolderID, got.Definition.Name)
		}
		if _, err := srv.Store.LiveSubscription(context.Background(), f.ID); err == nil {
			t.Errorf("imported flow %q is ON", f.Name)
		}
	}
	tb, err := srv.Store.Table(context.Background(), rep.Tables[0].ID)
	if err != nil || len(tb.Columns) != 2 {
		t.Fatalf("imported table = %+v, %v", tb, err)
	}

	again, _ := webtest.ImportFlopack(t, c, token, "", pack, http.StatusCreated)
	if again.Folder.Name != "Onboarding (2)" || again.Tables[0].Name != "New hires (2)" {
		t.Fatalf("a second import: folder %q, table %q; want free names", again.Folder.Name, again.Tables[0].Name)
	}
}

func hasProblem(ps []flows.Problem, code string) bool {
	for _, p := range ps {
		if p.Code == code {
			return true
		}
	}
	return false
}

// apiError is the API's error answer.
type apiError struct {
	Error struct {
		Message string `json:"message"`
	} `json:"error"`
}

// uploadFlopack posts a file to the import page with the page's CSRF token.
func uploadFlopack(t *testing.T, c *webtest.Client, file []byte) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("_csrf", c.CSRF(t, "/flows/import"))
	fw, _ := w.CreateFormFile("file", "pack.flopack")
	fw.Write(file)
	w.Close()
	return c.Do(t, http.MethodPost, "/flows/import", &buf, http.Header{"Content-Type": {w.FormDataContentType()}})
}

// TestFlopackImportPage imports from the import page: the report links
// each flow and lists the cards Hookflow cannot run; the Flows page shows
// the folder with its flows, and each flow's page its folder. A file that
// is not a flopack shows the reason on the form.
func TestFlopackImportPage(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Loose flow")
	if _, err := srv.Store.CreateFlow(context.Background(), flows.Flow{Definition: def}); err != nil {
		t.Fatal(err)
	}

	_, body := c.Get(t, "/flows")
	if href, _ := parse(t, body).Find(`[data-testid="flopack-import"]`).Attr("href"); href != "/flows/import" {
		t.Fatalf("the Flows page's Import button leads to %q", href)
	}
	// The form wants its CSRF token.
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("file", "pack.flopack")
	fw.Write(webtest.OnboardingPack(t))
	w.Close()
	if res, _ := c.Do(t, http.MethodPost, "/flows/import", &buf, http.Header{"Content-Type": {w.FormDataContentType()}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("an import without the CSRF token: %d, want 403", res.StatusCode)
	}
	if fo, _, _ := countAll(t, srv); fo != 0 {
		t.Fatal("an import without the CSRF token stored a folder")
	}

	res, body := uploadFlopack(t, c, []byte(`{"type":"flopack","data":{"flos":{}}}`))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(parse(t, body).Find(`[data-testid="flopack-error"]`).Text(), "holds no flows") {
		t.Fatalf("an empty pack: %d, error %q", res.StatusCode, parse(t, body).Find(`[data-testid="flopack-error"]`).Text())
	}

	res, body = uploadFlopack(t, c, webtest.OnboardingPack(t))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("import: %d", res.StatusCode)
	}
	doc := parse(t, body)
	if got := doc.Find(`[data-testid="flopack-flow"]`).Length(); got != 3 {
		t.Fatalf("report lists %d flows, want 3", got)
	}
	if got := doc.Find(`[data-testid="flopack-flow"][data-valid="true"]`).Text(); !strings.Contains(got, "Welcome message") {
		t.Errorf("valid flows: %q", got)
	}
	if got := doc.Find(`[data-testid="flopack-unsupported-row"]`).Text(); !strings.Contains(got, "Send Message") || !strings.Contains(got, "root:channels:http:slack:sendMessage") {
		t.Errorf("unsupported cards: %q", got)
	}
	if doc.Find(`[data-testid="flopack-problem"]`).Length() < 2 {
		t.Errorf("the report shows %d problems, want those of both unbound cards", doc.Find(`[data-testid="flopack-problem"]`).Length())
	}
	link, _ := doc.Find(`[data-testid="flopack-flow-link"]`).First().Attr("href")

	_, body = c.Get(t, "/flows")
	doc = parse(t, body)
	var names []string
	doc.Find(`[data-testid="flow-folder"]`).Each(func(_ int, s *goquery.Selection) {
		names = append(names, strings.TrimSpace(s.Find(`[data-testid="flow-folder-name"]`).Text())+fmt.Sprintf(":%d", s.Find(`[data-testid="workspace-flow-row"]`).Length()))
	})
	if strings.Join(names, ", ") != "Onboarding:3, Not in a folder:1" {
		t.Fatalf("Flows page folders = %v", names)
	}

	_, body = c.Get(t, link)
	if got := parse(t, body).Find(`[data-testid="flow-folder-link"]`).Text(); got != "Onboarding" {
		t.Fatalf("the flow's page names its folder %q", got)
	}
}

// TestFlopackBind binds an imported flow's unbound event card to a
// connector's Webhook Event card, and the helper flow's placeholder to a
// connector action card keeping its inputs, each as a new revision.
func TestFlopackBind(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.SignedIn(t), srv.Token(t)
	con := webtest.APIJSON(t, srv.NewClient(), token, "POST", "/api/v1/connectors/import", webtest.AcmeExport(t, "http://127.0.0.1:1"), http.StatusCreated)
	conID := int64(con["id"].(float64))
	webtest.APIJSON(t, srv.NewClient(), token, "POST", fmt.Sprintf("/api/v1/connectors/%d/deploy", conID), nil, http.StatusCreated)
	rep, _ := webtest.ImportFlopack(t, srv.NewClient(), token, "", webtest.OnboardingPack(t), http.StatusCreated)
	ids := map[string]int64{}
	for _, f := range rep.Flows {
		ids[f.Kind] = f.ID
	}

	// The app event flow: its event card binds to Acme's User event.
	path := fmt.Sprintf("/flows/%d", ids["app_event"])
	_, body := c.Get(t, path)
	if parse(t, body).Find(`[data-testid="flow-unbound"]`).Length() != 1 {
		t.Error("the status panel of a flow with cards to bind does not say it runs once they are bound")
	}
	form := parse(t, body).Find(`[data-testid="bind-form"]`)
	if form.Length() != 1 {
		t.Fatalf("%d bind forms on the app event flow, want 1", form.Length())
	}
	choice, _ := form.Find(`[data-testid="bind-choice"] option`).First().Attr("value")
	card, _ := form.Attr("data-card")
	res, _ := webtest.PostConnectorForm(t, c, path+"/bind", url.Values{"card": {card}, "choice": {choice}, "revision": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("bind the event: %d", res.StatusCode)
	}
	f, _ := srv.Store.Flow(context.Background(), ids["app_event"])
	if f.Definition.Event.Type != flows.EventConnector || f.Definition.Source == nil || f.Definition.Source.Connector != conID || f.Revision != 2 {
		t.Fatalf("after binding, the event = %+v, source %+v, revision %d", f.Definition.Event, f.Definition.Source, f.Revision)
	}
	// A stale page binds nothing.
	res, _ = webtest.PostConnectorForm(t, c, path+"/bind", url.Values{"card": {card}, "choice": {choice}, "revision": {"1"}})
	if f2, _ := srv.Store.Flow(context.Background(), ids["app_event"]); res.StatusCode != http.StatusSeeOther || f2.Revision != 2 {
		t.Fatalf("a stale bind: %d, revision %d", res.StatusCode, f2.Revision)
	}

	// The helper flow: the Slack placeholder binds to Acme's Get user.
	path = fmt.Sprintf("/flows/%d", ids["helper"])
	_, body = c.Get(t, path)
	form = parse(t, body).Find(`[data-testid="bind-form"]`)
	choice, _ = form.Find(`[data-testid="bind-choice"] option`).First().Attr("value")
	card, _ = form.Attr("data-card")
	if res, _ := webtest.PostConnectorForm(t, c, path+"/bind", url.Values{"card": {card}, "choice": {choice}, "revision": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("bind the card: %d", res.StatusCode)
	}
	f, _ = srv.Store.Flow(context.Background(), ids["helper"])
	n := f.Definition.Cards[0]
	if n.Type != flows.ControlAction || n.Action == nil || n.Action.Connector != conID || n.Label != "Send Message" {
		t.Fatalf("after binding, the card = %+v", n)
	}
	_, body = c.Get(t, path)
	if parse(t, body).Find(`[data-testid="bind-panel"]`).Length() != 0 {
		t.Fatal("the bind panel stays once every card is bound")
	}
}
