// Command hookflow-bench runs Hookflow's reference workload: it starts a
// hookflow server on loopback on a fresh database, imports the reference
// connector and flow from testdata/, turns the flow ON, posts Okta user
// events to its Event URL at each concurrency, and prints one table.
//
//	make bench              # SQLite
//	make bench DB=postgres  # a Postgres server it starts itself
package main

import (
	"bytes"
	"context"
	"database/sql"
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

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"

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
	keep                 bool
}

func run() error {
	var o options
	var levels string
	flag.StringVar(&o.binary, "hookflow", "bin/hookflow", "the hookflow binary to run")
	flag.StringVar(&o.db, "db", "sqlite", "sqlite or postgres")
	flag.StringVar(&o.testdata, "testdata", "cmd/hookflow-bench/testdata", "the reference connector.json and flow.json")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "how long each concurrency posts")
	flag.StringVar(&levels, "concurrency", "1,16,64", "the concurrencies to run, in order")
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
	fmt.Printf("Hookflow reference workload on %s, %s per concurrency (%s)\n\n", o.db, o.duration, time.Now().Format(time.RFC3339))
	fmt.Printf("%-5s %10s %8s %8s %8s %8s %12s %7s %5s %7s %9s %10s %11s\n",
		"conc", "accepted/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "completed/s", "errors", "lost", "doubled", "peak RSS", "DB B/exec", "CPU µs/exec")
	for _, c := range o.levels {
		r, err := b.level(c, o.duration)
		if err != nil {
			return err
		}
		fmt.Printf("%-5d %10.0f %8.2f %8.2f %8.2f %8.2f %12.0f %7d %5d %7d %6.0f MiB %10.0f %11.0f\n",
			c, r.acceptedPerSec, ms(r.p50), ms(r.p95), ms(r.p99), ms(r.max), r.completedPerSec, r.errors, r.lost, r.doubled, float64(r.peakRSS)/(1<<20), r.bytesPerExec, r.cpuPerExec)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// bench is a running server with the reference flow ON.
type bench struct {
	cmd      *exec.Cmd
	dir      string
	db       *sql.DB
	dialect  string
	flowID   int64
	hook     string
	sequence atomic.Int64
	body     []byte
}

func start(o options, dir, dbURL string) (*bench, error) {
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
	b.cmd.Env = append(os.Environ(), "HOOKFLOW_ADDR="+addr, "HOOKFLOW_DATA_DIR="+data, "HOOKFLOW_DATABASE_URL="+dbURL, "HOOKFLOW_LOG_LEVEL=warn")
	b.cmd.Stderr = os.Stderr
	if err := b.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", o.binary, err)
	}
	base := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(base + "/readyz"); err == nil && res.StatusCode == 200 {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			b.stop()
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
	raw, err := os.ReadFile(filepath.Join(o.testdata, "flow.json"))
	if err != nil {
		return nil, err
	}
	def, err := flows.ParseDefinition(raw)
	if err != nil {
		return nil, fmt.Errorf("flow.json: %w", err)
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
	def.Source = &flows.EventSource{Connector: con.ID, Version: ver.Version, Flow: key}
	doc, _ := flows.MarshalDefinition(def)
	var f struct{ ID int64 }
	if err := api("POST", "/api/v1/flows", doc, &f); err != nil {
		return nil, err
	}
	var on struct {
		State struct{ EventURL string }
	}
	if err := api("POST", fmt.Sprintf("/api/v1/flows/%d/on", f.ID), nil, &on); err != nil {
		return nil, err
	}
	b.flowID, b.hook = f.ID, on.State.EventURL
	if dbURL == "" {
		b.dialect = "sqlite3"
		// The executions are in the history's file.
		b.db, err = sql.Open("sqlite3", "file:"+filepath.Join(data, "history.db")+"?mode=ro&_busy_timeout=10000")
	} else {
		b.dialect = "pgx"
		b.db, err = sql.Open("pgx", dbURL)
	}
	return b, err
}

func (b *bench) stop() {
	if b.db != nil {
		b.db.Close()
	}
	b.cmd.Process.Signal(syscall.SIGTERM)
	b.cmd.Wait()
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
}

func (b *bench) level(conc int, d time.Duration) (result, error) {
	var r result
	before, err := b.executions()
	if err != nil {
		return r, err
	}
	first := b.sequence.Load() + 1
	cpuBefore := cpuTime(b.cmd.Process.Pid)
	lat := make([][]time.Duration, conc)
	var accepted, errs atomic.Int64
	acked := make([][]int64, conc) // by worker: the payloads acknowledged (no pointers for the GC to scan)
	began := time.Now()
	end := began.Add(d)
	var wg sync.WaitGroup
	for w := range conc {
		p, err := newPoster(b.hook)
		if err != nil {
			return r, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer p.close()
			for time.Now().Before(end) {
				n := b.sequence.Add(1)
				t0 := time.Now()
				status, err := p.post(payload(n))
				if err != nil {
					errs.Add(1)
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
				if status/100 == 2 {
					accepted.Add(1)
					acked[w] = append(acked[w], n)
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
	// Completed: until the last accepted payload's execution is recorded.
	want := before + accepted.Load()
	deadline := time.Now().Add(10 * time.Minute)
	for {
		n, err := b.executions()
		if err != nil {
			return r, err
		}
		if n >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	done := time.Since(began)
	r.completedPerSec = float64(accepted.Load()) / done.Seconds()
	if n := accepted.Load(); n > 0 {
		r.cpuPerExec = float64(cpuTime(b.cmd.Process.Pid)-cpuBefore) / float64(time.Microsecond) / float64(n)
	}
	seen, err := b.uuidCounts(first)
	if err != nil {
		return r, err
	}
	for _, ns := range acked {
		for _, n := range ns {
			if seen[n] == 0 {
				r.lost++
			}
		}
	}
	for _, c := range seen {
		if c > 1 {
			r.doubled++
		}
	}
	r.peakRSS = peakRSS(b.cmd.Process.Pid)
	total, _ := b.executions()
	if size := b.dbBytes(); total > 0 {
		r.bytesPerExec = float64(size) / float64(total)
	}
	return r, nil
}

// executions counts the reference flow's payload executions.
func (b *bench) executions() (int64, error) {
	var n int64
	err := b.db.QueryRow(`SELECT COUNT(*) FROM executions WHERE flow_id = ` + strconv.FormatInt(b.flowID, 10) + ` AND "trigger" = 'payload'`).Scan(&n)
	return n, err
}

// uuidCounts counts the executions of each payload number from first on.
// A document is in its execution's row, or in a pack shared with others.
func (b *bench) uuidCounts(first int64) (map[int64]int, error) {
	rows, err := b.db.Query(`SELECT e.data, e.packed, e.pack_id, e.pack_index, p.packed FROM executions e
		LEFT JOIN execution_packs p ON p.id = e.pack_id WHERE e.flow_id = ` + strconv.FormatInt(b.flowID, 10) + ` ORDER BY e.pack_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int{}
	var packID sql.NullInt64
	var pack [][]byte // the documents of pack packID
	for rows.Next() {
		var data string
		var packed, packedPack []byte
		var id sql.NullInt64
		var index int
		if err := rows.Scan(&data, &packed, &id, &index, &packedPack); err != nil {
			return nil, err
		}
		doc := []byte(data)
		switch {
		case id.Valid:
			if id != packID {
				if pack, err = store.UnpackAll(packedPack); err != nil {
					return nil, err
				}
				packID = id
			}
			if index >= len(pack) {
				return nil, fmt.Errorf("pack %d has no document %d", id.Int64, index)
			}
			doc = pack[index]
		case len(packed) > 0:
			if doc, err = store.Unpack(packed); err != nil {
				return nil, err
			}
		}
		var e struct {
			Input struct {
				Event struct {
					UUID string `json:"uuid"`
				} `json:"event"`
			} `json:"input"`
		}
		if err := json.Unmarshal(doc, &e); err != nil {
			return nil, err
		}
		if n, err := strconv.ParseInt(e.Input.Event.UUID, 10, 64); err == nil && n >= first {
			out[n]++
		}
	}
	return out, rows.Err()
}

func (b *bench) dbBytes() int64 {
	if b.dialect == "pgx" {
		var n int64
		b.db.QueryRow("SELECT pg_database_size(current_database())").Scan(&n)
		return n
	}
	var total int64
	for _, f := range []string{"hookflow.db", "hookflow.db-wal", "history.db", "history.db-wal"} {
		if fi, err := os.Stat(filepath.Join(b.dir, "data", f)); err == nil {
			total += fi.Size()
		}
	}
	return total
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime(pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command's name (which may hold spaces), from
	// the third on; utime and stime are the 14th and 15th, in ticks of
	// 1/100 s (USER_HZ on Linux).
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// peakRSS is the process's peak resident set (VmHWM), in bytes.
func peakRSS(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
