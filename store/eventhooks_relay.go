package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
	gclause "gorm.io/gorm/clause"

	"github.com/hookflow/hookflow/flows"
)

// hookRelay carries Hookflow's events from where they are caused to the
// event hooks that want them, at least once and in order per hook.
//
// Recording. An event is written to the outbox (hook_outbox) in the
// transaction of what caused it — an execution's end with the execution's
// record (the pipeline; on SQLite the outbox of the history file), a flow
// turned on with its state — so none is lost on a crash and none is sent
// for what was rolled back. Only events some receiving hook wants are
// written (wants): with no hook, recording costs a map lookup.
//
// Relaying. One loop per store (run) moves the outbox's events, oldest
// first, to hook_pending — one row per hook that wants the event, keyed by
// hook and event so that moving an event twice stores it once — and
// deletes them from the outbox; it wakes when a writer commits events
// (poke) and every relayEvery. It keeps a River job (hookSendArgs, unique
// per hook) queued for each hook with events waiting.
//
// Sending. A hook's job sends its waiting events in order, up to
// flows.MaxHookBatch per POST, waiting up to the batch wait for the first
// one's batch to fill, through the sender (flows.EventHooks.Send), and
// records every attempt. A retried delivery sends the same events under
// the same eventId. A 2xx or a final failure (4xx) ends a delivery; a
// retryable one snoozes the job with exponential backoff, and a hook that
// keeps failing for the give-up period is turned off, with the reason.
//
// Other consumers of the events (the Hookflow Event card) are fed by
// dispatch beside the hooks: add them to wants and to dispatch.
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
	// triggers are the flows ON on a Hookflow Event card (eventhooks_flows.go).
	triggers atomic.Pointer[[]flows.HookTrigger]
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

// relayBatch bounds the events one relay transaction moves.
const relayBatch = 1000

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
	hooks, err := r.s.receivingHooks(ctx)
	if err != nil {
		r.s.log.Warn("event hooks: read the hooks", "error", err)
		return
	}
	m := map[flows.HookEventType]bool{}
	for _, h := range hooks {
		for _, t := range h.Events {
			m[t] = true
		}
	}
	r.refreshTriggers(ctx, m) // the flows on Hookflow events
	if len(m) == 0 {
		r.wants.Store(nil)
		return
	}
	r.wants.Store(&m)
}

func (r *hookRelay) run() {
	defer close(r.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-r.stop; cancel() }()
	tick := time.NewTicker(relayEvery)
	defer tick.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-r.wake:
			// Let the events of a burst gather: one move of many costs
			// the writers less than many moves of a few.
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
			if err := r.ensureJobs(ctx); err != nil && ctx.Err() == nil {
				r.s.log.Warn("event hooks: queue deliveries", "error", err)
			}
		}
		for ctx.Err() == nil {
			n, err := r.dispatch(ctx)
			if err != nil {
				if ctx.Err() == nil {
					r.s.log.Warn("event hooks: relay events", "error", err)
				}
				break
			}
			if n < relayBatch {
				break
			}
		}
	}
}

// receivingHooks lists the hooks that are active and verified.
func (s *Store) receivingHooks(ctx context.Context) ([]flows.EventHook, error) {
	var rs []eventHookRecord
	if err := s.reads.WithContext(ctx).Where("active AND verified").Order("id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: receiving event hooks: %w", err)
	}
	out := make([]flows.EventHook, 0, len(rs))
	for _, r := range rs {
		h, err := s.hookOf(r)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// dispatch moves up to relayBatch events from the outbox to the hooks
// that want them, queues their jobs, and returns how many it moved.
func (r *hookRelay) dispatch(ctx context.Context) (int, error) {
	s := r.s
	var hist []hookOutboxRecord // SQLite: the history file's outbox
	if s.dialect == SQLite {
		if err := s.reads.WithContext(ctx).Table("history.hook_outbox").Order("id").Limit(relayBatch).Find(&hist).Error; err != nil {
			return 0, fmt.Errorf("store: read the event outbox: %w", err)
		}
	}
	hooks, err := s.receivingHooks(ctx)
	if err != nil {
		return 0, err
	}
	fed := map[int64]bool{}
	n := 0
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var main []hookOutboxRecord
		q := tx.Order("id").Limit(relayBatch)
		if s.dialect == Postgres {
			// Instances sharing the database move different events.
			q = q.Clauses(gclause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		if err := q.Find(&main).Error; err != nil {
			return err
		}
		events := append(slices.Clone(main), hist...)
		slices.SortStableFunc(events, func(a, b hookOutboxRecord) int { return a.CreatedAt.Compare(b.CreatedAt) })
		n = len(events)
		if err := s.startHookFlows(ctx, tx, events); err != nil { // eventhooks_flows.go
			return err
		}
		if pending := pendingFor(events, hooks, fed); len(pending) > 0 {
			if err := tx.Clauses(gclause.OnConflict{DoNothing: true}).CreateInBatches(&pending, 200).Error; err != nil {
				return err
			}
		}
		if len(main) > 0 {
			return tx.Where("id IN ?", outboxIDs(main)).Delete(&hookOutboxRecord{}).Error
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: relay events: %w", err)
	}
	if len(hist) > 0 {
		// Moved twice after a crash here, an event is stored once.
		if err := s.hist.WithContext(ctx).Where("id IN ?", outboxIDs(hist)).Delete(&hookOutboxRecord{}).Error; err != nil {
			return 0, fmt.Errorf("store: relay events: %w", err)
		}
	}
	for id := range fed {
		if err := s.queueHookSend(ctx, id); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// pendingFor is the rows that hand events to the hooks that want them;
// fed gets the hooks that get some.
func pendingFor(events []hookOutboxRecord, hooks []flows.EventHook, fed map[int64]bool) []hookPendingRecord {
	now := time.Now().UTC()
	var pending []hookPendingRecord
	for _, ev := range events {
		for _, h := range hooks {
			if h.Wants(flows.HookEventType(ev.EventType)) {
				pending = append(pending, hookPendingRecord{HookID: h.ID, EventUUID: ev.UUID, Event: ev.Event, CreatedAt: now})
				fed[h.ID] = true
			}
		}
	}
	return pending
}

func outboxIDs(rs []hookOutboxRecord) []int64 {
	ids := make([]int64, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}

// ensureJobs queues a job for each hook with events waiting (one is
// queued at most: the job is unique per hook).
func (r *hookRelay) ensureJobs(ctx context.Context) error {
	var ids []int64
	if err := r.s.reads.WithContext(ctx).Model(&hookPendingRecord{}).Distinct("hook_id").Pluck("hook_id", &ids).Error; err != nil {
		return fmt.Errorf("store: hooks with events waiting: %w", err)
	}
	for _, id := range ids {
		if err := r.s.queueHookSend(ctx, id); err != nil {
			return err
		}
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
	ev, ok := flows.ExecutionEvent(e)
	if !ok || !r.want(ev.EventType) {
		return events, nil
	}
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
