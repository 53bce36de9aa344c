package web_test

import (
	"net/http"
	"net/url"
	"testing"

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
