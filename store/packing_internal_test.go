package store

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
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

// TestExecutionsBeforePacking reads an execution stored as JSON, as rows
// were before documents were packed, and one whose packing is damaged.
func TestExecutionsBeforePacking(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Now().UTC().Truncate(time.Millisecond)
	old := executionRecord{ID: "0000000000000000old", FlowID: 1, Trigger: "manual", Status: "succeeded", StartedAt: at,
		Data: `{"flowName":"Old","input":{"n":1},"steps":[{"cardId":"c1","type":"text.upper","inputs":{"text":"a"},"outputs":{"output":"A"},"startedAt":"2026-01-01T00:00:00Z","durationUs":3}]}`}
	bad := executionRecord{ID: "0000000000000000bad", FlowID: 1, Trigger: "manual", Status: "succeeded", StartedAt: at, Packed: []byte{1, 2, 3}}
	if err := s.hist.Create(&old).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.hist.Create(&bad).Error; err != nil {
		t.Fatal(err)
	}
	e, err := s.Execution(ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if e.FlowName != "Old" || !reflect.DeepEqual(e.Input, map[string]any{"n": 1.0}) || len(e.Steps) != 1 || e.Steps[0].Outputs["output"] != "A" {
		t.Fatalf("execution %+v", e)
	}
	if _, err := s.Execution(ctx, bad.ID); err == nil {
		t.Fatal("a damaged packed document was read")
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
	packed := thePacker.pack(content)
	all, err := UnpackAll(packed)
	if err != nil || len(all) != len(docs) {
		t.Fatalf("%d documents, %v", len(all), err)
	}
	for i, d := range docs {
		got, err := docAt(content, i)
		if err != nil || string(got) != string(d) || string(all[i]) != string(d) {
			t.Fatalf("document %d: %q / %q, %v", i, got, all[i], err)
		}
	}
	if _, err := docAt(content, len(docs)); err == nil {
		t.Fatal("an index past the last document")
	}
	if _, err := docAt(content[:len(content)-1], 2); err == nil {
		t.Fatal("a cut document")
	}
}
