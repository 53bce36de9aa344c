package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// hookSendArgs is the job that sends a hook's waiting events (see
// hookRelay). It is unique per hook while queued, running or waiting to
// retry: one job at a time sends a hook's events, in order.
type hookSendArgs struct {
	Hook int64 `json:"hook"`
}

func (hookSendArgs) Kind() string { return "event_hook_send" }

// InsertOpts puts the jobs in a queue of their own, one per hook.
func (hookSendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: hookQueue, MaxAttempts: 100, UniqueOpts: river.UniqueOpts{ByArgs: true,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateScheduled, rivertype.JobStateRetryable}}}
}

// hookQueue is River's queue of event hook jobs: as many workers as there
// may be hooks.
const (
	hookQueue        = "event_hooks"
	hookQueueWorkers = flows.MaxEventHooks
)

// hookJobSlice is how long one run of a hook's job sends before it makes
// way (snoozes at once), well within River's job timeout.
const hookJobSlice = time.Minute

type hookSendWorker struct {
	river.WorkerDefaults[hookSendArgs]
	store *Store
}

func (w *hookSendWorker) Work(ctx context.Context, job *river.Job[hookSendArgs]) error {
	s := w.store
	b := s.hooks.sender.Load()
	if b == nil {
		return errors.New("store: nothing sends event hooks' deliveries")
	}
	t := b.Timings()
	h, err := s.EventHook(ctx, job.Args.Hook)
	if errors.Is(err, flows.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !h.Receiving() {
		return nil
	}
	s.hooks.sending.Store(h.ID, struct{}{})
	defer s.hooks.sending.Delete(h.ID)
	for began := time.Now(); time.Since(began) < hookJobSlice; {
		d, err := s.nextHookBatch(ctx, h.ID, t.BatchWait)
		if err != nil {
			return err
		}
		switch {
		case len(d.events) == 0 && d.wait == 0:
			return nil
		case d.wait > 0:
			select {
			case <-time.After(d.wait):
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		a := b.Send(ctx, h, d.id, d.events)
		a.Attempt = d.attempt
		failing, err := s.recordHookAttempt(ctx, a, d.upto)
		if err != nil {
			return err
		}
		if a.OK || !a.Retry {
			continue
		}
		if failing != nil && time.Since(*failing) >= t.GiveUp {
			return s.giveUpHook(ctx, h.ID, t.GiveUp, a.Error)
		}
		return river.JobSnooze(hookBackoff(t.RetryBase, d.attempt))
	}
	return river.JobSnooze(0)
}

// hookBackoff is the wait before attempt n+1: base, 2·base, 4·base … at
// most an hour.
func hookBackoff(base time.Duration, n int) time.Duration {
	d := base << min(max(n-1, 0), 20)
	if d > time.Hour || d <= 0 {
		d = time.Hour
	}
	return d
}

// hookBatch is the next delivery of a hook: its id, its events and the
// place of its last one, which attempt this is; or how long to wait for
// it to fill.
type hookBatch struct {
	id      string
	events  []json.RawMessage
	upto    [2]int64
	attempt int
	wait    time.Duration
}

// nextHookBatch is a hook's next delivery: the one tried before, if one
// failed, else up to MaxHookBatch events after its place once the oldest
// has waited batchWait or they fill a batch.
func (s *Store) nextHookBatch(ctx context.Context, hook int64, batchWait time.Duration) (hookBatch, error) {
	var h eventHookRecord
	if err := s.reads.WithContext(ctx).First(&h, hook).Error; err != nil {
		return hookBatch{}, fmt.Errorf("store: event hook %d: %w", hook, notFound(err))
	}
	types, err := hookTypes(h)
	if err != nil || len(types) == 0 {
		return hookBatch{}, err
	}
	log := s.eventLog()
	q := log.events(s.reads.WithContext(ctx), [2]int64{h.CursorTx, h.CursorID}, types).Select(log.columns)
	var b hookBatch
	if h.Delivery != nil {
		b.id, b.upto = *h.Delivery, [2]int64{h.UptoTx, h.UptoID}
		q = q.Where(log.through, log.args(b.upto)...)
	}
	var rs []hookOutboxRecord
	if err := q.Order(log.order).Limit(flows.MaxHookBatch).Find(&rs).Error; err != nil {
		return hookBatch{}, fmt.Errorf("store: events for event hook %d: %w", hook, err)
	}
	if h.Delivery != nil && len(rs) == 0 {
		// The hook wants none of the retried events any more.
		err := s.db.WithContext(ctx).Model(&eventHookRecord{}).Where("id = ?", hook).
			Updates(map[string]any{"cursor_tx": h.UptoTx, "cursor_id": h.UptoID, "delivery": nil, "upto_tx": 0, "upto_id": 0}).Error
		if err != nil {
			return hookBatch{}, fmt.Errorf("store: event hook %d: %w", hook, err)
		}
		return s.nextHookBatch(ctx, hook, batchWait)
	}
	if h.Delivery != nil {
		var n int64
		if err := s.reads.WithContext(ctx).Model(&hookAttemptRecord{}).Where("hook_id = ? AND delivery = ?", hook, b.id).Count(&n).Error; err != nil {
			return hookBatch{}, fmt.Errorf("store: attempts of event hook %d: %w", hook, err)
		}
		b.attempt = int(n) + 1
	} else {
		if len(rs) == 0 {
			return b, nil
		}
		if age := time.Since(rs[0].CreatedAt); len(rs) < flows.MaxHookBatch && age < batchWait {
			return hookBatch{wait: batchWait - age}, nil
		}
		b.id, b.attempt = flows.NewUUID(), 1
		last := rs[len(rs)-1]
		b.upto = [2]int64{last.Tx, last.ID}
	}
	for _, r := range rs {
		b.events = append(b.events, json.RawMessage(r.Event))
	}
	return b, nil
}

// recordHookAttempt records an attempt and moves the hook's place: past
// the delivery's events (through upto) when it succeeded or will not be
// retried, else it keeps the delivery to retry. It returns since when the
// hook's deliveries have been failing, nil if they are not.
func (s *Store) recordHookAttempt(ctx context.Context, a flows.HookAttempt, upto [2]int64) (*time.Time, error) {
	var failing *time.Time
	r := attemptRecord(a) // packs the body: not while holding the writer
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		hook := tx.Model(&eventHookRecord{}).Where("id = ?", a.HookID)
		if !a.OK && a.Retry {
			now := time.Now().UTC()
			up := map[string]any{"delivery": a.Delivery, "upto_tx": upto[0], "upto_id": upto[1],
				"failing_since": gorm.Expr("COALESCE(failing_since, ?)", now)}
			if err := hook.Updates(up).Error; err != nil {
				return err
			}
			var h eventHookRecord
			if err := tx.Select("id", "failing_since").First(&h, a.HookID).Error; err != nil {
				return notFound(err)
			}
			failing = h.FailingSince
			return nil
		}
		up := map[string]any{"cursor_tx": upto[0], "cursor_id": upto[1], "delivery": nil, "upto_tx": 0, "upto_id": 0}
		if a.OK {
			up["failing_since"] = nil
		}
		return hook.Updates(up).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store: record event hook %d attempt: %w", a.HookID, err)
	}
	return failing, nil
}

// giveUpHook turns off a hook whose deliveries failed for the whole
// give-up period, saying why, and skips the events it was not sent.
func (s *Store) giveUpHook(ctx context.Context, hook int64, period time.Duration, last string) error {
	reason := fmt.Sprintf("Hookflow turned this hook off: its deliveries failed for %s. The last error: %s", period, last)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := time.Now().UTC()
		err := tx.Model(&eventHookRecord{}).Where("id = ?", hook).Updates(map[string]any{"active": false,
			"deactivated_reason": reason, "deactivated_at": now, "updated_at": now}).Error
		if err != nil {
			return err
		}
		return s.placeAtHead(tx, hook)
	})
	if err != nil {
		return fmt.Errorf("store: turn off event hook %d: %w", hook, err)
	}
	s.log.Warn("event hook turned off: its deliveries kept failing", "hook", hook, "period", period, "error", last)
	s.hooksChanged(ctx)
	return nil
}
