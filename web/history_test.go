package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
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

// seedHistory records n executions of two flows: every third failed with
// "timeout", every second a payload, each with a unique word in its output.
func seedHistory(t *testing.T, st *store.Store, n int, start time.Time) {
	t.Helper()
	for i := range n {
		at := start.Add(time.Duration(i) * time.Second)
		e := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: int64(1 + i%2), FlowName: fmt.Sprintf("Flow %d", 1+i%2),
			Trigger: flows.TriggerManual, Status: flows.StatusSucceeded, StartedAt: at, FinishedAt: at.Add(time.Millisecond),
			Input: map[string]any{"n": float64(i)},
			Steps: []flows.Step{{CardID: "c", Type: "text.upper", Outputs: map[string]any{"output": fmt.Sprintf("word%04d shared", i)}}}}
		if i%2 == 0 {
			e.Trigger = flows.TriggerPayload
		}
		if i%3 == 0 {
			e.Status, e.Error = flows.StatusFailed, "card c: timeout talking to the service"
		}
		if err := st.RecordExecution(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
}

type page struct {
	Executions []flows.Execution `json:"executions"`
	Next       string            `json:"next"`
}

func listAPI(t *testing.T, c *webtest.Client, token string, q url.Values) (int, page) {
	t.Helper()
	code, body := c.API(t, token, "GET", "/api/v1/executions?"+q.Encode(), "")
	var p page
	json.Unmarshal([]byte(body), &p)
	return code, p
}

func TestExecutionFiltersAndSearch(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			o := webtest.Options{}
			if db == "postgres" {
				o.DatabaseURL = storetest.PostgresURL(t)
			}
			srv := webtest.StartWith(t, o)
			start := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
			seedHistory(t, srv.Store, 60, start)
			token := srv.Token(t)
			c := srv.NewClient()
			tests := []struct {
				name string
				q    url.Values
				want int
			}{
				{"all", url.Values{"limit": {"200"}}, 60},
				{"failed", url.Values{"status": {"failed"}, "limit": {"200"}}, 20},
				{"flow 2", url.Values{"flow": {"2"}, "limit": {"200"}}, 30},
				{"payloads of flow 1", url.Values{"flow": {"1"}, "trigger": {"payload"}, "limit": {"200"}}, 30},
				{"time range", url.Values{"from": {start.Add(10 * time.Second).Format(time.RFC3339)}, "to": {start.Add(20 * time.Second).Format(time.RFC3339)}}, 10},
				{"search one word", url.Values{"q": {"word0042"}}, 1},
				{"search an error", url.Values{"q": {"timeout"}, "limit": {"200"}}, 20},
				{"search all words", url.Values{"q": {"shared word0007"}}, 1},
				{"search and filter", url.Values{"q": {"timeout"}, "flow": {"2"}, "limit": {"200"}}, 10},
				{"search syntax is text", url.Values{"q": {`"word0001 OR *`}}, 0},
				{"search finds nothing", url.Values{"q": {"nothing"}}, 0},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					code, p := listAPI(t, c, token, tt.q)
					if code != http.StatusOK || len(p.Executions) != tt.want {
						t.Fatalf("status %d, %d executions, want %d", code, len(p.Executions), tt.want)
					}
				})
			}
			// Search results page too: 20 matches, 7 a page, each once.
			seen := map[string]bool{}
			q := url.Values{"q": {"timeout"}, "limit": {"7"}}
			for pages := 0; pages < 10; pages++ {
				_, p := listAPI(t, c, token, q)
				for _, e := range p.Executions {
					if seen[e.ID] {
						t.Fatalf("%s on two pages", e.ID)
					}
					seen[e.ID] = true
				}
				if p.Next == "" {
					break
				}
				q.Set("before", p.Next)
			}
			if len(seen) != 20 {
				t.Fatalf("search pages gave %d executions, want 20", len(seen))
			}
			for _, bad := range []url.Values{{"status": {"sleepy"}}, {"flow": {"x"}}, {"from": {"yesterday"}}} {
				if code, _ := listAPI(t, c, token, bad); code != http.StatusUnprocessableEntity {
					t.Fatalf("%v: status %d", bad, code)
				}
			}
			// The page shows the same, and the bad filter next to the form.
			web := srv.SignedIn(t)
			_, body := web.Get(t, "/executions?status=failed&flow=2")
			if n := parse(t, body).Find(`[data-testid="execution-row"]`).Length(); n != 10 {
				t.Fatalf("the page shows %d rows", n)
			}
			res, body := web.Get(t, "/executions?from=yesterday")
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(parse(t, body).Find(`[data-testid="filter-error"]`).Text(), "From is not a time") {
				t.Fatalf("a bad filter: %d", res.StatusCode)
			}
		})
	}
}

// TestExecutionPagesStayStableUnderInserts walks the history a page at a
// time while new executions keep arriving: every execution that was there
// is seen exactly once, in order.
func TestExecutionPagesStayStableUnderInserts(t *testing.T) {
	srv := webtest.Start(t)
	start := time.Now().Add(-time.Hour)
	seedHistory(t, srv.Store, 95, start)
	token := srv.Token(t)
	c := srv.NewClient()
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			at := time.Now()
			srv.Store.RecordExecution(context.Background(), &flows.Execution{ID: flows.NewExecutionID(at), FlowID: 1, FlowName: "Flow 1",
				Trigger: flows.TriggerPayload, Status: flows.StatusSucceeded, StartedAt: at, FinishedAt: at, Steps: []flows.Step{}})
			time.Sleep(2 * time.Millisecond)
		}
	}()
	// The first page is taken after some new ones arrived; later pages must
	// not shift while more arrive.
	time.Sleep(20 * time.Millisecond)
	seen := map[string]int{}
	var last string
	q := url.Values{"limit": {"10"}, "to": {start.Add(time.Hour / 2).Format(time.RFC3339)}}
	for pages := 0; ; pages++ {
		code, p := listAPI(t, c, token, q)
		if code != 200 || pages > 20 {
			t.Fatalf("status %d after %d pages", code, pages)
		}
		for _, e := range p.Executions {
			if last != "" && e.ID >= last {
				t.Fatalf("out of order: %s after %s", e.ID, last)
			}
			last = e.ID
			seen[e.ID]++
		}
		if p.Next == "" {
			break
		}
		q.Set("before", p.Next)
	}
	stop.Store(true)
	wg.Wait()
	if len(seen) != 95 {
		t.Fatalf("walked %d executions, want 95", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s seen %d times", id, n)
		}
	}
}

// TestNoSecretInHistory: neither a connection's secret nor a request's
// Authorization header reaches any stored execution.
func TestNoSecretInHistory(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	token := srv.Token(t)
	flowID := webtest.AcmeSetup(t, srv, prov, token)
	c := srv.NewClient()
	webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", flowID), nil, http.StatusOK)
	body := `{"data":{"events":[{"actor":{"displayName":"Ada"}}]}}`
	// Sent with credentials of its own, which must be masked.
	for _, s := range prov.Subscriptions() {
		req, _ := http.NewRequest("POST", s.URL, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer caller-token-xyz")
		req.Header.Set("Cookie", "session=cookie-secret-xyz")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Delivery-Id", "d1")
		prov.Sign(req, s.Secret, body)
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 202 {
			t.Fatalf("delivery: %v %v", res, err)
		}
	}
	webtest.WaitFor(t, "the run", func() bool { return len(webtest.PayloadRuns(t, srv.Store, flowID)) == 1 })
	webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/off", flowID), nil, http.StatusOK)
	// The deregistration run is recorded once its call has reached the
	// provider: wait for its execution.
	var all []*flows.Execution
	webtest.WaitFor(t, "the deregistration run", func() bool {
		var err error
		all, err = srv.Store.Executions(context.Background(), store.ExecutionFilter{Limit: 1000})
		return err == nil && len(all) == 4
	})
	raw, _ := json.Marshal(all)
	for _, secret := range []string{webtest.AcmeKey, "caller-token-xyz", "cookie-secret-xyz"} {
		if strings.Contains(string(raw), secret) {
			t.Fatalf("the history holds %q", secret)
		}
	}
}

func TestSaveDataAndClearData(t *testing.T) {
	srv := webtest.Start(t)
	ctx := context.Background()
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Echo")
	def.Event.Outputs = []flows.Field{{Key: "word", Type: flows.TypeText}}
	def.Cards = []flows.Node{{ID: "up", Type: "text.upper", Bindings: map[string]flows.Binding{"text": webtest.Ref("event", "word", "")}}}
	f, _ := srv.Store.CreateFlow(ctx, flows.Flow{Definition: def})
	token := srv.Token(t)
	api := srv.NewClient()
	runWith := func(word string) string {
		return webtest.APIJSON(t, api, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", f.ID), map[string]any{"input": map[string]any{"word": word}}, http.StatusOK)["id"].(string)
	}
	kept := runWith("keepme")
	c := srv.SignedIn(t)

	// Off: new runs keep metadata only.
	if res, _ := webtest.PostConnectorForm(t, c, fmt.Sprintf("/flows/%d/settings", f.ID), url.Values{"revision": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d", res.StatusCode)
	}
	bare := runWith("dropme")
	e, _ := srv.Store.Execution(ctx, bare)
	if e.Input != nil || e.Steps[1].Inputs != nil || e.Steps[1].Outputs != nil || e.Steps[1].CardID != "up" || e.Status != flows.StatusSucceeded {
		t.Fatalf("a metadata-only run: %+v", e)
	}
	if e, _ := srv.Store.Execution(ctx, kept); e.Input["word"] != "keepme" {
		t.Fatal("an earlier run lost its data")
	}

	// Clear data: inputs and outputs go, recorded in the audit log.
	if res, _ := webtest.PostConnectorForm(t, c, fmt.Sprintf("/flows/%d/clear", f.ID), url.Values{"mode": {"data"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("clear: %d", res.StatusCode)
	}
	if e, _ := srv.Store.Execution(ctx, kept); e.Input != nil {
		t.Fatal("clear data kept the input")
	}
	if res, _ := webtest.PostConnectorForm(t, c, fmt.Sprintf("/flows/%d/clear", f.ID), url.Values{"mode": {"all"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("clear all: %d", res.StatusCode)
	}
	if _, err := srv.Store.Execution(ctx, kept); err == nil {
		t.Fatal("clear everything kept the execution")
	}
	_, body := c.Get(t, "/settings")
	entries := parse(t, body).Find(`[data-testid="audit-entry"]`)
	if entries.Length() != 2 || !strings.Contains(entries.First().Text(), webtest.AdminEmail) || !strings.Contains(entries.First().Text(), "cleared the executions of 2") {
		t.Fatalf("audit log: %d entries: %q", entries.Length(), entries.Text())
	}
}

// TestCancelRunningExecution: a run still going after a second shows as
// running in the history and can be canceled from its page.
func TestCancelRunningExecution(t *testing.T) {
	srv := webtest.Start(t)
	ctx := context.Background()
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Slow")
	def.Cards = []flows.Node{{ID: "wait", Type: flows.ControlWaitFor, Bindings: map[string]flows.Binding{"seconds": {Value: 30.0}}}}
	f, _ := srv.Store.CreateFlow(ctx, flows.Flow{Definition: def})
	token := srv.Token(t)
	done := make(chan map[string]any, 1)
	go func() {
		code, body := srv.NewClient().API(t, token, "POST", fmt.Sprintf("/api/v1/flows/%d/runs", f.ID), `{"input":{}}`)
		var m map[string]any
		json.Unmarshal([]byte(body), &m)
		m["code"] = code
		done <- m
	}()
	var running []*flows.Execution
	webtest.WaitFor(t, "the run to show as running", func() bool {
		running, _ = srv.Store.Executions(ctx, store.ExecutionFilter{FlowID: f.ID, Status: flows.StatusRunning})
		return len(running) == 1
	})
	c := srv.SignedIn(t)
	_, body := c.Get(t, "/executions?status=running")
	if parse(t, body).Find(`[data-testid="execution-row"]`).Length() != 1 {
		t.Fatal("the list does not show the running execution")
	}
	if res, _ := webtest.PostConnectorForm(t, c, "/executions/"+running[0].ID+"/cancel", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", res.StatusCode)
	}
	select {
	case m := <-done:
		if m["status"] != "canceled" || m["id"] != running[0].ID {
			t.Fatalf("the run ended %v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the run was not canceled")
	}
	if e, _ := srv.Store.Execution(ctx, running[0].ID); e.Status != flows.StatusCanceled {
		t.Fatalf("stored as %s", e.Status)
	}
}
