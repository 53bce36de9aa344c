package store

import (
	"context"
	"errors"
	"fmt"
)

// On SQLite, rows that runs write one at a time — Create Row, Update
// Row, Delete Row — reach the database through one goroutine, the row
// writer (rowLoop). It writes every request waiting at that moment in one
// transaction (group commit), each in a savepoint of its own, so that a
// commit's flush to the disk is shared by all who wait for it, and one
// refused row (a unique value taken) fails only itself. Each request is
// answered once its transaction has committed. On Postgres each write is
// a statement of its own: the server commits concurrent writes together.

// maxRowBatch bounds the row writes one transaction holds.
const maxRowBatch = 512

// rowWrite is one write handed to the row writer.
type rowWrite struct {
	ctx  context.Context
	fn   func(ctx context.Context, q queryer) error
	err  error
	done chan struct{}
}

// errStoreClosed is why a write was not made: the store is closing.
var errStoreClosed = errors.New("store: closed")

// writeRow runs fn, one write of a row, on the database: on SQLite in the
// row writer's next transaction, on Postgres at once.
func (s *Store) writeRow(ctx context.Context, fn func(ctx context.Context, q queryer) error) error {
	if s.dialect != SQLite {
		return fn(ctx, s.sqlDB)
	}
	s.tables.writerOnce.Do(func() {
		s.tables.writes = make(chan *rowWrite, maxRowBatch)
		s.tables.writerDone = make(chan struct{})
		go s.rowLoop()
	})
	w := &rowWrite{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case s.tables.writes <- w:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closed:
		return errStoreClosed
	}
	// Once handed over, the write is made or refused as a whole: wait,
	// unless the writer has ended without taking it.
	select {
	case <-w.done:
	case <-s.tables.writerDone:
		select {
		case <-w.done:
		default:
			return errStoreClosed
		}
	}
	return w.err
}

// rowLoop is the row writer. It ends when the store closes, answering
// every write it took first.
func (s *Store) rowLoop() {
	defer close(s.tables.writerDone)
	ctx := context.Background()
	for {
		var batch []*rowWrite
		select {
		case w := <-s.tables.writes:
			batch = append(batch, w)
		case <-s.closed:
			return
		}
	more:
		for len(batch) < maxRowBatch {
			select {
			case w := <-s.tables.writes:
				batch = append(batch, w)
			default:
				break more
			}
		}
		s.writeBatch(ctx, batch)
		for _, w := range batch {
			close(w.done)
		}
	}
}

// writeBatch writes a batch in one transaction, each write in a savepoint.
func (s *Store) writeBatch(ctx context.Context, batch []*rowWrite) {
	tx, err := s.sqlDB.BeginTx(ctx, nil)
	if err != nil {
		for _, w := range batch {
			w.err = fmt.Errorf("store: write a row: %w", err)
		}
		return
	}
	defer tx.Rollback()
	for _, w := range batch {
		if w.err = w.ctx.Err(); w.err != nil {
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT row"); err != nil {
			w.err = err
			continue
		}
		w.err = w.fn(ctx, tx)
		if w.err != nil {
			_, err = tx.ExecContext(ctx, "ROLLBACK TO row")
		}
		if _, e := tx.ExecContext(ctx, "RELEASE row"); err == nil {
			err = e
		}
		if err != nil { // the transaction is in doubt: fail the batch
			for _, w := range batch {
				w.err = fmt.Errorf("store: write a row: %w", err)
			}
			return
		}
	}
	if err := tx.Commit(); err != nil {
		for _, w := range batch {
			if w.err == nil {
				w.err = fmt.Errorf("store: write a row: %w", err)
			}
		}
	}
}
