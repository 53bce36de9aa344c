package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// A run recorded as running names the instance that runs it (running_on,
// written with that record). Its final record replaces it. When the
// instance dies first — killed, crashed, the machine lost its power — the
// run is stranded: its record would show it running forever. Once an
// instance is known to be gone its stranded runs are marked failed:
//
//   - on SQLite, when the serving process starts its queue (Queue.Start):
//     one process serves the database, so every run recorded as running
//     by another is stranded;
//   - on Postgres, when the live instances reap a dead one, and when an
//     instance starts: every run recorded as running by an instance that
//     is not in the instances table (instances.go).
//
// Runs that wait (waiting, paused) are stored as such and resume later:
// they are left alone. A payload's run that was stranded runs again, as a
// new execution, since its delivery was not done; other runs just end.

// Errors of a stranded run, as its history shows them.
const (
	strandedPayload = "the server stopped while this ran; its payload runs again as a new execution"
	strandedOther   = "the server stopped while this ran, so the run did not finish"
)

// failStranded marks failed, ended now, the executions recorded as running
// that match where (a condition on the executions' columns) with args,
// and returns how many it marked.
func failStranded(db *gorm.DB, where string, args ...any) (int64, error) {
	res := db.Exec(`UPDATE executions SET status = 'failed', running_on = NULL, finished_at = ?, `+
		`error = CASE WHEN "trigger" = 'payload' THEN ? ELSE ? END `+
		`WHERE status = 'running' AND (`+where+`)`,
		append([]any{time.Now().UTC(), strandedPayload, strandedOther}, args...)...)
	return res.RowsAffected, res.Error
}

// failStrandedSQLite marks failed every execution recorded as running by
// another process than this one: Queue.Start calls it before the queue
// runs, when any earlier process is gone.
func (s *Store) failStrandedSQLite(ctx context.Context) error {
	n, err := failStranded(s.hist.WithContext(ctx), "running_on IS NULL OR running_on <> ?", s.instance)
	if err != nil {
		return fmt.Errorf("store: mark the runs the last server left running failed: %w", err)
	}
	if n > 0 {
		s.log.Warn("store: runs the last server left running are marked failed", "executions", n)
	}
	return nil
}

// failStrandedPG marks failed the executions recorded as running by an
// instance no longer in the instances table, in tx; the ones recorded
// before instances were named (running_on empty) once they are older than
// any run may go on.
func (s *Store) failStrandedPG(tx *gorm.DB) error {
	n, err := failStranded(tx, "running_on IS NOT NULL AND running_on NOT IN (SELECT id FROM instances)")
	if err != nil {
		return err
	}
	m, err := failStranded(tx, "running_on IS NULL AND started_at < ?", time.Now().Add(-abandonedAfter).UTC())
	if err != nil {
		return err
	}
	if n+m > 0 {
		s.log.Warn("store: runs of instances that stopped are marked failed", "executions", n+m)
	}
	return nil
}
