package store

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// start is a delivery waiting for the runner, and the job it belongs to.
type start struct {
	d   flows.Delivery
	job *jobRun
}

// jobRun is a delivery job's deliveries on their way through the
// pipeline: the job waits until each has run and been stored, or failed.
type jobRun struct {
	ctx   context.Context
	jobs  Jobs
	final bool

	mu      sync.Mutex
	pending int
	err     error
	done    chan struct{}
}

// settle notes that one of the job's deliveries is stored (err nil) or
// not, and why.
func (j *jobRun) settle(err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err != nil && j.err == nil {
		j.err = err
	}
	if j.pending--; j.pending == 0 {
		close(j.done)
	}
}

// runJob runs a delivery job's deliveries (see pipeline) and waits until
// each is stored; it returns the first failure, after which the job is
// retried and runs those still queued. Jobs take turns to load their
// deliveries (load: those still queued; none left is done) and hand them
// to the runner. final is true on the job's last attempt.
func (p *pipeline) runJob(ctx context.Context, jobs Jobs, load func(context.Context) ([]flows.Delivery, error), final bool) error {
	p.admit.Lock()
	ds, err := load(ctx)
	if err != nil || len(ds) == 0 {
		p.admit.Unlock()
		return err // none left: they ran before a crash, or were pruned
	}
	j := &jobRun{ctx: ctx, jobs: jobs, final: final, pending: len(ds), done: make(chan struct{})}
	sent, err := p.handOverStarts(ctx, j, ds)
	p.admit.Unlock()
	for range len(ds) - sent {
		j.settle(err) // not handed over: it runs on the job's next attempt
	}
	<-j.done
	return j.err
}

// handOverStarts queues a job's deliveries for the runner, unless the
// pipeline is closed; it returns how many it queued, and why not the rest.
func (p *pipeline) handOverStarts(ctx context.Context, j *jobRun, ds []flows.Delivery) (int, error) {
	p.gate.RLock()
	defer p.gate.RUnlock()
	if p.closed {
		return 0, errClosed
	}
	for i, d := range ds {
		select {
		case p.starts <- start{d: d, job: j}:
		case <-ctx.Done():
			return i, ctx.Err()
		}
	}
	return len(ds), nil
}

// runLoop is the runner. It runs the deliveries one at a time, in order,
// and while requests are being accepted steps aside for acknowledgements
// after each: while the writer commits accepted requests, and for the
// requests ready to be answered.
// A run that waits on the outside world (Wait For, a retry delay, a slow
// service) must not hold the others up: when a run has gone on for
// runAlone, the runner leaves it to its goroutine and another runner
// takes over the queue (handOff), and the runs of a subscription whose
// runs mostly take longer than that (pace) start in goroutines of their
// own at once. A runner waiting for the finisher (its next piece is full)
// is not timed: storing paces the runs. Deliveries still queued when the
// pipeline closes do not run. id is the runner's turn: a runner whose
// turn has passed ends after its run.
func (p *pipeline) runLoop(id uint64) {
	defer p.ends.Done()
	gap := time.NewTimer(time.Hour)
	gap.Stop()
	for st := range p.starts {
		if p.closing.Load() {
			st.job.settle(errClosed)
			continue
		}
		pc := p.paceOf(st.d.SubscriptionID)
		if pc.waits() {
			go func() { p.finishRun(st, p.run(st, pc)) }()
		} else {
			p.arm(pc)
			r := p.run(st, pc)
			if !p.disarm(id) {
				p.finishRun(st, r)
				return // another runner has the queue
			}
			p.finishRun(st, r)
		}
		// Requests waiting to be acknowledged come before the next run:
		// it waits while the writer commits accepted ones (at most a
		// millisecond), and lets those ready to answer run first. With
		// none arriving (a backlog drains) it goes straight on: a yield
		// would put it behind every goroutine that is ready, the waiting
		// runs' too.
		if ch := p.accepting.Load(); ch != nil {
			gap.Reset(time.Millisecond)
			select {
			case <-*ch:
				gap.Stop()
			case <-gap.C:
			}
		}
		if p.acceptedWithin(busyWindow) {
			runtime.Gosched()
		}
	}
}

// runner is which runner has the queue, and whether its run is timed.
type runner struct {
	mu    sync.Mutex
	turn  uint64
	armed *pace       // the pace of the timed run's subscription; nil when none is timed
	alone *time.Timer // fires handOff runAlone after arm
}

// arm starts timing the runner's run, of a subscription whose pace is pc.
func (p *pipeline) arm(pc *pace) {
	p.runner.mu.Lock()
	p.runner.armed = pc
	p.runner.mu.Unlock()
	p.runner.alone.Reset(runAlone)
}

// disarm stops timing the run of the runner of turn id, and reports
// whether that runner still has the queue.
func (p *pipeline) disarm(id uint64) bool {
	p.runner.alone.Stop()
	p.runner.mu.Lock()
	defer p.runner.mu.Unlock()
	p.runner.armed = nil
	return p.runner.turn == id
}

// handOff gives the queue to a new runner while the current one's run
// waits, and leaves that run to end in its goroutine. The run's
// subscription counts as one whose runs wait from now on (pace.slow):
// the first payloads of a flow that waits hold the runner only once, not
// each until one of them has ended.
func (p *pipeline) handOff() {
	p.runner.mu.Lock()
	defer p.runner.mu.Unlock()
	if p.runner.armed == nil {
		return
	}
	p.runner.armed.slow()
	p.runner.armed = nil
	p.runner.turn++
	p.ends.Add(1)
	go p.runLoop(p.runner.turn)
}

// runAlone is how long a run may hold the runner before the next starts
// beside it: many times what a run that only computes takes.
const runAlone = 2 * time.Millisecond

// pace is how long the runs of a subscription's deliveries take: a moving
// average of their wall time, in nanoseconds.
type pace struct{ avg atomic.Int64 }

// waits reports whether the runs mostly take longer than runAlone.
func (pc *pace) waits() bool { return time.Duration(pc.avg.Load()) > runAlone }

// slow notes a run that has gone on for runAlone and has not ended: the
// runs count as waiting, just, until one that ends sooner brings the
// average below runAlone again. A flow that waits stays so (its runs go
// on); one whose run was only held up a while is back on the runner after
// its next run.
func (pc *pace) slow() {
	for {
		old := pc.avg.Load()
		if old > int64(runAlone) || pc.avg.CompareAndSwap(old, int64(runAlone)+1) {
			return
		}
	}
}

// add counts a run that took d.
func (pc *pace) add(d time.Duration) {
	for {
		old := pc.avg.Load()
		if pc.avg.CompareAndSwap(old, old-old/8+int64(d)/8) {
			return
		}
	}
}

// paceOf is a subscription's pace.
func (p *pipeline) paceOf(sub int64) *pace {
	if pc, ok := p.paces.Load(sub); ok {
		return pc.(*pace)
	}
	pc, _ := p.paces.LoadOrStore(sub, &pace{})
	return pc.(*pace)
}

// ran is what running a delivery made: its executions, or why it did
// not finish.
type ran struct {
	execs []*flows.Execution
	err   error
}

// run runs one delivery.
func (p *pipeline) run(st start, pc *pace) ran {
	began := time.Now()
	execs, err := st.job.jobs.Deliver(st.job.ctx, st.d, st.job.final)
	pc.add(time.Since(began))
	return ran{execs, err}
}

// finishRun hands what a delivery's run made to the finisher; a delivery
// that did not finish records nothing and stays queued.
func (p *pipeline) finishRun(st start, r ran) {
	if r.err != nil {
		if ids := p.forgetProvisional(r.execs); len(ids) > 0 {
			if ferr := p.s.forgetRunning(context.WithoutCancel(st.job.ctx), ids); ferr != nil {
				p.s.log.Warn("store: forget running executions of a delivery that runs again", "err", ferr)
			}
		}
		st.job.settle(r.err)
		return
	}
	f := &finished{runs: []flows.FinishedDelivery{{ID: st.d.ID, Executions: r.execs}}, done: st.job.settle}
	if p.s.hooks.want(flows.EventDeliveryDead) {
		f.dead = deadEvent(st.d, r.execs)
	}
	p.finish(f)
}

// finished is runs on their way to the database: deliveries' (ID set), or
// executions recorded on their own (ID 0). done is told once, when they
// are stored or have failed.
type finished struct {
	runs    []flows.FinishedDelivery
	replace bool // the executions replace their earlier records
	// again: the executions ended before and are written again (retention
	// rewrites them), not counted as ending now.
	again bool
	done  func(error)
	// dead is the delivery.dead event of a delivery whose run failed for
	// good, written with its executions (eventhooks_relay.go).
	dead *hookOutboxRecord
}

// stored tells the finished runs that they are stored, or why not, and
// the store's observer of each execution stored as ended.
func (f *finished) stored(o flows.Observer, err error) {
	if err == nil && !f.again {
		for _, run := range f.runs {
			for _, e := range run.Executions {
				if e.Status.IsFinal() {
					o.ExecutionFinished(e.FlowKind(), e.Trigger, e.Status, e.Duration())
				}
			}
		}
	}
	f.done(err)
}

// finishLoop is the finisher: it gathers what waits to be stored into
// pieces of up to maxPiece runs, and encodes, packs and writes them while
// the next gather. While requests are being accepted, one write goes on at
// a time on SQLite: the runs wait when the queue is full, so storing paces
// them, and the processor time left goes to acknowledgements. When none
// are (a backlog drains), it takes up to maxGather pieces at once, which
// the recorder writes in one transaction, and encodes the next meanwhile.
func (p *pipeline) finishLoop() {
	var writing sync.WaitGroup
	defer writing.Wait()
	more := time.NewTimer(fillWait)
	more.Stop()
	for f := range p.finished {
		busy := p.acceptedWithin(busyWindow)
		pieces := p.gather(f, more, busy)
		tokens := 1
		if busy {
			tokens = cap(p.pieces) // alone (SQLite), or its share (Postgres)
			tokens = max(1, tokens/piecesWriting[p.s.dialect])
		}
		for range tokens {
			p.pieces <- struct{}{}
		}
		writing.Add(1)
		go func() {
			defer func() {
				for range tokens {
					<-p.pieces
				}
				writing.Done()
			}()
			p.writePieces(pieces)
		}()
	}
}

// busyWindow is how recently a request must have been accepted for the
// finisher to store as while requests arrive.
const busyWindow = 50 * time.Millisecond

// maxGather bounds the pieces the finisher takes at once.
const maxGather = 4

// writePieces encodes and writes pieces and tells each of their finished
// runs how it went; should the write fail, each is written alone, so that
// one bad run fails only its own delivery.
func (p *pipeline) writePieces(pieces [][]*finished) {
	reqs, err := p.encodePieces(pieces)
	events := hasEvents(reqs) // before write, which may drop some of reqs
	if err == nil {
		err = p.write(reqs)
	}
	if err == nil && events {
		p.s.hooks.poke()
	}
	var all []*finished
	for _, piece := range pieces {
		all = append(all, piece...)
	}
	o := p.s.observer.Get()
	if err == nil || len(all) == 1 {
		for _, f := range all {
			f.stored(o, err)
		}
		return
	}
	for _, f := range all {
		reqs, err := p.encodePieces([][]*finished{{f}})
		if err == nil {
			err = p.write(reqs)
		}
		f.stored(o, err)
	}
}

// gather takes from the finisher's queue, after f, a piece of up to
// maxPiece runs, waiting a little for more while runs wait to start (a
// fuller piece costs the writers less); unless busy, then as long as more
// waits, further pieces, up to maxGather.
func (p *pipeline) gather(f *finished, more *time.Timer, busy bool) [][]*finished {
	piece, n := []*finished{f}, len(f.runs)
	for n < maxPiece {
		g, ok := p.next(more, len(p.starts) > 0)
		if !ok {
			return [][]*finished{piece}
		}
		piece, n = append(piece, g), n+len(g.runs)
	}
	pieces := [][]*finished{piece}
	for piece, n = nil, 0; !busy && len(pieces) < maxGather; {
		g, ok := p.next(more, false)
		if !ok {
			break
		}
		if piece, n = append(piece, g), n+len(g.runs); n >= maxPiece {
			pieces, piece, n = append(pieces, piece), nil, 0
		}
	}
	if len(piece) > 0 {
		pieces = append(pieces, piece)
	}
	return pieces
}

// next takes the next finished runs from the queue: at once, or, if wait,
// within fillWait; false when there are none (or the queue has closed).
func (p *pipeline) next(more *time.Timer, wait bool) (*finished, bool) {
	select {
	case g, ok := <-p.finished:
		return g, ok
	default:
	}
	if !wait {
		return nil, false
	}
	more.Reset(fillWait)
	select {
	case g, ok := <-p.finished:
		more.Stop()
		return g, ok
	case <-more.C:
		return nil, false
	}
}

// encodePieces encodes pieces of finished runs, each into a request of
// the writers of its own, with its documents in one pack.
func (p *pipeline) encodePieces(pieces [][]*finished) ([]*writeReq, error) {
	reqs := make([]*writeReq, len(pieces))
	for i, piece := range pieces {
		var err error
		if reqs[i], err = p.encodePiece(piece); err != nil {
			return nil, err
		}
	}
	return reqs, nil
}

// encodePiece encodes finished runs into one request of the writers, their
// documents in one pack.
func (p *pipeline) encodePiece(piece []*finished) (*writeReq, error) {
	req := &writeReq{}
	pack := &executionPack{}
	buf := contentBuffers.Get().(*[]byte)
	defer contentBuffers.Put(buf)
	content, doc := (*buf)[:0], []byte(nil) // the pack's content; a document
	var search searchIndexer
	n := 0
	busy := p.acceptedWithin(busyWindow)
	for _, f := range piece {
		for _, run := range f.runs {
			fin := finishing{id: run.ID, rows: make([]executionRow, len(run.Executions)), pack: pack}
			for j, e := range run.Executions {
				var r executionRecord
				var err error
				if r, doc, err = encodeExecution(doc[:0], e); err != nil {
					*buf = content[:0]
					return nil, err
				}
				r.PackIndex, n = n, n+1
				if e.Status == flows.StatusRunning {
					r.RunningOn = &p.s.instance
				}
				content = appendToPack(content, doc)
				fin.rows[j] = executionRow{r: r, replaces: p.markProvisional(e) || f.replace}
				// A run recorded again (its data cleared) raised its
				// event when it ended.
				if p.s.hooks.any() && !f.again {
					if fin.events, err = p.s.hooks.executionEvent(fin.events, e); err != nil {
						*buf = content[:0]
						return nil, err
					}
				}
				if e.Status != flows.StatusRunning {
					// A run is found by search once it has ended: its
					// record as running is replaced soon.
					fin.rows[j].text = search.text(e)
				}
			}
			if f.dead != nil && run.ID != 0 {
				fin.events = append(fin.events, *f.dead)
			}
			req.finish = append(req.finish, fin)
			// Encoding a piece is CPU work from end to end: requests being
			// acknowledged meanwhile have the processor between two runs.
			if busy {
				runtime.Gosched()
			}
		}
	}
	pack.packed = thePacker.pack(content)
	*buf = content[:0]
	return req, nil
}

// fillWait is how long the finisher waits for the next finished run to
// fill a piece while runs wait to start.
const fillWait = 5 * time.Millisecond

// contentBuffers hold packs' contents while they are packed: a piece of
// deliveries makes a few hundred kilobytes, packed to a tenth.
var contentBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 256<<10); return &b }}

// write writes encoded pieces: on SQLite the recorder records their
// executions in one transaction, then the writer marks their deliveries
// done, a piece at a time; on Postgres the writer does both, a piece in a
// transaction.
func (p *pipeline) write(reqs []*writeReq) error {
	if p.s.dialect == SQLite {
		all := &writeReq{}
		for _, r := range reqs {
			all.finish = append(all.finish, r.finish...)
		}
		if err := pass(p.records, all); err != nil {
			return err
		}
		reqs = slices.DeleteFunc(reqs, func(r *writeReq) bool {
			return !slices.ContainsFunc(r.finish, func(f finishing) bool { return f.id != 0 })
		})
		if len(reqs) == 0 {
			return nil
		}
	}
	return pass(p.writes, reqs...)
}

// FinishDeliveries records deliveries' executions and marks them done,
// as a delivery job's runs are: each delivery exactly once, one that is
// done already is skipped with its executions (see pipeline).
func (s *Store) FinishDeliveries(ctx context.Context, ds []flows.FinishedDelivery) error {
	errs := make(chan error, len(ds)/maxPiece+1)
	n := 0
	for piece := range slices.Chunk(ds, maxPiece) {
		s.pipe.finish(&finished{runs: piece, done: func(err error) { errs <- err }})
		n++
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return fmt.Errorf("store: finish deliveries: %w", first)
	}
	return nil
}

// RecordExecution stores an execution, in place of its earlier record if
// it has one (one recorded as running); it implements flows.Recorder.
func (s *Store) RecordExecution(ctx context.Context, e *flows.Execution) error {
	done := make(chan error, 1)
	// A record of a run still going is its first (or replaces the one
	// before, which markProvisional knows); a final one may replace any,
	// and so may a waiting one (a resumed run that waits again).
	s.pipe.finish(&finished{runs: []flows.FinishedDelivery{{Executions: []*flows.Execution{e}}}, replace: e.Status.IsFinal() || e.Status.Suspended(),
		done: func(err error) { done <- err }})
	if err := <-done; err != nil {
		return fmt.Errorf("store: record execution %s: %w", e.ID, err)
	}
	return nil
}
