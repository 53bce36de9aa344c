package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// Flows on a Hookflow Event card are the relay's other consumer (see
// hookRelay): the events they want are recorded in the log as the hooks'
// are (wants), and they share one place in it (the hook_cursors row
// "flows"). For each event after that place and each flow ON that it
// matches, the relay queues one River job (hookFlowArgs) that runs the
// flow once for the event (flows.Lifecycle.HookEvent), and moves the
// place; on SQLite in one transaction, on Postgres just before. Either way
// a crash loses no event, and an event read twice makes one run: the job
// is unique by event and flow, and the run's execution id derives from
// both (flows.HookRunID). While no flow is ON on the card, the place
// follows the end of the log, so that a flow turned on later starts on
// the events from then on.

// flowsConsumer is the hook_cursors row of the flows on Hookflow events.
const flowsConsumer = "flows"

// flowsBatch bounds the events one pass reads for the flows.
const flowsBatch = 500

// hookCursorRecord is a reader's place in the log of events.
type hookCursorRecord struct {
	Consumer string `gorm:"primaryKey"`
	CursorTx int64
	CursorID int64
}

func (hookCursorRecord) TableName() string { return "hook_cursors" }

// consumerPlace is a reader's place and the event types it wants.
type consumerPlace struct {
	place [2]int64
	types []string
}

// relayToFlows queues the runs of the flows on Hookflow Event cards for
// the events after their place, and moves it; with no such flow ON it
// moves the place to the end of the log when follow is set. It returns
// the place and the types the flows want, for pruning.
func (r *hookRelay) relayToFlows(ctx context.Context, follow bool) (consumerPlace, error) {
	s := r.s
	var c hookCursorRecord
	if err := s.reads.WithContext(ctx).First(&c, "consumer = ?", flowsConsumer).Error; err != nil {
		return consumerPlace{}, fmt.Errorf("store: the place of flows on Hookflow events: %w", err)
	}
	out := consumerPlace{place: [2]int64{c.CursorTx, c.CursorID}}
	p := r.triggers.Load()
	if p == nil || len(*p) == 0 {
		if !follow {
			return out, nil
		}
		head, err := s.eventLog().lastPlace(s.reads.WithContext(ctx))
		if err != nil || head == out.place {
			return out, err
		}
		return out, s.moveFlowsPlace(ctx, s.db.WithContext(ctx), head)
	}
	seen := map[string]bool{}
	for _, t := range *p {
		for _, typ := range t.Events {
			if !seen[string(typ)] {
				seen[string(typ)] = true
				out.types = append(out.types, string(typ))
			}
		}
	}
	for {
		log := s.eventLog()
		var events []hookOutboxRecord
		err := log.events(s.reads.WithContext(ctx), out.place, out.types).Select(log.columns + ", uuid").
			Order(log.order).Limit(flowsBatch).Find(&events).Error
		if err != nil {
			return out, fmt.Errorf("store: events for flows on Hookflow events: %w", err)
		}
		if len(events) == 0 {
			return out, nil
		}
		last := events[len(events)-1]
		place := [2]int64{last.Tx, last.ID}
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := s.startHookFlows(ctx, tx, events); err != nil {
				return err
			}
			return s.moveFlowsPlace(ctx, tx, place)
		})
		if err != nil {
			return out, err
		}
		out.place = place
		if len(events) < flowsBatch {
			return out, nil
		}
	}
}

// moveFlowsPlace moves the flows' place forward to place.
func (s *Store) moveFlowsPlace(ctx context.Context, tx *gorm.DB, place [2]int64) error {
	log := s.eventLog()
	q := tx.WithContext(ctx).Model(&hookCursorRecord{}).Where("consumer = ?", flowsConsumer).Where(log.cursorBefore, log.args(place)...)
	if err := q.Updates(map[string]any{"cursor_tx": place[0], "cursor_id": place[1]}).Error; err != nil {
		return fmt.Errorf("store: move the place of flows on Hookflow events: %w", err)
	}
	return nil
}

// hookFlowQueue is River's queue of Hookflow Event runs: a run may wait
// on the outside world, and holds back no other.
const (
	hookFlowQueue        = "hookflow_events"
	hookFlowQueueWorkers = 100
)

// hookFlowArgs is the job of one Hookflow Event run: a flow and the event.
type hookFlowArgs struct {
	Flow  int64           `json:"flow" river:"unique"`
	UUID  string          `json:"uuid" river:"unique"`
	Event json.RawMessage `json:"event"`
}

func (hookFlowArgs) Kind() string { return "hookflow_event_run" }

// InsertOpts: the queue of its own, one job per event and flow.
func (hookFlowArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: hookFlowQueue, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type hookFlowWorker struct {
	river.WorkerDefaults[hookFlowArgs]
	store *Store
}

func (w *hookFlowWorker) Work(ctx context.Context, job *river.Job[hookFlowArgs]) error {
	j, err := w.store.queue.handler()
	if err != nil {
		return err
	}
	var ev flows.HookEvent
	if err := json.Unmarshal(job.Args.Event, &ev); err != nil {
		return river.JobCancel(fmt.Errorf("store: a Hookflow event that cannot be read: %w", err))
	}
	return j.HookEvent(ctx, job.Args.Flow, ev)
}

// hookTriggers reads the triggers of the flows on a Hookflow Event card
// that are ON (their subscriptions say so in their options).
func (s *Store) hookTriggers(ctx context.Context) ([]flows.HookTrigger, error) {
	var rs []flowRecord
	err := s.reads.WithContext(ctx).Model(&flowRecord{}).Select("flows.id, flows.name, flows.definition").
		Joins("JOIN subscriptions ON subscriptions.flow_id = flows.id").
		Where("subscriptions.state = ? AND subscriptions.options LIKE ?", string(flows.SubscriptionActive), `%"hookflowEvents"%`).
		Order("flows.id").Find(&rs).Error
	if err != nil {
		return nil, fmt.Errorf("store: flows on Hookflow events: %w", err)
	}
	var out []flows.HookTrigger
	for _, r := range rs {
		f, err := r.toFlows()
		if err != nil {
			return nil, err
		}
		if t, err := flows.HookTriggerOf(f); err == nil {
			out = append(out, t)
		}
	}
	return out, nil
}

// refreshTriggers keeps the triggers of the flows ON for the relay, and
// adds the event types they want to m.
func (r *hookRelay) refreshTriggers(ctx context.Context, m map[flows.HookEventType]bool) {
	ts, err := r.s.hookTriggers(ctx)
	if err != nil {
		r.s.log.Warn("event hooks: read the flows on Hookflow events", "error", err)
		return // the last ones read stay
	}
	r.triggers.Store(&ts)
	for _, t := range ts {
		for _, typ := range t.Events {
			m[typ] = true
		}
	}
}

// RefreshHookTriggers reads again which events the flows on a Hookflow
// Event card that are ON want.
func (s *Store) RefreshHookTriggers(ctx context.Context) { s.hooksChanged(ctx) }

// HasExecution reports whether a run with the id was recorded.
func (s *Store) HasExecution(ctx context.Context, id string) (bool, error) {
	var n int64
	if err := s.reads.WithContext(ctx).Model(&executionRecord{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return false, fmt.Errorf("store: execution %s: %w", id, err)
	}
	return n > 0, nil
}

// startHookFlows queues the runs events start of the flows ON, in tx,
// the transaction that moves the flows' place past them (see above).
func (s *Store) startHookFlows(ctx context.Context, tx *gorm.DB, events []hookOutboxRecord) error {
	p := s.hooks.triggers.Load()
	if p == nil || len(*p) == 0 {
		return nil
	}
	var jobs []river.InsertManyParams
	// An event recorded twice is queued once: River refuses a batch that
	// holds one unique job twice.
	queued := map[string]bool{}
	for _, rec := range events {
		typ := flows.HookEventType(rec.EventType)
		var ev *flows.HookEvent
		for _, t := range *p {
			if !t.Wants(typ) {
				continue
			}
			if ev == nil {
				ev = new(flows.HookEvent)
				if err := json.Unmarshal([]byte(rec.Event), ev); err != nil {
					s.log.Warn("event hooks: an event that cannot be read", "uuid", rec.UUID, "error", err)
					break
				}
			}
			if key := ev.UUID + "/" + strconv.FormatInt(t.Flow, 10); t.Matches(*ev) && !queued[key] {
				queued[key] = true
				jobs = append(jobs, river.InsertManyParams{Args: hookFlowArgs{Flow: t.Flow, UUID: ev.UUID, Event: json.RawMessage(rec.Event)}})
			}
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	var err error
	if s.dialect == Postgres {
		_, err = s.riverPG.InsertMany(ctx, jobs)
	} else if sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx); ok {
		_, err = s.riverLite.InsertManyTx(ctx, sqlTx, jobs)
	} else {
		err = fmt.Errorf("the transaction is not a database/sql one")
	}
	if err != nil {
		return fmt.Errorf("store: queue the runs of Hookflow events: %w", err)
	}
	return nil
}
