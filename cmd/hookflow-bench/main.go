// Command hookflow-bench runs Hookflow's workloads: it starts a hookflow
// server on loopback on a fresh database, imports the reference connector
// and flow from testdata/, turns the flow ON, posts Okta user events to its
// Event URL at each concurrency, and prints a table. The mixed workload
// sends every fifth event to a second flow that waits 2 s (Wait For) and
// then calls a local HTTP server that answers in 100 ms. The endpoint
// workload posts the same events to an API Endpoint flow's invoke URL,
// which answers with {id, who, email} as the reference flow makes them.
// The hookburst workload runs the reference workload beside a burst of
// 10,000 payloads to a flow that fails every run, whose execution.failed
// events an event hook sends to a receiver in this process;
// hookburst-nohook is the same without the hook.
//
//	make bench              # SQLite
//	make bench DB=postgres  # a Postgres server it starts itself
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "hookflow-bench:", err)
		os.Exit(1)
	}
}

type options struct {
	binary, db, testdata string
	duration             time.Duration
	levels               []int
	workloads            []string
	keep                 bool
	rate                 int // payloads a second at most, over all posters (0: as fast as answered)
}

func run() error {
	var o options
	var levels string
	flag.StringVar(&o.binary, "hookflow", "bin/hookflow", "the hookflow binary to run")
	flag.StringVar(&o.db, "db", "sqlite", "sqlite or postgres")
	flag.StringVar(&o.testdata, "testdata", "cmd/hookflow-bench/testdata", "the reference connector.json and flow.json")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "how long each concurrency posts")
	flag.StringVar(&levels, "concurrency", "1,16,64", "the concurrencies to run, in order")
	workloads := flag.String("workload", "reference,mixed,endpoint", "the workloads to run, in order: reference, mixed, endpoint, parked (the reference workload beside 1,000 paused runs and 100 waiting a minute), "+
		"hookburst (the reference workload beside a burst of 10,000 failing runs whose events an event hook sends to a local receiver), hookburst-nohook (the same without the hook)")
	flag.IntVar(&o.rate, "rate", 0, "post at most this many payloads a second (0: as fast as the server answers); with a rate below what the server takes, CPU µs/exec is what a payload costs")
	flag.BoolVar(&o.keep, "keep", false, "keep the server's data directory (SQLite) for inspection")
	cpuProfile := flag.String("cpuprofile", "", "write the load generator's own CPU profile to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for _, s := range strings.Split(levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("bad -concurrency %q", levels)
		}
		o.levels = append(o.levels, n)
	}
	if o.db != "sqlite" && o.db != "postgres" {
		return fmt.Errorf("-db is sqlite or postgres")
	}
	for _, w := range strings.Split(*workloads, ",") {
		if w = strings.TrimSpace(w); w != "reference" && w != "mixed" && w != "endpoint" && w != "parked" && !burstWorkload(w) {
			return fmt.Errorf("bad -workload %q: reference, mixed, endpoint, parked, hookburst or hookburst-nohook", w)
		}
		o.workloads = append(o.workloads, strings.TrimSpace(w))
	}
	dir, err := os.MkdirTemp("", "hookflow-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		defer fmt.Printf("\ndata kept in %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	dbURL := ""
	if o.db == "postgres" {
		url, stop, err := storetest.StartPostgres()
		if err != nil {
			return err
		}
		defer stop()
		dbURL = url
	}
	b, err := start(o, dir, dbURL)
	if err != nil {
		return err
	}
	defer b.stop()
	for _, w := range o.workloads {
		fmt.Printf("Hookflow %s workload on %s, %s per concurrency (%s)\n", w, o.db, o.duration, time.Now().Format(time.RFC3339))
		if w == "mixed" {
			fmt.Println("every fifth payload goes to a flow that waits 2 s, then calls a server that answers in 100 ms;")
			fmt.Println("completed/s counts every payload accepted until the reference flow's last run is stored")
		}
		answered := "accepted/s"
		if w == "endpoint" {
			fmt.Println("each request waits for the flow's answer, {id, who, email}; every card's data is saved;")
			fmt.Println("completed/s counts every request answered until the last run is stored")
			answered = "answered/s"
		}
		if w == "parked" {
			took, err := b.park(1000, 100)
			if err != nil {
				return err
			}
			fmt.Printf("the reference workload beside 1,000 paused runs and 100 runs waiting 1 minute (stored in %.1f s)\n", took.Seconds())
		}
		if burstWorkload(w) {
			if err := b.beginBurstWorkload(w); err != nil {
				return err
			}
		}
		fmt.Printf("\n%-5s %10s %8s %8s %8s %8s %12s %7s %5s %7s %9s %10s %11s\n",
			"conc", answered, "p50 ms", "p95 ms", "p99 ms", "max ms", "completed/s", "errors", "lost", "doubled", "peak RSS", "DB B/exec", "CPU µs/exec")
		for _, c := range o.levels {
			r, err := b.level(c, o.duration, w, o.rate)
			if err != nil {
				return err
			}
			fmt.Printf("%-5d %10.0f %8.2f %8.2f %8.2f %8.2f %12.0f %7d %5d %7d %6.0f MiB %10.0f %11.0f\n",
				c, r.acceptedPerSec, ms(r.p50), ms(r.p95), ms(r.p99), ms(r.max), r.completedPerSec, r.errors, r.lost, r.doubled, float64(r.peakRSS)/(1<<20), r.bytesPerExec, r.cpuPerExec)
			if burstWorkload(w) {
				r.burst.print(w == "hookburst")
			}
			if w == "mixed" {
				fmt.Printf("      waiting flow: %d payloads, all runs stored %.1f s after posting ended, %d lost, %d doubled\n",
					r.waiting, r.waitingDone.Seconds(), r.waitingLost, r.waitingDoubled)
			}
		}
		fmt.Println()
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// bench is a running server with the reference flow and the waiting flow
// ON; st reads what it stores.
type bench struct {
	cmd      *exec.Cmd
	dir      string
	st       *store.Store
	flowID   int64  // the reference flow
	hook     string // its Event URL
	waitID   int64  // the waiting flow (mixed workload)
	waitHook string
	// The API Endpoint flow (endpoint workload), its invoke URL and
	// client token.
	endpointID          int64
	invokeURL, clientID string
	slow                *slowService // the outside service the waiting flow calls
	sequence            atomic.Int64
	// api calls the server's API with the bench's token (parked workload).
	api func(method, path string, body []byte, out any) error
	// The hookburst workloads: the flow that fails every run, its Event
	// URL, the event hook (0 until made), whether it is on, and the
	// receiver it sends to.
	failID    int64
	failHook  string
	eventHook int64
	hookOn    bool
	receiver  *receiver
}

// start starts the server and sets up its flows; should that fail, it
// stops the server again.
func start(o options, dir, dbURL string) (_ *bench, err error) {
	ctx := context.Background()
	data := filepath.Join(dir, "data")
	st, err := store.Open(ctx, store.Config{DataDir: data, DatabaseURL: dbURL})
	if err != nil {
		return nil, err
	}
	admin, err := st.CreateUser(ctx, "bench@hookflow.local", "a long enough bench password")
	if err != nil {
		return nil, err
	}
	_, token, err := st.CreateAPIToken(ctx, admin.ID, "bench")
	st.Close()
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	b := &bench{dir: dir}
	b.cmd = exec.Command(o.binary)
	b.cmd.Env = append(os.Environ(), "HOOKFLOW_ADDR="+addr, "HOOKFLOW_DATA_DIR="+data, "HOOKFLOW_DATABASE_URL="+dbURL, "HOOKFLOW_LOG_LEVEL=warn",
		"HOOKFLOW_OUTBOUND_ALLOW=127.0.0.1") // the mixed workload's service listens on loopback
	b.cmd.Stderr = os.Stderr
	if err := b.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", o.binary, err)
	}
	defer func() {
		if err != nil {
			b.stop()
		}
	}()
	base := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(base + "/readyz"); err == nil && res.StatusCode == 200 {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			return nil, errors.New("the server did not get ready")
		}
	}
	api := func(method, path string, body []byte, out any) error {
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode/100 != 2 {
			return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
		}
		return json.Unmarshal(raw, out)
	}
	connector, err := os.ReadFile(filepath.Join(o.testdata, "connector.json"))
	if err != nil {
		return nil, err
	}
	var con struct{ ID int64 }
	if err := api("POST", "/api/v1/connectors/import", connector, &con); err != nil {
		return nil, err
	}
	var ver struct{ Version int }
	if err := api("POST", fmt.Sprintf("/api/v1/connectors/%d/deploy", con.ID), nil, &ver); err != nil {
		return nil, err
	}
	// The connector's Webhook Event flow has the key of its id in this server.
	var export flows.ConnectorExport
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/connectors/%d/export", base, con.ID), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	xraw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if export, err = flows.ParseConnector(xraw); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	key, _ := strconv.ParseInt(export.FlowsOfKind(flows.KindWebhookEvent)[0].Key, 10, 64)
	source := &flows.EventSource{Connector: con.ID, Version: ver.Version, Flow: key}
	// flowOn creates a flow from a testdata file, turns it ON and returns
	// its id and Event URL; edit changes its definition first.
	flowOn := func(file string, edit func(*flows.Definition)) (int64, string, error) {
		raw, err := os.ReadFile(filepath.Join(o.testdata, file))
		if err != nil {
			return 0, "", err
		}
		def, err := flows.ParseDefinition(raw)
		if err != nil {
			return 0, "", fmt.Errorf("%s: %w", file, err)
		}
		def.Source = source
		if edit != nil {
			edit(&def)
		}
		doc, _ := flows.MarshalDefinition(def)
		var f struct{ ID int64 }
		if err := api("POST", "/api/v1/flows", doc, &f); err != nil {
			return 0, "", err
		}
		var on struct {
			State struct{ EventURL string }
		}
		if err := api("POST", fmt.Sprintf("/api/v1/flows/%d/on", f.ID), nil, &on); err != nil {
			return 0, "", err
		}
		return f.ID, on.State.EventURL, nil
	}
	b.api = api
	if b.flowID, b.hook, err = flowOn("flow.json", nil); err != nil {
		return nil, err
	}
	slow, err := startSlowService()
	if err != nil {
		return nil, err
	}
	b.slow = slow
	b.waitID, b.waitHook, err = flowOn("wait_flow.json", func(d *flows.Definition) {
		for i := range d.Cards {
			if d.Cards[i].Type == "http.get" {
				d.Cards[i].Bindings["url"] = flows.Binding{Value: slow.url}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if err := b.endpointOn(o, api); err != nil {
		return nil, err
	}
	if b.failID, b.failHook, err = flowOn("failing_flow.json", nil); err != nil {
		return nil, err
	}
	if b.st, err = store.Open(ctx, store.Config{DataDir: data, DatabaseURL: dbURL, ReadOnly: true}); err != nil {
		return nil, err
	}
	return b, nil
}

// endpointOn creates the endpoint workload's flow, lifts its rate limit
// as far as it goes and turns it ON.
func (b *bench) endpointOn(o options, api func(method, path string, body []byte, out any) error) error {
	doc, err := os.ReadFile(filepath.Join(o.testdata, "endpoint_flow.json"))
	if err != nil {
		return err
	}
	var f struct {
		ID          int64
		InvokeURL   string
		ClientToken string
	}
	if err := api("POST", "/api/v1/flows", doc, &f); err != nil {
		return err
	}
	var ignored any
	if err := api("POST", fmt.Sprintf("/api/v1/flows/%d/endpoint", f.ID), []byte(fmt.Sprintf(`{"rateLimit":%d}`, flows.MaxEndpointRate)), &ignored); err != nil {
		return err
	}
	if err := api("POST", fmt.Sprintf("/api/v1/flows/%d/on", f.ID), nil, &ignored); err != nil {
		return err
	}
	b.endpointID, b.invokeURL, b.clientID = f.ID, f.InvokeURL, f.ClientToken
	return nil
}

// slowService is the outside service of the waiting flow: it answers each
// request after 100 ms. Like the posters, it speaks HTTP/1.1 on its
// connections itself: net/http's server spent about 50 µs of the
// machine's CPU on each request, which the server under test shares.
type slowService struct {
	l   net.Listener
	url string

	mu     sync.Mutex
	conns  map[net.Conn]bool
	closed bool
}

// slowAnswer is the service's one answer.
var slowAnswer = []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}")

func startSlowService() (*slowService, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &slowService{l: l, url: "http://" + l.Addr().String() + "/slow", conns: map[net.Conn]bool{}}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return // closed
			}
			s.mu.Lock()
			if s.closed { // accepted as it closed
				s.mu.Unlock()
				c.Close()
				return
			}
			s.conns[c] = true
			s.mu.Unlock()
			go s.serve(c)
		}
	}()
	return s, nil
}

// serve answers the requests of one connection, one at a time, until the
// client closes it or asks to.
func (s *slowService) serve(c net.Conn) {
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
		if _, err := c.Write(slowAnswer); err != nil || req.Close {
			return
		}
	}
}

// Close stops the service and closes its connections.
func (s *slowService) Close() {
	s.l.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
}

func (b *bench) stop() {
	if b.st != nil {
		b.st.Close()
	}
	b.cmd.Process.Signal(syscall.SIGTERM)
	b.cmd.Wait()
	if b.slow != nil {
		b.slow.Close()
	}
	if b.receiver != nil {
		b.receiver.srv.Close()
	}
}

// payload is the reference body with a unique uuid.
func payload(n int64) []byte { return payloadWith(n, "ada@example.com") }

// payloadWith is the reference body with a uuid and the actor's email.
func payloadWith(n int64, email string) []byte {
	return []byte(`{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0","cloudEventsVersion":"0.1","contentType":"application/json","data":{"events":[{"uuid":"` +
		strconv.FormatInt(n, 10) + `","eventType":"user.lifecycle.create","published":"2026-11-22T10:00:00.000Z","actor":{"id":"00u1","type":"User","displayName":"Ada Lovelace","alternateId":"` + email + `"},"target":[{"id":"00u2","type":"User","displayName":"Charles Babbage","alternateId":"charles@example.org"}],"outcome":{"result":"SUCCESS"}}]}}`)
}

type result struct {
	acceptedPerSec, completedPerSec float64
	p50, p95, p99, max              time.Duration
	errors, lost, doubled           int64
	peakRSS                         int64
	cpuPerExec                      float64 // the server's CPU time per accepted payload, in µs
	bytesPerExec                    float64
	// The mixed workload's waiting flow: its payloads, how long after
	// posting ended its last run was stored, and what was lost or doubled.
	waiting, waitingLost, waitingDoubled int64
	waitingDone                          time.Duration
	burst                                burstResult // the hookburst workloads
}

// level posts at concurrency conc for d: every payload to the reference
// flow, or (mixed) every fifth to the waiting flow, or (endpoint) every
// payload to the API Endpoint flow; the hookburst workloads post a burst
// to the failing flow beside.
func (b *bench) level(conc int, d time.Duration, workload string, rate int) (result, error) {
	var r result
	ctx := context.Background()
	mixed := workload == "mixed"
	ref := store.ExecutionFilter{FlowID: b.flowID, Trigger: flows.TriggerPayload}
	url, header, uuid := b.hook, []string(nil), eventUUID
	if workload == "endpoint" {
		ref = store.ExecutionFilter{FlowID: b.endpointID, Trigger: flows.TriggerAPI}
		url, header, uuid = b.invokeURL, []string{"X-Api-Client-Token: " + b.clientID}, bodyUUID
	}
	wait := store.ExecutionFilter{FlowID: b.waitID, Trigger: flows.TriggerPayload}
	before, err := b.runs(ref.FlowID)
	if err != nil {
		return r, err
	}
	waitBefore, err := b.runs(wait.FlowID)
	if err != nil {
		return r, err
	}
	first := b.sequence.Load() + 1
	cpuBefore := cpuTime(b.cmd.Process.Pid)
	var bu *burst
	if burstWorkload(workload) {
		if bu, err = b.startBurst(); err != nil {
			return r, err
		}
	}
	lat := make([][]time.Duration, conc)
	var accepted, errs atomic.Int64
	// By worker, the payloads acknowledged (no pointers for the GC to scan).
	acked, ackedWait := make([][]int64, conc), make([][]int64, conc)
	began := time.Now()
	end := began.Add(d)
	tokens := pace(rate, end)
	var wg sync.WaitGroup
	for w := range conc {
		p, err := newPoster(url, header...)
		if err != nil {
			return r, err
		}
		pw, err := newPoster(b.waitHook)
		if err != nil {
			return r, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer p.close()
			defer pw.close()
			for i := 0; time.Now().Before(end); i++ {
				if tokens != nil {
					if _, ok := <-tokens; !ok {
						break
					}
				}
				n := b.sequence.Add(1)
				to, into := p, &acked[w]
				if mixed && i%5 == 4 {
					to, into = pw, &ackedWait[w]
				}
				t0 := time.Now()
				status, err := to.post(payload(n))
				if err != nil {
					errs.Add(1)
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
				if status/100 == 2 {
					accepted.Add(1)
					*into = append(*into, n)
				} else {
					errs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	posted := time.Since(began)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(float64(len(all))*p))]
	}
	r.p50, r.p95, r.p99 = pct(0.50), pct(0.95), pct(0.99)
	if len(all) > 0 {
		r.max = all[len(all)-1]
	}
	r.acceptedPerSec = float64(accepted.Load()) / posted.Seconds()
	r.errors = errs.Load()
	count := func(ns [][]int64) (n int64) {
		for _, x := range ns {
			n += int64(len(x))
		}
		return n
	}
	// Completed: until the last accepted payload's run is recorded.
	if err := b.waitUntil(ref.FlowID, before+count(acked)); err != nil {
		return r, err
	}
	done := time.Since(began)
	r.completedPerSec = float64(accepted.Load()) / done.Seconds()
	if n := accepted.Load(); n > 0 {
		r.cpuPerExec = float64(cpuTime(b.cmd.Process.Pid)-cpuBefore) / float64(time.Microsecond) / float64(n)
	}
	if mixed {
		r.waiting = count(ackedWait)
		if err := b.waitUntil(wait.FlowID, waitBefore+r.waiting); err != nil {
			return r, err
		}
		r.waitingDone = time.Since(began) - posted
	}
	// Checked once every run is stored: reading them all takes a
	// processor from the waiting flow's last runs.
	if r.lost, r.doubled, err = b.check(ref, first, acked, uuid); err != nil {
		return r, err
	}
	if mixed {
		if r.waitingLost, r.waitingDoubled, err = b.check(wait, first, ackedWait, eventUUID); err != nil {
			return r, err
		}
	}
	if bu != nil {
		if r.burst, err = b.finishBurst(bu); err != nil {
			return r, err
		}
	}
	r.peakRSS = peakRSS(b.cmd.Process.Pid)
	// Per run of the reference flow, as it always was: the connector's run
	// of each payload (and the waiting flow's) count in the size.
	total, _ := b.st.CountExecutions(ctx, ref)
	if size, err := b.st.Size(ctx); err == nil && total > 0 {
		r.bytesPerExec = float64(size) / float64(total)
	}
	return r, nil
}

// pace hands out rate tokens a second until end, then closes; nil when
// rate is 0 (no limit).
func pace(rate int, end time.Time) chan struct{} {
	if rate <= 0 {
		return nil
	}
	tokens := make(chan struct{})
	go func() {
		defer close(tokens)
		every := time.Second / time.Duration(rate)
		next := time.Now()
		for next.Before(end) {
			if d := time.Until(next); d > 0 {
				time.Sleep(d)
			}
			select {
			case tokens <- struct{}{}:
			case <-time.After(time.Until(end)):
				return
			}
			next = next.Add(every)
		}
	}()
	return tokens
}

// runs counts a flow's executions. It counts by flow alone, which reads
// only the flow's index: each flow of the workloads runs on one trigger.
func (b *bench) runs(flowID int64) (int64, error) {
	return b.st.CountExecutions(context.Background(), store.ExecutionFilter{FlowID: flowID})
}

// waitUntil waits until a flow has want executions (at most 10 minutes).
// Counting takes a processor from the server, which shares the machine:
// it counts at most a fifth of the time (every 20 ms, or four times as
// long as a count took), so a run is seen a poll or two after it is
// stored.
func (b *bench) waitUntil(flowID, want int64) error {
	for deadline := time.Now().Add(10 * time.Minute); ; {
		began := time.Now()
		n, err := b.runs(flowID)
		if err != nil {
			return err
		}
		if n >= want || time.Now().After(deadline) {
			return nil
		}
		time.Sleep(max(20*time.Millisecond, 4*time.Since(began)))
	}
}

// eventUUID is the payload's uuid in a run of a workspace flow on the
// connector's event.
func eventUUID(e *flows.Execution) string {
	ev, _ := e.Input["event"].(map[string]any)
	s, _ := ev["uuid"].(string)
	return s
}

// bodyUUID is the payload's uuid in a run of the API Endpoint flow.
func bodyUUID(e *flows.Execution) string {
	s, _ := flows.Lookup(e.Input["body"], "data.events.0.uuid")
	t, _ := s.(string)
	return t
}

// check counts the acknowledged payloads (from first on) without a run of
// the flow a filter selects, and those with more than one; uuid finds a
// run's payload.
func (b *bench) check(f store.ExecutionFilter, first int64, acked [][]int64, uuid func(*flows.Execution) string) (lost, doubled int64, err error) {
	seen := map[int64]int{}
	err = b.st.EachExecution(context.Background(), f, func(e *flows.Execution) error {
		if n, err := strconv.ParseInt(uuid(e), 10, 64); err == nil && n >= first {
			seen[n]++
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	for _, ns := range acked {
		for _, n := range ns {
			if seen[n] == 0 {
				lost++
			}
		}
	}
	for _, c := range seen {
		if c > 1 {
			doubled++
		}
	}
	return lost, doubled, nil
}
