package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

// counter is an outside service that counts its calls.
func counter(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true}`)
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

// ended waits until the execution has ended, and returns it.
func endedRun(t *testing.T, srv *webtest.Server, id string) *flows.Execution {
	t.Helper()
	var x *flows.Execution
	webtest.WaitFor(t, "execution "+id+" to end", func() bool {
		var err error
		x, err = srv.Store.Execution(context.Background(), id)
		return err == nil && x.Status.IsFinal()
	})
	return x
}

func httpGet(id, url string) flows.Node {
	return flows.Node{ID: id, Type: "http.get", Bindings: map[string]flows.Binding{"url": {Value: url}}}
}

func countSteps(x *flows.Execution, card string) int {
	n := 0
	for _, s := range x.Steps {
		if s.CardID == card {
			n++
		}
	}
	return n
}

// TestWaitForStoresTheRunAndResumesIt: a Wait For past the threshold ends
// the request's run as waiting, with when it resumes; the run then goes
// on by itself as the same execution, and the card before the wait does
// not run again (one call to the outside service), nor shows twice.
func TestWaitForStoresTheRunAndResumesIt(t *testing.T) {
	srv := webtest.WaitsServer(t, webtest.Options{})
	svc, calls := counter(t)
	token := srv.Token(t)
	flowID := webtest.WorkspaceFlow(t, srv, true, httpGet("before", svc.URL), webtest.WaitForNode(1, "seconds"), httpGet("after", svc.URL))
	began := time.Now()
	got := webtest.StartRun(t, srv, token, flowID)
	if got["status"] != string(flows.StatusWaiting) || got["resumesAt"] == nil {
		t.Fatalf("the run answered %v, want waiting with resumesAt", got)
	}
	id := got["id"].(string)
	list := webtest.APIJSON(t, srv.NewClient(), token, "GET", fmt.Sprintf("/api/v1/executions?flow=%d&status=waiting", flowID), nil, http.StatusOK)
	if rows := list["executions"].([]any); len(rows) != 1 || rows[0].(map[string]any)["resumesAt"] == nil {
		t.Fatalf("the waiting list is %v", list)
	}
	x := endedRun(t, srv, id)
	if x.Status != flows.StatusSucceeded || time.Since(began) < time.Second {
		t.Fatalf("ended %s (%s) after %s", x.Status, x.Error, time.Since(began))
	}
	if calls.Load() != 2 {
		t.Fatalf("the outside service was called %d times, want 2", calls.Load())
	}
	for _, card := range []string{"before", "wait", "after"} {
		if n := countSteps(x, card); n != 1 {
			t.Fatalf("card %s has %d steps, want 1: %+v", card, n, x.Steps)
		}
	}
	if x.ResumesAt != nil {
		t.Fatal("an ended run still says when it resumes")
	}
}

// TestWaitUntil: a time to come stores the run until then; a time that
// has passed goes on at once.
func TestWaitUntil(t *testing.T) {
	srv := webtest.WaitsServer(t, webtest.Options{})
	token := srv.Token(t)
	at := func(t time.Time) flows.Node {
		return flows.Node{ID: "wait", Type: flows.ControlWaitUntil, Bindings: map[string]flows.Binding{"until": {Value: t.Format(time.RFC3339Nano)}}}
	}
	past := webtest.StartRun(t, srv, token, webtest.WorkspaceFlow(t, srv, true, at(time.Now().Add(-time.Hour))))
	if past["status"] != string(flows.StatusSucceeded) {
		t.Fatalf("a past time: %v", past)
	}
	until := time.Now().Add(time.Second)
	got := webtest.StartRun(t, srv, token, webtest.WorkspaceFlow(t, srv, true, at(until)))
	if got["status"] != string(flows.StatusWaiting) {
		t.Fatalf("a time to come: %v", got)
	}
	x := endedRun(t, srv, got["id"].(string))
	if x.Status != flows.StatusSucceeded || x.FinishedAt.Before(until) {
		t.Fatalf("ended %s at %s, before %s", x.Status, x.FinishedAt, until)
	}
}

// TestPauseResumedByPost: a Pause stops the run; its resume URL, known
// before the Pause from the Resume URL card and shown in the execution's
// API document, resumes it with the POST's JSON body as the Pause's
// outputs. A second POST is refused, an unknown token is not found.
func TestPauseResumedByPost(t *testing.T) {
	srv := webtest.WaitsServer(t, webtest.Options{})
	token := srv.Token(t)
	got := webtest.StartRun(t, srv, token, webtest.PauseFlow(t, srv, 1, "hours"))
	if got["status"] != string(flows.StatusPaused) {
		t.Fatalf("the run answered %v, want paused", got)
	}
	id := got["id"].(string)
	doc := webtest.APIJSON(t, srv.NewClient(), token, "GET", "/api/v1/executions/"+id, nil, http.StatusOK)
	resumeURL, _ := doc["resumeUrl"].(string)
	steps := doc["steps"].([]any)
	early := steps[1].(map[string]any)["outputs"].(map[string]any)["url"]
	if !strings.HasPrefix(resumeURL, srv.URL+"/resume/") || early != resumeURL || doc["resumesAt"] == nil {
		t.Fatalf("resume URL %q, from the Resume URL card %v, resumesAt %v", resumeURL, early, doc["resumesAt"])
	}
	c := srv.NewClient()
	post := func(u, body string) int {
		res, err := c.Client.Post(u, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := post(srv.URL+"/resume/not-a-token", `{}`); code != http.StatusNotFound {
		t.Fatalf("an unknown token: %d", code)
	}
	if code := post(resumeURL, `not json`); code != http.StatusBadRequest {
		t.Fatalf("a body that is not JSON: %d", code)
	}
	if code := post(resumeURL, `{"approved":true,"note":"fine by me"}`); code != http.StatusAccepted {
		t.Fatalf("resume: %d", code)
	}
	if code := post(resumeURL, `{"approved":false}`); code != http.StatusConflict {
		t.Fatalf("a second resume: %d", code)
	}
	x := endedRun(t, srv, id)
	if x.Status != flows.StatusSucceeded || x.Output["approved"] != true {
		t.Fatalf("ended %s (%s) with %v", x.Status, x.Error, x.Output)
	}
	p := stepOf(t, x, "pause")
	if p.Outputs["note"] != "fine by me" || p.Outputs["body"].(map[string]any)["approved"] != true {
		t.Fatalf("the Pause's outputs in the history: %v", p.Outputs)
	}
	// After the run ended its resume URL is refused: already resumed
	// while its wait is being removed, then unknown.
	webtest.WaitFor(t, "the ended run's resume URL to be unknown", func() bool {
		code := post(resumeURL, `{}`)
		if code != http.StatusNotFound && code != http.StatusConflict {
			t.Fatalf("a resume after the run ended: %d", code)
		}
		return code == http.StatusNotFound
	})
}

// TestPauseTimesOut: a Pause whose resume URL receives nothing fails the
// run when its timeout passes, saying so.
func TestPauseTimesOut(t *testing.T) {
	srv := webtest.WaitsServer(t, webtest.Options{})
	got := webtest.StartRun(t, srv, srv.Token(t), webtest.PauseFlow(t, srv, 1, "seconds"))
	x := endedRun(t, srv, got["id"].(string))
	if x.Status != flows.StatusFailed || x.Error != "Pause timed out after 1 second" || x.ErrorCard != "pause" {
		t.Fatalf("ended %s: %q at %q", x.Status, x.Error, x.ErrorCard)
	}
}

// TestCancelWaitingRun: canceling a waiting run records it canceled at
// once, and it does not resume afterwards.
func TestCancelWaitingRun(t *testing.T) {
	srv := webtest.WaitsServer(t, webtest.Options{})
	svc, calls := counter(t)
	token := srv.Token(t)
	got := webtest.StartRun(t, srv, token, webtest.WorkspaceFlow(t, srv, true, webtest.WaitForNode(1, "seconds"), httpGet("after", svc.URL)))
	id := got["id"].(string)
	x := webtest.APIJSON(t, srv.NewClient(), token, "POST", "/api/v1/executions/"+id+"/cancel", nil, http.StatusOK)
	if x["status"] != string(flows.StatusCanceled) {
		t.Fatalf("cancel answered %v", x)
	}
	time.Sleep(2 * time.Second)
	e, err := srv.Store.Execution(context.Background(), id)
	if err != nil || e.Status != flows.StatusCanceled || calls.Load() != 0 {
		t.Fatalf("after its time: %v %v, %d calls", e, err, calls.Load())
	}
	webtest.APIJSON(t, srv.NewClient(), token, "POST", "/api/v1/executions/"+id+"/cancel", nil, http.StatusConflict)
}

// TestWaitsWithSaveDataOff: a flow that keeps no data still resumes with
// its cards' outputs: the saved state is not the history's record.
func TestWaitsWithSaveDataOff(t *testing.T) {
	srv := webtest.WaitsServer(t, webtest.Options{})
	flowID := webtest.WorkspaceFlow(t, srv, false,
		flows.Node{ID: "make", Type: "text.upper", Bindings: map[string]flows.Binding{"text": {Value: "kept"}}},
		webtest.WaitForNode(0.5, "seconds"),
		flows.Node{ID: "return", Type: flows.ControlReturn, Inputs: []flows.Field{{Key: "out", Type: flows.TypeText}},
			Bindings: map[string]flows.Binding{"out": {Ref: &flows.Ref{Card: "make", Field: "output"}}}})
	got := webtest.StartRun(t, srv, srv.Token(t), flowID)
	if got["status"] != string(flows.StatusWaiting) {
		t.Fatalf("the run answered %v", got)
	}
	x := endedRun(t, srv, got["id"].(string))
	if x.Status != flows.StatusSucceeded || x.Output != nil {
		t.Fatalf("ended %s (%s), stored output %v", x.Status, x.Error, x.Output)
	}
	if s := stepOf(t, x, "return"); s.Error != "" {
		t.Fatalf("the Return after the wait failed: %s", s.Error)
	}
}

// TestWaitInsideALaneResumesThere: a wait in an If/Else's Else lane
// resumes in that lane; the If/Else keeps one step.
func TestWaitInsideALaneResumesThere(t *testing.T) {
	srv := webtest.WaitsServer(t, webtest.Options{})
	svc, calls := counter(t)
	ifElse := flows.Node{ID: "branch", Type: flows.ControlIfElse, Bindings: map[string]flows.Binding{"a": {Value: "x"}, "operator": {Value: "equal"}, "b": {Value: "y"}},
		Lanes: []flows.Lane{{Name: "then", Cards: []flows.Node{httpGet("then", svc.URL)}},
			{Name: "else", Cards: []flows.Node{httpGet("before", svc.URL), webtest.WaitForNode(0.5, "seconds"), httpGet("after", svc.URL)}}}}
	got := webtest.StartRun(t, srv, srv.Token(t), webtest.WorkspaceFlow(t, srv, true, ifElse, httpGet("last", svc.URL)))
	if got["status"] != string(flows.StatusWaiting) {
		t.Fatalf("the run answered %v", got)
	}
	x := endedRun(t, srv, got["id"].(string))
	if x.Status != flows.StatusSucceeded || calls.Load() != 3 {
		t.Fatalf("ended %s (%s) after %d calls, want 3", x.Status, x.Error, calls.Load())
	}
	for card, want := range map[string]int{"branch": 1, "then": 0, "before": 1, "wait": 1, "after": 1, "last": 1} {
		if n := countSteps(x, card); n != want {
			t.Fatalf("card %s has %d steps, want %d", card, n, want)
		}
	}
	if s := stepOf(t, x, "after"); s.Lane != "branch/else" {
		t.Fatalf("the card after the wait ran in lane %q", s.Lane)
	}
}

// TestPayloadRunThatWaits: a payload's run that stops at a wait finishes
// its delivery (the waiting run is its record), then resumes on its own.
func TestPayloadRunThatWaits(t *testing.T) {
	srv := webtest.WaitsServer(t, webtest.Options{})
	flowID, hook := webtest.OktaFlowWith(t, srv, webtest.WaitForNode(0.5, "seconds"))
	webtest.PostOktaEvent(t, srv, hook, 1)
	x := webtest.WaitPayloadRun(t, srv, flowID, flows.StatusWaiting)
	webtest.WaitFor(t, "the delivery to finish", func() bool {
		n, err := srv.Store.CountQueuedDeliveries(context.Background())
		return err == nil && n == 0
	})
	if e := endedRun(t, srv, x.ID); e.Status != flows.StatusSucceeded {
		t.Fatalf("ended %s (%s)", e.Status, e.Error)
	}
}

// TestResumeExactlyOnceOnTwoInstances: two servers on one Postgres, both
// running resume jobs: each waiting run resumes once, and of many POSTs
// racing to one paused run's resume URL through both, one resumes it (the
// others get 409, or 404 once the run has ended).
func TestResumeExactlyOnceOnTwoInstances(t *testing.T) {
	url := storetest.PostgresURL(t)
	a := webtest.WaitsServer(t, webtest.Options{DatabaseURL: url})
	b := webtest.WaitsServer(t, webtest.Options{DatabaseURL: url})
	svc, calls := counter(t)
	token := a.Token(t)
	waiting := webtest.WorkspaceFlow(t, a, true, webtest.WaitForNode(1, "seconds"), httpGet("after", svc.URL))
	var ids []string
	for range 6 {
		ids = append(ids, webtest.StartRun(t, a, token, waiting)["id"].(string))
	}
	for _, id := range ids {
		if x := endedRun(t, b, id); x.Status != flows.StatusSucceeded {
			t.Fatalf("%s ended %s (%s)", id, x.Status, x.Error)
		}
	}
	time.Sleep(time.Second)
	if calls.Load() != int64(len(ids)) {
		t.Fatalf("%d calls after %d waits, want one each", calls.Load(), len(ids))
	}

	paused := webtest.StartRun(t, a, token, webtest.PauseFlow(t, a, 1, "hours"))
	doc := webtest.APIJSON(t, a.NewClient(), token, "GET", "/api/v1/executions/"+paused["id"].(string), nil, http.StatusOK)
	path := strings.TrimPrefix(doc["resumeUrl"].(string), a.URL)
	var accepted, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv := []*webtest.Server{a, b}[i%2]
			res, err := srv.NewClient().Client.Post(srv.URL+path, "application/json", strings.NewReader(fmt.Sprintf(`{"approved":%v}`, i == 0)))
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			switch res.StatusCode {
			case http.StatusAccepted:
				accepted.Add(1)
			case http.StatusConflict, http.StatusNotFound: // resumed, or ended already
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	if accepted.Load() != 1 || refused.Load() != 9 {
		t.Fatalf("%d accepted, %d refused, want 1 and 9", accepted.Load(), refused.Load())
	}
	if x := endedRun(t, b, paused["id"].(string)); x.Status != flows.StatusSucceeded {
		t.Fatalf("the paused run ended %s (%s)", x.Status, x.Error)
	}
	es, _ := a.Store.Executions(context.Background(), store.ExecutionFilter{FlowID: waiting})
	if len(es) != len(ids) {
		t.Fatalf("%d executions of the waiting flow, want %d", len(es), len(ids))
	}
}

// TestLegacyWaitForStillRuns: a Wait For saved before it took a unit (its
// one input was seconds) loads as amount and unit, and still waits.
func TestLegacyWaitForStillRuns(t *testing.T) {
	srv := webtest.WaitsServer(t, webtest.Options{})
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Old wait")
	def.Cards = []flows.Node{{ID: "wait", Type: flows.ControlWaitFor, Bindings: map[string]flows.Binding{"seconds": {Value: 0.5}}}}
	f, err := srv.Store.CreateFlow(context.Background(), flows.Flow{Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := srv.Store.Flow(context.Background(), f.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := loaded.Definition.Cards[0].Bindings
	if _, old := b["seconds"]; old || b["amount"].Value != 0.5 || b["unit"].Value != "seconds" {
		t.Fatalf("the old card loads as %v", b)
	}
	got := webtest.StartRun(t, srv, srv.Token(t), f.ID)
	if got["status"] != string(flows.StatusWaiting) {
		t.Fatalf("the run answered %v", got)
	}
	if x := endedRun(t, srv, got["id"].(string)); x.Status != flows.StatusSucceeded {
		t.Fatalf("ended %s (%s)", x.Status, x.Error)
	}
}
