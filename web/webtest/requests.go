package webtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// PostConnectorForm posts a form with a CSRF token taken from the new
// connector page and returns the response and its body.
func PostConnectorForm(t *testing.T, c *Client, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	form.Set("_csrf", c.CSRF(t, "/connectors/new"))
	return c.Do(t, http.MethodPost, path, strings.NewReader(form.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

// Invoke calls an invoke URL and returns the response and its body.
func Invoke(t *testing.T, method, url, body string, h http.Header) (*http.Response, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, r)
	for k, v := range h {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// SignInWith signs the admin in through the form with a browser's user agent.
func SignInWith(t *testing.T, srv *Server, agent string) *Client {
	t.Helper()
	c := srv.NewClient()
	form := url.Values{"_csrf": {c.CSRF(t, "/login")}, "email": {AdminEmail}, "password": {AdminPassword}}
	res, _ := c.Do(t, http.MethodPost, "/login", strings.NewReader(form.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "User-Agent": {agent}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in with %q: status %d", agent, res.StatusCode)
	}
	return c
}

// FirefoxAgent, SafariAgent and EdgeAgent are browsers' User-Agent headers.
const (
	FirefoxAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	SafariAgent  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	EdgeAgent    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
)

// SignedOut checks that a client's session is refused: pages send it to
// Sign in, forms and htmx requests get 401.
func SignedOut(t *testing.T, c *Client, who string) {
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

// APICall sends a request and decodes its JSON answer, failing the test
// on another status than want.
func APICall(t *testing.T, c *Client, token, method, path, body string, want int) map[string]any {
	t.Helper()
	status, b := c.API(t, token, method, path, body)
	if status != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, status, b, want)
	}
	var out map[string]any
	if b != "" {
		json.Unmarshal([]byte(b), &out)
	}
	return out
}

// Itoa is n in decimal.
func Itoa(n int64) string { return strconv.FormatInt(n, 10) }

// ParseHTML parses a page's HTML for goquery, failing the test on error.
func ParseHTML(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
