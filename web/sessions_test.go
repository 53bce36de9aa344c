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

// signedIn checks that a client's session still opens Settings.
func signedIn(t *testing.T, c *webtest.Client, who string) {
	t.Helper()
	if res, _ := c.Get(t, "/settings"); res.StatusCode != http.StatusOK {
		t.Errorf("%s: GET /settings = %d, want 200", who, res.StatusCode)
	}
}

func TestSettingsListsSessionsAndSignsOneOut(t *testing.T) {
	srv := webtest.Start(t)
	laptop := webtest.SignInWith(t, srv, webtest.FirefoxAgent)
	phone := webtest.SignInWith(t, srv, webtest.SafariAgent)

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
	webtest.SignedOut(t, phone, "phone")
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
	laptop := webtest.SignInWith(t, srv, webtest.FirefoxAgent)
	phone := webtest.SignInWith(t, srv, webtest.SafariAgent)
	desktop := webtest.SignInWith(t, srv, webtest.EdgeAgent)
	token := srv.Token(t)

	res := laptop.PostForm(t, "/settings/sessions/revoke-others", url.Values{"_csrf": {laptop.CSRF(t, "/settings")}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", res.StatusCode)
	}
	webtest.SignedOut(t, phone, "phone")
	webtest.SignedOut(t, desktop, "desktop")
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
			c := webtest.SignInWith(t, srv, webtest.FirefoxAgent)
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
			webtest.SignedOut(t, replay, "the cookie from before sign-out")
			if list, _ := srv.Store.Sessions(context.Background(), srv.Admin.ID); len(list) != 0 {
				t.Fatalf("%d sessions live after sign-out", len(list))
			}
		})
	}
}

func TestPasswordChangeSignsOutOtherSessions(t *testing.T) {
	srv := webtest.Start(t)
	laptop := webtest.SignInWith(t, srv, webtest.FirefoxAgent)
	phone := webtest.SignInWith(t, srv, webtest.SafariAgent)
	res := laptop.PostForm(t, "/settings/password", url.Values{"_csrf": {laptop.CSRF(t, "/settings")},
		"current": {webtest.AdminPassword}, "new": {"a brand new password"}, "confirm": {"a brand new password"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("change password: status %d", res.StatusCode)
	}
	webtest.SignedOut(t, phone, "phone")
	signedIn(t, laptop, "laptop")
}

func TestSessionCookieCarriesOnlyItsToken(t *testing.T) {
	srv := webtest.Start(t)
	c := webtest.SignInWith(t, srv, webtest.FirefoxAgent)
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
