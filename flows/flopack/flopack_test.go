package flopack

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// targets gives every flow of the pack (inline helpers included) an id
// from 101 and every table an id from 1, as the import would.
func targets(p *Pack) Targets {
	t := Targets{Flows: map[string]int64{}, Tables: map[string]flows.Table{}}
	for i, k := range Keys(p) {
		t.Flows[k] = int64(101 + i)
	}
	for i, tb := range p.Tables {
		tb.Table.ID = int64(1 + i)
		t.Tables[tb.Key] = tb.Table
	}
	return t
}

func packFiles(t testing.TB) []string {
	files, err := filepath.Glob("testdata/*.flopack")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test flopacks: %v", err)
	}
	return files
}

// TestTranslateGolden imports each test flopack and compares the flow
// documents, notes and unsupported cards with testdata/golden/NAME.json.
func TestTranslateGolden(t *testing.T) {
	imported := 0
	for _, file := range packFiles(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".flopack")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse(b)
			if name == "not_a_flopack" {
				var fe *FormatError
				if !errors.As(err, &fe) || !errors.Is(err, flows.ErrInvalid) || !strings.Contains(err.Error(), `its type is "workflow"`) {
					t.Fatalf("Parse = %v, want a format error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res, err := Translate(p, targets(p))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range res.Flows {
				// Every document is one the flow format reads back as it is.
				doc, err := flows.MarshalDefinition(f.Definition)
				if err != nil {
					t.Fatalf("flow %s: %v", f.Key, err)
				}
				if _, err := flows.ParseDefinition(doc); err != nil {
					t.Fatalf("flow %s does not read back: %v", f.Key, err)
				}
			}
			imported++
			got, err := json.MarshalIndent(struct {
				Group   string   `json:"group"`
				Version string   `json:"version"`
				Keys    []string `json:"keys"`
				Tables  []Table  `json:"tables,omitempty"`
				Result  Result   `json:"result"`
			}{p.Group, p.Version, Keys(p), p.Tables, res}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if !bytes.Equal(bytes.TrimSpace(want), bytes.TrimSpace(got)) {
				t.Errorf("%s differs from the translation; run go test -update and read the diff", golden)
			}
		})
	}
	t.Logf("%d test flopacks import", imported)
}
