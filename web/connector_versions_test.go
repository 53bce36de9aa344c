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

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// brokenConnector makes a connector whose helper flow lacks a required input.
func brokenConnector(t *testing.T, srv *webtest.Server) (flows.Connector, flows.Flow) {
	t.Helper()
	ctx := context.Background()
	con, err := srv.Store.CreateConnector(ctx, flows.ConnectorInfo{Name: "Acme", BaseURL: "https://api.acme.test", Auth: flows.AuthDefinition{Kind: flows.AuthNone}})
	if err != nil {
		t.Fatal(err)
	}
	def, _ := flows.NewDefinition(flows.KindHelper, "Shout")
	def.Event.Outputs = []flows.Field{{Key: "text", Type: flows.TypeText}}
	def.Cards = []flows.Node{{ID: "up", Type: "text.upper"}}
	f, err := srv.Store.CreateFlow(ctx, flows.Flow{ConnectorID: con.ID, Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	return con, f
}

func fix(t *testing.T, srv *webtest.Server, f flows.Flow) {
	t.Helper()
	f.Definition.Cards[0].Bindings = map[string]flows.Binding{"text": {Ref: &flows.Ref{Card: "event", Field: "text"}}}
	if _, err := srv.Store.UpdateFlow(context.Background(), f); err != nil {
		t.Fatal(err)
	}
}

func upload(t *testing.T, c *webtest.Client, path string, file []byte) *http.Response {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("_csrf", c.CSRF(t, "/connectors"))
	fw, _ := w.CreateFormFile("file", "connector.json")
	fw.Write(file)
	w.Close()
	res, _ := c.Do(t, http.MethodPost, path, &buf, http.Header{"Content-Type": {w.FormDataContentType()}})
	return res
}

func TestDeployExportImport(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	ctx := context.Background()
	con, f := brokenConnector(t, srv)
	base := fmt.Sprintf("/connectors/%d", con.ID)

	// A flow with errors cannot be deployed; the problem names the card and field.
	res, body := postForm(t, c, base+"/deploy", url.Values{})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("deploy with errors: %d", res.StatusCode)
	}
	problem := parse(t, body).Find(`[data-testid="deploy-problem"]`).First().Text()
	if !strings.Contains(problem, `flow "Shout"`) || !strings.Contains(problem, "card up, field text") {
		t.Fatalf("problem = %q", problem)
	}
	if vs, _ := srv.Store.Versions(ctx, con.ID); len(vs) != 0 {
		t.Fatal("a refused deploy stored a version")
	}

	fix(t, srv, f)
	if res, _ := postForm(t, c, base+"/deploy", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("deploy: %d", res.StatusCode)
	}
	_, body = c.Get(t, base+"?tab=deployment")
	doc := parse(t, body)
	if doc.Find(`[data-testid="version-number"]`).First().Text() != "1" || !strings.Contains(doc.Find(`[data-testid="version-row"]`).Text(), webtest.AdminEmail) {
		t.Fatal("version 1 with who deployed it is not listed")
	}

	// Export, then import: refused while the name is taken, accepted under a new name.
	res, file := c.Get(t, base+"/export")
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), "connector-") {
		t.Fatalf("export: %d %v", res.StatusCode, res.Header)
	}
	if res := upload(t, c, "/connectors/import", []byte(file)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("import: %d", res.StatusCode)
	}
	_, body = c.Get(t, "/connectors")
	if msg := parse(t, body).Find(`[data-testid="flash-error"]`).Text(); !strings.Contains(msg, `nother connector is named "Acme"`) {
		t.Fatalf("flash = %q", msg)
	}
	renamed := strings.Replace(file, `"name": "Acme"`, `"name": "Acme copy"`, 1)
	upload(t, c, "/connectors/import", []byte(renamed))
	list, _ := srv.Store.Connectors(ctx)
	if len(list) != 2 || list[1].Info.Name != "Acme copy" || list[1].FlowCount != 1 {
		t.Fatalf("connectors after import = %+v", list)
	}
	// Garbage is refused with a message and changes nothing.
	upload(t, c, "/connectors/import", []byte("not json"))
	if list, _ := srv.Store.Connectors(ctx); len(list) != 2 {
		t.Fatal("garbage import changed the connectors")
	}

	// Import as the new draft of the original: its flows are replaced, versions stay.
	empty := file[:strings.Index(file, `"flows"`)] + `"flows": []` + "\n}\n"
	if res := upload(t, c, base+"/import", []byte(empty)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("import draft: %d", res.StatusCode)
	}
	if got, _ := srv.Store.Connector(ctx, con.ID); got.FlowCount != 0 {
		t.Fatalf("draft not replaced: %d flows", got.FlowCount)
	}
	if vs, _ := srv.Store.Versions(ctx, con.ID); len(vs) != 1 {
		t.Fatal("import into the draft changed the versions")
	}
}

func TestAPIConnectors(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	con, f := brokenConnector(t, srv)
	status, body := c.API(t, token, http.MethodPost, fmt.Sprintf("/api/v1/connectors/%d/deploy", con.ID), "")
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `"code":"missing_input"`) {
		t.Fatalf("deploy with errors: %d %s", status, body)
	}
	fix(t, srv, f)
	status, body = c.API(t, token, http.MethodPost, fmt.Sprintf("/api/v1/connectors/%d/deploy", con.ID), "")
	if status != http.StatusCreated || !strings.Contains(body, `"version":1`) {
		t.Fatalf("deploy: %d %s", status, body)
	}
	_, export := c.API(t, token, http.MethodGet, fmt.Sprintf("/api/v1/connectors/%d/export", con.ID), "")
	imported := strings.Replace(export, `"name": "Acme"`, `"name": "Acme 2"`, 1)
	status, body = c.API(t, token, http.MethodPost, "/api/v1/connectors/import", imported)
	var got struct {
		ID        int64
		FlowCount int
	}
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &got) != nil || got.FlowCount != 1 {
		t.Fatalf("import: %d %s", status, body)
	}
	// Export of the import equals the original but for the name and the flow keys.
	_, again := c.API(t, token, http.MethodGet, fmt.Sprintf("/api/v1/connectors/%d/export", got.ID), "")
	var a, b flows.ConnectorExport
	json.Unmarshal([]byte(imported), &a)
	json.Unmarshal([]byte(again), &b)
	ja, _ := flows.MarshalDefinition(a.Flows[0].Definition)
	jb, _ := flows.MarshalDefinition(b.Flows[0].Definition)
	ca, _ := json.Marshal(a.Connector)
	cb, _ := json.Marshal(b.Connector)
	if !bytes.Equal(ja, jb) || !bytes.Equal(ca, cb) {
		t.Fatalf("round trip differs:\n%s\n%s", imported, again)
	}
	status, body = c.API(t, token, http.MethodGet, fmt.Sprintf("/api/v1/connectors/%d/versions", con.ID), "")
	if status != 200 || !strings.Contains(body, `"createdBy":"`+webtest.AdminEmail+`"`) {
		t.Fatalf("versions: %d %s", status, body)
	}
	for _, bad := range []struct{ body, want string }{
		{`{"schema":1,"connector":{"name":"","auth":{"kind":"none"}},"flows":[]}`, `"field":"name"`},
		{`{"schema":7}`, "chema version 7 is not supported"},
		{`[`, `"status":422`},
	} {
		if status, body := c.API(t, token, http.MethodPost, "/api/v1/connectors/import", bad.body); status != 422 || !strings.Contains(body, bad.want) {
			t.Errorf("import %s: %d %s", bad.body, status, body)
		}
	}
	if status, _ := c.API(t, token, http.MethodPost, "/api/v1/connectors/import", imported); status != http.StatusConflict {
		t.Errorf("import with a taken name: %d", status)
	}
}

// besideJS reports whether the element named by the second data-testid
// sits right of the first one, on the same line.
const besideJS = `((a, b) => {
  const r = document.querySelector('[data-testid="' + a + '"]').getBoundingClientRect();
  const s = document.querySelector('[data-testid="' + b + '"]').getBoundingClientRect();
  return s.left >= r.right && s.top < r.bottom && s.bottom > r.top && s.width > 0;
})`

// TestBrowserDeploy deploys from the Deployment tab: what failed, and then
// the deployed version, show beside the Deploy button, not at the top.
func TestBrowserDeploy(t *testing.T) {
	srv := webtest.Start(t)
	con, f := brokenConnector(t, srv)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	b.Open(fmt.Sprintf("/connectors/%d", con.ID))
	b.Run(chromedp.Click(webtest.TestID("tab-deployment")), chromedp.Click(webtest.TestID("deploy")), chromedp.WaitVisible(webtest.TestID("deploy-problems")))
	if got := b.Text("deploy-problem"); !strings.Contains(got, "required") {
		t.Fatalf("problem shown: %q", got)
	}
	for _, width := range []int64{1440, 1024} {
		b.Run(chromedp.EmulateViewport(width, 900))
		if !webtest.Value(b, chromedp.Evaluate[bool](besideJS+`("deploy", "deploy-problems")`)) {
			t.Fatalf("at %d px the problems are not beside the Deploy button", width)
		}
	}
	fix(t, srv, f)
	b.Run(chromedp.Click(webtest.TestID("deploy")), chromedp.WaitVisible(webtest.TestID("deploy-success")))
	if got := b.Text("deploy-success"); got != "Deployed version 1." {
		t.Fatalf("deploy says %q", got)
	}
	if got := b.Text("version-number"); got != "1" {
		t.Fatalf("version = %q", got)
	}
	if !webtest.Value(b, chromedp.Evaluate[bool](besideJS+`("deploy", "deploy-success")`)) {
		t.Fatal("the result is not beside the Deploy button")
	}
	if n := webtest.Value(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid^="flash-"]').length`)); n != 0 {
		t.Fatalf("%d messages at the top of the page", n)
	}
	if cur := webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('[aria-current="page"]').dataset.testid`)); cur != "tab-deployment" {
		t.Fatalf("after deploying, the open tab is %q", cur)
	}
	// The message shows once: a reload does not repeat it.
	b.Open(fmt.Sprintf("/connectors/%d?tab=deployment", con.ID))
	b.Run(chromedp.WaitVisible(webtest.TestID("version-row")))
	if n := webtest.Value(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="deploy-success"]').length`)); n != 0 {
		t.Fatal("the deploy result shows again after a reload")
	}
}
