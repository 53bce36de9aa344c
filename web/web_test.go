package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// publicRoutes are the only routes an anonymous visitor may use.
var publicRoutes = map[string]bool{
	"ops.healthz": true, "ops.readyz": true, "ops.metrics": true,
	"auth.login.form": true, "auth.login": true,
	"hooks": true, // Event URLs: the flow's own rules apply (hooks_test.go)
	// Invoke URLs: the flow's security applies (endpoints_test.go).
	"api.invoke": true, "api.invoke.post": true,
	"resume": true, // resume URLs of paused runs: unguessable tokens (waits_test.go)
	// The API's OpenAPI document: it holds no data (openapi_test.go).
	"api.openapi": true,
}

var routeParam = regexp.MustCompile(`:[a-z_]+`)

func TestEveryAdminRouteRefusesAnonymous(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.NewClient()
	token := c.CSRF(t, "/login")
	checked := 0
	for _, r := range srv.Web.Routes() {
		if publicRoutes[r.Name] || strings.HasPrefix(r.Path, "/static/") || !isHTTPMethod(r.Method) {
			continue // echo also lists its not-found catch-alls under a pseudo method
		}
		path := routeParam.ReplaceAllString(strings.ReplaceAll(r.Path, "*", "anything"), "1")
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			var body *strings.Reader
			h := http.Header{}
			if r.Method != http.MethodGet {
				// A valid CSRF token, so that it is the sign-in check that refuses.
				body = strings.NewReader(url.Values{"_csrf": {token}}.Encode())
				h.Set("Content-Type", "application/x-www-form-urlencoded")
			} else {
				body = strings.NewReader("")
			}
			res, text := c.Do(t, r.Method, path, body, h)
			switch {
			case strings.HasPrefix(r.Path, "/api/"):
				if res.StatusCode != http.StatusUnauthorized || !strings.Contains(text, `"error"`) {
					t.Fatalf("status %d body %q, want 401 JSON error", res.StatusCode, text)
				}
			case r.Method == http.MethodGet:
				if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
					t.Fatalf("status %d location %q, want redirect to /login", res.StatusCode, res.Header.Get("Location"))
				}
			default:
				if res.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401", res.StatusCode)
				}
			}
		})
		checked++
	}
	// Unknown paths do not tell an anonymous visitor what exists.
	if res, _ := c.Get(t, "/no/such/page"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("unknown path: status %d, want redirect to sign-in", res.StatusCode)
	}
	if checked < 8 {
		t.Fatalf("checked %d routes; the route table lost its admin routes?", checked)
	}
}

func TestLogin(t *testing.T) {
	tests := []struct {
		name         string
		email, pass  string
		next         string
		wantStatus   int
		wantLocation string
		wantError    string
	}{
		{"right password", webtest.AdminEmail, webtest.AdminPassword, "", http.StatusSeeOther, "/", ""},
		{"email in other case", strings.ToUpper(webtest.AdminEmail), webtest.AdminPassword, "/settings", http.StatusSeeOther, "/settings", ""},
		{"open redirect refused", webtest.AdminEmail, webtest.AdminPassword, "//evil.example/x", http.StatusSeeOther, "/", ""},
		{"wrong password", webtest.AdminEmail, "wrong password entirely", "", http.StatusUnauthorized, "", "Wrong email or password."},
		{"unknown email", "who@example.com", webtest.AdminPassword, "", http.StatusUnauthorized, "", "Wrong email or password."},
	}
	srv := webtest.Start(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := srv.NewClient()
			res := c.PostForm(t, "/login", url.Values{"email": {tt.email}, "password": {tt.pass}, "next": {tt.next}})
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if got := res.Header.Get("Location"); got != tt.wantLocation {
				t.Errorf("location = %q, want %q", got, tt.wantLocation)
			}
			dash, _ := c.Get(t, "/")
			signedIn := dash.StatusCode == http.StatusOK
			if signedIn != (tt.wantError == "") {
				t.Errorf("signed in = %v after %s", signedIn, tt.name)
			}
		})
	}
}

func TestLoginErrorIsShownOnTheForm(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.NewClient()
	token := c.CSRF(t, "/login")
	res, body := c.Do(t, http.MethodPost, "/login",
		strings.NewReader(url.Values{"_csrf": {token}, "email": {webtest.AdminEmail}, "password": {"nope nope nope"}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d", res.StatusCode)
	}
	doc := parse(t, body)
	if got := doc.Find(`[data-testid="login-error"]`).Text(); got != "Wrong email or password." {
		t.Errorf("login error = %q", got)
	}
	if got, _ := doc.Find(`[data-testid="login-email"]`).Attr("value"); got != webtest.AdminEmail {
		t.Errorf("email kept in the form = %q", got)
	}
	for _, ck := range res.Cookies() {
		if ck.Name == "hookflow_session" && ck.MaxAge >= 0 {
			t.Errorf("failed sign-in set a session cookie")
		}
	}
}

func TestLoginThrottled(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.NewClient()
	for i := 0; i < 5; i++ {
		if res := c.PostForm(t, "/login", url.Values{"email": {webtest.AdminEmail}, "password": {"guess " + string(rune('a'+i)) + " wrong"}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d", i, res.StatusCode)
		}
	}
	// Even the right password is refused while throttled, with a clear message.
	token := c.CSRF(t, "/login")
	res, body := c.Do(t, http.MethodPost, "/login",
		strings.NewReader(url.Values{"_csrf": {token}, "email": {webtest.AdminEmail}, "password": {webtest.AdminPassword}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429", res.StatusCode)
	}
	if msg := parse(t, body).Find(`[data-testid="login-error"]`).Text(); !strings.Contains(msg, "Too many failed sign-ins") {
		t.Fatalf("message %q", msg)
	}
}

func TestSessionRenewedOnLoginAndEndedOnLogout(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.NewClient()
	before := c.CSRF(t, "/login")
	res := c.PostForm(t, "/login", url.Values{"_csrf": {before}, "email": {webtest.AdminEmail}, "password": {webtest.AdminPassword}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login status %d", res.StatusCode)
	}
	var session *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "hookflow_session" {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie = %+v, want HttpOnly SameSite=Lax", session)
	}
	after := c.CSRF(t, "/settings")
	if after == before {
		t.Error("CSRF token not renewed on sign-in")
	}
	res = c.PostForm(t, "/logout", url.Values{"_csrf": {after}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout status %d", res.StatusCode)
	}
	if res, _ := c.Get(t, "/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout GET / = %d, want redirect", res.StatusCode)
	}
}

func TestTamperedSessionCookieIsSignedOut(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	u, _ := url.Parse(srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "hookflow_session" {
			ck.Value = ck.Value[:len(ck.Value)-4] + "AAAA"
			c.Jar.SetCookies(u, []*http.Cookie{ck})
		}
	}
	res, _ := c.Get(t, "/")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("tampered cookie: status %d, want redirect to sign-in", res.StatusCode)
	}
	res, _ = c.Get(t, "/login")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login page with a tampered cookie: %d", res.StatusCode)
	}
}

func TestCSRFRequired(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	tests := []struct {
		name  string
		token []string
	}{
		{"missing", nil},
		{"wrong", []string{"not-the-token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"name": {"ci"}}
			if tt.token != nil {
				form["_csrf"] = tt.token
			}
			// Browsers send Sec-Fetch-Site; it must not stand in for the token.
			res, body := c.Do(t, http.MethodPost, "/settings/tokens", strings.NewReader(form.Encode()), http.Header{
				"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"same-origin"},
			})
			if res.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d, want 403", res.StatusCode)
			}
			if !strings.Contains(parse(t, body).Find(`[data-testid="error-message"]`).Text(), "form has expired") {
				t.Errorf("no clear message: %s", body)
			}
		})
	}
	tokens, _ := srv.Store.APITokens(context.Background(), srv.Admin.ID)
	if len(tokens) != 0 {
		t.Fatalf("a form without its CSRF token created %d tokens", len(tokens))
	}
}

func TestChangePassword(t *testing.T) {
	tests := []struct {
		name               string
		current, new, conf string
		wantField          string
	}{
		{"wrong current", "not my password", "a brand new password", "a brand new password", "current"},
		{"too short", webtest.AdminPassword, "short", "short", "new"},
		{"mismatch", webtest.AdminPassword, "a brand new password", "a brand new passwore", "confirm"},
	}
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := c.CSRF(t, "/settings")
			res, body := c.Do(t, http.MethodPost, "/settings/password",
				strings.NewReader(url.Values{"_csrf": {token}, "current": {tt.current}, "new": {tt.new}, "confirm": {tt.conf}}.Encode()),
				http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", res.StatusCode)
			}
			if parse(t, body).Find(`[data-testid="error-`+tt.wantField+`"]`).Length() != 1 {
				t.Fatalf("no error next to %s", tt.wantField)
			}
		})
	}
	if _, err := srv.Store.Authenticate(context.Background(), webtest.AdminEmail, webtest.AdminPassword); err != nil {
		t.Fatal("a refused change altered the password")
	}
	res := c.PostForm(t, "/settings/password", url.Values{"_csrf": {c.CSRF(t, "/settings")}, "current": {webtest.AdminPassword}, "new": {"a brand new password"}, "confirm": {"a brand new password"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", res.StatusCode)
	}
	_, body := c.Get(t, "/settings")
	if !strings.Contains(parse(t, body).Find(`[data-testid="flash-success"]`).Text(), "password has been changed") {
		t.Error("no success flash")
	}
	if _, err := srv.Store.Authenticate(context.Background(), webtest.AdminEmail, "a brand new password"); err != nil {
		t.Fatal("new password does not work")
	}
}

func TestAPITokensLifecycle(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	token := c.CSRF(t, "/settings")
	res, body := c.Do(t, http.MethodPost, "/settings/tokens", strings.NewReader(url.Values{"_csrf": {token}, "name": {"deploy <script>"}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create status %d", res.StatusCode)
	}
	doc := parse(t, body)
	secret, _ := doc.Find(`[data-testid="new-token-value"]`).Attr("value")
	if !strings.HasPrefix(secret, "hf_") {
		t.Fatalf("token shown = %q", secret)
	}
	if strings.Contains(body, "<script>") {
		t.Error("token name not escaped")
	}
	// Shown once: the list shows only its prefix.
	_, body = c.Get(t, "/settings")
	if strings.Contains(body, secret) {
		t.Fatal("the token secret is shown again")
	}
	if n := parse(t, body).Find(`[data-testid="token-row"]`).Length(); n != 1 {
		t.Fatalf("token rows = %d", n)
	}

	api := srv.NewClient()
	res, body = api.Do(t, http.MethodGet, "/api/v1/me", nil, http.Header{"Authorization": {"Bearer " + secret}, "Accept": {"application/json"}})
	var me struct{ Email string }
	if res.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &me) != nil || me.Email != webtest.AdminEmail {
		t.Fatalf("GET /api/v1/me = %d %s", res.StatusCode, body)
	}
	for _, h := range []string{"", "Bearer hf_wrong", "Basic abc"} {
		res, body = api.Do(t, http.MethodGet, "/api/v1/me", nil, http.Header{"Authorization": {h}})
		if res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Errorf("Authorization %q: %d %s, want 401 JSON", h, res.StatusCode, body)
		}
	}

	tokens, _ := srv.Store.APITokens(context.Background(), srv.Admin.ID)
	res = c.PostForm(t, "/settings/tokens/"+webtest.Itoa(tokens[0].ID)+"/revoke", url.Values{"_csrf": {c.CSRF(t, "/settings")}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke status %d", res.StatusCode)
	}
	if res, _ := api.Do(t, http.MethodGet, "/api/v1/me", nil, http.Header{"Authorization": {"Bearer " + secret}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("revoked token still works: %d", res.StatusCode)
	}
}

func TestCreateTokenValidation(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	res, body := c.Do(t, http.MethodPost, "/settings/tokens", strings.NewReader(url.Values{"_csrf": {c.CSRF(t, "/settings")}, "name": {"   "}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if res.StatusCode != http.StatusUnprocessableEntity || parse(t, body).Find(`[data-testid="error-name"]`).Length() != 1 {
		t.Fatalf("status %d; want 422 with the error next to the name", res.StatusCode)
	}
}

func TestPagesAndErrors(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	tests := []struct {
		path     string
		status   int
		testID   string
		mustHave string
	}{
		{"/", 200, "dashboard-empty", "Start by building a connector"},
		{"/connectors", 200, "connectors-empty", "Build one first"},
		{"/flows", 200, "flows-empty", "Deploy a connector and add a connection"},
		{"/connections", 200, "connections-empty", "encrypted and never shown again"},
		{"/executions", 200, "executions-empty", "Every run of every flow"},
		{"/settings", 200, "tokens-empty", "No API tokens yet."},
		{"/tables", 200, "tables-empty", "No tables yet"},
		{"/no/such/page", 404, "error-page", "Not Found"},
		{"/settings/tokens/abc/revoke", 404, "error-page", "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, body := c.Get(t, tt.path)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			doc := parse(t, body)
			sel := doc.Find(`[data-testid="` + tt.testID + `"]`)
			if sel.Length() != 1 || !strings.Contains(sel.Text(), tt.mustHave) {
				t.Fatalf("%s: want %s containing %q", tt.path, tt.testID, tt.mustHave)
			}
			if doc.Find(`[data-testid="nav"] a`).Length() != 6 {
				t.Errorf("navigation missing")
			}
		})
	}
	res, body := c.Do(t, http.MethodGet, "/api/v1/nothing", nil, http.Header{"Accept": {"application/json"}})
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"error"`) {
		t.Errorf("API without token: %d %s", res.StatusCode, body)
	}
}

func TestOps(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.NewClient()
	for _, p := range []string{"/healthz", "/readyz"} {
		if res, body := c.Get(t, p); res.StatusCode != 200 {
			t.Errorf("%s = %d %s", p, res.StatusCode, body)
		}
	}
	_, body := c.Get(t, "/metrics")
	for _, want := range []string{"hookflow_http_requests_total", "go_goroutines", `route="/healthz"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	res, _ := c.Get(t, "/healthz")
	if res.Header.Get("X-Request-Id") == "" {
		t.Error("no request id header")
	}
	srv.Store.Close()
	if res, _ := c.Get(t, "/readyz"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database closed = %d, want 503", res.StatusCode)
	}
}

func TestErrorPagesLeakNoInternals(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	srv.Store.Close() // every query now fails inside the store
	res, body := c.Get(t, "/settings")
	if res.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, leak := range []string{"sql", "store:", "database", "gorm"} {
		if strings.Contains(strings.ToLower(parse(t, body).Find("main").Text()), leak) {
			t.Errorf("error page mentions %q", leak)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	big := strings.Repeat("x", 2<<20)
	res, _ := c.Do(t, http.MethodPost, "/settings/tokens", strings.NewReader("name="+big), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MiB form: status %d, want 413", res.StatusCode)
	}
}

// parse is webtest.ParseHTML, by the short name this package's tests use.
var parse = webtest.ParseHTML

func isHTTPMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

func TestStaticAssetsLoad(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.NewClient()
	_, page := c.Get(t, "/login")
	doc := parse(t, page)
	var urls []string
	doc.Find(`link[rel="stylesheet"]`).Each(func(_ int, s *goquery.Selection) { urls = append(urls, s.AttrOr("href", "")) })
	doc.Find(`script[src]`).Each(func(_ int, s *goquery.Selection) { urls = append(urls, s.AttrOr("src", "")) })
	if len(urls) != 4 {
		t.Fatalf("assets on the page: %v", urls)
	}
	for _, u := range append(urls, "/static/js/builder.js?v=x", "/static/vendor/htmx/LICENSE") {
		res, body := c.Get(t, u)
		if res.StatusCode != http.StatusOK || len(body) < 100 {
			t.Errorf("%s: %d, %d bytes", u, res.StatusCode, len(body))
		}
		if strings.Contains(u, "?v=") && !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: Cache-Control %q", u, res.Header.Get("Cache-Control"))
		}
	}
}
