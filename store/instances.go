package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Several Hookflow processes may share one Postgres database. Each is an
// instance: it has an id (River's client id too, so that a running job
// names the instance that runs it), and while its queue runs it says it
// is alive every heartbeatEvery in the instances table. Every instance
// looks for dead ones every reapEvery: one not heard from for deadAfter is
// gone, and the jobs it was running become available again at once, for
// a live instance to run (River's own rescue waits for the job timeout, 7
// minutes). A delivery job run again runs only the deliveries that are
// still queued, so every acknowledged payload runs exactly once.
//
// Instances also reach each other to cancel a run (RequestCancel): on
// Postgres through NOTIFY, which every instance LISTENs to.
//
// On SQLite one process owns the database: at start, every job left
// running is its own, from before a crash (Queue.Start).

// Timings of the instances' liveness.
const (
	heartbeatEvery = 2 * time.Second
	reapEvery      = 5 * time.Second
	deadAfter      = 15 * time.Second
	// abandonedAfter is when a run still shown as running, recorded before
	// runs named their instance, is taken for one whose instance died: no
	// run goes on longer than the run time limit.
	abandonedAfter = 10 * time.Minute
)

// cancelChannel is the Postgres channel that carries cancel requests.
const cancelChannel = "hookflow_cancel"

// newInstanceID returns an id for this process: host, process id and
// random bits, readable in River's job rows.
func newInstanceID() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// InstanceID is this process's id among the instances sharing the database.
func (s *Store) InstanceID() string { return s.instance }

// instances keeps this instance alive in the database and reaps the dead
// (Postgres); stop ends it and says this instance is gone.
type instances struct {
	stop func()
	done chan struct{}
}

// startInstance registers this instance and starts its heartbeat and
// reaper (Postgres only).
func (s *Store) startInstance(ctx context.Context) error {
	if s.dialect != Postgres {
		return nil
	}
	if err := s.db.WithContext(ctx).Exec("INSERT INTO instances (id, started_at, seen_at) VALUES (?, now(), now()) "+
		"ON CONFLICT (id) DO UPDATE SET seen_at = now()", s.instance).Error; err != nil {
		return fmt.Errorf("store: register instance: %w", err)
	}
	if err := s.failStrandedPG(s.db.WithContext(ctx)); err != nil {
		return fmt.Errorf("store: mark the runs of stopped instances failed: %w", err)
	}
	lctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.alive = &instances{stop: stop, done: make(chan struct{})}
	go func() {
		defer close(s.alive.done)
		beat, reap := time.NewTicker(heartbeatEvery), time.NewTicker(reapEvery)
		defer beat.Stop()
		defer reap.Stop()
		for {
			select {
			case <-lctx.Done():
				return
			case <-beat.C:
				if err := s.heartbeat(lctx); err != nil && lctx.Err() == nil {
					s.log.Warn("store: instance heartbeat", "err", err)
				}
			case <-reap.C:
				if err := s.reapDeadInstances(lctx); err != nil && lctx.Err() == nil {
					s.log.Warn("store: reap dead instances", "err", err)
				}
			}
		}
	}()
	return nil
}

// stopInstance ends the heartbeat and says this instance is gone: it
// runs no job any more.
func (s *Store) stopInstance(ctx context.Context) {
	if s.alive == nil {
		return
	}
	s.alive.stop()
	<-s.alive.done
	if err := s.db.WithContext(ctx).Exec("DELETE FROM instances WHERE id = ?", s.instance).Error; err != nil {
		s.log.Warn("store: unregister instance", "err", err)
	}
}

// heartbeat says this instance is alive.
func (s *Store) heartbeat(ctx context.Context) error {
	return s.db.WithContext(ctx).Exec("INSERT INTO instances (id, started_at, seen_at) VALUES (?, now(), now()) "+
		"ON CONFLICT (id) DO UPDATE SET seen_at = now()", s.instance).Error
}

// reapDeadInstances forgets the instances not heard from for deadAfter and
// makes the jobs they were running available again, and marks failed the
// runs recorded as running by an instance that is gone (stranded.go).
func (s *Store) reapDeadInstances(ctx context.Context) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var dead []string
		if err := tx.Raw("DELETE FROM instances WHERE seen_at < now() - make_interval(secs => ?) RETURNING id", deadAfter.Seconds()).Scan(&dead).Error; err != nil {
			return err
		}
		if len(dead) > 0 {
			res := tx.Exec("UPDATE river_job SET state = 'available', scheduled_at = now() "+
				"WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] IN ?", dead)
			if res.Error != nil {
				return res.Error
			}
			s.log.Warn("store: instances stopped answering; their running jobs run again", "instances", dead, "jobs", res.RowsAffected)
		}
		return s.failStrandedPG(tx)
	})
}

// RequestCancel asks every instance sharing the database to cancel a run
// (execution id) and the flows it called; the one running it does.
func (s *Store) RequestCancel(ctx context.Context, id string) error {
	if s.dialect == Postgres {
		if err := s.db.WithContext(ctx).Exec("SELECT pg_notify(?, ?)", cancelChannel, id).Error; err != nil {
			return fmt.Errorf("store: request cancel: %w", err)
		}
		return nil
	}
	s.cancels.mu.Lock()
	handle := s.cancels.handle
	s.cancels.mu.Unlock()
	if handle != nil {
		handle(id)
	}
	return nil
}

// cancels is what this instance does with the cancel requests of all.
type cancels struct {
	mu     sync.Mutex
	handle func(id string) bool
}

// HandleCancels makes this instance cancel the runs the instances sharing
// the database ask to cancel (RequestCancel): handle cancels one if it
// runs here. On Postgres it listens until the store closes.
func (s *Store) HandleCancels(handle func(id string) bool) {
	s.cancels.mu.Lock()
	first := s.cancels.handle == nil
	s.cancels.handle = handle
	s.cancels.mu.Unlock()
	if first && s.dialect == Postgres {
		go s.listenCancels()
	}
}

// listenCancels LISTENs for cancel requests on a connection of its own,
// connecting again after a failure, until the store closes.
func (s *Store) listenCancels() {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-s.closed; cancel() }()
	for ctx.Err() == nil {
		err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("store: listen for cancel requests", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) listenOnce(ctx context.Context) error {
	conn, err := s.pgPool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+cancelChannel); err != nil {
		return err
	}
	defer conn.Exec(context.Background(), "UNLISTEN "+cancelChannel)
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		s.cancels.mu.Lock()
		handle := s.cancels.handle
		s.cancels.mu.Unlock()
		handle(n.Payload)
	}
}
