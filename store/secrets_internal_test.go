package store

import (
	"bytes"
	"testing"
)

func TestSealer(t *testing.T) {
	a, _ := newSealer(bytes.Repeat([]byte("a"), 32))
	b, _ := newSealer(bytes.Repeat([]byte("b"), 32))
	sealed, err := a.seal([]byte("secret"), "row:1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		s       *sealer
		sealed  string
		context string
		ok      bool
	}{
		{"same key and row", a, sealed, "row:1", true},
		{"another row", a, sealed, "row:2", false},
		{"another key", b, sealed, "row:1", false},
		{"damaged", a, sealed[:len(sealed)-4], "row:1", false},
		{"unknown format", a, "plain", "row:1", false},
		{"no key", nil, sealed, "row:1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.open(tt.sealed, tt.context)
			if tt.ok != (err == nil) || tt.ok && string(got) != "secret" {
				t.Fatalf("open = %q, %v", got, err)
			}
		})
	}
	if _, err := newSealer([]byte("short")); err == nil {
		t.Fatal("a short key was accepted")
	}
	if s2, _ := a.seal([]byte("secret"), "row:1"); s2 == sealed {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}
}
