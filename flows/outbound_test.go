package flows_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/hookflow/hookflow/flows"
)

func TestConnectorContextOwns(t *testing.T) {
	cc := &flows.ConnectorContext{BaseURL: "https://api.acme.test/v1", Hosts: []string{"https://uploads.acme.test", "http://127.0.0.1:8080"}}
	tests := []struct {
		url  string
		want bool
	}{
		{"https://api.acme.test/v1/users", true},
		{"https://API.acme.test:443/other", true},
		{"https://api.acme.test.", false},
		{"http://api.acme.test/v1", false},
		{"https://api.acme.test:8443/v1", false},
		{"https://evil.test/v1", false},
		{"https://evil.api.acme.test/", false},
		{"https://uploads.acme.test/file", true},
		{"http://127.0.0.1:8080/x", true},
		{"http://127.0.0.1:8081/x", false},
		{"http://127.0.0.1/x", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			u, _ := url.Parse(tt.url)
			if got := cc.Owns(u); got != tt.want {
				t.Fatalf("Owns = %v, want %v", got, tt.want)
			}
		})
	}
	u, _ := url.Parse("https://api.acme.test/")
	if (&flows.ConnectorContext{}).Owns(u) || (*flows.ConnectorContext)(nil).Owns(u) {
		t.Fatal("a connector without a base URL owns a host")
	}
}

// TestApplyOnlyToOwnOrigins: Apply sets each kind's credentials on a
// request to the connector's origin, and nothing on one elsewhere.
func TestApplyOnlyToOwnOrigins(t *testing.T) {
	vals := map[string]string{"api_key": "k1", "username": "u", "password": "p", "token": "t0k", "access_token": "a1"}
	tests := []struct {
		auth                 flows.AuthKind
		header, want         string
		credentialHeaderName string
	}{
		{flows.AuthAPIKeyHeader, "X-Api-Key", "k1", "X-Api-Key"},
		{flows.AuthBasic, "Authorization", "Basic dTpw", "Authorization"},
		{flows.AuthBearer, "Authorization", "Bearer t0k", "Authorization"},
		{flows.AuthOAuth2Client, "Authorization", "Bearer a1", "Authorization"},
	}
	for _, tt := range tests {
		t.Run(string(tt.auth), func(t *testing.T) {
			cc := &flows.ConnectorContext{BaseURL: "https://api.acme.test", Auth: tt.auth, Header: "X-Api-Key", Values: vals}
			own, _ := http.NewRequest("GET", "https://api.acme.test/users", nil)
			other, _ := http.NewRequest("GET", "https://collector.evil.test/users", nil)
			for _, r := range []*http.Request{own, other} {
				if err := cc.Apply(r); err != nil {
					t.Fatal(err)
				}
			}
			if got := own.Header.Get(tt.header); got != tt.want {
				t.Errorf("own origin: %s = %q, want %q", tt.header, got, tt.want)
			}
			if len(other.Header) != 0 {
				t.Errorf("another origin got %v", other.Header)
			}
			if h := cc.CredentialHeaders(); len(h) != 1 || h[0] != tt.credentialHeaderName {
				t.Errorf("credential headers %v", h)
			}
			if cc.WithheldNote(own.URL) != "" || cc.WithheldNote(other.URL) != "the connection's credentials were not sent: they go only to https://api.acme.test" {
				t.Errorf("notes %q, %q", cc.WithheldNote(own.URL), cc.WithheldNote(other.URL))
			}
		})
	}
}
