package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestNextStaysOnThisServer signs in once, then asks the sign-in page to
// send the signed-in admin on to each next: only paths of this server pass.
func TestNextStaysOnThisServer(t *testing.T) {
	tests := []struct {
		name, next, want string
	}{
		{"path with query", "/flows/3?x=1", "/flows/3?x=1"},
		{"root", "/", "/"},
		{"settings", "/settings", "/settings"},
		{"encoded slash inside a path", "/flows/a%2Fb", "/flows/a%2Fb"},
		{"protocol-relative", "//evil.example", "/"},
		{"protocol-relative with path", "//evil.example/x", "/"},
		{"backslash after slash", `/\evil`, "/"},
		{"backslash first", `\\evil`, "/"},
		{"encoded tab", "/%09/evil.example", "/"},
		{"encoded slashes", "/%2F%2Fevil", "/"},
		{"encoded slashes only", "%2F%2Fevil", "/"},
		{"encoded backslash", "/%5Cevil", "/"},
		{"encoded backslash first", "%5C%5Cevil", "/"},
		{"absolute URL", "https://evil.example", "/"},
		{"absolute URL with path", "https://evil.example/flows", "/"},
		{"tab", "/\t/evil", "/"},
		{"newline", "/\n/evil", "/"},
		{"encoded newline", "/%0A/evil", "/"},
		{"encoded carriage return", "/%0d/evil", "/"},
		{"NUL", "/%00", "/"},
		{"javascript", "javascript:alert(1)", "/"},
		{"leading space", " /x", "/"},
		{"relative", "flows/3", "/"},
		{"empty", "", "/"},
		{"bad escape", "/flows/%zz", "/"},
		{"user info", "//admin@evil.example", "/"},
	}
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := c.Get(t, "/login?next="+url.QueryEscape(tt.next))
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d, want 303", res.StatusCode)
			}
			if got := res.Header.Get("Location"); got != tt.want {
				t.Fatalf("next %q led to %q, want %q", tt.next, got, tt.want)
			}
		})
	}
}

// TestParallelWrongPasswordsThrottled sends 40 wrong passwords for one
// account at the same moment, each from its own client, on SQLite and on
// Postgres: no more of them get to fail than the limit (5), the rest are
// refused with 429.
func TestParallelWrongPasswordsThrottled(t *testing.T) {
	const n, limit = 40, 5
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			srv := webtest.StartWith(t, webtest.Options{DatabaseURL: db.URL(t)})
			type attempt struct {
				c     *webtest.Client
				token string
			}
			attempts := make([]attempt, n)
			for i := range attempts {
				c := srv.NewClient()
				attempts[i] = attempt{c, c.CSRF(t, "/login")}
			}
			start := make(chan struct{})
			var (
				wg     sync.WaitGroup
				mu     sync.Mutex
				counts = map[int]int{}
			)
			for i, a := range attempts {
				wg.Go(func() {
					form := url.Values{"_csrf": {a.token}, "email": {webtest.AdminEmail}, "password": {fmt.Sprintf("wrong password %d", i)}}
					req, _ := http.NewRequest(http.MethodPost, srv.URL+"/login", strings.NewReader(form.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					<-start
					res, err := a.c.Client.Do(req)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						counts[0]++
						return
					}
					res.Body.Close()
					counts[res.StatusCode]++
				})
			}
			close(start)
			wg.Wait()
			if counts[http.StatusUnauthorized] > limit || counts[http.StatusUnauthorized]+counts[http.StatusTooManyRequests] != n {
				t.Fatalf("statuses %v: want at most %d wrong-password answers (401), the rest 429", counts, limit)
			}
			// The account stays throttled, even for its right password.
			res := srv.NewClient().PostForm(t, "/login", url.Values{"email": {webtest.AdminEmail}, "password": {webtest.AdminPassword}})
			if res.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("right password after the burst: %d, want 429", res.StatusCode)
			}
		})
	}
}
