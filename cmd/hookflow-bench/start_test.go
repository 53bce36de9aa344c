package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestStartStopsServerOnFailure checks that a setup that fails after the
// server started (here: no testdata) stops the server it started.
func TestStartStopsServerOnFailure(t *testing.T) {
	dir := t.TempDir()
	binary := filepath.Join(dir, "hookflow")
	if out, err := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", binary, "../hookflow").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	b, err := start(options{binary: binary, db: "sqlite", testdata: filepath.Join(dir, "none")}, dir, "")
	if err == nil {
		b.stop()
		t.Fatal("start with no testdata did not fail")
	}
	// The testdata is read once the server answers: it had started.
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("start failed before the testdata step: %v", err)
	}
	if pids := running(t, binary); len(pids) > 0 {
		for _, pid := range pids {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
		}
		t.Fatalf("the server (pids %v) still runs after start failed: %v", pids, err)
	}
}

// running lists the processes that run binary.
func running(t *testing.T, binary string) []int {
	t.Helper()
	binary, err := filepath.EvalSymlinks(binary) // as /proc names it
	if err != nil {
		t.Fatal(err)
	}
	procs, err := filepath.Glob("/proc/[0-9]*/exe")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, exe := range procs {
		if target, err := os.Readlink(exe); err == nil && target == binary {
			var pid int
			if _, err := fmt.Sscan(filepath.Base(filepath.Dir(exe)), &pid); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}
