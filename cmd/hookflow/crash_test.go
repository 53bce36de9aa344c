package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
)

// api calls the API of a running server with a bearer token.
func api(t *testing.T, base, token, method, path string, body []byte, want int) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// TestCrashLosesNoAcknowledgedPayload SIGKILLs the server while payloads
// are being posted, restarts it, and checks that every payload that got a
// 2xx runs exactly once, and that a run it held waiting in memory is
// marked failed rather than left showing as running.
func TestCrashLosesNoAcknowledgedPayload(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: not in -short")
	}
	ctx := context.Background()
	dir := t.TempDir()
	token := apiToken(t, store.Config{DataDir: dir})
	env := []string{"HOOKFLOW_DATA_DIR=" + dir, "HOOKFLOW_LOG_LEVEL=warn", "HOOKFLOW_DURABLE_WAIT=1h"}
	s := startServer(t, env...)

	// A connector whose Webhook Event returns the body's n, registered by hand.
	flowID, path := numbersFlow(t, s.url, token)
	child := startWaitingChild(t, s.url, token)
	hook := s.url + path
	st, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// 2,000 payloads from 16 senders; SIGKILL after the first 400 answers.
	const total = 2000
	var acked sync.Map
	var answered, refused atomic.Int64
	next := atomic.Int64{}
	var wg sync.WaitGroup
	killed := make(chan struct{})
	var once sync.Once
	client := &http.Client{Timeout: 5 * time.Second}
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1)
				if n > total {
					return
				}
				res, err := client.Post(hook, "application/json", strings.NewReader(fmt.Sprintf(`{"n":%d}`, n)))
				if err != nil {
					refused.Add(1)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode/100 == 2 {
					acked.Store(n, true)
				}
				if answered.Add(1) == 400 {
					once.Do(func() {
						s.cmd.Process.Signal(syscall.SIGKILL)
						close(killed)
					})
				}
			}
		}()
	}
	wg.Wait()
	<-killed
	s.cmd.Wait()
	var ackedCount int
	acked.Range(func(any, any) bool { ackedCount++; return true })

	// The restarted server runs what was stored; nothing is lost or doubled.
	s2 := startServer(t, env...)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n, err := st.CountQueuedDeliveries(ctx)
		if err == nil && n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still queued after the restart", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s2.cmd.Process.Signal(syscall.SIGTERM)
	s2.cmd.Wait()
	runs, err := st.Executions(ctx, store.ExecutionFilter{FlowID: flowID, Trigger: flows.TriggerPayload, Limit: 10 * total})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]int{}
	for _, e := range runs {
		n, _ := e.Input["n"].(float64)
		seen[int64(n)]++
	}
	lost, doubled := 0, 0
	acked.Range(func(k, _ any) bool {
		if seen[k.(int64)] == 0 {
			lost++
		}
		return true
	})
	for _, c := range seen {
		if c > 1 {
			doubled++
		}
	}
	t.Logf("%d posted, %d acknowledged before or after the kill, %d refused while down, %d runs, %d lost, %d doubled",
		total, ackedCount, refused.Load(), len(runs), lost, doubled)
	if lost != 0 || doubled != 0 || ackedCount < 400 {
		t.Fatalf("%d acknowledged payloads lost, %d run twice (of %d acknowledged)", lost, doubled, ackedCount)
	}
	if running, err := st.CountExecutions(ctx, store.ExecutionFilter{Status: flows.StatusRunning}); err != nil || running != 0 {
		t.Fatalf("%d executions still show as running after the restart (%v)", running, err)
	}
	e, err := st.Execution(ctx, child)
	if err != nil || e.Status != flows.StatusFailed || !strings.HasPrefix(e.Error, "the server stopped while this ran") || e.FinishedAt.IsZero() {
		t.Fatalf("the waiting child after the restart: %+v, %v; want failed as the server stopped", e, err)
	}
}
