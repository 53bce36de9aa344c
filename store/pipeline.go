package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// pipeline is the one way deliveries and executions reach the database,
// and the one place that decides how payloads' runs are paced. The rest of
// the store hands it work and waits for the outcome; flows and cards know
// nothing of it.
//
// Accepting. A request accepted at an Event URL is stored with the River
// job that will run it before it is acknowledged. One goroutine, the
// writer (writeLoop), writes deliveries: it commits every request waiting
// at that moment in one transaction (group commit), so that a commit's cost
// is shared by all who wait for it. A delivery job that River has not
// fetched yet takes in the requests accepted meanwhile (openJob): River's
// costs are per job, and under load a job runs hundreds of requests.
//
// Running. A delivery job hands its deliveries to the runner (runLoop) in
// the order they were accepted, and waits until each has run and been
// stored. The runner runs them one at a time and, while requests are
// being accepted, steps aside for acknowledgements between two runs: it
// waits while the writer commits accepted requests, and yields its
// processor to those ready to be answered. Acknowledgements come first;
// runs catch up when payloads arrive more slowly, and a backlog with none
// arriving runs straight on. A run that waits — Wait For, a retry delay, a slow
// outside service, an OAuth token — holds nothing but its own goroutine:
// after runAlone the runner leaves it there and goes on, and from then on
// the runs of that flow start in goroutines of their own at once, for as
// long as its runs mostly wait.
// River's delivery queue has workers for many jobs whose runs wait. Jobs
// take turns to load their deliveries and hand them over through a short
// queue, so that at most one job's deliveries and that queue wait in
// memory to start.
//
// Recording. Finished runs — a payload's with its delivery, and every
// other execution — are gathered by the finisher (finishLoop) into pieces
// of up to maxPiece, encoded and packed together (documents of the same
// flows compress far better side by side) and written, while the next
// piece gathers. Storing paces the runs: when the next piece is full, they
// wait. On Postgres one transaction records a piece's executions and
// marks its deliveries done. On SQLite the execution history has a file
// and a writer of its own, the recorder (recordLoop), so that storing runs
// and their search index never holds up an acknowledgement; SQLite commits
// atomically within one file only, so a delivery finishes in two steps:
// the recorder writes its executions and its id in finished_deliveries if
// it is still queued and not there yet, then the writer marks it done.
// Should the server stop between the two, Open finishes the deliveries the
// history names (finishRecorded).
//
// Guarantees. An acknowledged request is stored with its job. A delivery's
// executions are recorded exactly once, together with marking it done. A
// delivery that does not finish — a transient failure with attempts left,
// a shutdown — records nothing and stays queued, and its job runs it
// again. One bad request fails only itself: a batch that fails is written
// again one request at a time. An execution recorded as running is
// replaced by its final record.
//
// Observing. The writer and the recorder tell the store's observer
// (Store.Observe) the size and commit time of each transaction, and the
// finisher each execution stored as ended: a few atomic adds, nothing per
// payload beyond them.
//
// Close refuses new work at once and drains what was handed over before.
type pipeline struct {
	s *Store

	// gate is held shared while work is handed over; Close takes it to
	// refuse more.
	gate    sync.RWMutex
	closed  bool
	closing atomic.Bool // set before the gate closes: the runner stops starting runs

	writes   chan *writeReq // for the writer
	records  chan *writeReq // for the recorder (SQLite)
	finished chan *finished // for the finisher
	starts   chan start     // for the runner

	admit  sync.Mutex    // one job at a time hands over its deliveries
	runner runner        // which runner has the queue (runLoop)
	paces  sync.Map      // subscription id → *pace: how long its runs take
	pieces chan struct{} // tokens of the writes of pieces going on (finishLoop)

	// provisional holds the executions recorded here as running: their
	// final record replaces them.
	provisional  sync.Map
	nProvisional atomic.Int64

	// lastAccepted is when the writer last committed accepted requests
	// (Unix nanoseconds).
	lastAccepted atomic.Int64
	// accepting is closed when the writer's transaction of accepted
	// requests in progress (if any) ends: the runner waits for it.
	accepting atomic.Pointer[chan struct{}]

	// The writer's own state (writeLoop).
	lite      *liteStmts
	open      openJob
	committed func(batch []*writeReq) // tests watch the writer's transactions

	loops sync.WaitGroup // the writer, the recorder
	ends  sync.WaitGroup // the runner, the finisher
}

// Sizes of the pipeline's pieces and queues.
const (
	// maxPiece bounds the finished runs packed and written together.
	maxPiece = 64
	// maxAcceptBatch bounds the accepted deliveries one transaction writes.
	maxAcceptBatch = 1024
	// startQueue is how many deliveries wait for the runner at most.
	startQueue = 256
)

// piecesWriting is how many writes of pieces go on at a time while
// requests are being accepted; twice as many when none are (finishLoop).
// On SQLite one: the one writer and the recorder write one after the
// other, and encoding the next piece while one is written only took
// processor time from acknowledgements (paired c = 64 runs of make bench:
// 9,406 accepted/s at p99 21.0 ms, against 11,220 at 19.1 ms one at a
// time, for as many runs stored). On Postgres, where a write is a round
// trip, several.
var piecesWriting = map[Dialect]int{SQLite: 1, Postgres: 4}

// acceptedWithin reports whether the writer has committed accepted
// requests within d.
func (p *pipeline) acceptedWithin(d time.Duration) bool {
	return time.Now().UnixNano()-p.lastAccepted.Load() < int64(d)
}

// errClosed is why work handed to a closed store is refused.
var errClosed = errors.New("store: closed")

func newPipeline(s *Store) *pipeline {
	return &pipeline{
		s:        s,
		writes:   make(chan *writeReq, 4096),
		records:  make(chan *writeReq, 1024),
		finished: make(chan *finished, maxGather*maxPiece),
		starts:   make(chan start, startQueue),
	}
}

// start runs the pipeline's goroutines, once the database is open.
func (p *pipeline) start() {
	p.pieces = make(chan struct{}, 2*piecesWriting[p.s.dialect])
	p.loops.Add(1)
	go func() { defer p.loops.Done(); p.writeLoop() }()
	if p.s.dialect == SQLite {
		p.loops.Add(1)
		go func() { defer p.loops.Done(); p.recordLoop() }()
	}
	p.runner.alone = time.AfterFunc(time.Hour, p.handOff)
	p.runner.alone.Stop()
	p.ends.Add(2)
	go p.runLoop(0)
	go func() { defer p.ends.Done(); p.finishLoop() }()
}

// close refuses new work, drains what was handed over (runs not yet
// started never start), and ends the pipeline's goroutines.
func (p *pipeline) close() {
	// The runner drops what waits to start, so that a job handing over
	// its deliveries under the gate lets go of it.
	p.closing.Store(true)
	p.gate.Lock()
	if p.closed {
		p.gate.Unlock()
		return
	}
	p.closed = true
	p.gate.Unlock()
	close(p.starts)
	close(p.finished)
	p.ends.Wait()
	close(p.records)
	close(p.writes)
	p.loops.Wait()
}

// handOver hands reqs to a queue of the pipeline and waits for their
// transactions: once queued, the batch decides, and its outcome is the
// answer. It returns the first error, else why some were not handed over.
func (p *pipeline) handOver(ctx context.Context, queue chan<- *writeReq, reqs ...*writeReq) error {
	sent, unsent := p.send(ctx, queue, reqs)
	var first error
	for _, req := range reqs[:sent] {
		<-req.done
		if req.err != nil && first == nil {
			first = req.err
		}
	}
	if first != nil {
		return first
	}
	return unsent
}

// send queues reqs unless the pipeline is closed; it returns how many it
// queued, and why not the rest.
func (p *pipeline) send(ctx context.Context, queue chan<- *writeReq, reqs []*writeReq) (int, error) {
	p.gate.RLock()
	defer p.gate.RUnlock()
	if p.closed {
		return 0, errClosed
	}
	for i, req := range reqs {
		req.done = make(chan struct{})
		select {
		case queue <- req:
		case <-ctx.Done():
			return i, ctx.Err()
		}
	}
	return len(reqs), nil
}

// pass hands reqs on from one of the pipeline's stages to the next, and
// waits for them: work handed over before Close still drains.
func pass(queue chan<- *writeReq, reqs ...*writeReq) error {
	for _, req := range reqs {
		req.done = make(chan struct{})
		queue <- req
	}
	var first error
	for _, req := range reqs {
		<-req.done
		if req.err != nil && first == nil {
			first = req.err
		}
	}
	return first
}

// finish hands finished runs to the finisher; f.done tells when they are
// stored, or why not.
func (p *pipeline) finish(f *finished) {
	p.gate.RLock()
	defer p.gate.RUnlock()
	if p.closed {
		f.done(errClosed)
		return
	}
	p.finished <- f
}

// rewrite records executions again in place of their earlier records,
// and waits for them.
func (p *pipeline) rewrite(es []*flows.Execution) error {
	done := make(chan error, 1)
	p.finish(&finished{runs: []flows.FinishedDelivery{{Executions: es}}, replace: true, again: true, done: func(err error) { done <- err }})
	return <-done
}

// markProvisional notes which executions are recorded as running, and
// reports for each whether it replaces one recorded as running before.
func (p *pipeline) markProvisional(e *flows.Execution) (replaces bool) {
	if e.Status == flows.StatusRunning {
		if _, had := p.provisional.LoadOrStore(e.ID, struct{}{}); !had {
			p.nProvisional.Add(1)
			return false
		}
		return true
	}
	if p.nProvisional.Load() == 0 {
		return false
	}
	if _, had := p.provisional.LoadAndDelete(e.ID); had {
		p.nProvisional.Add(-1)
		return true
	}
	return false
}

// forgetProvisional drops the running records of runs that will not be
// recorded (their delivery runs again), and reports which ids it dropped.
func (p *pipeline) forgetProvisional(es []*flows.Execution) []string {
	if p.nProvisional.Load() == 0 {
		return nil
	}
	var ids []string
	for _, e := range es {
		if _, had := p.provisional.LoadAndDelete(e.ID); had {
			p.nProvisional.Add(-1)
			ids = append(ids, e.ID)
		}
	}
	return ids
}
