package cards_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/cards"
	"github.com/hookflow/hookflow/flows"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// goldenStep is what a golden file keeps of a step: no timings.
type goldenStep struct {
	Card    string         `json:"card"`
	Lane    string         `json:"lane,omitempty"`
	Inputs  map[string]any `json:"inputs,omitempty"`
	Outputs map[string]any `json:"outputs,omitempty"`
	Error   string         `json:"error,omitempty"`
}

type goldenRun struct {
	Status flows.Status   `json:"status"`
	Output map[string]any `json:"output,omitempty"`
	Error  string         `json:"error,omitempty"`
	Steps  []goldenStep   `json:"steps"`
}

// TestGoldenFlows runs each testdata/golden/<name>.flow.json with its
// <name>.input.json through the real engine and cards, and compares the
// execution with <name>.golden.json (go test -run Golden -update rewrites it).
func TestGoldenFlows(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.flow.json")
	if len(files) == 0 {
		t.Fatal("no golden flows")
	}
	reg := cards.Builtin(cards.Options{})
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".flow.json")
		t.Run(name, func(t *testing.T) {
			def := readFlow(t, file)
			if err := flows.Validate(def, reg); err != nil {
				t.Fatalf("golden flow does not validate: %v", err)
			}
			var input map[string]any
			readJSON(t, "testdata/golden/"+name+".input.json", &input)
			now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
			eng := flows.NewEngine(reg, flows.Options{Now: func() time.Time { return now }})
			e, err := eng.Run(context.Background(), flows.RunRequest{Definition: def, Input: input, Trigger: flows.TriggerTest, ExecutionID: "golden"})
			if err != nil {
				t.Fatal(err)
			}
			got := goldenRun{Status: e.Status, Output: e.Output, Error: e.Error}
			for _, s := range e.Steps {
				got.Steps = append(got.Steps, goldenStep{Card: s.CardID, Lane: s.Lane, Inputs: s.Inputs, Outputs: s.Outputs, Error: s.Error})
			}
			b, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			path := "testdata/golden/" + name + ".golden.json"
			if *update {
				os.WriteFile(path, append(b, '\n'), 0o644)
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run Golden -update)", err)
			}
			if !bytes.Equal(bytes.TrimSpace(want), b) {
				os.WriteFile(path+".actual", b, 0o644)
				t.Fatalf("execution differs from %s; see %s.actual", path, path)
			}
		})
	}
}

func readFlow(t testing.TB, path string) flows.Definition {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	def, err := flows.ParseDefinition(b)
	if err != nil {
		t.Fatal(err)
	}
	return def
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkReferenceFlow runs the reference workspace flow (webhook event
// outputs → upper-case and construct an object → If/Else on a text
// comparison) with the real cards, without recording.
func BenchmarkReferenceFlow(b *testing.B) {
	def := readFlow(b, "testdata/golden/reference.flow.json")
	var input map[string]any
	readJSON(b, "testdata/golden/reference.input.json", &input)
	eng := flows.NewEngine(cards.Builtin(cards.Options{}), flows.Options{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		e, _ := eng.Run(ctx, flows.RunRequest{Definition: def, Input: input, Trigger: flows.TriggerPayload})
		if e.Status != flows.StatusSucceeded {
			b.Fatal(e.Error)
		}
	}
}
