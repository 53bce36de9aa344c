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
// hookRelay): the events they want are recorded in the outbox as the
// hooks' are (wants), and when the relay moves a batch of events it
// queues, for each event and each flow ON that it matches, one River job
// (hookFlowArgs) that runs the flow once for the event
// (flows.Lifecycle.HookEvent). On SQLite the job is queued in the
// transaction that takes the events out of the outbox; on Postgres just
// before it commits. Either way a crash loses no event, and an event
// moved twice makes one run: the job is unique by event and flow, and the
// run's execution id derives from both (flows.HookRunID).

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
func (s *Store) RefreshHookTriggers(ctx context.Context) { s.hooks.refresh(ctx) }

// HasExecution reports whether a run with the id was recorded.
func (s *Store) HasExecution(ctx context.Context, id string) (bool, error) {
	var n int64
	if err := s.reads.WithContext(ctx).Model(&executionRecord{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return false, fmt.Errorf("store: execution %s: %w", id, err)
	}
	return n > 0, nil
}

// startHookFlows queues the runs events start of the flows ON, in tx,
// the transaction that takes them out of the outbox (see above).
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
