package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// hookRelay carries Hookflow's events from where they are caused to the
// event hooks that want them, at least once and in order per hook.
//
// Recording. An event is written to the log (hook_outbox) in the
// transaction of what caused it — an execution's end with the execution's
// record (the pipeline), a flow turned on with its state — so none is lost
// on a crash and none is sent for what was rolled back. Only events some
// receiving hook wants are written (wants): with no hook, recording costs a
// map lookup. On SQLite the log is in the history file, where executions
// are written; an event caused by a write to the main file waits in the
// main file's hook_outbox until the relay moves it to the log (rare events
// such as a flow turned on; a crash between the two sends it twice).
//
// Each event is stored once, whatever the number of hooks: a hook keeps
// its place in the log (a cursor), and its job reads the events after it.
// Places must not pass an event that is not yet visible: on SQLite one
// writer numbers the log in commit order, and ids are never used again
// (AUTOINCREMENT); on Postgres, where ids are taken before commit, an
// event also carries the id of the transaction that wrote it, the log is
// ordered by (tx, id), and a reader takes only events of transactions
// older than every one still running (pg_snapshot_xmin), so an event that
// commits later sorts after every place already taken.
//
// Sending. A hook's job (hookSendArgs, unique per hook, so one at a time)
// sends the events after its place, up to flows.MaxHookBatch per POST,
// waiting up to the batch wait for a batch to fill, through the sender
// (flows.EventHooks.Send), and records every attempt with the new place in
// one transaction. A delivery that is to be retried keeps its id and its
// last event on the hook, so a retry sends the same events under the same
// eventId. A 2xx or a final failure (4xx) ends a delivery; a retryable one
// snoozes the job with exponential backoff, and a hook that keeps failing
// for the give-up period is turned off, with the reason, and skips to the
// end of the log.
//
// The flows ON on a Hookflow Event card are the log's other reader: they
// share one place (hook_cursors), and the loop queues their runs for the
// events after it (eventhooks_flows.go).
//
// The loop (run) wakes when a writer commits events (poke) and every
// relayEvery: it moves the main file's events to the log, queues the job
// of each hook with events after its place and the runs of the flows, and,
// on its ticks, deletes the
// events every hook that wants them is past (and, once a minute, attempts
// older than flows.HookAttemptsKept). An idle relay — no receiving hook
// and no flow on a Hookflow Event card, so no event is wanted — looks at
// the outbox and the log only to see whether they changed since its last
// pass (another instance, or events recorded before the last hook went),
// and does nothing more when they did not and none was committed here.
type hookRelay struct {
	s      *Store
	wants  atomic.Pointer[map[flows.HookEventType]bool] // nil: none
	sender atomic.Pointer[senderBox]
	wake   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	// started says the loop runs (start); stopping closes stop once.
	started  atomic.Bool
	stopping sync.Once
	// attemptsPruned is when the loop last deleted old attempts.
	attemptsPruned time.Time
	// triggers are the flows ON on a Hookflow Event card (eventhooks_flows.go).
	triggers atomic.Pointer[[]flows.HookTrigger]
	// receivers is how many receiving hooks the last refresh found.
	receivers atomic.Int64
	// refreshing lets one refresh read and store at a time: one that read
	// the hooks before a change and stored them after the change's own
	// refresh would undo it, and the runs ended until the next tick would
	// raise no events.
	refreshing sync.Mutex
	// afterRead, when set (tests, under refreshing), is called by refresh
	// between reading the hooks and storing what they want.
	afterRead func()
	// poked says events were committed here since the last pass.
	poked atomic.Bool
	// quiet is the outbox and the log as an idle relay's last full pass
	// found them (nil: it has made none since it was last busy); the loop
	// alone uses it.
	quiet *outboxMark
	// passes counts the full passes (tests watch it).
	passes atomic.Int64
	// sending holds the hooks whose job runs here (hookSendWorker): the
	// relay queues no job for them, since theirs reads the log until it
	// finds nothing more (see relay).
	sending sync.Map // hook id → struct{}
}

// HookSender sends deliveries to event hooks: flows.EventHooks.
type HookSender interface {
	Send(ctx context.Context, h flows.EventHook, id string, events []json.RawMessage) flows.HookAttempt
	Timings() flows.HookTiming
}

type senderBox struct{ HookSender }

// HandleEventHooks sets what sends event hooks' deliveries; call it
// before the queue starts.
func (s *Store) HandleEventHooks(h HookSender) {
	if s.hooks != nil { // a read-only store has none
		s.hooks.sender.Store(&senderBox{h})
	}
}

// relayEvery is how often the relay looks for events without being woken
// (events of other instances, and any left by a crash).
var relayEvery = time.Second

// relayGather is how long the relay waits, once woken, for more events.
const relayGather = 100 * time.Millisecond

func newHookRelay(s *Store) *hookRelay {
	return &hookRelay{s: s, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// start refreshes what is wanted and runs the loop.
func (r *hookRelay) start(ctx context.Context) {
	r.refresh(ctx)
	r.started.Store(true)
	go r.run()
}

// close ends the loop; events not yet relayed stay in the outbox.
func (r *hookRelay) close() {
	if r == nil || !r.started.Load() {
		return // a store that failed to open never started it
	}
	r.stopping.Do(func() { close(r.stop) })
	<-r.done
}

// want reports whether an event of type t is to be recorded.
func (r *hookRelay) want(t flows.HookEventType) bool {
	if r == nil {
		return false
	}
	m := r.wants.Load()
	return m != nil && (*m)[t]
}

// any reports whether some event is to be recorded.
func (r *hookRelay) any() bool { return r != nil && r.wants.Load() != nil }

// poke wakes the relay: events were committed.
func (r *hookRelay) poke() {
	if r == nil {
		return
	}
	r.poked.Store(true)
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// refresh reads which events the receiving hooks want.
func (r *hookRelay) refresh(ctx context.Context) {
	if r == nil {
		return
	}
	r.refreshing.Lock()
	defer r.refreshing.Unlock()
	hooks, err := r.s.receivingHooks(ctx)
	if r.afterRead != nil {
		r.afterRead()
	}
	if err != nil {
		r.s.log.Warn("event hooks: read the hooks", "error", err)
		return
	}
	m := map[flows.HookEventType]bool{}
	for _, h := range hooks {
		types, err := hookTypes(h)
		if err != nil {
			r.s.log.Warn("event hooks: read the hooks", "error", err)
			return
		}
		for _, t := range types {
			m[flows.HookEventType(t)] = true
		}
	}
	r.receivers.Store(int64(len(hooks)))
	r.refreshTriggers(ctx, m) // the flows on Hookflow events
	if len(m) == 0 {
		r.wants.Store(nil)
		return
	}
	r.wants.Store(&m)
}

func (r *hookRelay) run() {
	defer close(r.done)
	var listening sync.WaitGroup
	defer listening.Wait()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-r.stop; cancel() }()
	if r.s.dialect == Postgres && r.s.pgPool != nil {
		listening.Go(func() { r.listen(ctx) })
	}
	tick := time.NewTicker(relayEvery)
	defer tick.Stop()
	for {
		tock := false
		select {
		case <-r.stop:
			return
		case <-r.wake:
			// Let the events of a burst gather: one look for many costs
			// the writers less than many looks for a few.
			select {
			case <-time.After(relayGather):
			case <-r.stop:
				return
			}
			select {
			case <-r.wake:
			default:
			}
		case <-tick.C:
			r.refresh(ctx)
			tock = true
		}
		if err := r.pass(ctx, tock); err != nil && ctx.Err() == nil {
			r.s.log.Warn("event hooks: relay events", "error", err)
		}
	}
}

// pass relays the events (tock: on a tick), unless the relay is idle and
// nothing changed since its last full pass (see hookRelay).
func (r *hookRelay) pass(ctx context.Context, tock bool) error {
	poked := r.poked.Swap(false)
	if tock {
		if err := r.pruneAttempts(ctx); err != nil {
			return err
		}
	}
	if !r.idle() || !tock {
		// Busy, or woken: the next tick of an idle relay passes in full.
		r.quiet = nil
		return r.relay(ctx, tock)
	}
	// Read before the pass: what is written during it changes the mark.
	mark, err := r.s.outboxMark(ctx)
	if err != nil {
		return err
	}
	if !poked && r.quiet != nil && *r.quiet == mark {
		return nil
	}
	if err := r.relay(ctx, true); err != nil {
		return err
	}
	r.quiet = &mark
	return nil
}

// idle reports whether no receiving hook and no flow on a Hookflow Event
// card is there to want events.
func (r *hookRelay) idle() bool {
	t := r.triggers.Load()
	return r.wants.Load() == nil && r.receivers.Load() == 0 && (t == nil || len(*t) == 0)
}

// outboxMark is how many events the log and (on SQLite) the main file's
// outbox hold, and their last ids: while it stays the same, no event was
// written to either.
type outboxMark struct{ Logged, LastLogged, Staged, LastStaged int64 }

// outboxMark reads the outbox's and the log's mark.
func (s *Store) outboxMark(ctx context.Context) (outboxMark, error) {
	log := s.eventLog().table
	q := "SELECT (SELECT COUNT(*) FROM " + log + ") AS logged, (SELECT COALESCE(MAX(id), 0) FROM " + log + ") AS last_logged"
	if s.dialect == SQLite {
		q += ", (SELECT COUNT(*) FROM main.hook_outbox) AS staged, (SELECT COALESCE(MAX(id), 0) FROM main.hook_outbox) AS last_staged"
	}
	var m outboxMark
	if err := s.reads.WithContext(ctx).Raw(q).Scan(&m).Error; err != nil {
		return m, fmt.Errorf("store: look at the event log: %w", err)
	}
	return m, nil
}

// relay moves the main file's events to the log, queues the jobs of the
// hooks with events to send and, if prune, deletes what every hook sent.
func (r *hookRelay) relay(ctx context.Context, prune bool) error {
	r.passes.Add(1)
	if err := r.s.moveOutbox(ctx); err != nil {
		return err
	}
	hooks, err := r.s.receivingHooks(ctx)
	if err != nil {
		return err
	}
	for _, h := range hooks {
		if _, ok := r.sending.Load(h.ID); ok {
			// Its job runs here and sends what it finds before it ends;
			// should it end just as events come, the next pass after
			// (at the latest the next tick) queues it again.
			continue
		}
		waiting, err := r.s.hookHasEvents(ctx, h)
		if err != nil {
			return err
		}
		if waiting {
			if err := r.s.queueHookSend(ctx, h.ID); err != nil {
				return err
			}
		}
	}
	place, err := r.relayToFlows(ctx, prune)
	if err != nil {
		return err
	}
	if !prune {
		return nil
	}
	return r.s.pruneLog(ctx, hooks, place)
}

// pruneAttempts deletes, once a minute, the attempts older than
// flows.HookAttemptsKept.
func (r *hookRelay) pruneAttempts(ctx context.Context) error {
	if time.Since(r.attemptsPruned) < time.Minute {
		return nil
	}
	r.attemptsPruned = time.Now()
	err := r.s.db.WithContext(ctx).Where("at < ?", time.Now().Add(-flows.HookAttemptsKept).UTC()).Delete(&hookAttemptRecord{}).Error
	if err != nil {
		return fmt.Errorf("store: prune event hook attempts: %w", err)
	}
	return nil
}

// receivingHooks lists the hooks that are active and verified, with
// their places in the log.
func (s *Store) receivingHooks(ctx context.Context) ([]eventHookRecord, error) {
	var rs []eventHookRecord
	if err := s.reads.WithContext(ctx).Where("active AND verified").Order("id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: receiving event hooks: %w", err)
	}
	return rs, nil
}

// moveOutbox moves the events waiting in the main file's outbox to the
// log, on SQLite (on Postgres they are written to the log itself).
func (s *Store) moveOutbox(ctx context.Context) error {
	if s.dialect != SQLite {
		return nil
	}
	var upto int64
	if err := s.reads.WithContext(ctx).Raw("SELECT COALESCE(MAX(id), 0) FROM hook_outbox").Scan(&upto).Error; err != nil {
		return fmt.Errorf("store: read the event outbox: %w", err)
	}
	if upto == 0 {
		return nil
	}
	err := s.hist.WithContext(ctx).Exec("INSERT INTO hook_outbox (uuid, event_type, event, created_at) "+
		"SELECT uuid, event_type, event, created_at FROM hookflow.hook_outbox WHERE id <= ? ORDER BY id", upto).Error
	if err != nil {
		return fmt.Errorf("store: move events to the log: %w", err)
	}
	if err := s.db.WithContext(ctx).Exec("DELETE FROM hook_outbox WHERE id <= ?", upto).Error; err != nil {
		return fmt.Errorf("store: move events to the log: %w", err)
	}
	return nil
}

// hookHasEvents reports whether the log holds events after h's place that
// h wants.
func (s *Store) hookHasEvents(ctx context.Context, h eventHookRecord) (bool, error) {
	types, err := hookTypes(h)
	if err != nil || len(types) == 0 {
		return false, err
	}
	var ids []int64
	err = s.eventLog().events(s.reads.WithContext(ctx), [2]int64{h.CursorTx, h.CursorID}, types).Limit(1).Pluck("id", &ids).Error
	if err != nil {
		return false, fmt.Errorf("store: events for event hook %d: %w", h.ID, err)
	}
	return len(ids) > 0 || h.Delivery != nil, nil
}

// hookTypes is the event types h wants.
func hookTypes(h eventHookRecord) ([]string, error) {
	var types []string
	if err := json.Unmarshal([]byte(h.Events), &types); err != nil {
		return nil, fmt.Errorf("store: event hook %d events: %w", h.ID, err)
	}
	return types, nil
}

// pruneLog deletes the events of the log that no receiving hook or flow
// wants, and those every hook and flow that wants them has been given;
// flows is the flows' place and the types they want.
func (s *Store) pruneLog(ctx context.Context, hooks []eventHookRecord, flows consumerPlace) error {
	min := map[string][2]int64{} // by type: the earliest place of a hook that wants it
	keep := func(types []string, place [2]int64) {
		for _, t := range types {
			if m, ok := min[t]; !ok || place[0] < m[0] || place[0] == m[0] && place[1] < m[1] {
				min[t] = place
			}
		}
	}
	for _, h := range hooks {
		types, err := hookTypes(h)
		if err != nil {
			return err
		}
		keep(types, [2]int64{h.CursorTx, h.CursorID})
	}
	keep(flows.types, flows.place)
	var conds []string
	var args []any
	if len(min) == 0 {
		conds = append(conds, "1 = 1")
	} else {
		types := slices.Sorted(maps.Keys(min))
		conds, args = append(conds, "event_type NOT IN ?"), append(args, types)
		log := s.eventLog()
		for _, t := range types {
			conds, args = append(conds, "(event_type = ? AND "+log.through+")"), append(append(args, t), log.args(min[t])...)
		}
	}
	if err := s.hist.WithContext(ctx).Exec("DELETE FROM hook_outbox WHERE "+strings.Join(conds, " OR "), args...).Error; err != nil {
		return fmt.Errorf("store: prune the event log: %w", err)
	}
	return nil
}

// queueHookSend queues the job that sends a hook's waiting events, unless
// one is queued or running.
func (s *Store) queueHookSend(ctx context.Context, hook int64) error {
	var err error
	if s.dialect == Postgres {
		_, err = s.riverPG.Insert(ctx, hookSendArgs{Hook: hook}, nil)
	} else {
		_, err = s.riverLite.Insert(ctx, hookSendArgs{Hook: hook}, nil)
	}
	if err != nil {
		return fmt.Errorf("store: queue event hook %d deliveries: %w", hook, err)
	}
	return nil
}

// outboxRecord is the outbox row of ev.
func outboxRecord(ev flows.HookEvent) (hookOutboxRecord, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return hookOutboxRecord{}, fmt.Errorf("store: encode event: %w", err)
	}
	return hookOutboxRecord{UUID: ev.UUID, EventType: string(ev.EventType), Event: string(b), CreatedAt: ev.Published.UTC()}, nil
}

// emit writes ev to the outbox in tx, the transaction of what caused it,
// if a hook wants it; the relay is woken soon after (by then tx has
// committed, or the next look finds it).
func (s *Store) emit(tx *gorm.DB, ev flows.HookEvent) error {
	if !s.hooks.want(ev.EventType) {
		return nil
	}
	rec, err := outboxRecord(ev)
	if err != nil {
		return err
	}
	if err := tx.Create(&rec).Error; err != nil {
		return fmt.Errorf("store: record event %s: %w", ev.EventType, err)
	}
	s.hooks.pokeSoon()
	return nil
}

// pokeSoon wakes the relay a little later, once the transaction that
// wrote events has committed.
func (r *hookRelay) pokeSoon() { time.AfterFunc(50*time.Millisecond, r.poke) }

// Emit records ev on its own, for causes that write nothing else (a
// refused sign-in).
func (s *Store) Emit(ctx context.Context, ev flows.HookEvent) error {
	return s.emit(s.db.WithContext(ctx), ev)
}

// insertOutbox inserts an event into the outbox (the history file's on
// SQLite), given its placeholders for uuid, type, event and time.
func insertOutbox(values string) string {
	return "INSERT INTO hook_outbox (uuid, event_type, event, created_at) VALUES (" + values + ")"
}

// executionEvent appends the event e's end raises, if a hook wants it.
func (r *hookRelay) executionEvent(events []hookOutboxRecord, e *flows.Execution) ([]hookOutboxRecord, error) {
	if t, ok := flows.ExecutionEventType(e); !ok || !r.want(t) {
		return events, nil // most runs end unwatched: no event is made
	}
	ev, _ := flows.ExecutionEvent(e)
	rec, err := outboxRecord(ev)
	if err != nil {
		return events, err
	}
	return append(events, rec), nil
}

// hasEvents reports whether reqs write events.
func hasEvents(reqs []*writeReq) bool {
	for _, req := range reqs {
		for _, f := range req.finish {
			if len(f.events) > 0 {
				return true
			}
		}
	}
	return false
}

// deadEvent is the outbox row of d's delivery.dead, if its run failed.
func deadEvent(d flows.Delivery, execs []*flows.Execution) *hookOutboxRecord {
	ev, ok := flows.DeliveryDeadEvent(d, execs)
	if !ok {
		return nil
	}
	rec, err := outboxRecord(ev)
	if err != nil {
		return nil
	}
	return &rec
}
