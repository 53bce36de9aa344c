package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
)

// TestWaitForSurvivesARestart: a run stored waiting at a 6 s Wait For
// resumes after the server is killed mid-wait and started again, once:
// the card before the wait and the one after it call out once each.
func TestWaitForSurvivesARestart(t *testing.T) {
	if testing.Short() {
		t.Skip("restart test: not in -short")
	}
	var calls atomic.Int64
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		fmt.Fprint(w, "ok")
	}))
	defer svc.Close()
	dir := t.TempDir()
	token := apiToken(t, store.Config{DataDir: dir})
	env := []string{"HOOKFLOW_DATA_DIR=" + dir, "HOOKFLOW_DURABLE_WAIT=1s", "HOOKFLOW_OUTBOUND_ALLOW=127.0.0.1", "HOOKFLOW_LOG_LEVEL=warn"}
	s := startServer(t, env...)
	get := func(id string) flows.Node {
		return flows.Node{ID: id, Type: "http.get", Bindings: map[string]flows.Binding{"url": {Value: svc.URL}}}
	}
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Waits six seconds")
	def.Cards = []flows.Node{get("before"),
		{ID: "wait", Type: flows.ControlWaitFor, Bindings: map[string]flows.Binding{"amount": {Value: 6.0}, "unit": {Value: "seconds"}}}, get("after")}
	doc, _ := flows.MarshalDefinition(def)
	id := api(t, s.url, token, "POST", "/api/v1/flows", doc, 201)["id"].(float64)
	run := api(t, s.url, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", int64(id)), []byte(`{"input":{}}`), 200)
	if run["status"] != string(flows.StatusWaiting) {
		t.Fatalf("the run answered %v, want waiting", run)
	}
	exec := run["id"].(string)
	time.Sleep(time.Second)
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
	if calls.Load() != 1 {
		t.Fatalf("%d calls before the restart, want 1", calls.Load())
	}
	s = startServer(t, env...)
	var x map[string]any
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		x = api(t, s.url, token, "GET", "/api/v1/executions/"+exec, nil, 200)
		if x["status"] != string(flows.StatusWaiting) || time.Now().After(deadline) {
			break
		}
	}
	if x["status"] != string(flows.StatusSucceeded) {
		t.Fatalf("after the restart the run is %v (%v):\n%s", x["status"], x["error"], s.stderr.String())
	}
	time.Sleep(500 * time.Millisecond)
	if calls.Load() != 2 || len(x["steps"].([]any)) != 4 {
		t.Fatalf("%d calls and %d steps, want 2 and 4", calls.Load(), len(x["steps"].([]any)))
	}
}
