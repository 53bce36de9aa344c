package browser_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/web/webtest"
)

func TestBrowserSignInShowsDashboard(t *testing.T) {
	srv := webtest.Start(t)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	if got := b.Text("current-user"); got != webtest.AdminEmail {
		t.Fatalf("signed in as %q", got)
	}
	if got := b.Text("dashboard-empty"); !strings.Contains(got, "Start by building a connector") {
		t.Fatalf("empty dashboard says %q", got)
	}
	// The navigation leads to each section.
	b.Run(chromedp.Click(webtest.TestID("nav-settings")), chromedp.WaitVisible(webtest.TestID("tokens-section")))
}

func TestBrowserWrongPasswordShowsErrorAndNoSession(t *testing.T) {
	srv := webtest.Start(t)
	b := webtest.NewBrowser(t, srv)
	b.SignInAs(webtest.AdminEmail, "not the password at all")
	if got := b.Text("login-error"); got != "Wrong email or password." {
		t.Fatalf("error = %q", got)
	}
	b.Open("/")
	b.Run(chromedp.WaitVisible(webtest.TestID("login-form")))
	if loc := webtest.Value(b, chromedp.Location()); !strings.Contains(loc, "/login") {
		t.Fatalf("without a session / leads to %s", loc)
	}
}

func TestBrowserFormWithoutCSRFTokenIsRefused(t *testing.T) {
	srv := webtest.Start(t)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	b.Open("/settings")
	b.Run(
		chromedp.WaitVisible(webtest.TestID("token-form")),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="token-form"] input[name="name"]`), "ci"),
	)
	// Strip the token from the form, as a forged cross-site form would lack it.
	webtest.Value(b, chromedp.Evaluate[bool](`(() => { document.querySelector('[data-testid="token-form"] input[name="_csrf"]').remove(); return true })()`))
	b.Run(chromedp.Submit(webtest.TestID("token-form")))
	if got := b.Text("error-code"); got != "403" {
		t.Fatalf("error code = %q, want 403", got)
	}
	if got := b.Text("error-message"); !strings.Contains(got, "form has expired") {
		t.Fatalf("message = %q", got)
	}
	tokens, err := srv.Store.APITokens(context.Background(), srv.Admin.ID)
	if err != nil || len(tokens) != 0 {
		t.Fatalf("tokens = %v, %v; the refused form created one", tokens, err)
	}
	// With its token, the same form works.
	b.Open("/settings")
	b.Run(
		chromedp.SendKeys(chromedp.CSS(`[data-testid="token-form"] input[name="name"]`), "ci"),
		chromedp.Submit(webtest.TestID("token-form")),
		chromedp.WaitVisible(webtest.TestID("new-token-value")),
	)
}
