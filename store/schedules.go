package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/hookflow/hookflow/flows"
)

// A scheduled flow's ticks are River jobs, one per tick, each queueing the
// next when it runs (flows.Lifecycle.Tick). Two instances that queue the
// same tick make one job: tick jobs are unique by their arguments. Each
// job runs on time: it is queued available at its tick's time, as River
// queues its own retries that are due soon, rather than scheduled (which
// River's leader makes available only every few seconds). The table
// schedule_ticks keeps, per subscription, the latest tick run: a tick job
// that runs again after its server died runs nothing twice.

// scheduleQueue is River's queue of tick jobs. A tick job runs its flow
// to the end in its own worker: a long run holds back no other tick.
const (
	scheduleQueue        = "schedules"
	scheduleQueueWorkers = 200
)

// scheduleTickArgs is the job of one tick of a scheduled flow.
type scheduleTickArgs struct {
	Subscription int64 `json:"subscription"`
	// Tick is the tick's time in Unix seconds.
	Tick int64 `json:"tick"`
}

func (scheduleTickArgs) Kind() string { return "schedule_tick" }

// InsertOpts: the schedules' queue, and one job per subscription and tick.
func (scheduleTickArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: scheduleQueue, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Hooks make a tick job available at once, to be fetched when its time
// comes (River fetches an available job only once its scheduled time has
// passed), instead of scheduled.
func (scheduleTickArgs) Hooks() []rivertype.Hook {
	return []rivertype.Hook{river.HookInsertBeginFunc(func(_ context.Context, p *rivertype.JobInsertParams) error {
		p.State = rivertype.JobStateAvailable
		return nil
	})}
}

type scheduleTickWorker struct {
	river.WorkerDefaults[scheduleTickArgs]
	store *Store
}

func (w *scheduleTickWorker) Work(ctx context.Context, job *river.Job[scheduleTickArgs]) error {
	j, err := w.store.queue.handler()
	if err != nil {
		return err
	}
	return j.Tick(ctx, job.Args.Subscription, time.Unix(job.Args.Tick, 0).UTC())
}

func tickJob(subscription int64, tick time.Time) (scheduleTickArgs, *river.InsertOpts) {
	return scheduleTickArgs{Subscription: subscription, Tick: tick.Unix()}, &river.InsertOpts{ScheduledAt: tick.UTC()}
}

// QueueTick queues a subscription's tick; a tick queued before is left as it is.
func (s *Store) QueueTick(ctx context.Context, subscription int64, tick time.Time) error {
	args, opts := tickJob(subscription, tick)
	var err error
	if s.dialect == Postgres {
		_, err = s.riverPG.Insert(ctx, args, opts)
	} else {
		_, err = s.riverLite.Insert(ctx, args, opts)
	}
	if err != nil {
		return fmt.Errorf("store: queue tick %s of subscription %d: %w", tick.UTC().Format(time.RFC3339), subscription, err)
	}
	return nil
}

// claimTickQuery claims a tick for an active subscription whose latest run
// tick (due_at) is before it.
const claimTickQuery = `INSERT INTO schedule_ticks (subscription_id, tick_at, due_at, execution_id, updated_at)
SELECT %[1]s, %[2]s, %[3]s, %[4]s, %[5]s WHERE EXISTS (SELECT 1 FROM subscriptions WHERE id = %[1]s AND state = 'active')
ON CONFLICT (subscription_id) DO UPDATE SET tick_at = excluded.tick_at, due_at = excluded.due_at,
execution_id = excluded.execution_id, updated_at = excluded.updated_at WHERE schedule_ticks.due_at < excluded.tick_at`

// ClaimTick records a tick's run and queues the next tick, in one
// transaction; false when the subscription is not active or a run was
// made for this tick or a later one.
func (s *Store) ClaimTick(ctx context.Context, c flows.TickClaim) (bool, error) {
	args := []any{c.Subscription, c.Tick.UnixMilli(), c.Due.UnixMilli(), c.Execution, time.Now().UTC().UnixMilli()}
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, fmt.Sprintf(claimTickQuery, "?1", "?2", "?3", "?4", "?5"), args...)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n == 1 && !c.Next.IsZero() {
			args, opts := tickJob(c.Subscription, c.Next)
			_, err = s.riverLite.InsertTx(ctx, tx, args, opts)
		}
		return err
	}, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, fmt.Sprintf(claimTickQuery, "$1::bigint", "$2::bigint", "$3::bigint", "$4::text", "$5::bigint"), args...)
		if err != nil {
			return err
		}
		if n = tag.RowsAffected(); n == 1 && !c.Next.IsZero() {
			args, opts := tickJob(c.Subscription, c.Next)
			_, err = s.riverPG.InsertTx(ctx, tx, args, opts)
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: claim tick %s of subscription %d: %w", c.Tick.UTC().Format(time.RFC3339), c.Subscription, err)
	}
	return n == 1, nil
}
