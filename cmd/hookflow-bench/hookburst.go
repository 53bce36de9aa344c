package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
)

// The hookburst workloads run the reference workload and, beside it from
// its start, a burst of burstSize payloads over burstConc connections to
// a flow whose every run fails (Return Error), so that each raises an
// execution.failed event. In hookburst an event hook for execution.failed
// at a receiver in this process is sent them; hookburst-nohook has no hook,
// for comparison.
const (
	burstSize = 10000
	burstConc = 16
	// hookSettle is how long the bench waits after turning the hook on or
	// off: the server reads which events its hooks want every second.
	hookSettle = 2 * time.Second
)

// burstWorkload reports whether a workload is one of the hookburst ones.
func burstWorkload(w string) bool { return w == "hookburst" || w == "hookburst-nohook" }

// receiver is the event hook's endpoint: a real HTTP server on loopback
// that answers Okta's verification challenge and every POST with 200 at
// once, and counts the events of the current burst's failures.
type receiver struct {
	srv *http.Server
	url string

	mu sync.Mutex
	// The current burst: its failing flow, the range of its payloads'
	// numbers (which the Return Error card makes each run's error), how
	// many failures it waits for and when the burst began.
	flow        string
	first, last int64
	want        int
	began       time.Time
	seen        map[string]int // by event uuid: times received
	posts       int
	all         time.Duration // from began until all wanted were held
	held        chan struct{} // closed then
}

func startReceiver() (*receiver, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &receiver{url: "http://" + l.Addr().String() + "/events", seen: map[string]int{}, held: make(chan struct{})}
	rc.srv = &http.Server{Handler: http.HandlerFunc(rc.serve)}
	go rc.srv.Serve(l)
	return rc, nil
}

// envelope is the part of a delivery the receiver reads.
type envelope struct {
	Data struct {
		Events []struct {
			UUID      string `json:"uuid"`
			EventType string `json:"eventType"`
			Actor     struct {
				ID string `json:"id"`
			} `json:"actor"`
			Target []struct {
				DetailEntry struct {
					Error string `json:"error"`
				} `json:"detailEntry"`
			} `json:"target"`
		} `json:"events"`
	} `json:"data"`
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"verification": r.Header.Get(flows.HeaderVerification)})
		return
	}
	var env envelope
	raw, _ := io.ReadAll(r.Body)
	err := json.Unmarshal(raw, &env)
	w.WriteHeader(http.StatusOK) // at once, whatever it holds
	if err != nil {
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.posts++
	for _, ev := range env.Data.Events {
		if ev.EventType != string(flows.EventExecutionFailed) || ev.Actor.ID != rc.flow || len(ev.Target) == 0 {
			continue
		}
		n, err := strconv.ParseInt(ev.Target[0].DetailEntry.Error, 10, 64)
		if err != nil || n < rc.first || n > rc.last {
			continue
		}
		rc.seen[ev.UUID]++
		if len(rc.seen) == rc.want && rc.all == 0 {
			rc.all = time.Since(rc.began)
			close(rc.held)
		}
	}
}

// expect starts counting a burst of the flow's payloads numbered first to
// last that began at began.
func (rc *receiver) expect(flow int64, first, last int64, began time.Time) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.flow, rc.first, rc.last, rc.began = strconv.FormatInt(flow, 10), first, last, began
	rc.want, rc.seen, rc.posts, rc.all, rc.held = int(last-first+1), map[string]int{}, 0, 0, make(chan struct{})
}

// waitFor waits until the receiver holds want distinct events (at most
// 5 minutes) and reports how many it holds.
func (rc *receiver) waitFor(want int) int {
	rc.mu.Lock()
	rc.want = want
	if len(rc.seen) >= want && rc.all == 0 {
		rc.all = time.Since(rc.began)
		close(rc.held)
	}
	held := rc.held
	rc.mu.Unlock()
	select {
	case <-held:
	case <-time.After(5 * time.Minute):
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.seen)
}

// counts are the receiver's figures of the burst: when it held them all,
// the POSTs, the events received more than once and the copies received.
func (rc *receiver) counts() (all time.Duration, posts, duplicates, received int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, n := range rc.seen {
		received += n
		if n > 1 {
			duplicates++
		}
	}
	return rc.all, rc.posts, duplicates, received
}

// beginBurstWorkload turns the hook on (hookburst) or off
// (hookburst-nohook) and says what the workload does.
func (b *bench) beginBurstWorkload(w string) error {
	if err := b.useHook(w == "hookburst"); err != nil {
		return err
	}
	fmt.Printf("the reference workload beside, from its start, a burst of %d payloads over %d connections to a flow that fails every run;\n", burstSize, burstConc)
	if w == "hookburst" {
		fmt.Println("an event hook for execution.failed sends their events to a receiver in this process that answers 200 at once;")
	} else {
		fmt.Println("no event hook;")
	}
	fmt.Println("the burst is not counted in the reference figures (the server's CPU time per payload includes its work)")
	return nil
}

// useHook turns the bench's event hook on (creating, verifying and
// activating it through the API the first time) or off.
func (b *bench) useHook(on bool) error {
	if !on && b.eventHook == 0 {
		return nil
	}
	var h struct {
		ID       int64
		Active   bool
		Verified bool
	}
	if on && b.eventHook == 0 {
		rc, err := startReceiver()
		if err != nil {
			return err
		}
		b.receiver = rc
		body, _ := json.Marshal(map[string]any{"name": "Bench receiver", "url": rc.url, "events": []string{string(flows.EventExecutionFailed)}})
		if err := b.api("POST", "/api/v1/event-hooks", body, &h); err != nil {
			return err
		}
		b.eventHook = h.ID
		if err := b.api("POST", fmt.Sprintf("/api/v1/event-hooks/%d/verify", h.ID), nil, &h); err != nil {
			return err
		}
	}
	change := "deactivate"
	if on {
		change = "activate"
	}
	if err := b.api("POST", fmt.Sprintf("/api/v1/event-hooks/%d/%s", b.eventHook, change), nil, &h); err != nil {
		return err
	}
	if h.Active != on || (on && !h.Verified) {
		return fmt.Errorf("the event hook is active %v and verified %v, want active %v", h.Active, h.Verified, on)
	}
	b.hookOn = on
	time.Sleep(hookSettle)
	return nil
}

// burst is a burst of payloads to the failing flow on its way.
type burst struct {
	began            time.Time
	first, last      int64 // the payloads' numbers
	before           int64 // the failing flow's runs before it
	accepted, errors atomic.Int64
	posted           time.Duration // how long posting took
	stored           time.Duration // how long until its runs were stored
	err              error         // why they could not be counted
	done             chan struct{} // closed once they are stored
	filter           store.ExecutionFilter
}

// startBurst posts burstSize payloads to the failing flow over burstConc
// connections of its own, counted apart from the reference workload's.
func (b *bench) startBurst() (*burst, error) {
	bu := &burst{done: make(chan struct{}), filter: store.ExecutionFilter{FlowID: b.failID, Trigger: flows.TriggerPayload}}
	var err error
	if bu.before, err = b.runs(bu.filter.FlowID); err != nil {
		return nil, err
	}
	bu.last = b.sequence.Add(burstSize)
	bu.first = bu.last - burstSize + 1
	bu.began = time.Now()
	if b.hookOn {
		b.receiver.expect(b.failID, bu.first, bu.last, bu.began)
	}
	next := atomic.Int64{}
	next.Store(bu.first - 1)
	var wg sync.WaitGroup
	for range burstConc {
		p, err := newPoster(b.failHook)
		if err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer p.close()
			for n := next.Add(1); n <= bu.last; n = next.Add(1) {
				status, err := p.post(payload(n))
				if err == nil && status/100 == 2 {
					bu.accepted.Add(1)
				} else {
					bu.errors.Add(1)
				}
			}
		}()
	}
	go func() {
		defer close(bu.done)
		wg.Wait()
		bu.posted = time.Since(bu.began)
		bu.err = b.waitUntil(bu.filter.FlowID, bu.before+bu.accepted.Load())
		bu.stored = time.Since(bu.began)
	}()
	return bu, nil
}

// burstResult is what the hookburst workloads add to a level's figures.
type burstResult struct {
	accepted, errors int64
	posted, stored   time.Duration // from the burst's start until posted, until its runs were stored
	// With the hook: from the burst's start until the receiver held every
	// failure's event (0 if it never did), the events it holds, the POSTs
	// it got, the events it got more than once and the copies it got.
	delivered                 time.Duration
	held, posts, dups, copies int
}

// finish waits for the burst: its posting, its runs stored, and, with the
// hook, every failure's event at the receiver; then a little longer for
// any event sent again.
func (b *bench) finishBurst(bu *burst) (burstResult, error) {
	<-bu.done
	r := burstResult{accepted: bu.accepted.Load(), errors: bu.errors.Load(), posted: bu.posted, stored: bu.stored}
	if bu.err != nil {
		return r, bu.err
	}
	if !b.hookOn {
		return r, nil
	}
	r.held = b.receiver.waitFor(int(r.accepted))
	time.Sleep(hookSettle)
	r.delivered, r.posts, r.dups, r.copies = b.receiver.counts()
	return r, nil
}

// print prints a burst's figures under its level's row.
func (r burstResult) print(hook bool) {
	fmt.Printf("      burst: %d payloads accepted (%d errors), posted in %.1f s, all runs stored %.1f s after it began\n",
		r.accepted, r.errors, r.posted.Seconds(), r.stored.Seconds())
	if !hook {
		return
	}
	if r.delivered == 0 {
		fmt.Printf("      hook: only %d of %d events received after 5 minutes, in %d POSTs, %d received more than once, %d received in all\n",
			r.held, r.accepted, r.posts, r.dups, r.copies)
		return
	}
	fmt.Printf("      hook: all %d events received %.1f s after the burst began, in %d POSTs, %d received more than once, %d received in all\n",
		r.held, r.delivered.Seconds(), r.posts, r.dups, r.copies)
}
