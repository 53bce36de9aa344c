package store

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestPacking(t *testing.T) {
	doc, err := json.Marshal(map[string]any{"flowName": "New users", "steps": []any{map[string]any{"cardId": "a", "inputs": map[string]any{"text": "Ada"}}}})
	if err != nil {
		t.Fatal(err)
	}
	packed := thePacker.pack(doc)
	tests := []struct {
		name   string
		packed []byte
		ok     bool
	}{
		{"round trip", packed, true},
		{"damaged", packed[:len(packed)-3], false},
		{"unknown dictionary", append([]byte{9}, packed[1:]...), false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := thePacker.unpack(tt.packed)
			if tt.ok != (err == nil) || tt.ok && !bytes.Equal(got, doc) {
				t.Fatalf("unpack = %q, %v", got, err)
			}
		})
	}
	if len(packed) >= len(doc) {
		t.Fatalf("packed %d bytes from %d", len(packed), len(doc))
	}
}

// TestPacks: documents packed together come back one by one and all
// together; an index past the last or damaged bytes are errors.
func TestPacks(t *testing.T) {
	docs := [][]byte{[]byte(`{"a":1}`), {}, []byte(`{"b":"` + strings.Repeat("x", 300) + `"}`)}
	var content []byte
	for _, d := range docs {
		content = appendToPack(content, d)
	}
	unpacked, err := thePacker.unpack(thePacker.pack(content))
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range docs {
		got, err := docAt(unpacked, i)
		if err != nil || string(got) != string(d) {
			t.Fatalf("document %d: %q, %v", i, got, err)
		}
	}
	if _, err := docAt(content, len(docs)); err == nil {
		t.Fatal("an index past the last document")
	}
	if _, err := docAt(content[:len(content)-1], 2); err == nil {
		t.Fatal("a cut document")
	}
}
