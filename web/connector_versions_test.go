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

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

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
	con, f := webtest.BrokenConnector(t, srv)
	base := fmt.Sprintf("/connectors/%d", con.ID)

	// A flow with errors cannot be deployed; the problem names the card and field.
	res, body := webtest.PostConnectorForm(t, c, base+"/deploy", url.Values{})
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

	webtest.FixHelperFlow(t, srv, f)
	if res, _ := webtest.PostConnectorForm(t, c, base+"/deploy", url.Values{}); res.StatusCode != http.StatusSeeOther {
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
	con, f := webtest.BrokenConnector(t, srv)
	status, body := c.API(t, token, http.MethodPost, fmt.Sprintf("/api/v1/connectors/%d/deploy", con.ID), "")
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `"code":"missing_input"`) {
		t.Fatalf("deploy with errors: %d %s", status, body)
	}
	webtest.FixHelperFlow(t, srv, f)
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
