package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/web/webtest"
)

// sample is one line of a scrape: a series and its value.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// scrape is /metrics read: each family's type, and every sample.
type scrape struct {
	types   map[string]string
	samples []sample
}

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// readScrape reads /metrics in Prometheus' text format.
func readScrape(t *testing.T, c *webtest.Client) scrape {
	t.Helper()
	res, body := c.Get(t, "/metrics")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d %s", res.StatusCode, body)
	}
	s := scrape{types: map[string]string{}}
	for _, line := range strings.Split(body, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			s.types[f[2]] = f[3]
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		labels := map[string]string{}
		for _, p := range labelPair.FindAllStringSubmatch(m[2], -1) {
			labels[p[1]] = p[2]
		}
		s.samples = append(s.samples, sample{m[1], labels, v})
	}
	return s
}

// value is the sum of the samples of name whose labels include want; -1
// when there is none.
func (s scrape) value(name string, want ...string) float64 {
	sum, found := 0.0, false
	for _, x := range s.samples {
		if x.name != name {
			continue
		}
		ok := true
		for i := 0; i+1 < len(want); i += 2 {
			ok = ok && x.labels[want[i]] == want[i+1]
		}
		if ok {
			sum, found = sum+x.value, true
		}
	}
	if !found {
		return -1
	}
	return sum
}

// documentedMetrics reads the README's table of metrics: name → type.
func documentedMetrics(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n### Metrics\n")
	if !ok {
		t.Fatal("the README has no Metrics section")
	}
	if i := strings.Index(section, "\n#"); i >= 0 {
		section = section[:i]
	}
	row := regexp.MustCompile("(?m)^\\| `(hookflow_[a-z0-9_]+)` \\| (counter|gauge|histogram) \\|")
	out := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		out[m[1]] = m[2]
	}
	if len(out) < 10 {
		t.Fatalf("the README documents %d metrics", len(out))
	}
	return out
}

// TestMetricsAfterAReferenceRun drives real requests through a real
// server — an Event URL payload, a duplicate, refused requests, a run
// that fails until its attempts run out, a failed registration and
// deregistration, a schedule, the flow's data cleared — and reads /metrics: every metric the
// README documents is there with its type and the counts of what
// happened, every hookflow_ metric there is documented, and the Grafana
// dashboard uses only documented metrics.
func TestMetricsAfterAReferenceRun(t *testing.T) {
	prov := webtest.NewAcme(t)
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	token, c := srv.Token(t), srv.NewClient()
	flowID, _ := webtest.FlakyAcmeSetup(t, srv, prov, token)
	path := fmt.Sprintf("/api/v1/flows/%d", flowID)

	// A registration that fails, then one that works.
	prov.Fail.Store(true)
	webtest.APIJSON(t, c, token, "POST", path+"/on", nil, http.StatusUnprocessableEntity)
	prov.Fail.Store(false)
	webtest.APIJSON(t, c, token, "POST", path+"/on", nil, http.StatusOK)

	// A payload that runs, its duplicate, a bad signature, an unknown Event URL.
	if codes := prov.Push(t, "d1", false, webtest.UserEvent("u1", "Ada")); !slices.Equal(codes, []int{202}) {
		t.Fatalf("push: %v", codes)
	}
	webtest.WaitFor(t, "the payload's run", func() bool { return len(webtest.PayloadRuns(t, srv.Store, flowID)) == 1 })
	if codes := prov.Push(t, "d1", false, webtest.UserEvent("u1", "Ada")); !slices.Equal(codes, []int{202}) {
		t.Fatalf("duplicate: %v", codes)
	}
	if codes := prov.Push(t, "d2", true, webtest.UserEvent("u2", "Eve")); !slices.Equal(codes, []int{403}) {
		t.Fatalf("bad signature: %v", codes)
	}
	if res, _ := c.Do(t, "POST", "/hooks/no-such-token", strings.NewReader("{}"), http.Header{"Content-Type": {"application/json"}}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown Event URL: %d", res.StatusCode)
	}

	// A payload whose connector run meets a 503 on each of its 3 attempts.
	prov.Fail.Store(true)
	if codes := prov.Push(t, "d3", false, webtest.UserEvent("u3", "Bob")); !slices.Equal(codes, []int{202}) {
		t.Fatalf("push: %v", codes)
	}
	webtest.WaitFor(t, "the last attempt", func() bool {
		n, _ := srv.Store.CountQueuedDeliveries(t.Context())
		return n == 0 && prov.FlakyCalls.Load() >= 4
	})
	// OFF while the provider is down: the deregistration gives up.
	webtest.APIJSON(t, c, token, "POST", path+"/off", nil, http.StatusOK)
	webtest.WaitFor(t, "the deregistration to give up", func() bool {
		return webtest.APIJSON(t, c, token, "GET", path, nil, http.StatusOK)["state"].(map[string]any)["subscription"] == "failed"
	})
	prov.Fail.Store(false)

	// A flow scheduled every second runs once at least.
	sched := webtest.ScheduledFlow(t, c, token, map[string]string{"mode": "interval", "every": "1s"})
	webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/on", sched), nil, http.StatusOK)
	webtest.WaitFor(t, "a scheduled run", func() bool { return len(webtest.ScheduleRuns(t, srv.Store, sched)) >= 1 })
	webtest.APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/flows/%d/off", sched), nil, http.StatusOK)

	// Clearing the flow's stored data records its runs again: not counted
	// as ending again.
	if n, err := srv.Store.ClearFlowData(t.Context(), flowID, false); err != nil || n != 1 {
		t.Fatalf("clear the flow's data: %d %v", n, err)
	}

	s := readScrape(t, c)
	documented := documentedMetrics(t)
	t.Run("every documented metric is scraped", func(t *testing.T) {
		for name, typ := range documented {
			if got, ok := s.types[name]; !ok || got != typ {
				t.Errorf("%s: scraped as %q, documented as %s", name, got, typ)
			}
		}
	})
	t.Run("every scraped metric is documented", func(t *testing.T) {
		for name := range s.types {
			if _, ok := documented[name]; strings.HasPrefix(name, "hookflow_") && !ok {
				t.Errorf("%s is not in the README's table", name)
			}
		}
	})
	t.Run("the counts are what happened", func(t *testing.T) {
		tests := []struct {
			name    string
			metric  string
			labels  []string
			want    float64
			atLeast bool
		}{
			{"the payload's connector run", "hookflow_executions_total", []string{"kind", "webhook_event", "trigger", "payload", "status", "succeeded"}, 1, false},
			{"the payload's workspace run", "hookflow_executions_total", []string{"kind", "workspace", "trigger", "payload", "status", "succeeded"}, 1, false},
			{"the failing payload, counted once", "hookflow_executions_total", []string{"kind", "webhook_event", "trigger", "payload", "status", "failed"}, 1, false},
			{"the failed registration's run", "hookflow_executions_total", []string{"kind", "webhook_registration", "trigger", "registration", "status", "failed"}, 1, false},
			{"scheduled runs", "hookflow_executions_total", []string{"kind", "workspace", "trigger", "schedule", "status", "succeeded"}, 1, true},
			{"durations of payload runs", "hookflow_execution_duration_seconds_count", []string{"kind", "webhook_event", "trigger", "payload"}, 2, false},
			{"accepted", "hookflow_deliveries_accepted_total", nil, 2, false},
			{"duplicate", "hookflow_deliveries_duplicate_total", nil, 1, false},
			{"refused: bad signature", "hookflow_deliveries_refused_total", []string{"reason", "bad_signature"}, 1, false},
			{"refused: unknown token", "hookflow_deliveries_refused_total", []string{"reason", "unknown_token"}, 1, false},
			{"refused: too large, none", "hookflow_deliveries_refused_total", []string{"reason", "too_large"}, 0, false},
			{"retries", "hookflow_delivery_retries_total", nil, 2, false},
			{"dead", "hookflow_deliveries_dead_total", nil, 1, false},
			{"queued", "hookflow_deliveries_queued", nil, 0, false},
			{"oldest queued", "hookflow_deliveries_oldest_queued_age_seconds", nil, 0, false},
			{"registration failures", "hookflow_registration_failures_total", nil, 1, false},
			{"deregistration failures (3 attempts)", "hookflow_deregistration_failures_total", nil, 3, false},
			{"failed subscriptions", "hookflow_subscriptions", []string{"state", "failed"}, 1, false},
			{"active subscriptions", "hookflow_subscriptions", []string{"state", "active"}, 0, false},
			{"off subscriptions", "hookflow_subscriptions", []string{"state", "off"}, 2, false},
			{"accepting transactions", "hookflow_store_write_batch_items_count", []string{"batch", "accepted"}, 2, true},
			{"deliveries accepted in them", "hookflow_store_write_batch_items_sum", []string{"batch", "accepted"}, 3, false},
			{"finishing transactions", "hookflow_store_write_batch_items_count", []string{"batch", "finished"}, 2, true},
			{"history transactions", "hookflow_store_write_batch_items_count", []string{"batch", "history"}, 2, true},
			{"commits timed", "hookflow_store_commit_duration_seconds_count", []string{"batch", "accepted"}, 2, true},
			{"schedule lag", "hookflow_schedule_lag_seconds_count", nil, 1, true},
		}
		for _, tt := range tests {
			got := s.value(tt.metric, tt.labels...)
			if got != tt.want && !(tt.atLeast && got >= tt.want) {
				t.Errorf("%s: %s%v = %v, want %v", tt.name, tt.metric, tt.labels, got, tt.want)
			}
		}
	})
	t.Run("the dashboard uses documented metrics", func(t *testing.T) {
		checkDashboard(t, documented)
	})
}

// checkDashboard parses the Grafana dashboard and checks that every
// metric its queries use is documented, and that its panels read from
// the data source chosen on import.
func checkDashboard(t *testing.T, documented map[string]string) {
	t.Helper()
	raw, err := os.ReadFile("../cmd/hookflow/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Inputs []struct{ Name, Type string } `json:"__inputs"`
		Panels []struct {
			Title      string
			Datasource struct{ UID string }
			Targets    []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	if len(d.Inputs) != 1 || d.Inputs[0].Name != "DS_PROMETHEUS" || d.Inputs[0].Type != "datasource" {
		t.Fatalf("the dashboard's inputs: %+v", d.Inputs)
	}
	name := regexp.MustCompile(`hookflow_[a-z0-9_]+`)
	used := map[string]bool{}
	for _, p := range d.Panels {
		if p.Datasource.UID != "${DS_PROMETHEUS}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: data source %q, %d queries", p.Title, p.Datasource.UID, len(p.Targets))
		}
		for _, q := range p.Targets {
			for _, m := range name.FindAllString(q.Expr, -1) {
				used[m] = true
			}
		}
	}
	for m := range used {
		base := m
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(m, suffix); ok && documented[b] == "histogram" {
				base = b
			}
		}
		if _, ok := documented[base]; !ok {
			t.Errorf("the dashboard uses %s, which the README does not document", m)
		}
	}
	for _, want := range []string{"hookflow_executions_total", "hookflow_execution_duration_seconds_bucket", "hookflow_deliveries_queued",
		"hookflow_deliveries_oldest_queued_age_seconds", "hookflow_store_commit_duration_seconds_bucket", "hookflow_store_write_batch_items_sum",
		"hookflow_subscriptions", "hookflow_schedule_lag_seconds_bucket", "hookflow_deliveries_refused_total"} {
		if !used[want] {
			t.Errorf("no panel of the dashboard shows %s", want)
		}
	}
}
