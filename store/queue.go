package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/riverqueue/river/rivertype"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// Queue is Hookflow's durable work queue: a River client on the store's
// database. Work added by later steps registers its workers here before Start.
type Queue struct {
	start         func(context.Context) error
	stop          func(context.Context) error
	stopAndCancel func(context.Context) error
	jobs          atomic.Pointer[jobsBox]
	resumes       atomic.Pointer[resumesBox]
	// requeue makes jobs that a crash left running available (SQLite).
	requeue func(context.Context) error
	// started and stopped keep this instance alive among those sharing
	// the database while the queue runs (instances.go).
	started func(context.Context) error
	stopped func(context.Context)
	// halted is set once Stop or StopAndCancel is called: the queue takes
	// no new jobs from then on (Halted).
	halted atomic.Bool
}

// Halted reports whether the queue was stopped, or is stopping: a
// server shutting down. A queue not started yet is not halted.
func (q *Queue) Halted() bool { return q.halted.Load() }

// Jobs is the work behind the queue's delivery and deregistration jobs;
// flows.Lifecycle does it. final is true on the last allowed attempt.
// Deliver runs one delivery and returns its executions, to be stored with
// the delivery; when it returns an error, nothing is stored and the
// delivery runs again later (the executions it returns then are those
// that will not be stored).
type Jobs interface {
	Deliver(ctx context.Context, d flows.Delivery, final bool) ([]*flows.Execution, error)
	Deregister(ctx context.Context, subscriptionID int64, final bool) error
	// Tick runs a scheduled flow's tick (schedules.go).
	Tick(ctx context.Context, subscriptionID int64, tick time.Time) error
	// HookEvent runs a flow on a Hookflow Event card for an event (eventhooks_flows.go).
	HookEvent(ctx context.Context, flowID int64, ev flows.HookEvent) error
}

type jobsBox struct{ Jobs }

// Handle sets the work of delivery and deregistration jobs; call it before Start.
func (q *Queue) Handle(j Jobs) { q.jobs.Store(&jobsBox{j}) }

func (q *Queue) handler() (Jobs, error) {
	b := q.jobs.Load()
	if b == nil {
		return nil, errors.New("store: the queue has no job handler")
	}
	return b.Jobs, nil
}

// Start runs the queue's workers and periodic jobs. On SQLite, whose
// database one server owns, jobs left running by a crash are made
// available again first: no other process can be running them.
func (q *Queue) Start(ctx context.Context) error {
	if q.requeue != nil {
		if err := q.requeue(ctx); err != nil {
			return fmt.Errorf("store: requeue jobs of a crashed run: %w", err)
		}
	}
	if q.started != nil {
		if err := q.started(ctx); err != nil {
			return err
		}
	}
	if err := q.start(ctx); err != nil {
		return fmt.Errorf("store: start queue: %w", err)
	}
	return nil
}

// Stop lets running jobs finish (until ctx ends), then stops the queue.
func (q *Queue) Stop(ctx context.Context) error {
	q.halted.Store(true)
	if err := q.stop(ctx); err != nil {
		return fmt.Errorf("store: stop queue: %w", err)
	}
	q.left(ctx)
	return nil
}

// left says this instance runs no job any more.
func (q *Queue) left(ctx context.Context) {
	if q.stopped != nil {
		q.stopped(context.WithoutCancel(ctx))
	}
}

// StopAndCancel cancels the jobs still running and waits for them to end
// (until ctx ends), then stops the queue. A delivery job canceled so
// records nothing: its payloads run again on the next start.
func (q *Queue) StopAndCancel(ctx context.Context) error {
	q.halted.Store(true)
	if err := q.stopAndCancel(ctx); err != nil {
		return fmt.Errorf("store: stop queue: %w", err)
	}
	q.left(ctx)
	return nil
}

// warnOnly passes on River's warnings and errors; its info lines are chatter.
type warnOnly struct{ slog.Handler }

func (h warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h warnOnly) WithAttrs(as []slog.Attr) slog.Handler { return warnOnly{h.Handler.WithAttrs(as)} }
func (h warnOnly) WithGroup(n string) slog.Handler       { return warnOnly{h.Handler.WithGroup(n)} }

// pruneLoginFailuresArgs is the periodic job that forgets old sign-in
// attempts (its kind keeps its first name: jobs in the queue carry it).
type pruneLoginFailuresArgs struct{}

func (pruneLoginFailuresArgs) Kind() string { return "prune_login_failures" }

type pruneLoginFailuresWorker struct {
	river.WorkerDefaults[pruneLoginFailuresArgs]
	store *Store
}

func (w *pruneLoginFailuresWorker) Work(ctx context.Context, _ *river.Job[pruneLoginFailuresArgs]) error {
	_, err := w.store.PruneLoginAttempts(ctx, time.Now().Add(-loginWindow))
	return err
}

// pruneExecutionsArgs is the periodic job that applies the retention.
type pruneExecutionsArgs struct{}

func (pruneExecutionsArgs) Kind() string { return "prune_executions" }

type pruneExecutionsWorker struct {
	river.WorkerDefaults[pruneExecutionsArgs]
	store *Store
}

func (w *pruneExecutionsWorker) Work(ctx context.Context, _ *river.Job[pruneExecutionsArgs]) error {
	n, err := w.store.PruneExecutions(ctx, w.store.cfg.Retention)
	if n > 0 {
		w.store.log.Info("pruned executions past the retention", "count", n)
	}
	return err
}

// deliveryArgs is the job that runs deliveries: those that name it
// (deliveries.job_id, see openJob), or those it lists (jobs queued before
// deliveries named their job).
type deliveryArgs struct {
	Deliveries []int64 `json:"deliveries,omitempty"`
}

func (deliveryArgs) Kind() string { return "delivery" }

// InsertOpts puts delivery jobs in a queue of their own (deliveryQueue).
func (deliveryArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: deliveryQueue} }

// deliveryQueue is River's queue of delivery jobs. A job waits for its
// deliveries' runs, which may wait on the outside world for minutes: the
// queue has workers for many such jobs at once, and the pipeline, not
// River, paces the runs.
const (
	deliveryQueue        = "deliveries"
	deliveryQueueWorkers = 2000
)

type deliveryWorker struct {
	river.WorkerDefaults[deliveryArgs]
	store *Store
}

func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[deliveryArgs]) error {
	j, err := w.store.queue.handler()
	if err != nil {
		return err
	}
	// Loaded when the job's turn comes (runJob): at most one job's
	// deliveries wait in memory to start.
	load := func(ctx context.Context) ([]flows.Delivery, error) {
		if len(job.Args.Deliveries) > 0 {
			return w.store.queuedDeliveries(ctx, job.Args.Deliveries)
		}
		return w.store.deliveriesOfJob(ctx, job.ID)
	}
	return w.store.pipe.runJob(ctx, j, load, job.Attempt >= job.MaxAttempts)
}

// deregistrationArgs is the job that deregisters a subscription turned off.
type deregistrationArgs struct {
	Subscription int64 `json:"subscription"`
}

func (deregistrationArgs) Kind() string { return "deregistration" }

type deregistrationWorker struct {
	river.WorkerDefaults[deregistrationArgs]
	store *Store
}

func (w *deregistrationWorker) Work(ctx context.Context, job *river.Job[deregistrationArgs]) error {
	j, err := w.store.queue.handler()
	if err != nil {
		return err
	}
	return j.Deregister(ctx, job.Args.Subscription, job.Attempt >= job.MaxAttempts)
}

// backoff retries after base, 2·base, 4·base … (at most an hour), with up
// to 10% jitter.
type backoff struct{ base time.Duration }

func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	d := b.base << min(max(job.Attempt-1, 0), 20)
	if d > time.Hour || d <= 0 {
		d = time.Hour
	}
	d += time.Duration(mrand.Int64N(int64(d)/10 + 1))
	return time.Now().Add(d)
}

func newQueue(ctx context.Context, s *Store) (*Queue, error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &pruneLoginFailuresWorker{store: s})
	river.AddWorker(workers, &deliveryWorker{store: s})
	river.AddWorker(workers, &pruneExecutionsWorker{store: s})
	river.AddWorker(workers, &deregistrationWorker{store: s})
	river.AddWorker(workers, &resumeWorker{store: s})
	river.AddWorker(workers, &scheduleTickWorker{store: s})
	river.AddWorker(workers, &hookSendWorker{store: s})
	river.AddWorker(workers, &hookFlowWorker{store: s})
	cfg := &river.Config{
		ID:     s.instance,
		Logger: slog.New(warnOnly{s.log.Handler()}).With("component", "queue"),
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 8},
			deliveryQueue: {MaxWorkers: deliveryQueueWorkers},
			resumeQueue:   {MaxWorkers: resumeQueueWorkers},
			scheduleQueue: {MaxWorkers: scheduleQueueWorkers},
			hookQueue:     {MaxWorkers: hookQueueWorkers},
			hookFlowQueue: {MaxWorkers: hookFlowQueueWorkers}},
		Workers:     workers,
		MaxAttempts: s.cfg.MaxAttempts,
		RetryPolicy: backoff{base: s.cfg.RetryBase},
		// Jobs are fetched at most once per cooldown. A delivery job
		// gathers the requests accepted while it waits to be fetched (see
		// openJob and jobShapes). A request waits at most that long to start.
		FetchCooldown:               jobShapes[s.dialect].cooldown,
		FetchPollInterval:           200 * time.Millisecond,
		CompletedJobRetentionPeriod: time.Hour,
		// A job may run as long as a flow (5 minutes); on Postgres, where
		// other servers may hold jobs, one running past that is rescued.
		JobTimeout:           6 * time.Minute,
		RescueStuckJobsAfter: 7 * time.Minute,
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(10*time.Minute),
				func() (river.JobArgs, *river.InsertOpts) { return pruneLoginFailuresArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(10*time.Minute),
				func() (river.JobArgs, *river.InsertOpts) { return pruneExecutionsArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
		},
	}
	switch s.dialect {
	case Postgres:
		q, c, err := riverQueue[pgx.Tx](ctx, riverpgxv5.New(s.pgPool), cfg)
		s.riverPG = c
		if q != nil {
			q.started, q.stopped = s.startInstance, s.stopInstance
		}
		return q, err
	default:
		q, c, err := riverQueue[*sql.Tx](ctx, riversqlite.New(s.sqlDB), cfg)
		s.riverLite = c
		if q != nil {
			q.requeue = func(ctx context.Context) error {
				if _, err := s.sqlDB.ExecContext(ctx, "UPDATE river_job SET state = 'available' WHERE state = 'running'"); err != nil {
					return err
				}
				// Runs shown as running when the server stopped did not finish.
				if err := s.failStrandedSQLite(ctx); err != nil {
					return err
				}
				// Nor did the polls going on (polls.go).
				return freePollLeases(ctx, s.sqlDB)
			}
		}
		return q, err
	}
}

func riverQueue[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], cfg *river.Config) (*Queue, *river.Client[TTx], error) {
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("store: river migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, nil, fmt.Errorf("store: river migrations: %w", err)
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("store: river client: %w", err)
	}
	return &Queue{start: client.Start, stop: client.Stop, stopAndCancel: client.StopAndCancel}, client, nil
}
