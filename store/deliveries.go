package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"

	"github.com/hookflow/hookflow/flows"
)

// The delivery states.
const (
	deliveryQueued = "queued"
	deliveryDone   = "done"
)

// deliveryRecord is a delivery's row.
type deliveryRecord struct {
	ID             int64
	SubscriptionID int64
	DedupeKey      *string
	Method         string
	Headers        string
	Query          string
	Body           []byte
	State          string
	ReceivedAt     time.Time
	FinishedAt     *time.Time
}

func (deliveryRecord) TableName() string { return "deliveries" }

// AcceptDelivery stores a delivery and queues its job in one transaction,
// and returns once that transaction is committed. A delivery whose dedupe
// key the subscription has seen before is a duplicate: nothing is stored
// or queued. Concurrent calls are committed together (group commit, see
// writeLoop).
func (s *Store) AcceptDelivery(ctx context.Context, d flows.Delivery) (duplicate bool, err error) {
	// Encode here, in the caller: the writer only writes.
	req, err := acceptRequest(d)
	if err != nil {
		return false, err
	}
	if err := s.write(ctx, req); err != nil {
		return false, fmt.Errorf("store: accept delivery: %w", err)
	}
	return req.duplicate, nil
}

// FinishDeliveries records deliveries' executions and marks them done. A
// delivery done already is skipped with its executions. A done delivery is
// deleted, or, when it has a dedupe key, kept without its request for
// dedupe (until the retention): the request lives on in its executions.
// The deliveries are written in pieces of at most maxFinishBatch, so that
// accepts wait behind a short transaction only (see writeLoop). On
// Postgres each delivery is written in one transaction with its
// executions. On SQLite the history's writer records the executions first
// (recordLoop), beside the main writer, and then the main writer marks the
// deliveries done: what the history holds is never run again.
func (s *Store) FinishDeliveries(ctx context.Context, ds []flows.FinishedDelivery) error {
	var reqs []*writeReq
	for piece := range slices.Chunk(ds, maxFinishBatch) {
		// Encode here, in the caller: the writers only write.
		req, err := finishRequest(piece)
		if err != nil {
			return err
		}
		reqs = append(reqs, req)
	}
	if s.dialect == SQLite {
		if err := s.record(ctx, reqs); err != nil {
			return fmt.Errorf("store: finish deliveries: %w", err)
		}
	}
	if err := s.write(ctx, reqs...); err != nil {
		return fmt.Errorf("store: finish deliveries: %w", err)
	}
	return nil
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

// finishRequest is the writer's request for finished deliveries, their
// executions encoded and their documents in one pack.
func finishRequest(ds []flows.FinishedDelivery) (*writeReq, error) {
	req := &writeReq{finish: make([]finishing, len(ds))}
	pack := &executionPack{}
	buf := contentBuffers.Get().(*[]byte)
	content, doc := (*buf)[:0], []byte(nil) // the pack's content; a document
	var search searchIndexer
	n := 0
	for i, d := range ds {
		f := finishing{id: d.ID, rows: make([]executionRow, len(d.Executions)), pack: pack}
		for j, e := range d.Executions {
			var r executionRecord
			var err error
			if r, doc, err = encodeExecution(doc[:0], e); err != nil {
				return nil, err
			}
			r.PackIndex, n = n, n+1
			content = appendToPack(content, doc)
			f.rows[j] = executionRow{r, search.text(e)}
		}
		req.finish[i] = f
		runtime.Gosched() // as flows.Lifecycle.Deliver does: acknowledgements go on
	}
	pack.packed = thePacker.pack(content)
	*buf = content[:0]
	contentBuffers.Put(buf)
	return req, nil
}

// contentBuffers hold packs' contents while they are packed: a piece of
// deliveries makes a few hundred kilobytes, packed to a tenth.
var contentBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 256<<10); return &b }}

// writeReq is work for the writer: a delivery to accept, or finished
// deliveries to record.
type writeReq struct {
	accept []any // a delivery's row (acceptRequest)
	finish []finishing

	duplicate bool // the delivery was a duplicate
	err       error
	done      chan struct{}
}

// finishing is a finished delivery with its executions encoded.
type finishing struct {
	id   int64
	rows []executionRow
	pack *executionPack // holds the rows' documents
}

// executionPack is a pack of execution documents to insert (packing.go).
type executionPack struct{ packed []byte }

// executionRow is an execution ready to insert, with its search text.
type executionRow struct {
	r    executionRecord
	text string
}

// maxFinishBatch bounds the finished deliveries one transaction writes
// (the pieces flows.Lifecycle.Deliver stores), and maxAcceptBatch the
// accepted ones.
const (
	maxFinishBatch = flows.FinishPiece
	maxAcceptBatch = 1024
)

// write hands reqs to the writer and waits for their transactions; it
// returns the first error.
func (s *Store) write(ctx context.Context, reqs ...*writeReq) error {
	s.writeOnce.Do(func() {
		s.writes = make(chan *writeReq, 4096)
		go s.writeLoop()
	})
	return s.handOver(ctx, s.writes, reqs)
}

// handOver hands reqs to a writer's queue and waits for the transactions
// of those it took: once queued, the batch decides, and its outcome is the
// answer. It returns the first error, else why some were not handed over.
func (s *Store) handOver(ctx context.Context, queue chan<- *writeReq, reqs []*writeReq) error {
	var unsent error
	for i, req := range reqs {
		req.done = make(chan struct{})
		select {
		case queue <- req:
			continue
		case <-ctx.Done():
			unsent = ctx.Err()
		case <-s.closed:
			unsent = errors.New("store: closed")
		}
		reqs = reqs[:i]
		break
	}
	var first error
	for _, req := range reqs {
		<-req.done
		if req.err != nil && first == nil {
			first = req.err
		}
	}
	if first != nil {
		return first
	}
	return unsent
}

// writeLoop is the one writer of deliveries and their executions. It
// commits in one transaction (group commit) every accepted delivery
// waiting at that moment, with their job, or finished deliveries with
// their executions, up to maxFinishBatch: never both, accepted ones first,
// and by turns while both wait. An acknowledgement waits behind at most
// one transaction of finished deliveries, and its own is short.
func (s *Store) writeLoop() {
	var accepts, backlog []*writeReq // waiting: accepted, and finished deliveries
	accepted := false                // the last transaction wrote accepted deliveries
	for {
		take := func(r *writeReq) {
			if r.accept != nil {
				accepts = append(accepts, r)
			} else {
				backlog = append(backlog, r)
			}
		}
		if len(accepts) == 0 && len(backlog) == 0 {
			select {
			case r := <-s.writes:
				take(r)
			case <-s.closed:
				return
			}
		}
	fill:
		for len(accepts) < maxAcceptBatch {
			select {
			case r := <-s.writes:
				take(r)
			default:
				break fill
			}
		}
		var batch []*writeReq
		if len(accepts) > 0 && !(accepted && len(backlog) > 0) {
			batch, accepts = accepts, nil
		} else {
			for n := 0; len(backlog) > 0 && (n == 0 || n+len(backlog[0].finish) <= maxFinishBatch); backlog = backlog[1:] {
				batch, n = append(batch, backlog[0]), n+len(backlog[0].finish)
			}
		}
		accepted = batch[0].accept != nil
		s.commit(batch)
		if s.committed != nil {
			s.committed(batch)
		}
		for _, r := range batch {
			close(r.done)
		}
		// The requests just committed are ready to answer, queued on this
		// goroutine's processor: let them have it before the next
		// transaction. Meanwhile more requests gather for that one.
		runtime.Gosched()
	}
}

// commit writes a batch and sets each request's outcome. Should the batch
// fail, each request is written alone: one bad request fails only itself.
func (s *Store) commit(batch []*writeReq) {
	err := s.writeBatch(batch)
	for _, r := range batch {
		if err != nil && len(batch) > 1 {
			r.err = s.writeBatch([]*writeReq{r})
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
func (s *Store) prepareLite(ctx context.Context) (*liteStmts, error) {
	var st liteStmts
	p := preparer{ctx: ctx, db: s.sqlDB}
	st.delivery = p.prep(fmt.Sprintf(insertDelivery, "?, ?, ?, ?, ?, ?, ?, ?, ?"))
	st.jobState = p.prep("SELECT state FROM river_job WHERE id = ?")
	for _, q := range finishQueries("?2", "SELECT value FROM json_each(?1)") {
		st.finish = append(st.finish, p.prep(q))
	}
	if p.err != nil {
		return nil, fmt.Errorf("store: prepare the writer's statements: %w", p.err)
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
func (s *Store) writeBatch(batch []*writeReq) error {
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
	if s.dialect == SQLite && s.lite == nil {
		var err error
		if s.lite, err = s.prepareLite(ctx); err != nil {
			return err
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		st := s.lite
		if len(acceptRows) > 0 {
			j, err := s.jobFor(len(acceptRows), func(id int64) (string, error) {
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
			j, err := s.jobFor(len(acceptRows), func(id int64) (string, error) {
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
		if job != s.open.id {
			s.open = openJob{id: job}
		}
		s.open.size += len(accepts)
	}
	for i, r := range accepts {
		r.duplicate = ids[i] == 0
	}
	return nil
}

// openJob is the delivery job that the writer adds the deliveries it
// accepts to, for as long as River has not fetched it: River's costs are
// per job, and a job that waits for a free worker gathers what arrives
// meanwhile. The writer's transaction makes sure the job is still
// available when it commits — on SQLite River fetches on the writer's one
// connection, on Postgres the job's row is locked — so its worker finds
// every delivery that names it.
type openJob struct {
	id   int64
	size int // the deliveries added to it
}

// maxJobDeliveries bounds the deliveries one job runs: its worker loads
// them at once (a few megabytes), and stores their executions in pieces
// (flows.FinishPiece). See jobShapes for why the dialects differ.
func (s *Store) maxJobDeliveries() int { return jobShapes[s.dialect].deliveries }

// jobShape is how delivery jobs are cut and run: at most deliveries each,
// fetched at most once per cooldown, and at most slots of them running
// (not waiting on the outside world, see flows.Blocking) at once in one
// process; 0 leaves that to River's workers.
type jobShape struct {
	deliveries int
	cooldown   time.Duration
	slots      int
}

// jobShapes are the dialects' job shapes. On SQLite River's cost per job
// is paid on the one writer, and few large jobs are fastest: under load,
// 100 ms makes about ten jobs a second of hundreds of requests each, where
// 20 ms made seventy of a hundred, for a tenth more requests a second (make
// bench). One job runs at a time, in a slot it gives up while it waits on
// outside services: the one writer and the recorder pace it anyway, and
// more jobs at once only took processor time from acknowledgements (paired
// c = 64 runs of the bench: p99 14.4 and 15.3 ms against 17.7 and 18.7 ms,
// with a fifth more requests a second).
// On Postgres, where each write is a round trip, more jobs in parallel are
// fastest: large jobs there cost a fifth of the throughput.
var jobShapes = map[Dialect]jobShape{
	SQLite:   {deliveries: 1024, cooldown: 100 * time.Millisecond, slots: 1},
	Postgres: {deliveries: 128, cooldown: 20 * time.Millisecond},
}

// jobFor returns the job for n deliveries accepted in the writer's
// transaction: the open job if state reports it still available and it has
// room, else one insert adds.
func (s *Store) jobFor(n int, state func(id int64) (string, error), insert func() (*rivertype.JobInsertResult, error)) (int64, error) {
	if s.open.id != 0 && s.open.size+n <= s.maxJobDeliveries() {
		st, err := state(s.open.id)
		if err != nil {
			return 0, err
		}
		if st == string(rivertype.JobStateAvailable) {
			return s.open.id, nil
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
		"UPDATE deliveries SET state = '" + deliveryDone + "', finished_at = " + p2 + ", headers = '{}', query = '{}', body = NULL " +
			"WHERE state = '" + deliveryQueued + "' AND dedupe_key IS NOT NULL AND id IN (" + in + ") RETURNING id",
	}
}

// allListed reports whether every delivery of fs is in set: when the first
// of finishQueries returns them all (none has a dedupe key), the second
// has nothing to do.
func allListed(fs []finishing, set map[int64]bool) bool {
	for _, f := range fs {
		if !set[f.id] {
			return false
		}
	}
	return true
}

func finishIDs(fs []finishing) []int64 {
	ids := make([]int64, len(fs))
	for i, f := range fs {
		ids[i] = f.id
	}
	return ids
}

func finishSQLite(ctx context.Context, tx *sql.Tx, st *liteStmts, fs []finishing) error {
	if len(fs) == 0 {
		return nil
	}
	list, err := json.Marshal(finishIDs(fs))
	if err != nil {
		return err
	}
	queued := map[int64]bool{}
	for i, q := range st.finish {
		if i > 0 && allListed(fs, queued) {
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

func finishPG(ctx context.Context, tx pgx.Tx, fs []finishing) error {
	if len(fs) == 0 {
		return nil
	}
	ids := finishIDs(fs)
	queued := map[int64]bool{}
	for i, q := range finishQueries("$2", "SELECT unnest($1::bigint[])") {
		if i > 0 && allListed(fs, queued) {
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
		if queued[f.id] && !slices.Contains(packs, f.pack) {
			packs = append(packs, f.pack)
		}
	}
	if len(packs) == 0 {
		return nil
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
	for _, f := range fs {
		if !queued[f.id] {
			continue
		}
		queued[f.id] = false
		pack := idOf[f.pack]
		for _, x := range f.rows {
			x.r.PackID = &pack
			b.Queue(insertExecutionPG, x.r.values(x.text)...)
		}
	}
	return tx.SendBatch(ctx, &b).Close()
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

func (r deliveryRecord) toFlows() (flows.Delivery, error) {
	d := flows.Delivery{ID: r.ID, SubscriptionID: r.SubscriptionID, Method: r.Method, Body: r.Body, ReceivedAt: r.ReceivedAt}
	if r.DedupeKey != nil {
		d.DedupeKey = *r.DedupeKey
	}
	if err := json.Unmarshal([]byte(r.Headers), &d.Headers); err != nil {
		return d, fmt.Errorf("store: delivery %d: damaged headers: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.Query), &d.Query); err != nil {
		return d, fmt.Errorf("store: delivery %d: damaged query: %w", r.ID, err)
	}
	return d, nil
}

// queuedDeliveries loads the deliveries of ids that have not run yet.
func (s *Store) queuedDeliveries(ctx context.Context, ids []int64) ([]flows.Delivery, error) {
	return s.queuedWhere(ctx, "id IN ?", ids)
}

// deliveriesOfJob loads the deliveries that name a job and have not run yet.
func (s *Store) deliveriesOfJob(ctx context.Context, job int64) ([]flows.Delivery, error) {
	return s.queuedWhere(ctx, "job_id = ?", job)
}

// queuedWhere loads the deliveries that match query and have not run yet.
func (s *Store) queuedWhere(ctx context.Context, query string, args ...any) ([]flows.Delivery, error) {
	var rs []deliveryRecord
	q := s.reads.WithContext(ctx).Where(query, args...).Where("state = ?", deliveryQueued)
	if err := q.Order("id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	out := make([]flows.Delivery, len(rs))
	for i, r := range rs {
		var err error
		if out[i], err = r.toFlows(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CountQueuedDeliveries counts the deliveries not yet run.
func (s *Store) CountQueuedDeliveries(ctx context.Context) (int64, error) {
	q := s.db.WithContext(ctx).Model(&deliveryRecord{}).Where("state = ?", deliveryQueued)
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count deliveries: %w", err)
	}
	return n, nil
}
