package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/store"
)

// TestImportCommand imports a flopack with "hookflow import": it prints
// the folder, each flow (valid or its problems) and the cards Hookflow
// cannot run, and stores them; a file that is not a flopack exits non-zero
// with one line saying why, storing nothing.
func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	env := []string{"HOOKFLOW_DATA_DIR=" + dir}
	pack := filepath.Join("..", "..", "web", "testdata", "onboarding.flopack")

	bad := filepath.Join(t.TempDir(), "notes.flopack")
	os.WriteFile(bad, []byte("not json"), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no file", []string{"import"}, "usage: hookflow import FILE"},
		{"missing file", []string{"import", filepath.Join(dir, "none.flopack")}, "there is no file"},
		{"not a flopack", []string{"import", bad}, "not a flopack: the file is not JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := hookflow(t, env, tc.args...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code == 0 || len(lines) != 1 || !strings.HasPrefix(lines[0], "hookflow: ") || !strings.Contains(lines[0], tc.want) {
				t.Fatalf("exit %d, stderr %q; want one hookflow: line naming %q", code, stderr, tc.want)
			}
		})
	}

	out, stderr, code := hookflow(t, env, "import", pack)
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		`Imported into folder "Onboarding": 3 flows (1 valid), 1 tables.`,
		`"Welcome message": valid`,
		`"Notify on new user": `,
		`table 1 "New hires"`,
		"Cards Hookflow cannot run (2):",
		"User Created (root:channels:http:okta:userCreated)",
		"Send Message (root:channels:http:slack:sendMessage)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	st, err := store.Open(context.Background(), store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs, err := st.Flows(context.Background(), 0)
	if err != nil || len(fs) != 3 || fs[0].FolderID == 0 {
		t.Fatalf("stored flows = %d (%v), first in folder %d", len(fs), err, fs[0].FolderID)
	}
}
