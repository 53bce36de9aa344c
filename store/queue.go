package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

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
	start func(context.Context) error
	stop  func(context.Context) error
}

// Start runs the queue's workers and periodic jobs.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.start(ctx); err != nil {
		return fmt.Errorf("store: start queue: %w", err)
	}
	return nil
}

// Stop lets running jobs finish (until ctx ends), then stops the queue.
func (q *Queue) Stop(ctx context.Context) error {
	if err := q.stop(ctx); err != nil {
		return fmt.Errorf("store: stop queue: %w", err)
	}
	return nil
}

// warnOnly passes on River's warnings and errors; its info lines are chatter.
type warnOnly struct{ slog.Handler }

func (h warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h warnOnly) WithAttrs(as []slog.Attr) slog.Handler { return warnOnly{h.Handler.WithAttrs(as)} }
func (h warnOnly) WithGroup(n string) slog.Handler       { return warnOnly{h.Handler.WithGroup(n)} }

// pruneLoginFailuresArgs is the periodic job that forgets old failed sign-ins.
type pruneLoginFailuresArgs struct{}

func (pruneLoginFailuresArgs) Kind() string { return "prune_login_failures" }

type pruneLoginFailuresWorker struct {
	river.WorkerDefaults[pruneLoginFailuresArgs]
	store *Store
}

func (w *pruneLoginFailuresWorker) Work(ctx context.Context, _ *river.Job[pruneLoginFailuresArgs]) error {
	_, err := w.store.PruneLoginFailures(ctx, time.Now().Add(-loginWindow))
	return err
}

func newQueue(ctx context.Context, s *Store) (*Queue, error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &pruneLoginFailuresWorker{store: s})
	cfg := &river.Config{
		Logger:  slog.New(warnOnly{s.log.Handler()}).With("component", "queue"),
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
		Workers: workers,
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(10*time.Minute),
				func() (river.JobArgs, *river.InsertOpts) { return pruneLoginFailuresArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
		},
	}
	switch s.dialect {
	case Postgres:
		return riverQueue[pgx.Tx](ctx, riverpgxv5.New(s.pgPool), cfg)
	default:
		return riverQueue[*sql.Tx](ctx, riversqlite.New(s.sqlDB), cfg)
	}
}

func riverQueue[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], cfg *river.Config) (*Queue, error) {
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		return nil, fmt.Errorf("store: river migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("store: river migrations: %w", err)
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: river client: %w", err)
	}
	return &Queue{start: client.Start, stop: client.Stop}, nil
}
