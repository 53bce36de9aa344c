package browser_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

func TestBrowserNewRegistrationFlow(t *testing.T) {
	srv := webtest.Start(t)
	con, _ := srv.Store.CreateConnector(context.Background(), flows.ConnectorInfo{Name: "Acme", Auth: flows.AuthDefinition{Kind: flows.AuthNone}})
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	b.Open(fmt.Sprintf("/connectors/%d", con.ID))
	b.Run(
		chromedp.Click(webtest.TestID("tab-flows")),
		chromedp.WaitVisible(webtest.TestID("connector-flows-empty")),
		chromedp.SetValue(webtest.TestID("new-flow-kind"), string(flows.KindWebhookRegistration)),
		chromedp.SendKeys(webtest.TestID("new-flow-name"), "Subscribe"),
		chromedp.Click(webtest.TestID("new-flow-submit")),
		// The new flow opens in the editor.
		chromedp.WaitVisible(webtest.TestID("canvas")),
	)
	if got := b.Text("editor-title"); got != "Subscribe" {
		t.Fatalf("the new flow opened %q", got)
	}
	loc := webtest.Value(b, chromedp.Location())
	if !regexp.MustCompile(fmt.Sprintf(`/connectors/%d/flows/\d+$`, con.ID)).MatchString(loc) {
		t.Fatalf("after creating, the browser is at %s, not the flow's editor", loc)
	}
	b.Run(chromedp.Click(webtest.TestID("back")), chromedp.WaitVisible(webtest.TestID("flow-row")))
	if got := b.Text("flow-name"); got != "Subscribe" {
		t.Fatalf("flow listed as %q", got)
	}
	kind := webtest.Value(b, chromedp.AttributeValue(webtest.TestID("flow-row"), "data-kind"))
	if kind.Value != string(flows.KindWebhookRegistration) {
		t.Fatalf("kind = %+v", kind)
	}
}
