package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
)

// backupPayloads is how many payloads are posted while the backup is taken.
const backupPayloads = 1000

// TestBackupWhileServing posts payloads to a running server, takes a
// backup with the command while they arrive, restores it into a new data
// directory and starts a server on it: every payload acknowledged before
// the backup began runs there, exactly once. Restoring into the
// directory a server is using, or one that holds files, is refused.
func TestBackupWhileServing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	token := apiToken(t, store.Config{DataDir: dir})
	env := []string{"HOOKFLOW_DATA_DIR=" + dir, "HOOKFLOW_LOG_LEVEL=warn"}
	s := startServer(t, env...)
	flowID, path := numbersFlow(t, s.url, token)
	hook := s.url + path

	var acked sync.Map
	var answered atomic.Int64
	next := atomic.Int64{}
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for range 8 {
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > backupPayloads {
					return
				}
				res, err := client.Post(hook, "application/json", strings.NewReader(fmt.Sprintf(`{"n":%d}`, n)))
				if err != nil {
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode/100 == 2 {
					acked.Store(n, true)
				}
				answered.Add(1)
			}
		})
	}
	for answered.Load() < backupPayloads/3 {
		time.Sleep(5 * time.Millisecond)
	}
	// What was acknowledged before the backup began must be in it.
	before := map[int64]bool{}
	acked.Range(func(k, _ any) bool { before[k.(int64)] = true; return true })
	archive := filepath.Join(t.TempDir(), "hookflow.tar.gz")
	out, stderr, code := hookflow(t, env, "backup", archive)
	if code != 0 || !strings.Contains(out, "Backed up") || !strings.Contains(out, "It holds the generated keys") {
		t.Fatalf("backup while serving: exit %d, %q %q", code, out, stderr)
	}
	during := answered.Load()
	wg.Wait()
	if during >= backupPayloads {
		t.Logf("every payload was answered before the backup ended")
	}

	_, stderr, code = hookflow(t, env, "restore", archive, "--force")
	oneLine(t, stderr, code, "is in use by a running hookflow: stop it first")
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
	_, stderr, code = hookflow(t, env, "restore", archive)
	oneLine(t, stderr, code, "is not empty: restore into a new or empty directory, or add --force")

	restored := filepath.Join(t.TempDir(), "restored")
	renv := []string{"HOOKFLOW_DATA_DIR=" + restored, "HOOKFLOW_LOG_LEVEL=warn"}
	if out, stderr, code := hookflow(t, renv, "restore", archive); code != 0 || !strings.Contains(out, "Restored the backup") {
		t.Fatalf("restore: exit %d, %q %q", code, out, stderr)
	}
	for _, key := range keyFiles {
		a, _ := os.ReadFile(filepath.Join(dir, key))
		b, err := os.ReadFile(filepath.Join(restored, key))
		if err != nil || string(a) != string(b) {
			t.Fatalf("restored %s differs: %v", key, err)
		}
	}
	s2 := startServer(t, renv...)
	st, err := store.Open(ctx, store.Config{DataDir: restored, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	seen := map[int64]int{}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		runs, err := st.Executions(ctx, store.ExecutionFilter{FlowID: flowID, Trigger: flows.TriggerPayload, Limit: 10 * backupPayloads})
		if err != nil {
			t.Fatal(err)
		}
		clear(seen)
		for _, e := range runs {
			n, _ := e.Input["n"].(float64)
			seen[int64(n)]++
		}
		missing := 0
		for n := range before {
			if seen[n] == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the %d payloads acknowledged before the backup did not run on the restored server", missing, len(before))
		}
	}
	// Let what is still queued run, then look for doubles.
	time.Sleep(time.Second)
	s2.cmd.Process.Signal(syscall.SIGTERM)
	s2.cmd.Wait()
	runs, err := st.Executions(ctx, store.ExecutionFilter{FlowID: flowID, Trigger: flows.TriggerPayload, Limit: 10 * backupPayloads})
	if err != nil {
		t.Fatal(err)
	}
	clear(seen)
	for _, e := range runs {
		n, _ := e.Input["n"].(float64)
		if seen[int64(n)]++; seen[int64(n)] > 1 {
			t.Errorf("payload %d ran twice on the restored server", int64(n))
		}
	}
	t.Logf("%d acknowledged before the backup, %d answered when it ended, %d runs on the restored server", len(before), during, len(runs))
}
