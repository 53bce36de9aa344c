package main

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hookflow/hookflow/cards"
	"github.com/hookflow/hookflow/flows"
)

// TestReferenceWorkload checks the testdata: the connector and the flow
// validate, and the reference payload makes {id, who, email} and internal.
func TestReferenceWorkload(t *testing.T) {
	reg := cards.Builtin(cards.Options{})
	ev := testConnectorEvent(t, reg)
	def := testFlow(t, reg, "testdata/flow.json")
	wait := testFlow(t, reg, "testdata/wait_flow.json")
	if len(wait.Cards) != 2 || wait.Cards[0].Type != flows.ControlWaitFor || wait.Cards[1].Type != "http.get" {
		t.Fatalf("the waiting flow waits, then calls: %+v", wait.Cards)
	}
	e := flows.NewEngine(reg, flows.Options{})
	for _, tt := range []struct {
		name     string
		email    string
		internal bool
	}{{"internal", "ada@example.com", true}, {"external", "ada@example.org", false}} {
		t.Run(tt.name, func(t *testing.T) {
			body := payload(42)
			if !tt.internal {
				body = payloadWith(42, tt.email)
			}
			x, _ := e.Run(context.Background(), flows.RunRequest{Definition: def, Input: eventRecord(t, e, ev, body), Trigger: flows.TriggerPayload})
			steps := map[string]flows.Step{}
			for _, s := range x.Steps {
				steps[s.CardID] = s
			}
			obj, _ := steps["construct1"].Outputs["output"].(map[string]any)
			if x.Status != flows.StatusSucceeded || obj["id"] != strconv.Itoa(42) || obj["who"] != "ADA LOVELACE" || obj["email"] != tt.email ||
				steps["ifelse1"].Outputs["internal"] != tt.internal {
				t.Fatalf("run %s %s: %+v", x.Status, x.Error, steps)
			}
		})
	}
}

// TestEndpointWorkload checks the endpoint workload's flow: it validates,
// and answers the reference payload with {id, who, email}.
func TestEndpointWorkload(t *testing.T) {
	reg := cards.Builtin(cards.Options{})
	def := testFlow(t, reg, "testdata/endpoint_flow.json")
	d := flows.Delivery{Method: "POST", Headers: map[string]string{"content-type": "application/json"}, Body: payload(42)}
	var answer flows.Answer
	x, _ := flows.NewEngine(reg, flows.Options{}).Run(context.Background(), flows.RunRequest{Definition: def, Input: flows.RawRequest(d),
		Trigger: flows.TriggerAPI, Respond: func(a flows.Answer) { answer = a }})
	if x.Status != flows.StatusSucceeded || answer.Status != 200 || string(answer.Body) != `{"email":"ada@example.com","id":"42","who":"ADA LOVELACE"}` {
		t.Fatalf("run %s %s: answer %d %s", x.Status, x.Error, answer.Status, answer.Body)
	}
}

// TestCPUTime reads a process's CPU time: it grows while the process works.
func TestCPUTime(t *testing.T) {
	before := cpuTime(os.Getpid())
	for end := time.Now().Add(200 * time.Millisecond); time.Now().Before(end); {
	}
	if after := cpuTime(os.Getpid()); after-before < 20*time.Millisecond {
		t.Fatalf("cpu time %v then %v after 200 ms of work", before, after)
	}
	if got := cpuTime(-1); got != 0 {
		t.Fatalf("cpu time of no process: %v", got)
	}
}

// TestFailingWorkload checks the hookburst workloads' flow: it validates,
// and fails every run, for good (no retry), with the payload's uuid as its
// error, which the receiver reads back from the event.
func TestFailingWorkload(t *testing.T) {
	reg := cards.Builtin(cards.Options{})
	def := testFlow(t, reg, "testdata/failing_flow.json")
	e := flows.NewEngine(reg, flows.Options{})
	got, _ := e.Run(context.Background(), flows.RunRequest{Definition: def, Input: eventRecord(t, e, testConnectorEvent(t, reg), payload(42)), Trigger: flows.TriggerPayload})
	if got.Status != flows.StatusFailed || got.Error != "42" || got.ErrorCard != "fail1" || got.Transient() {
		t.Fatalf("run %s, error %q at %q, transient %v", got.Status, got.Error, got.ErrorCard, got.Transient())
	}
	event, ok := flows.ExecutionEvent(got)
	if !ok || event.EventType != flows.EventExecutionFailed || event.Target[0].DetailEntry["error"] != "42" {
		t.Fatalf("event %+v", event)
	}
}

// testFlow reads the flow of testdata at path, valid with reg.
func testFlow(t *testing.T, reg flows.Registry, path string) flows.Definition {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	def, err := flows.ParseDefinition(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := flows.Validate(def, reg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return def
}

// testConnectorEvent reads the reference connector, valid with reg, and
// returns its Webhook Event flow.
func testConnectorEvent(t *testing.T, reg flows.Registry) flows.Definition {
	t.Helper()
	raw, err := os.ReadFile("testdata/connector.json")
	if err != nil {
		t.Fatal(err)
	}
	x, err := flows.ParseConnector(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := flows.ValidateConnector(x, reg); err != nil {
		t.Fatal(err)
	}
	ev, _ := x.Flow(1)
	return ev
}

// eventRecord runs the connector's Webhook Event flow ev on a JSON body
// and returns the one record it hands to the workspace flow.
func eventRecord(t *testing.T, e *flows.Engine, ev flows.Definition, body []byte) map[string]any {
	t.Helper()
	d := flows.Delivery{Method: "POST", Headers: map[string]string{"content-type": "application/json"}, Body: body}
	run, _ := e.Run(context.Background(), flows.RunRequest{Definition: ev, Input: flows.RawRequest(d), Trigger: flows.TriggerPayload})
	recs, err := flows.Records(*ev.Webhook, run.Output)
	if err != nil || len(recs) != 1 {
		t.Fatalf("records %v, %v (%s)", recs, err, run.Error)
	}
	return recs[0]
}
