package flows

import (
	"slices"
	"testing"
)

func TestCredentialName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"Authorization", true},
		{"cookie", true},
		{"X-Api-Key", true},
		{"api_key", true},
		{"apikey", true},
		{"key", true},
		{"access_token", true},
		{"X-Hub-Signature-256", true},
		{"x-acme-signature", true},
		{"X-Webhook-Secret", true},
		{"x-csrf-token", true},
		{"db_password", true},
		{"content-type", false},
		{"x-delivery-id", false},
		{"page", false},
		{"author", false},
		{"monkey", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := credentialName(tt.name); got != tt.want {
				t.Fatalf("credentialName(%q) = %v", tt.name, got)
			}
		})
	}
}

func TestRequestSecrets(t *testing.T) {
	d := Delivery{
		Headers: map[string]string{"authorization": "Bearer t-456", "x-api-key": "k-123", "x-shop-hmac": "h-1", "accept": "*/*", "cookie": Masked},
		Query:   map[string]string{"api_key": "q-789", "page": "2"},
	}
	got := requestSecrets(d, "X-Shop-HMAC", "")
	slices.Sort(got)
	// The Authorization's credential alone too; a value masked already is no secret to look for.
	want := []string{"Bearer t-456", "h-1", "k-123", "q-789", "t-456"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
