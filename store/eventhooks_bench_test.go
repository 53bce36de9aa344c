package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// burstHook opens a store on SQLite with a verified, active hook for
// execution.failed at a local receiver, its queue started; received
// counts the events of recordFailed's runs the receiver got.
func burstHook(b *testing.B, hook bool) (s *Store, received *atomic.Int64) {
	ctx := context.Background()
	s, err := Open(ctx, Config{DataDir: b.TempDir(), EncryptionKey: []byte("hookflow-test-key-32-bytes-long!")})
	if err != nil {
		b.Fatal(err)
	}
	received = &atomic.Int64{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "GET" {
			json.NewEncoder(w).Encode(map[string]string{"verification": r.Header.Get(flows.HeaderVerification)})
			return
		}
		// Counted, not parsed: the receiver stands for another system,
		// whose work is not Hookflow's. Only the burst's events count:
		// deliveryWrites's runs fail too (every 25th, referenceExecution).
		body, _ := io.ReadAll(r.Body)
		received.Add(int64(bytes.Count(body, burstError)))
	}))
	b.Cleanup(recv.Close)
	svc := &flows.EventHooks{Store: s, Client: &http.Client{}, PlainHTTP: func(string) bool { return true }}
	s.HandleEventHooks(svc)
	if err := s.Queue().Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stop, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		s.Queue().StopAndCancel(stop)
		s.Close()
	})
	if !hook {
		return s, received
	}
	h, _, err := svc.Create(ctx, flows.HookInput{Name: "burst", URL: recv.URL, Events: []flows.HookEventType{flows.EventExecutionFailed}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.Verify(ctx, h.ID); err != nil {
		b.Fatal(err)
	}
	return s, received
}

// burstError begins the error of recordFailed's runs in their events.
var burstError = []byte(`"error":"card http: HTTP 503 (`)

// recordFailed records n failed runs on their own, 64 at a time.
func recordFailed(b *testing.B, s *Store, n int) {
	at := time.Now()
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 64 {
		wg.Go(func() {
			for i := int(next.Add(1)); i <= n; i = int(next.Add(1)) {
				e := referenceExecution(i, at)
				e.Status, e.Error = flows.StatusFailed, fmt.Sprintf("card http: HTTP 503 (%d)", i)
				if err := s.RecordExecution(context.Background(), e); err != nil {
					b.Error(err)
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkHookBurst measures how long a burst of 10,000 execution.failed
// events takes from the first being recorded to the last being received
// by a local receiver, on SQLite:
// go test -tags sqlite_fts5 -run '^$' -bench HookBurst -benchtime 1x ./store/
func BenchmarkHookBurst(b *testing.B) {
	const burst = 10000
	for range b.N {
		b.StopTimer()
		s, received := burstHook(b, true)
		b.StartTimer()
		began := time.Now()
		recordFailed(b, s, burst)
		recorded := time.Since(began)
		for received.Load() < burst {
			if time.Since(began) > 5*time.Minute {
				b.Fatalf("%d of %d events received after 5 minutes", received.Load(), burst)
			}
			time.Sleep(10 * time.Millisecond)
		}
		b.ReportMetric(recorded.Seconds(), "s-recorded")
		b.ReportMetric(time.Since(began).Seconds(), "s-delivered")
	}
}

// BenchmarkDeliveryWritesDuringBurst is BenchmarkDeliveryWrites while a
// burst of 10,000 failed runs is recorded, without a hook and with one
// for execution.failed that is sent them all meanwhile: what the hook
// costs the reference workload is the difference.
// go test -tags sqlite_fts5 -run '^$' -bench 'DeliveryWritesDuringBurst' -benchtime 3s -count 3 ./store/
func BenchmarkDeliveryWritesDuringBurst(b *testing.B) {
	for _, hook := range []bool{false, true} {
		b.Run(map[bool]string{false: "no hook", true: "hook"}[hook], func(b *testing.B) {
			s, received := burstHook(b, hook)
			burst := make(chan struct{})
			go func() { defer close(burst); recordFailed(b, s, 10000) }()
			deliveryWrites(b, s)
			b.StopTimer()
			b.ReportMetric(float64(received.Load()), "burst-events-received")
			<-burst
		})
	}
}
