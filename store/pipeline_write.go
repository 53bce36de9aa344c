package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"

	"github.com/hookflow/hookflow/flows"
)

// writeReq is work for the writer — a delivery to accept, or an encoded
// piece of finished runs — and, on SQLite, for the recorder (the piece).
type writeReq struct {
	accept []any // a delivery's row (acceptRequest)
	finish []finishing
	hold   chan struct{} // tests: the writer waits for it to close

	duplicate bool // the delivery was a duplicate
	err       error
	done      chan struct{}
}

// finishing is a finished delivery (id) with its executions encoded, or,
// with id 0, executions recorded on their own.
type finishing struct {
	id   int64
	rows []executionRow
	pack *executionPack // holds the rows' documents
	// events are the rows' events for event hooks (eventhooks_relay.go),
	// written to the outbox with them.
	events []hookOutboxRecord
}

// executionPack is a pack of execution documents to insert (documents.go).
type executionPack struct{ packed []byte }

// executionRow is an execution ready to insert, with its search text;
// replaces says it was recorded as running before.
type executionRow struct {
	r        executionRecord
	text     string
	replaces bool
}

// AcceptDelivery stores a delivery and queues its job in one transaction,
// and returns once that transaction is committed. A delivery whose dedupe
// key the subscription has seen before is a duplicate: nothing is stored
// or queued. Concurrent calls are committed together (see pipeline).
func (s *Store) AcceptDelivery(ctx context.Context, d flows.Delivery) (duplicate bool, err error) {
	// Encode here, in the caller: the writer only writes.
	req, err := acceptRequest(d)
	if err != nil {
		return false, err
	}
	if err := s.pipe.handOver(ctx, s.pipe.writes, req); err != nil {
		return false, fmt.Errorf("store: accept delivery: %w", err)
	}
	return req.duplicate, nil
}

// acceptRequest is the writer's request to accept a delivery: its row's
// values in the order of insertDelivery, but the job.
func acceptRequest(d flows.Delivery) (*writeReq, error) {
	headers, err := json.Marshal(d.Headers)
	if err != nil {
		return nil, fmt.Errorf("store: encode headers: %w", err)
	}
	query, err := json.Marshal(d.Query)
	if err != nil {
		return nil, fmt.Errorf("store: encode query: %w", err)
	}
	var key *string
	if d.DedupeKey != "" {
		key = &d.DedupeKey
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = time.Now()
	}
	return &writeReq{accept: []any{d.SubscriptionID, key, d.Method, string(headers), string(query), d.Body, deliveryQueued, d.ReceivedAt.UTC()}}, nil
}

// writeLoop is the writer. It commits in one transaction (group commit)
// every accepted delivery waiting at that moment, with their job, or
// pieces of finished deliveries, up to maxPiece deliveries: never both,
// accepted ones first, and by turns while both wait. An acknowledgement
// waits behind at most one transaction of finished deliveries, and its own
// is short. It ends when the pipeline closes, once its queue is empty.
func (p *pipeline) writeLoop() {
	var accepts, backlog []*writeReq // waiting: accepted, and finished deliveries
	accepted := false                // the last transaction wrote accepted deliveries
	open := true
	take := func(r *writeReq) {
		if r.hold != nil {
			<-r.hold
			close(r.done)
			return
		}
		if r.accept != nil {
			accepts = append(accepts, r)
		} else {
			backlog = append(backlog, r)
		}
	}
	for {
		if len(accepts) == 0 && len(backlog) == 0 {
			if !open {
				return
			}
			r, ok := <-p.writes
			if !ok {
				return
			}
			take(r)
		}
	fill:
		for open && len(accepts) < maxAcceptBatch {
			select {
			case r, ok := <-p.writes:
				if !ok {
					open = false
					break fill
				}
				take(r)
			default:
				break fill
			}
		}
		var batch []*writeReq
		if len(accepts) > 0 && !(accepted && len(backlog) > 0) {
			batch, accepts = accepts, nil
		} else {
			for n := 0; len(backlog) > 0 && (n == 0 || n+len(backlog[0].finish) <= maxPiece); backlog = backlog[1:] {
				batch, n = append(batch, backlog[0]), n+len(backlog[0].finish)
			}
		}
		accepted = batch[0].accept != nil
		var committed chan struct{}
		if accepted {
			committed = make(chan struct{})
			p.accepting.Store(&committed)
		}
		began := time.Now()
		p.commit(batch)
		p.observeCommit(batch, accepted, time.Since(began))
		if accepted {
			p.accepting.Store(nil)
			close(committed)
			p.lastAccepted.Store(time.Now().UnixNano())
		}
		if p.committed != nil {
			p.committed(batch)
		}
		for _, r := range batch {
			close(r.done)
		}
		// The requests just committed are ready to answer, queued on this
		// goroutine's processor: let them have it before the next
		// transaction. Meanwhile more requests gather for that one.
		if accepted {
			runtime.Gosched()
		}
	}
}

// observeCommit tells the store's observer of a transaction of the
// writer: how many deliveries it accepted or finished, and how long it took.
func (p *pipeline) observeCommit(batch []*writeReq, accepted bool, took time.Duration) {
	if accepted {
		p.s.observer.Get().WriteCommitted(flows.BatchAccepted, len(batch), took)
		return
	}
	n := 0
	for _, r := range batch {
		n += len(r.finish)
	}
	p.s.observer.Get().WriteCommitted(flows.BatchFinished, n, took)
}

// commit writes a batch and sets each request's outcome. Should the batch
// fail, each request is written alone: one bad request fails only itself.
func (p *pipeline) commit(batch []*writeReq) {
	err := p.writeBatch(batch)
	for _, r := range batch {
		if err != nil && len(batch) > 1 {
			r.err = p.writeBatch([]*writeReq{r})
		} else {
			r.err = err
		}
	}
}

// liteStmts are the writer's SQLite statements, prepared once on its
// connection: each transaction uses them without preparing again.
type liteStmts struct {
	delivery, jobState *sql.Stmt
	finish             []*sql.Stmt // see finishQueries
}

// prepareLite prepares the writer's statements; it runs outside any
// transaction, since the one connection is then free.
func (p *pipeline) prepareLite(ctx context.Context) (*liteStmts, error) {
	var st liteStmts
	pr := preparer{ctx: ctx, db: p.s.sqlDB}
	st.delivery = pr.prep(fmt.Sprintf(insertDelivery, "?, ?, ?, ?, ?, ?, ?, ?, ?"))
	st.jobState = pr.prep("SELECT state FROM river_job WHERE id = ?")
	for _, q := range finishQueries("?2", "SELECT value FROM json_each(?1)") {
		st.finish = append(st.finish, pr.prep(q))
	}
	if pr.err != nil {
		return nil, fmt.Errorf("store: prepare the writer's statements: %w", pr.err)
	}
	return &st, nil
}

// preparer prepares statements on db until one fails; err is why.
type preparer struct {
	ctx context.Context
	db  *sql.DB
	err error
}

func (p *preparer) prep(q string) *sql.Stmt {
	if p.err != nil {
		return nil
	}
	stmt, err := p.db.PrepareContext(p.ctx, q)
	p.err = err
	return stmt
}

// writeBatch writes a batch of requests in one transaction.
func (p *pipeline) writeBatch(batch []*writeReq) error {
	s := p.s
	// The transaction runs to its end: it is short, and a context that can
	// be cancelled costs the SQLite driver a goroutine per statement.
	ctx := context.Background()
	var accepts []*writeReq
	var acceptRows [][]any
	var finishes []finishing
	for _, r := range batch {
		if r.accept != nil {
			accepts, acceptRows = append(accepts, r), append(acceptRows, r.accept)
		}
		finishes = append(finishes, r.finish...)
	}
	ids := make([]int64, len(accepts)) // the accepted deliveries; 0 for a duplicate
	var job int64                      // the job that runs them
	if s.dialect == SQLite && p.lite == nil {
		var err error
		if p.lite, err = p.prepareLite(ctx); err != nil {
			return err
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		st := p.lite
		if len(acceptRows) > 0 {
			j, err := p.jobFor(len(acceptRows), func(id int64) (string, error) {
				var state string
				err := tx.StmtContext(ctx, st.jobState).QueryRowContext(ctx, id).Scan(&state)
				if errors.Is(err, sql.ErrNoRows) {
					err = nil
				}
				return state, err
			}, func() (*rivertype.JobInsertResult, error) { return s.riverLite.InsertTx(ctx, tx, deliveryArgs{}, nil) })
			if err != nil {
				return err
			}
			if err := acceptSQLite(ctx, tx.StmtContext(ctx, st.delivery), acceptRows, j, ids); err != nil {
				return err
			}
			job = j
		}
		return finishSQLite(ctx, tx, st, finishes)
	}, func(tx pgx.Tx) error {
		if len(acceptRows) > 0 {
			j, err := p.jobFor(len(acceptRows), func(id int64) (string, error) {
				// Locked: River's fetch skips it until this commits, or
				// this waits for the fetch and sees the job running.
				var state string
				err := tx.QueryRow(ctx, "SELECT state FROM river_job WHERE id = $1 FOR UPDATE", id).Scan(&state)
				if errors.Is(err, pgx.ErrNoRows) {
					err = nil
				}
				return state, err
			}, func() (*rivertype.JobInsertResult, error) { return s.riverPG.InsertTx(ctx, tx, deliveryArgs{}, nil) })
			if err != nil {
				return err
			}
			if err := acceptPG(ctx, tx, acceptRows, j, ids); err != nil {
				return err
			}
			job = j
		}
		return finishPG(ctx, tx, finishes)
	})
	if err != nil {
		return err
	}
	if job != 0 {
		if job != p.open.id {
			p.open = openJob{id: job}
		}
		p.open.size += len(accepts)
	}
	for i, r := range accepts {
		r.duplicate = ids[i] == 0
	}
	return nil
}

// openJob is the delivery job that the writer adds the deliveries it
// accepts to, for as long as River has not fetched it: River's costs are
// per job, and a job that waits to be fetched gathers what arrives
// meanwhile. The writer's transaction makes sure the job is still
// available when it commits — on SQLite River fetches on the writer's one
// connection, on Postgres the job's row is locked — so its worker finds
// every delivery that names it.
type openJob struct {
	id   int64
	size int // the deliveries added to it
}

// jobShape is how delivery jobs are cut: at most deliveries each, fetched
// at most once per cooldown.
type jobShape struct {
	deliveries int
	cooldown   time.Duration
}

// jobShapes are the dialects' job shapes. On SQLite River's cost per job
// is paid on the one writer, and few large jobs are fastest: under load,
// 100 ms makes about ten jobs a second of hundreds of requests each, where
// 20 ms made seventy of a hundred, for a tenth more requests a second (make
// bench). On Postgres, where each write is a round trip, more jobs in
// parallel are fastest: large jobs there cost a fifth of the throughput.
var jobShapes = map[Dialect]jobShape{
	SQLite:   {deliveries: 1024, cooldown: 100 * time.Millisecond},
	Postgres: {deliveries: 128, cooldown: 20 * time.Millisecond},
}

// jobFor returns the job for n deliveries accepted in the writer's
// transaction: the open job if state reports it still available and it has
// room, else one insert adds.
func (p *pipeline) jobFor(n int, state func(id int64) (string, error), insert func() (*rivertype.JobInsertResult, error)) (int64, error) {
	if p.open.id != 0 && p.open.size+n <= jobShapes[p.s.dialect].deliveries {
		st, err := state(p.open.id)
		if err != nil {
			return 0, err
		}
		if st == string(rivertype.JobStateAvailable) {
			return p.open.id, nil
		}
	}
	res, err := insert()
	if err != nil {
		return 0, err
	}
	return res.Job.ID, nil
}

// insertDelivery inserts a delivery unless its dedupe key was seen; the
// last value is the job that runs it.
const insertDelivery = "INSERT INTO deliveries (subscription_id, dedupe_key, method, headers, query, body, state, received_at, job_id) " +
	"VALUES (%s) ON CONFLICT DO NOTHING"

func acceptSQLite(ctx context.Context, stmt *sql.Stmt, rows [][]any, job int64, ids []int64) error {
	for i, args := range rows {
		res, err := stmt.ExecContext(ctx, append(args, job)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			continue // a duplicate: nothing inserted
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			return err
		}
	}
	return nil
}

func acceptPG(ctx context.Context, tx pgx.Tx, rows [][]any, job int64, ids []int64) error {
	var b pgx.Batch
	for _, args := range rows {
		b.Queue(fmt.Sprintf(insertDelivery, "$1, $2, $3, $4, $5, $6, $7, $8, $9")+" RETURNING id", append(args, job)...)
	}
	res := tx.SendBatch(ctx, &b)
	for i := range rows {
		if err := res.QueryRow().Scan(&ids[i]); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			res.Close()
			return err
		}
	}
	return res.Close()
}

// finishQueries mark the deliveries listed by in done (at p2) and return
// those that were still queued: the first takes the list, the second the
// list and the time. A delivery without a dedupe key is deleted; one with
// a key keeps its row, without the request, for dedupe.
func finishQueries(p2, in string) []string {
	return []string{
		"DELETE FROM deliveries WHERE state = '" + deliveryQueued + "' AND dedupe_key IS NULL AND id IN (" + in + ") RETURNING id",
		"UPDATE deliveries SET state = '" + deliveryDone + "', finished_at = " + p2 + ", headers = '{}', query = '{}', body = NULL, job_id = NULL " +
			"WHERE state = '" + deliveryQueued + "' AND dedupe_key IS NOT NULL AND id IN (" + in + ") RETURNING id",
	}
}

// finishIDs lists the deliveries of fs.
func finishIDs(fs []finishing) []int64 {
	ids := make([]int64, 0, len(fs))
	for _, f := range fs {
		if f.id != 0 {
			ids = append(ids, f.id)
		}
	}
	return ids
}

// allListed reports whether every delivery of ids is in set: when the
// first of finishQueries returns them all (none has a dedupe key), the
// second has nothing to do.
func allListed(ids []int64, set map[int64]bool) bool {
	for _, id := range ids {
		if !set[id] {
			return false
		}
	}
	return true
}

func finishSQLite(ctx context.Context, tx *sql.Tx, st *liteStmts, fs []finishing) error {
	ids := finishIDs(fs)
	if len(ids) == 0 {
		return nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	queued := map[int64]bool{}
	for i, q := range st.finish {
		if i > 0 && allListed(ids, queued) {
			break
		}
		rs, err := tx.StmtContext(ctx, q).QueryContext(ctx, []any{string(list), time.Now().UTC()}[:i+1]...)
		if err != nil {
			return err
		}
		if err := scanIDs(rs, queued); err != nil {
			return err
		}
	}
	return nil
}

// finishPG marks the deliveries of fs done and records the executions of
// those that were still queued, and those recorded on their own.
func finishPG(ctx context.Context, tx pgx.Tx, fs []finishing) error {
	if len(fs) == 0 {
		return nil
	}
	ids := finishIDs(fs)
	queued := map[int64]bool{0: true} // executions on their own are always recorded
	for i, q := range finishQueries("$2", "SELECT unnest($1::bigint[])") {
		if len(ids) == 0 || (i > 0 && allListed(ids, queued)) {
			break
		}
		rs, err := tx.Query(ctx, q, []any{ids, time.Now().UTC()}[:i+1]...)
		if err != nil {
			return err
		}
		done, err := pgx.CollectRows(rs, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		for _, id := range done {
			queued[id] = true
		}
	}
	var packs []*executionPack
	for _, f := range fs {
		if queued[f.id] && len(f.rows) > 0 && !containsPack(packs, f.pack) {
			packs = append(packs, f.pack)
		}
	}
	if len(packs) == 0 {
		return nil
	}
	for _, f := range fs {
		for _, x := range f.rows {
			if x.replaces && queued[f.id] {
				if err := replacePG(ctx, tx, x.r.ID); err != nil {
					return err
				}
			}
		}
	}
	rs, err := tx.Query(ctx, "SELECT nextval(pg_get_serial_sequence('execution_packs', 'id')) FROM generate_series(1, $1)", len(packs))
	if err != nil {
		return err
	}
	packIDs, err := pgx.CollectRows(rs, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	var b pgx.Batch
	idOf := make(map[*executionPack]int64, len(packs))
	for i, p := range packs {
		idOf[p] = packIDs[i]
		b.Queue("INSERT INTO execution_packs (id, packed) VALUES ($1, $2)", packIDs[i], p.packed)
	}
	seen := map[int64]bool{}
	for _, f := range fs {
		if !queued[f.id] || (f.id != 0 && seen[f.id]) {
			continue // done already, or listed twice
		}
		seen[f.id] = true
		pack := idOf[f.pack]
		for _, x := range f.rows {
			x.r.PackID = &pack
			b.Queue(insertExecutionPG, x.r.values(x.text)...)
		}
		for _, ev := range f.events {
			b.Queue(insertOutbox("$1, $2, $3, $4"), ev.UUID, ev.EventType, ev.Event, ev.CreatedAt)
		}
	}
	return tx.SendBatch(ctx, &b).Close()
}

func containsPack(packs []*executionPack, p *executionPack) bool {
	for _, q := range packs {
		if q == p {
			return true
		}
	}
	return false
}

// replacePG deletes an execution recorded as running, and its pack when
// no other execution's document is in it, before its final record.
func replacePG(ctx context.Context, tx pgx.Tx, id string) error {
	var pack *int64
	err := tx.QueryRow(ctx, "DELETE FROM executions WHERE id = $1 RETURNING pack_id", id).Scan(&pack)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && pack == nil) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "DELETE FROM execution_packs WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM executions WHERE pack_id = $1)", *pack)
	return err
}

// scanIDs reads rows of one integer column into set, and closes them.
func scanIDs(rs *sql.Rows, set map[int64]bool) error {
	defer rs.Close()
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			return err
		}
		set[id] = true
	}
	return rs.Err()
}

// The inserts of an execution's row: on SQLite its rowid keys the
// full-text index entry; on Postgres the last value is the search text.
const (
	insertExecutionSQLite = `INSERT INTO executions (id, flow_id, parent_id, "trigger", status, started_at, finished_at, duration_us, error, pack_id, pack_index, rerun_of, revision, running_on)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertExecutionPG = `INSERT INTO executions (id, flow_id, parent_id, "trigger", status, started_at, finished_at, duration_us, error, pack_id, pack_index, rerun_of, revision, running_on, search)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, to_tsvector('simple', $15))`
)

// values are the row's columns in the order of the inserts, then extra.
func (r *executionRecord) values(extra ...any) []any {
	return append([]any{r.ID, r.FlowID, r.ParentID, r.Trigger, r.Status, r.StartedAt, r.FinishedAt, r.DurationUS, r.Error,
		r.PackID, r.PackIndex, r.RerunOf, r.Revision, r.RunningOn}, extra...)
}
