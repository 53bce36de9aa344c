package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/web/webtest"
)

func TestCookiesSecureOnlyOverHTTPS(t *testing.T) {
	tests := []struct {
		name    string
		baseURL string
		secure  bool
	}{
		{"https base URL", "https://hooks.example.com", true},
		{"http base URL", "http://localhost:8080", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := webtest.StartWith(t, webtest.Options{BaseURL: tt.baseURL}).Web
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))
			csrf := cookie(t, rec, "hookflow_csrf")
			token := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(rec.Body.String())[1]

			form := url.Values{"_csrf": {token}, "email": {webtest.AdminEmail}, "password": {webtest.AdminPassword}}
			req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(csrf)
			req.Header.Set("X-Forwarded-Proto", "https") // as a TLS-terminating proxy on loopback sends it
			req.RemoteAddr = "127.0.0.1:40000"
			rec = httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("login status %d", rec.Code)
			}
			session := cookie(t, rec, "hookflow_session")
			if csrf.Secure != tt.secure || session.Secure != tt.secure {
				t.Fatalf("Secure: csrf %v, session %v; want %v", csrf.Secure, session.Secure, tt.secure)
			}
			if hsts := rec.Header().Get("Strict-Transport-Security"); (hsts != "") != tt.secure {
				t.Fatalf("HSTS header %q with secure=%v", hsts, tt.secure)
			}
		})
	}
}

func cookie(t *testing.T, rec *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == name && c.MaxAge >= 0 {
			return c
		}
	}
	t.Fatalf("no %s cookie set", name)
	return nil
}

func TestContentSecurityPolicy(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	for _, path := range []string{"/login", "/", "/settings"} {
		t.Run(path, func(t *testing.T) {
			res, _ := c.Get(t, path)
			csp := map[string]string{}
			for _, d := range strings.Split(res.Header.Get("Content-Security-Policy"), ";") {
				name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
				csp[name] = value
			}
			for name, want := range map[string]string{
				"default-src": "'self'", "frame-ancestors": "'none'", "form-action": "'self'", "base-uri": "'none'",
			} {
				if csp[name] != want {
					t.Errorf("%s = %q, want %q (header %q)", name, csp[name], want, res.Header.Get("Content-Security-Policy"))
				}
			}
		})
	}
}
