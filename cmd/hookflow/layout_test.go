package main

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/hookflow/hookflow"

// layers are DESIGN.md's dependency rules: which of Hookflow's packages each
// layer may import, and which outside modules it may use (nil: any).
// Subpackages (flows/flowstest, store/storetest, web/webtest, web/browser)
// belong to their parent's layer.
var layers = map[string]struct {
	internal []string
	external []string
}{
	"flows":     {internal: nil, external: []string{}},
	"cards":     {internal: []string{"flows"}, external: nil},
	"store":     {internal: []string{"flows"}, external: nil},
	"templates": {internal: []string{"flows", "static"}, external: []string{"github.com/a-h/templ"}},
	"static":    {internal: nil, external: []string{}},
	"web":       {internal: []string{"flows", "store", "templates", "static"}, external: nil},
}

// wiringPackages build a whole Hookflow as main does and may import any
// layer: web/webtest is the test harness that starts real servers.
var wiringPackages = map[string]bool{module + "/web/webtest": true}

// bannedBelowWeb are libraries whose types stop at web.
var bannedBelowWeb = []string{"github.com/labstack/echo", "github.com/a-h/templ", "github.com/gorilla/sessions"}

// listedPackage is what the test reads of `go list -json`.
type listedPackage struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func layerOf(path string) string {
	rel, ok := strings.CutPrefix(path, module+"/")
	if !ok {
		return ""
	}
	return strings.SplitN(rel, "/", 2)[0]
}

func TestDependencyRules(t *testing.T) {
	cmd := exec.Command("go", "list", "-json", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(out)
	seen := 0
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		seen++
		from := layerOf(p.ImportPath)
		rule, ruled := layers[from]
		if from == "cmd" || wiringPackages[p.ImportPath] {
			continue
		}
		if !ruled {
			t.Errorf("package %s is outside the layout of DESIGN.md", p.ImportPath)
			continue
		}
		imports := append(append(append([]string{}, p.Imports...), p.TestImports...), p.XTestImports...)
		for _, imp := range imports {
			if to := layerOf(imp); to != "" {
				if to != from && !slices.Contains(rule.internal, to) {
					t.Errorf("%s imports %s: %s may not depend on %s", p.ImportPath, imp, from, to)
				}
				continue
			}
			if !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				continue // standard library
			}
			if rule.external != nil && !slices.ContainsFunc(rule.external, func(e string) bool { return strings.HasPrefix(imp, e) }) {
				t.Errorf("%s imports %s: %s may use only %v", p.ImportPath, imp, from, rule.external)
			}
			if from != "web" && from != "templates" {
				for _, b := range bannedBelowWeb {
					if strings.HasPrefix(imp, b) {
						t.Errorf("%s imports %s: its types stop at web", p.ImportPath, imp)
					}
				}
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if seen < 6 {
		t.Fatalf("go list found %d packages", seen)
	}
}

func TestLayerOf(t *testing.T) {
	tests := []struct{ path, want string }{
		{module + "/flows", "flows"},
		{module + "/store/storetest", "store"},
		{module + "/cmd/hookflow", "cmd"},
		{"github.com/labstack/echo/v4", ""},
		{"fmt", ""},
	}
	for _, tt := range tests {
		if got := layerOf(tt.path); got != tt.want {
			t.Errorf("layerOf(%s) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// TestTopLevel keeps the top level to what DESIGN.md names.
func TestTopLevel(t *testing.T) {
	allowed := []string{"cmd", "web", "flows", "cards", "store", "static", "templates", "go.mod", "go.sum", "Makefile", "README.md", "LICENSE"}
	out, err := exec.Command("git", "-C", "../..", "ls-files").Output()
	if err != nil {
		t.Skip("not a git checkout")
	}
	tops := map[string]bool{}
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		tops[strings.SplitN(f, "/", 2)[0]] = true
	}
	for top := range tops {
		if !slices.Contains(allowed, top) && !strings.HasPrefix(filepath.Base(top), ".") {
			t.Errorf("top-level %q is not in DESIGN.md's layout", top)
		}
	}
}
