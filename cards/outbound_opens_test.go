package cards_test

import (
	"testing"

	"github.com/hookflow/hookflow/cards"
)

// TestPolicyOpens: only hosts and addresses the allow list names, and the
// deny list does not close, are opened explicitly (event hooks may use
// plain http to them).
func TestPolicyOpens(t *testing.T) {
	p, err := cards.ParsePolicy("127.0.0.0/8, hooks.internal, *.corp.example", "127.0.0.9, bad.corp.example")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host string
		want bool
	}{
		{"127.0.0.1", true},
		{"127.0.0.9", false},
		{"hooks.internal", true},
		{"siem.corp.example", true},
		{"bad.corp.example", false},
		{"example.com", false},
		{"[::1]", false},
		{"10.0.0.1", false},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			if got := p.Opens(tc.host); got != tc.want {
				t.Errorf("Opens(%q) = %v, want %v", tc.host, got, tc.want)
			}
		})
	}
	if (cards.Policy{}).Opens("127.0.0.1") {
		t.Error("the default policy opens loopback")
	}
}
