package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// openLiteStore opens a SQLite store in dir for an internal test.
func openLiteStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// storeWithSubscription opens a SQLite store in a new dir with an active
// subscription named by token.
func storeWithSubscription(t *testing.T, token string) (dir string, s *Store, sub int64) {
	t.Helper()
	dir = t.TempDir()
	s = openLiteStore(t, dir)
	sb, err := s.StartSubscription(context.Background(), flows.Subscription{FlowID: 3, Token: token, State: flows.SubscriptionActive})
	if err != nil {
		t.Fatal(err)
	}
	return dir, s, sb.ID
}

// acceptOne accepts a delivery for an active subscription and returns its id.
func acceptOne(t *testing.T, s *Store, sub int64) int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := s.AcceptDelivery(ctx, flows.Delivery{SubscriptionID: sub, Method: "POST", Headers: map[string]string{}, Query: map[string]string{}, Body: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := s.db.Raw("SELECT MAX(id) FROM deliveries").Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

func finishedWith(id int64, name string) flows.FinishedDelivery {
	at := time.Now()
	return flows.FinishedDelivery{ID: id, Executions: []*flows.Execution{{ID: flows.NewExecutionID(at), FlowID: 3, FlowName: name,
		Trigger: flows.TriggerPayload, Status: flows.StatusSucceeded, StartedAt: at, FinishedAt: at}}}
}

// encodeFinished encodes a finished delivery as the finisher does.
func encodeFinished(t *testing.T, s *Store, d flows.FinishedDelivery) *writeReq {
	t.Helper()
	req, err := s.pipe.encodePiece([]*finished{{runs: []flows.FinishedDelivery{d}}})
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// recordOnly runs the first step of a delivery's finish alone: the
// recorder records its executions; the delivery stays queued.
func recordOnly(t *testing.T, s *Store, d flows.FinishedDelivery) {
	t.Helper()
	if err := pass(s.pipe.records, encodeFinished(t, s, d)); err != nil {
		t.Fatal(err)
	}
}

func countOf(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestAcceptsGoOnWhileTheHistoryWrites holds the history file's write lock,
// as a long write of the history would (a large merge of its search
// index): finishing waits for it, and accepting does not.
func TestAcceptsGoOnWhileTheHistoryWrites(t *testing.T) {
	ctx := context.Background()
	dir, s, sub := storeWithSubscription(t, "beside")
	first := acceptOne(t, s, sub)

	other := openLite(filepath.Join(dir, historyFile), 1, attachment{}, nil, "_txlock", "immediate")
	defer other.Close()
	hold, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	finished := make(chan error, 1)
	go func() { finished <- s.FinishDeliveries(ctx, []flows.FinishedDelivery{finishedWith(first, "held")}) }()

	accepted := make(chan int64, 1)
	go func() { accepted <- acceptOne(t, s, sub) }()
	select {
	case id := <-accepted:
		if id != first+1 {
			t.Fatalf("accepted delivery %d, want %d", id, first+1)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("an accept waited for the history's write")
	}
	select {
	case err := <-finished:
		t.Fatalf("finished while the history was held: %v", err)
	default:
	}
	if n := countOf(t, s.sqlDB, "SELECT COUNT(*) FROM deliveries WHERE id = ? AND state = ?", first, deliveryQueued); n != 1 {
		t.Fatal("the delivery was marked done before its executions were recorded")
	}

	hold.Rollback()
	if err := <-finished; err != nil {
		t.Fatal(err)
	}
	if n := countOf(t, s.sqlDB, "SELECT COUNT(*) FROM deliveries WHERE id = ?", first); n != 0 {
		t.Fatal("the finished delivery is still there")
	}
	if n := countOf(t, s.histDB, "SELECT COUNT(*) FROM executions"); n != 1 {
		t.Fatalf("%d executions, want 1", n)
	}
}

// TestRecordedDeliveriesFinishOnOpen stops between the two steps of a
// finish: the history holds a delivery's executions, the delivery is still
// queued. Opening again marks it done without running it, finishing it
// again records nothing twice, and the recorder forgets it once it is done.
func TestRecordedDeliveriesFinishOnOpen(t *testing.T) {
	ctx := context.Background()
	dir, s, sub := storeWithSubscription(t, "between")
	id := acceptOne(t, s, sub)
	later := acceptOne(t, s, sub)
	recordOnly(t, s, finishedWith(id, "first")) // step 1 alone
	// Recorded again before it is done, as a job tried again would.
	recordOnly(t, s, finishedWith(id, "retried"))
	if n := countOf(t, s.sqlDB, "SELECT COUNT(*) FROM deliveries WHERE state = ?", deliveryQueued); n != 2 {
		t.Fatalf("%d deliveries queued, want 2", n)
	}
	s.Close()

	s = openLiteStore(t, dir)
	var queued []int64
	if err := s.db.Raw("SELECT id FROM deliveries WHERE state = ?", deliveryQueued).Scan(&queued).Error; err != nil {
		t.Fatal(err)
	}
	if len(queued) != 1 || queued[0] != later {
		t.Fatalf("queued after opening again: %v, want only %d", queued, later)
	}
	// Finished again, as a job run twice would: nothing new is recorded.
	if err := s.FinishDeliveries(ctx, []flows.FinishedDelivery{finishedWith(id, "again")}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Executions(ctx, ExecutionFilter{FlowID: 3, Limit: 10})
	if err != nil || len(got) != 1 || got[0].FlowName != "first" {
		t.Fatalf("executions %+v, %v: want the first one only", got, err)
	}
	// The recorder forgets the done delivery, and keeps those that a finish
	// in progress has recorded and not yet marked done.
	third := acceptOne(t, s, sub)
	st, err := s.pipe.prepareRecorder(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range []int64{later, third} {
		req := encodeFinished(t, s, finishedWith(d, "later"))
		if !s.pipe.recordAll(st, []*writeReq{req}, i == 1) {
			t.Fatal(req.err)
		}
	}
	var kept []int64
	if err := s.hist.Raw("SELECT id FROM finished_deliveries ORDER BY id").Scan(&kept).Error; err != nil {
		t.Fatal(err)
	}
	if len(kept) != 2 || kept[0] != later || kept[1] != third {
		t.Fatalf("finished deliveries %v, want %d and %d", kept, later, third)
	}
}

// legacyInsert inserts an execution's row as Hookflow did before step 14,
// with its search entry: its document as JSON in data (form "json"),
// packed in its own row ("packed"), or in a pack of its own ("pack").
func legacyInsert(t *testing.T, db *sql.DB, e *flows.Execution, form string) {
	t.Helper()
	r, doc, err := encodeExecution(nil, e)
	if err != nil {
		t.Fatal(err)
	}
	var data string
	var packed []byte
	var pack *int64
	switch form {
	case "json":
		data = string(doc)
	case "packed":
		packed = thePacker.pack(doc)
	case "damaged":
		packed = []byte{1, 2, 3}
	case "pack":
		res, err := db.Exec("INSERT INTO execution_packs (packed) VALUES (?)", thePacker.pack(appendToPack(nil, doc)))
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		pack = &id
	}
	_, err = db.Exec(`INSERT INTO executions (id, flow_id, parent_id, "trigger", status, started_at, finished_at, duration_us, error, data, packed, pack_id, pack_index, rerun_of, revision)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`, r.ID, r.FlowID, r.ParentID, r.Trigger, r.Status, r.StartedAt, r.FinishedAt, r.DurationUS, r.Error,
		data, packed, pack, r.RerunOf, r.Revision)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO executions_fts (rowid, body) SELECT rowid, ? FROM executions WHERE id = ?", searchText(e), r.ID); err != nil {
		t.Fatal(err)
	}
}

// TestOldHistoriesMigrate opens a store written before the history had a
// file of its own (step 13) and before every document was in a pack (step
// 14), with executions stored as JSON, packed one per row, in a pack, and
// one whose packing is damaged: they move, their documents go into packs,
// and they are read and found by search as before.
func TestOldHistoriesMigrate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	all := migrations
	migrations = migrations[:12]
	Open(ctx, Config{DataDir: dir}) // migrates, then misses finished_deliveries
	migrations = all
	sqlDB := openLite(filepath.Join(dir, "hookflow.db"), 1, attachment{}, nil)
	if n := countOf(t, sqlDB, "SELECT MAX(version) FROM schema_migrations"); n != 12 {
		t.Fatalf("schema version %d, want 12", n)
	}
	at := time.Now()
	exec := func(flow int64, name string, input map[string]any) *flows.Execution {
		return &flows.Execution{ID: flows.NewExecutionID(at), FlowID: flow, FlowName: name, Trigger: flows.TriggerManual, Status: flows.StatusSucceeded,
			StartedAt: at, FinishedAt: at, Input: input, Steps: []flows.Step{{CardID: "c1", Type: "text.upper", Inputs: input, Outputs: map[string]any{"output": "A"}, StartedAt: at}}}
	}
	legacyInsert(t, sqlDB, exec(3, "Alone", map[string]any{"who": "Ada Lovelace"}), "packed")
	legacyInsert(t, sqlDB, exec(3, "Plain", map[string]any{"who": "Grace Hopper"}), "json")
	legacyInsert(t, sqlDB, exec(3, "Packed", map[string]any{"who": "Charles Babbage"}), "pack")
	legacyInsert(t, sqlDB, exec(5, "Damaged", nil), "damaged")
	for i := range 1000 { // enough that the main file is mostly history
		legacyInsert(t, sqlDB, exec(4, "Many", map[string]any{"n": float64(i), "note": rand.Text() + rand.Text() + rand.Text()}), "packed")
	}
	before := countOf(t, sqlDB, "PRAGMA page_count")
	sqlDB.Close()

	s := openLiteStore(t, dir)
	if v, err := s.SchemaVersion(ctx); err != nil || v != migrations[len(migrations)-1].version {
		t.Fatalf("schema version %d, %v", v, err)
	}
	if n := countOf(t, s.sqlDB, "SELECT COUNT(*) FROM main.sqlite_master WHERE name IN ('executions', 'execution_packs', 'executions_fts')"); n != 0 {
		t.Fatalf("%d history tables left in the main file", n)
	}
	if n := countOf(t, s.histDB, "SELECT COUNT(*) FROM main.executions WHERE pack_id IS NOT NULL"); n != 1004 {
		t.Fatalf("%d executions in packs in the history's file, want 1004", n)
	}
	if n := countOf(t, s.histDB, "SELECT COUNT(*) FROM pragma_table_info('executions') WHERE name IN ('data', 'packed')"); n != 0 {
		t.Fatal("the executions keep their columns of documents outside packs")
	}
	if after := countOf(t, s.sqlDB, "PRAGMA main.page_count"); after*2 > before {
		t.Fatalf("the main file has %d pages, %d before: it kept the space of the history that moved out", after, before)
	}
	for _, tt := range []struct{ search, want, who string }{
		{"Ada", "Alone", "Ada Lovelace"},
		{"Hopper", "Plain", "Grace Hopper"},
		{"Babbage", "Packed", "Charles Babbage"},
	} {
		got, err := s.Executions(ctx, ExecutionFilter{FlowID: 3, Search: tt.search, Limit: 10})
		if err != nil || len(got) != 1 || got[0].FlowName != tt.want {
			t.Fatalf("search %q: %+v, %v; want %s", tt.search, got, err, tt.want)
		}
		e, err := s.Execution(ctx, got[0].ID)
		if err != nil || e.Input["who"] != tt.who || len(e.Steps) != 1 || e.Steps[0].Outputs["output"] != "A" {
			t.Fatalf("execution %s: %+v, %v", got[0].ID, e, err)
		}
	}
	damaged, err := s.Executions(ctx, ExecutionFilter{FlowID: 5})
	if err != nil || len(damaged) != 1 || damaged[0].Status != flows.StatusSucceeded || len(damaged[0].Steps) != 0 {
		t.Fatalf("the damaged execution: %+v, %v; want it listed without its document", damaged, err)
	}
}

// TestReplacedRecordsGoWithTheirPacks: final records replace the records
// of runs as running in one transaction, the packs left with no document
// go, and an execution recorded twice in one transaction is written once,
// as it was last.
func TestReplacedRecordsGoWithTheirPacks(t *testing.T) {
	s := openLiteStore(t, t.TempDir())
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Microsecond)
	var finals []*flows.Execution
	for i := range 3 {
		e := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: 3, FlowName: "waits", Trigger: flows.TriggerPayload, Status: flows.StatusRunning,
			StartedAt: at, Input: map[string]any{"n": float64(i)}, Steps: []flows.Step{}}
		if err := s.RecordExecution(ctx, e); err != nil { // a pack of its own
			t.Fatal(err)
		}
		final := *e
		final.Status, final.FinishedAt = flows.StatusSucceeded, at.Add(time.Second)
		finals = append(finals, &final)
	}
	if n := countOf(t, s.histDB, "SELECT COUNT(*) FROM execution_packs"); n != 3 {
		t.Fatalf("%d packs for three runs recorded as running; want 3", n)
	}
	// A fourth run recorded as running and as ended in the same transaction.
	fourth := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: 3, FlowName: "waits", Trigger: flows.TriggerPayload, Status: flows.StatusRunning,
		StartedAt: at, Steps: []flows.Step{}}
	fourthEnded := *fourth
	fourthEnded.Status, fourthEnded.FinishedAt = flows.StatusFailed, at.Add(time.Second)
	req, err := s.pipe.encodePiece([]*finished{
		{runs: []flows.FinishedDelivery{{Executions: []*flows.Execution{fourth}}}},
		{runs: []flows.FinishedDelivery{{Executions: append(finals, &fourthEnded)}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := pass(s.pipe.records, req); err != nil {
		t.Fatal(err)
	}
	if n := countOf(t, s.histDB, "SELECT COUNT(*) FROM execution_packs"); n != 1 {
		t.Fatalf("%d packs after the final records; want 1, the old ones gone", n)
	}
	if n := countOf(t, s.histDB, "SELECT COUNT(*) FROM executions"); n != 4 {
		t.Fatalf("%d executions; want 4, one record each", n)
	}
	for _, e := range append(finals, &fourthEnded) {
		got, err := s.Execution(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != e.Status {
			t.Fatalf("execution %s is %s; want %s", e.ID, got.Status, e.Status)
		}
	}
}
