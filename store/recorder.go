package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// On SQLite the execution history has a file of its own (historyFile)
// and a writer of its own, the recorder: storing the runs of finished
// deliveries, their search index above all, never holds up the main
// writer, and so never an acknowledgement. SQLite commits a transaction
// atomically in one file only, so a delivery is finished in two steps:
//
//  1. the recorder writes its executions, and its id in
//     finished_deliveries, if it is still queued and not there yet;
//  2. the main writer marks it done (finishQueries).
//
// Should the server stop between the two, Open finishes the deliveries
// that finished_deliveries names (finishRecorded): none is run again, and
// none is recorded twice. Every pruneRecordedEvery the recorder forgets
// the ids of the deliveries that are no longer queued.

// maxRecordBatch bounds the finished deliveries one recorder transaction
// writes: several pieces (maxFinishBatch) when they wait together, for
// fewer, larger search index segments.
const maxRecordBatch = 4 * maxFinishBatch

// pruneRecordedEvery is how often the recorder forgets finished deliveries.
const pruneRecordedEvery = time.Second

// recorderStmts are the recorder's statements, prepared once on its
// connection.
type recorderStmts struct {
	mark, pack, execution, fts, prune *sql.Stmt
}

// prepareRecorder prepares the recorder's statements.
func (s *Store) prepareRecorder(ctx context.Context) (*recorderStmts, error) {
	var st recorderStmts
	p := preparer{ctx: ctx, db: s.histDB}
	// deliveries is in the main file, attached read-only.
	st.mark = p.prep("INSERT INTO finished_deliveries (id) SELECT id FROM deliveries WHERE id IN (SELECT value FROM json_each(?)) AND state = '" +
		deliveryQueued + "' ON CONFLICT DO NOTHING RETURNING id")
	st.pack = p.prep("INSERT INTO execution_packs (packed) VALUES (?)")
	st.execution = p.prep(insertExecutionSQLite)
	st.fts = p.prep("INSERT INTO executions_fts (rowid, body) VALUES (?, ?)")
	st.prune = p.prep("DELETE FROM finished_deliveries WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = finished_deliveries.id AND d.state = '" +
		deliveryQueued + "')")
	if p.err != nil {
		return nil, fmt.Errorf("store: prepare the recorder's statements: %w", p.err)
	}
	return &st, nil
}

// record hands finished deliveries to the recorder and waits for their
// transactions (step 1); it returns the first error.
func (s *Store) record(ctx context.Context, reqs []*writeReq) error {
	s.recordOnce.Do(func() {
		s.records = make(chan *writeReq, 1024)
		go s.recordLoop()
	})
	return s.handOver(ctx, s.records, reqs)
}

// recordLoop is the recorder: it writes in one transaction the finished
// deliveries waiting at that moment, up to maxRecordBatch. Should the
// transaction fail, each request is written alone.
func (s *Store) recordLoop() {
	var st *recorderStmts
	var pruned time.Time
	for {
		var batch []*writeReq
		select {
		case r := <-s.records:
			batch = append(batch, r)
		case <-s.closed:
			return
		}
	fill:
		for n := len(batch[0].finish); n < maxRecordBatch; {
			select {
			case r := <-s.records:
				batch, n = append(batch, r), n+len(r.finish)
			default:
				break fill
			}
		}
		var err error
		if st == nil {
			st, err = s.prepareRecorder(context.Background())
		}
		if err != nil {
			for _, r := range batch {
				r.err = err
			}
		} else if prune := time.Since(pruned) >= pruneRecordedEvery; s.recordAll(st, batch, prune) && prune {
			pruned = time.Now()
		}
		for _, r := range batch {
			close(r.done)
		}
	}
}

// recordAll writes a batch and sets each request's outcome; it reports
// whether the batch was written whole. Should it fail, each request is
// written alone: one bad request fails only itself.
func (s *Store) recordAll(st *recorderStmts, batch []*writeReq, prune bool) bool {
	err := s.recordBatch(st, batch, prune)
	for _, r := range batch {
		if err != nil && len(batch) > 1 {
			r.err = s.recordBatch(st, []*writeReq{r}, false)
		} else {
			r.err = err
		}
	}
	return err == nil
}

// recordBatch writes a batch's executions in one transaction of the
// recorder's, and forgets finished deliveries if prune.
func (s *Store) recordBatch(st *recorderStmts, batch []*writeReq, prune bool) error {
	ctx := context.Background() // as in writeBatch: the transaction runs to its end
	var fs []finishing
	for _, r := range batch {
		fs = append(fs, r.finish...)
	}
	list, err := json.Marshal(finishIDs(fs))
	if err != nil {
		return err
	}
	tx, err := s.histDB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if prune {
		if _, err := tx.StmtContext(ctx, st.prune).ExecContext(ctx); err != nil {
			return err
		}
	}
	rs, err := tx.StmtContext(ctx, st.mark).QueryContext(ctx, string(list))
	if err != nil {
		return err
	}
	marked := map[int64]bool{}
	if err := scanIDs(rs, marked); err != nil {
		return err
	}
	if err := recordSQLite(ctx, tx, st, fs, marked); err != nil {
		return err
	}
	return tx.Commit()
}

// recordSQLite inserts the executions of the deliveries of fs that marked
// lists, with their packs and search entries.
func recordSQLite(ctx context.Context, tx *sql.Tx, st *recorderStmts, fs []finishing, marked map[int64]bool) error {
	ins, fts := tx.StmtContext(ctx, st.execution), tx.StmtContext(ctx, st.fts)
	packs := map[*executionPack]int64{} // inserted: their ids
	for _, f := range fs {
		if !marked[f.id] {
			continue
		}
		marked[f.id] = false // a delivery listed twice is written once
		pack, ok := packs[f.pack]
		if !ok {
			res, err := tx.StmtContext(ctx, st.pack).ExecContext(ctx, f.pack.packed)
			if err != nil {
				return err
			}
			if pack, err = res.LastInsertId(); err != nil {
				return err
			}
			packs[f.pack] = pack
		}
		for _, x := range f.rows {
			x.r.PackID = &pack
			res, err := ins.ExecContext(ctx, x.r.values()...)
			if err != nil {
				return err
			}
			rowid, err := res.LastInsertId()
			if err != nil {
				return err
			}
			if _, err := fts.ExecContext(ctx, rowid, x.text); err != nil {
				return err
			}
		}
	}
	return nil
}

// finishRecorded marks done the deliveries whose executions the history
// holds (step 2 of a finish the server stopped in); Open runs it before
// the queue starts.
func (s *Store) finishRecorded(ctx context.Context) error {
	var ids []int64
	if err := s.db.WithContext(ctx).Raw("SELECT id FROM history.finished_deliveries").Scan(&ids).Error; err != nil {
		return fmt.Errorf("store: finished deliveries: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	var reqs []*writeReq
	for len(ids) > 0 {
		n := min(len(ids), maxFinishBatch)
		req := &writeReq{finish: make([]finishing, n)}
		for i, id := range ids[:n] {
			req.finish[i].id = id
		}
		reqs, ids = append(reqs, req), ids[n:]
	}
	if err := s.write(ctx, reqs...); err != nil {
		return fmt.Errorf("store: finish recorded deliveries: %w", err)
	}
	return nil
}
