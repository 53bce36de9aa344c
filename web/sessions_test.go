package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

// signInWith signs the admin in through the form with a browser's user agent.
func signInWith(t *testing.T, srv *webtest.Server, agent string) *webtest.Client {
	t.Helper()
	c := srv.NewClient()
	form := url.Values{"_csrf": {c.CSRF(t, "/login")}, "email": {webtest.AdminEmail}, "password": {webtest.AdminPassword}}
	res, _ := c.Do(t, http.MethodPost, "/login", strings.NewReader(form.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "User-Agent": {agent}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in with %q: status %d", agent, res.StatusCode)
	}
	return c
}

const (
	firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	safari  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	edge    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
)

// signedOut checks that a client's session is refused: pages send it to
// sign in, forms and htmx requests get 401.
func signedOut(t *testing.T, c *webtest.Client, who string) {
	t.Helper()
	if res, _ := c.Get(t, "/settings"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("%s: GET /settings = %d to %q, want a redirect to sign in", who, res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := c.Do(t, http.MethodGet, "/flows", nil, http.Header{"HX-Request": {"true"}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("%s: htmx GET /flows = %d, want 401", who, res.StatusCode)
	}
	res := c.PostForm(t, "/settings/tokens", url.Values{"name": {"after sign-out"}})
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("%s: POST /settings/tokens = %d, want 401", who, res.StatusCode)
	}
}

// signedIn checks that a client's session still opens Settings.
func signedIn(t *testing.T, c *webtest.Client, who string) {
	t.Helper()
	if res, _ := c.Get(t, "/settings"); res.StatusCode != http.StatusOK {
		t.Errorf("%s: GET /settings = %d, want 200", who, res.StatusCode)
	}
}

func TestSettingsListsSessionsAndSignsOneOut(t *testing.T) {
	srv := webtest.Start(t)
	laptop := signInWith(t, srv, firefox)
	phone := signInWith(t, srv, safari)

	_, body := laptop.Get(t, "/settings")
	doc := parse(t, body)
	rows := doc.Find(`[data-testid="session-row"]`)
	if rows.Length() != 2 {
		t.Fatalf("%d session rows, want 2", rows.Length())
	}
	current := doc.Find(`[data-testid="session-row"]:has([data-testid="session-current"])`)
	if current.Length() != 1 || !strings.Contains(current.Text(), "Firefox on Linux") || current.Find(`[data-testid="session-revoke"]`).Length() != 0 {
		t.Fatalf("current session row %q: want Firefox on Linux, marked, without a sign-out button", current.Text())
	}
	other := doc.Find(`[data-testid="session-row"]:not(:has([data-testid="session-current"]))`)
	if !strings.Contains(other.Text(), "Safari on iPhone") || !strings.Contains(other.Text(), "127.0.0.1") {
		t.Fatalf("other session row %q: want its browser and address", other.Text())
	}
	if doc.Find(`[data-testid="sessions-revoke-others"]`).Length() != 1 {
		t.Fatal("no sign out everywhere else button")
	}
	action, _ := other.Find("form").Attr("action")

	res := laptop.PostForm(t, action, url.Values{"_csrf": {laptop.CSRF(t, "/settings")}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out the phone: status %d", res.StatusCode)
	}
	signedOut(t, phone, "phone")
	signedIn(t, laptop, "laptop")
	_, body = laptop.Get(t, "/settings")
	doc = parse(t, body)
	if n := doc.Find(`[data-testid="session-row"]`).Length(); n != 1 {
		t.Errorf("%d session rows after signing the phone out, want 1", n)
	}
	if doc.Find(`[data-testid="sessions-revoke-others"]`).Length() != 0 {
		t.Error("sign out everywhere else offered with no other session")
	}
	if !strings.Contains(doc.Find(`[data-testid="audit-entry"]`).Text(), "sign_out_session") {
		t.Error("signing a session out is not in the audit log")
	}
	// Signing out the phone's session again, or a made-up one, is not found.
	res = laptop.PostForm(t, action, url.Values{"_csrf": {laptop.CSRF(t, "/settings")}})
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("signing an ended session out again: %d, want 404", res.StatusCode)
	}
}

func TestSignOutEverywhereElse(t *testing.T) {
	srv := webtest.Start(t)
	laptop := signInWith(t, srv, firefox)
	phone := signInWith(t, srv, safari)
	desktop := signInWith(t, srv, edge)
	token := srv.Token(t)

	res := laptop.PostForm(t, "/settings/sessions/revoke-others", url.Values{"_csrf": {laptop.CSRF(t, "/settings")}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", res.StatusCode)
	}
	signedOut(t, phone, "phone")
	signedOut(t, desktop, "desktop")
	// This session stays, and says how many others ended.
	_, body := laptop.Get(t, "/settings")
	if msg := parse(t, body).Find(`[data-testid="flash-success"]`).Text(); !strings.Contains(msg, "2 sessions ended") {
		t.Errorf("flash %q, want how many sessions ended", msg)
	}
	// Personal API tokens are not sessions: they go on working.
	if code, body := srv.NewClient().API(t, token, http.MethodGet, "/api/v1/me", ""); code != http.StatusOK {
		t.Fatalf("API token after signing out everywhere else: %d %s", code, body)
	}
}

func TestLogoutEndsTheSessionOnTheServer(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			srv := webtest.StartWith(t, webtest.Options{DatabaseURL: db.URL(t)})
			c := signInWith(t, srv, firefox)
			signedIn(t, c, "before sign-out")
			u, _ := url.Parse(srv.URL)
			saved := c.Jar.Cookies(u)
			res := c.PostForm(t, "/logout", url.Values{"_csrf": {c.CSRF(t, "/settings")}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("logout: status %d", res.StatusCode)
			}
			// The cookie from before, sent again, no longer signs anyone in.
			replay := srv.NewClient()
			replay.Jar.SetCookies(u, saved)
			signedOut(t, replay, "the cookie from before sign-out")
			if list, _ := srv.Store.Sessions(context.Background(), srv.Admin.ID); len(list) != 0 {
				t.Fatalf("%d sessions live after sign-out", len(list))
			}
		})
	}
}

func TestPasswordChangeSignsOutOtherSessions(t *testing.T) {
	srv := webtest.Start(t)
	laptop := signInWith(t, srv, firefox)
	phone := signInWith(t, srv, safari)
	res := laptop.PostForm(t, "/settings/password", url.Values{"_csrf": {laptop.CSRF(t, "/settings")},
		"current": {webtest.AdminPassword}, "new": {"a brand new password"}, "confirm": {"a brand new password"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("change password: status %d", res.StatusCode)
	}
	signedOut(t, phone, "phone")
	signedIn(t, laptop, "laptop")
}

func TestSessionCookieCarriesOnlyItsToken(t *testing.T) {
	srv := webtest.Start(t)
	c := signInWith(t, srv, firefox)
	u, _ := url.Parse(srv.URL)
	before := sessionCookie(c, u)
	// A flash message is kept on the server: the cookie does not change.
	res := c.PostForm(t, "/settings/sessions/revoke-others", url.Values{"_csrf": {c.CSRF(t, "/settings")}})
	for _, ck := range res.Cookies() {
		if ck.Name == "hookflow_session" {
			t.Fatalf("a flash message rewrote the session cookie")
		}
	}
	_, body := c.Get(t, "/settings")
	if parse(t, body).Find(`[data-testid="flash-success"]`).Length() != 1 {
		t.Fatal("the flash message was lost")
	}
	if after := sessionCookie(c, u); after != before || len(after) > 200 {
		t.Fatalf("session cookie %d bytes, changed %v: want a short token that stays", len(after), after != before)
	}
}

func sessionCookie(c *webtest.Client, u *url.URL) string {
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "hookflow_session" {
			return ck.Value
		}
	}
	return ""
}
