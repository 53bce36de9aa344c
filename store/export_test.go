package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// TableText returns every row of a table as text, for tests that look for
// what must not be stored in the clear.
func TableText(ctx context.Context, s *Store, table string) (string, error) {
	var rows []map[string]any
	if err := s.db.WithContext(ctx).Table(table).Find(&rows).Error; err != nil {
		return "", err
	}
	var out []byte
	for _, r := range rows {
		for k, v := range r {
			out = append(out, k...)
			out = append(out, '=')
			if x, ok := v.(string); ok && k == "packed" {
				v = []byte(x)
			}
			switch x := v.(type) {
			case []byte:
				if k == "packed" && len(x) > 0 && table == "execution_packs" {
					pack, err := thePacker.unpack(x)
					if err != nil {
						return "", err
					}
					x = pack
				}
				out = append(out, x...)
			case string:
				out = append(out, x...)
			}
			out = append(out, '\n')
		}
	}
	return string(out), nil
}

// DeliveryRows returns the stored deliveries: id → state and the size of
// the stored request body.
func DeliveryRows(ctx context.Context, s *Store) (map[int64]string, error) {
	var rs []deliveryRecord
	if err := s.db.WithContext(ctx).Find(&rs).Error; err != nil {
		return nil, err
	}
	out := map[int64]string{}
	for _, r := range rs {
		out[r.ID] = fmt.Sprintf("%s, %d bytes", r.State, len(r.Body))
	}
	return out, nil
}

// CommitTogether writes accepts and finishes as one batch of the writer
// (as if they had arrived together) and returns each one's outcome, the
// accepts' first. On SQLite the finishes are first recorded as one batch
// of the recorder, and those it failed are left out of the writer's.
func CommitTogether(s *Store, accepts []flows.Delivery, finishes [][]flows.FinishedDelivery) []error {
	p := s.pipe
	var all, batch, recorded []*writeReq
	for _, d := range accepts {
		r, err := acceptRequest(d)
		if err != nil {
			panic(err)
		}
		all = append(all, r)
	}
	for _, f := range finishes {
		var piece []*finished
		for _, d := range f {
			piece = append(piece, &finished{runs: []flows.FinishedDelivery{d}})
		}
		r, err := p.encodePiece(piece)
		if err != nil {
			panic(err)
		}
		all, recorded = append(all, r), append(recorded, r)
	}
	if s.dialect == SQLite && len(recorded) > 0 {
		st, err := p.prepareRecorder(context.Background())
		if err != nil {
			panic(err)
		}
		p.recordAll(st, recorded, false)
	}
	for _, r := range all {
		if r.err == nil {
			batch = append(batch, r)
		}
	}
	p.commit(batch)
	out := make([]error, len(all))
	for i, r := range all {
		out[i] = r.err
	}
	return out
}

// ExecutionDocuments returns the stored documents of the executions, as
// JSON.
func ExecutionDocuments(ctx context.Context, s *Store) ([]string, error) {
	var rs []executionRecord
	if err := s.db.WithContext(ctx).Find(&rs).Error; err != nil {
		return nil, err
	}
	packs, err := loadPacks(s.db, rs)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		doc, err := docAt(packs[*r.PackID], r.PackIndex)
		if err != nil {
			return nil, err
		}
		out[i] = string(doc)
	}
	return out, nil
}

// DeliveryJobs lists the ids of the delivery jobs, oldest first.
func DeliveryJobs(ctx context.Context, s *Store) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Raw("SELECT id FROM river_job WHERE kind = ? ORDER BY id", deliveryArgs{}.Kind()).Scan(&ids).Error
	return ids, err
}

// SetJobState sets a job's state, as River's fetch (running) would.
func SetJobState(ctx context.Context, s *Store, job int64, state string) error {
	return s.db.WithContext(ctx).Exec("UPDATE river_job SET state = ? WHERE id = ?", state, job).Error
}

// DeliveriesOfJob lists the ids of the queued deliveries a job runs.
func DeliveriesOfJob(ctx context.Context, s *Store, job int64) ([]int64, error) {
	ds, err := LoadDeliveriesOfJob(ctx, s, job)
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	return ids, err
}

// LoadDeliveriesOfJob loads the queued deliveries a job runs, as its
// worker does.
func LoadDeliveriesOfJob(ctx context.Context, s *Store, job int64) ([]flows.Delivery, error) {
	return s.deliveriesOfJob(ctx, job)
}

// FillOpenJob makes the writer's open job full. Call it while no delivery
// is being written.
func FillOpenJob(s *Store) { s.pipe.open.size = jobShapes[s.dialect].deliveries }

// FetchJobSlowly marks a job running in a Postgres transaction left open,
// as River's fetch would while it commits; done commits it.
func FetchJobSlowly(ctx context.Context, s *Store, job int64) (done func() error, err error) {
	tx, err := s.pgPool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, "UPDATE river_job SET state = 'running' WHERE id = $1", job); err != nil {
		tx.Rollback(ctx)
		return nil, err
	}
	return func() error { return tx.Commit(ctx) }, nil
}

// ListDeliveriesInAJob turns deliveries into those of a job queued before
// deliveries named their job: they name none, and a new job lists them.
func ListDeliveriesInAJob(ctx context.Context, s *Store, ids []int64) error {
	err := s.db.WithContext(ctx).Exec("UPDATE deliveries SET job_id = NULL WHERE id IN ?", ids).Error
	if err != nil {
		return err
	}
	if s.dialect == Postgres {
		_, err = s.riverPG.Insert(ctx, deliveryArgs{Deliveries: ids}, nil)
	} else {
		_, err = s.riverLite.Insert(ctx, deliveryArgs{Deliveries: ids}, nil)
	}
	return err
}

// HoldWriter keeps SQLite's writer connection in a write transaction until
// release is called, as a long write would.
func HoldWriter(ctx context.Context, s *Store) (release func(), err error) {
	tx, err := s.sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE flows SET name = name"); err != nil {
		tx.Rollback()
		return nil, err
	}
	return func() { tx.Rollback() }, nil
}

// PauseWriter keeps the writer from writing, so that requests queue for
// it; start lets it go on.
func PauseWriter(s *Store) (start func()) {
	hold := make(chan struct{})
	s.pipe.writes <- &writeReq{hold: hold, done: make(chan struct{})}
	for len(s.pipe.writes) > 0 { // the writer has taken it
		time.Sleep(time.Millisecond)
	}
	return sync.OnceFunc(func() { close(hold) })
}

// PiecesWriting is how many pieces of finished runs are written at a time.
func PiecesWriting(s *Store) int { return piecesWriting[s.dialect] }

// QueuedWrites counts the requests waiting for the writer.
func QueuedWrites(s *Store) int { return len(s.pipe.writes) }

// WatchCommits calls f after each transaction of the writer with the
// accepted and finished deliveries it wrote. Call it before anything is
// written.
func WatchCommits(s *Store, f func(accepts, finishes int)) {
	s.pipe.committed = func(batch []*writeReq) {
		a, n := 0, 0
		for _, r := range batch {
			if r.accept != nil {
				a++
			}
			n += len(r.finish)
		}
		f(a, n)
	}
}

// CountRows counts the rows of a table.
func CountRows(ctx context.Context, s *Store, table string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Table(table).Count(&n).Error
	return n, err
}

// SetWaitRecordGrace sets how long a resume job waits for its run's
// record, and returns the setting before.
func SetWaitRecordGrace(d time.Duration) time.Duration {
	return time.Duration(waitRecordGrace.Swap(int64(d)))
}

// StopRelay stops the relay of events to event hooks, as a crash before
// it ran would: events stay in the outbox.
func StopRelay(s *Store) { s.hooks.close() }

// OutboxLen counts the events in the outbox (both files on SQLite).
func OutboxLen(ctx context.Context, s *Store) (int64, error) {
	var n, h int64
	if err := s.reads.WithContext(ctx).Table("hook_outbox").Count(&n).Error; err != nil {
		return 0, err
	}
	if s.dialect == SQLite {
		if err := s.reads.WithContext(ctx).Table("history.hook_outbox").Count(&h).Error; err != nil {
			return 0, err
		}
	}
	return n + h, nil
}

// HoldEvent records ev in a transaction left open until the returned
// commit is called: an event whose writer commits after later ones.
func HoldEvent(t testing.TB, s *Store, ev flows.HookEvent) (commit func()) {
	t.Helper()
	tx := s.db.Begin()
	if tx.Error != nil {
		t.Fatal(tx.Error)
	}
	if err := s.emit(tx, ev); err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	return func() {
		if err := tx.Commit().Error; err != nil {
			t.Fatal(err)
		}
		s.hooks.poke()
	}
}

// RelayEvery makes the relay of the stores opened from now on until the
// test ends look every d.
func RelayEvery(t testing.TB, d time.Duration) {
	old := relayEvery
	relayEvery = d
	t.Cleanup(func() { relayEvery = old })
}

// RelayPasses counts the relay's full passes.
func RelayPasses(s *Store) int64 { return s.hooks.passes.Load() }

// StageEvent writes ev to the outbox whether or not a hook wants it, as
// another instance that still thought one did would.
func StageEvent(ctx context.Context, s *Store, ev flows.HookEvent) error {
	rec, err := outboxRecord(ev)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Create(&rec).Error
}

// SilenceInstance stops this instance's heartbeat and reaper and leaves its
// row in the instances table, as a process killed at once would (Postgres).
func SilenceInstance(s *Store) {
	if s.alive != nil {
		s.alive.stop()
		<-s.alive.done
		s.alive = nil
	}
}

// ReapInstances makes the instance dead look not heard from for longer
// than deadAfter, then runs the reaper of s once, as it runs every
// reapEvery.
func ReapInstances(ctx context.Context, s *Store, dead string) error {
	if err := s.db.WithContext(ctx).Exec("UPDATE instances SET seen_at = ? WHERE id = ?",
		time.Now().Add(-2*deadAfter).UTC(), dead).Error; err != nil {
		return err
	}
	return s.reapDeadInstances(ctx)
}

// InstanceAlive reports whether the instances table lists the instance id.
func InstanceAlive(ctx context.Context, s *Store, id string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Raw("SELECT count(*) FROM instances WHERE id = ?", id).Scan(&n).Error
	return n > 0, err
}

// ForgetInstance deletes the instance id from the instances table, as a
// reaper that ran before runs named their instance would have.
func ForgetInstance(ctx context.Context, s *Store, id string) error {
	return s.db.WithContext(ctx).Exec("DELETE FROM instances WHERE id = ?", id).Error
}

// Errors of a stranded run (stranded.go).
const (
	StrandedPayload = strandedPayload
	StrandedOther   = strandedOther
)
