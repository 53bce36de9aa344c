package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// On SQLite the execution history has a file of its own (historyFile) and
// a writer of its own, the recorder; see pipeline for why, and for the two
// steps that finish a delivery. Every pruneRecordedEvery the recorder
// forgets the ids of the deliveries that are no longer queued.

// maxRecordBatch bounds the executions' pieces one recorder transaction
// writes: several pieces when they wait together, for fewer, larger search
// index segments.
const maxRecordBatch = 4 * maxPiece

// pruneRecordedEvery is how often the recorder forgets finished deliveries.
const pruneRecordedEvery = time.Second

// recorderStmts are the recorder's statements, prepared once on its
// connection.
type recorderStmts struct {
	mark, pack, execution, fts, prune *sql.Stmt
	outbox                            *sql.Stmt // events for event hooks
	// replacing a record of a run as running (replaceSQLite)
	find, unindex, drop, dropPacks *sql.Stmt
}

// prepareRecorder prepares the recorder's statements.
func (p *pipeline) prepareRecorder(ctx context.Context) (*recorderStmts, error) {
	var st recorderStmts
	pr := preparer{ctx: ctx, db: p.s.histDB}
	// deliveries is in the main file, attached read-only.
	st.mark = pr.prep("INSERT INTO finished_deliveries (id) SELECT id FROM deliveries WHERE id IN (SELECT value FROM json_each(?)) AND state = '" +
		deliveryQueued + "' ON CONFLICT DO NOTHING RETURNING id")
	st.pack = pr.prep("INSERT INTO execution_packs (packed) VALUES (?)")
	st.execution = pr.prep(insertExecutionSQLite)
	st.fts = pr.prep("INSERT INTO executions_fts (rowid, body) VALUES (?, ?)")
	st.outbox = pr.prep(insertOutbox("?, ?, ?, ?"))
	st.prune = pr.prep("DELETE FROM finished_deliveries WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = finished_deliveries.id AND d.state = '" +
		deliveryQueued + "')")
	st.find = pr.prep("SELECT rowid, pack_id, status FROM executions WHERE id IN (SELECT value FROM json_each(?))")
	st.unindex = pr.prep("DELETE FROM executions_fts WHERE rowid = ?")
	st.drop = pr.prep("DELETE FROM executions WHERE rowid = ?")
	st.dropPacks = pr.prep("DELETE FROM execution_packs WHERE id IN (SELECT value FROM json_each(?)) AND NOT EXISTS (SELECT 1 FROM executions WHERE pack_id = execution_packs.id)")
	if pr.err != nil {
		return nil, fmt.Errorf("store: prepare the recorder's statements: %w", pr.err)
	}
	return &st, nil
}

// recordLoop is the recorder: it writes in one transaction the pieces
// waiting at that moment, up to maxRecordBatch executions' pieces. Should
// the transaction fail, each piece is written alone. It ends when the
// pipeline closes, once its queue is empty.
func (p *pipeline) recordLoop() {
	var st *recorderStmts
	var pruned time.Time
	for r := range p.records {
		batch := []*writeReq{r}
	fill:
		for n := len(r.finish); n < maxRecordBatch; {
			select {
			case r, ok := <-p.records:
				if !ok {
					break fill
				}
				batch, n = append(batch, r), n+len(r.finish)
			default:
				break fill
			}
		}
		var err error
		if st == nil {
			st, err = p.prepareRecorder(context.Background())
		}
		if err != nil {
			for _, r := range batch {
				r.err = err
			}
		} else {
			began, n := time.Now(), 0
			for _, r := range batch {
				n += len(r.finish)
			}
			if prune := time.Since(pruned) >= pruneRecordedEvery; p.recordAll(st, batch, prune) && prune {
				pruned = time.Now()
			}
			p.s.observer.Get().WriteCommitted(flows.BatchHistory, n, time.Since(began))
		}
		for _, r := range batch {
			close(r.done)
		}
	}
}

// recordAll writes a batch and sets each request's outcome; it reports
// whether the batch was written whole. Should it fail, each request is
// written alone: one bad request fails only itself.
func (p *pipeline) recordAll(st *recorderStmts, batch []*writeReq, prune bool) bool {
	err := p.recordBatch(st, batch, prune)
	for _, r := range batch {
		if err != nil && len(batch) > 1 {
			r.err = p.recordBatch(st, []*writeReq{r}, false)
		} else {
			r.err = err
		}
	}
	return err == nil
}

// recordBatch writes a batch's executions in one transaction of the
// recorder's, and forgets finished deliveries if prune.
func (p *pipeline) recordBatch(st *recorderStmts, batch []*writeReq, prune bool) error {
	ctx := context.Background() // as in writeBatch: the transaction runs to its end
	var fs []finishing
	for _, r := range batch {
		fs = append(fs, r.finish...)
	}
	tx, err := p.s.histDB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if prune {
		if _, err := tx.StmtContext(ctx, st.prune).ExecContext(ctx); err != nil {
			return err
		}
	}
	marked := map[int64]bool{0: true} // executions on their own are always recorded
	if ids := finishIDs(fs); len(ids) > 0 {
		list, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		rs, err := tx.StmtContext(ctx, st.mark).QueryContext(ctx, string(list))
		if err != nil {
			return err
		}
		if err := scanIDs(rs, marked); err != nil {
			return err
		}
	}
	if err := recordSQLite(ctx, tx, st, fs, marked); err != nil {
		return err
	}
	return tx.Commit()
}

// recordSQLite inserts the executions of the deliveries of fs that marked
// lists, and those recorded on their own, with their packs and search
// entries. The records they replace go first, all in a few statements
// (replaceSQLite); of one execution recorded twice in fs (as running, then
// ended) only the last record is written.
func recordSQLite(ctx context.Context, tx *sql.Tx, st *recorderStmts, fs []finishing, marked map[int64]bool) error {
	var write []finishing
	for _, f := range fs {
		if !marked[f.id] || len(f.rows) == 0 {
			continue
		}
		if f.id != 0 {
			marked[f.id] = false // a delivery listed twice is written once
		}
		write = append(write, f)
	}
	replaced, last := replacements(write)
	if err := replaceSQLite(ctx, tx, st, replaced); err != nil {
		return err
	}
	ins, fts := tx.StmtContext(ctx, st.execution), tx.StmtContext(ctx, st.fts)
	packs := map[*executionPack]int64{} // inserted: their ids
	for _, f := range write {
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
		for i := range f.rows {
			x := &f.rows[i]
			if l, ok := last[x.r.ID]; ok && l != x {
				continue // recorded again further on in this batch
			}
			x.r.PackID = &pack
			res, err := ins.ExecContext(ctx, x.r.values()...)
			if err != nil {
				return err
			}
			rowid, err := res.LastInsertId()
			if err != nil {
				return err
			}
			if x.text == "" {
				continue // a run still going: not in the search index
			}
			if _, err := fts.ExecContext(ctx, rowid, x.text); err != nil {
				return err
			}
		}
		for _, ev := range f.events {
			if _, err := tx.StmtContext(ctx, st.outbox).ExecContext(ctx, ev.UUID, ev.EventType, ev.Event, ev.CreatedAt); err != nil {
				return err
			}
		}
	}
	return nil
}

// replacements lists the executions whose records in write replace
// earlier ones, and the last record of each in write. Only such an
// execution can be recorded twice in one batch (as running, then ended):
// its later record replaces the one before.
func replacements(write []finishing) ([]string, map[string]*executionRow) {
	var ids []string
	var last map[string]*executionRow
	for _, f := range write {
		for i := range f.rows {
			if x := &f.rows[i]; x.replaces {
				if last == nil {
					last = map[string]*executionRow{}
				}
				if _, ok := last[x.r.ID]; !ok {
					ids = append(ids, x.r.ID)
				}
				last[x.r.ID] = x
			}
		}
	}
	return ids, last
}

// replaceSQLite deletes the earlier records of the executions ids (those
// recorded as running, or waiting), their search entries, and the packs
// that then hold no execution's document, before their new records. One
// query finds them all: each query in a transaction costs database/sql a
// goroutine, the statements that only write cost none.
func replaceSQLite(ctx context.Context, tx *sql.Tx, st *recorderStmts, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	rs, err := tx.StmtContext(ctx, st.find).QueryContext(ctx, string(list))
	if err != nil {
		return err
	}
	type found struct {
		rowid   int64
		pack    sql.NullInt64
		indexed bool
	}
	var olds []found
	for rs.Next() {
		var o found
		var status string
		if err := rs.Scan(&o.rowid, &o.pack, &status); err != nil {
			rs.Close()
			return err
		}
		o.indexed = status != string(flows.StatusRunning) // one still going is not in the search index
		olds = append(olds, o)
	}
	if err := rs.Close(); err != nil {
		return err
	}
	if err := rs.Err(); err != nil {
		return err
	}
	var packs []int64
	for _, o := range olds {
		if o.indexed {
			if _, err := tx.StmtContext(ctx, st.unindex).ExecContext(ctx, o.rowid); err != nil {
				return err
			}
		}
		if _, err := tx.StmtContext(ctx, st.drop).ExecContext(ctx, o.rowid); err != nil {
			return err
		}
		if o.pack.Valid {
			packs = append(packs, o.pack.Int64) // a pack named twice is dropped once
		}
	}
	if len(packs) == 0 {
		return nil
	}
	if list, err = json.Marshal(packs); err != nil {
		return err
	}
	_, err = tx.StmtContext(ctx, st.dropPacks).ExecContext(ctx, string(list))
	return err
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
		n := min(len(ids), maxPiece)
		req := &writeReq{finish: make([]finishing, n)}
		for i, id := range ids[:n] {
			req.finish[i].id = id
		}
		reqs, ids = append(reqs, req), ids[n:]
	}
	if err := s.pipe.handOver(ctx, s.pipe.writes, reqs...); err != nil {
		return fmt.Errorf("store: finish recorded deliveries: %w", err)
	}
	return nil
}

// forgetRunning deletes executions recorded as running whose runs will
// not be recorded: their delivery did not finish and runs again.
func (s *Store) forgetRunning(ctx context.Context, ids []string) error {
	err := s.hist.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		_, err := s.deleteExecutions(tx, "id IN ? AND status = ?", ids, "running")
		return err
	})
	if err != nil {
		return fmt.Errorf("store: forget running executions: %w", err)
	}
	return nil
}
