package store_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

func TestSecretsAreSealedAtRest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		con, err := s.CreateConnector(ctx, flows.ConnectorInfo{Name: "Acme", Auth: flows.AuthDefinition{Kind: flows.AuthBasic}})
		if err != nil {
			t.Fatal(err)
		}
		conn, err := s.CreateConnection(ctx, flows.Connection{ConnectorID: con.ID, Name: "prod", Values: map[string]string{"username": "ada", "password": "pw-s3cret-xyz"}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Connection(ctx, conn.ID)
		if err != nil || got.Values["password"] != "pw-s3cret-xyz" {
			t.Fatalf("connection %+v %v", got, err)
		}
		sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 1, Token: "tok", State: flows.SubscriptionRegistering})
		if err != nil {
			t.Fatal(err)
		}
		sub.State, sub.Registration = flows.SubscriptionActive, map[string]any{"id": "sub_1", "secret": "whsec_s3cret"}
		sub.RegistrationExecution = "reg-run-1"
		if err := s.SaveSubscription(ctx, sub); err != nil {
			t.Fatal(err)
		}
		back, err := s.SubscriptionByToken(ctx, "tok")
		if err != nil || !reflect.DeepEqual(back.Registration, sub.Registration) || back.State != flows.SubscriptionActive {
			t.Fatalf("subscription %+v %v", back, err)
		}
		// The registration run's page reveals it from here.
		if byRun, err := s.SubscriptionByRegistration(ctx, "reg-run-1"); err != nil || byRun.ID != sub.ID || !reflect.DeepEqual(byRun.Registration, sub.Registration) {
			t.Fatalf("by registration run: %+v %v", byRun, err)
		}
		if _, err := s.SubscriptionByRegistration(ctx, "other-run"); !errors.Is(err, flows.ErrNotFound) {
			t.Fatalf("by an unknown run: %v", err)
		}
		for table, secret := range map[string]string{"connections": "pw-s3cret-xyz", "subscriptions": "whsec_s3cret"} {
			text, err := store.TableText(ctx, s, table)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(text, secret) || !strings.Contains(text, "v1:") {
				t.Fatalf("%s holds the secret in the clear:\n%s", table, text)
			}
		}
	})
}

func TestSubscriptionsAndDeliveries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 9, Token: "t1", State: flows.SubscriptionRegistering})
		if err != nil {
			t.Fatal(err)
		}
		// One live subscription per flow.
		if _, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 9, Token: "t2", State: flows.SubscriptionRegistering}); !errors.Is(err, flows.ErrConflict) {
			t.Fatalf("second live subscription: %v", err)
		}
		a.State = flows.SubscriptionActive
		if err := s.SaveSubscription(ctx, a); err != nil {
			t.Fatal(err)
		}
		// Deliveries: a repeated dedupe key is a duplicate; one without a key never is.
		for i, tt := range []struct {
			key  string
			want bool
		}{{"k1", false}, {"k1", true}, {"", false}, {"", false}, {"k2", false}} {
			dup, err := s.AcceptDelivery(ctx, flows.Delivery{SubscriptionID: a.ID, Method: "POST", Headers: map[string]string{}, Query: map[string]string{}, Body: []byte("{}"), DedupeKey: tt.key})
			if err != nil || dup != tt.want {
				t.Fatalf("delivery %d (%q): duplicate %v, %v", i, tt.key, dup, err)
			}
		}
		if n, _ := s.CountQueuedDeliveries(ctx); n != 4 {
			t.Fatalf("%d queued deliveries, want 4", n)
		}
		// Finishing stores the executions with the delivery's state, once.
		at := a.CreatedAt
		e := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: 9, Trigger: flows.TriggerPayload, Status: flows.StatusSucceeded, StartedAt: at, FinishedAt: at}
		again := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: 9, Trigger: flows.TriggerPayload, Status: flows.StatusSucceeded, StartedAt: at, FinishedAt: at}
		if err := s.FinishDeliveries(ctx, []flows.FinishedDelivery{{ID: 1, Executions: []*flows.Execution{e}}}); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishDeliveries(ctx, []flows.FinishedDelivery{{ID: 1, Executions: []*flows.Execution{again}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Execution(ctx, e.ID); err != nil {
			t.Fatalf("the first run of delivery 1: %v", err)
		}
		if _, err := s.Execution(ctx, again.ID); !errors.Is(err, flows.ErrNotFound) {
			t.Fatalf("delivery 1 finished twice: %v", err)
		}
		if n, _ := s.CountQueuedDeliveries(ctx); n != 3 {
			t.Fatalf("%d queued deliveries after one finished, want 3", n)
		}
		// A finished delivery keeps no request: one with a dedupe key keeps
		// its row for dedupe, one without is gone.
		third := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: 9, Trigger: flows.TriggerPayload, Status: flows.StatusSucceeded, StartedAt: at, FinishedAt: at}
		if err := s.FinishDeliveries(ctx, []flows.FinishedDelivery{{ID: 3, Executions: []*flows.Execution{third}}}); err != nil {
			t.Fatal(err)
		}
		rows, err := store.DeliveryRows(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64]string{1: "done, 0 bytes", 4: "queued, 2 bytes", 5: "queued, 2 bytes"}
		if !reflect.DeepEqual(rows, want) {
			t.Fatalf("deliveries %v, want %v", rows, want)
		}
		if dup, err := s.AcceptDelivery(ctx, flows.Delivery{SubscriptionID: a.ID, Method: "POST", Headers: map[string]string{}, Query: map[string]string{}, Body: []byte("{}"), DedupeKey: "k1"}); err != nil || !dup {
			t.Fatalf("k1 after its delivery ran: duplicate %v, %v", dup, err)
		}
		// OFF: deregistering at once, then off; a new subscription may start.
		if err := s.StopSubscription(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.StopSubscription(ctx, a.ID); !errors.Is(err, flows.ErrConflict) {
			t.Fatalf("stopped twice: %v", err)
		}
		if got, _ := s.Subscription(ctx, a.ID); got.State != flows.SubscriptionDeregistering {
			t.Fatalf("state %s", got.State)
		}
		a.State = flows.SubscriptionOff
		if err := s.SaveSubscription(ctx, a); err != nil {
			t.Fatal(err)
		}
		if _, err := s.LiveSubscription(ctx, 9); !errors.Is(err, flows.ErrNotFound) {
			t.Fatalf("live after off: %v", err)
		}
		if _, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 9, Token: "t3", State: flows.SubscriptionRegistering}); err != nil {
			t.Fatalf("ON again after OFF: %v", err)
		}
	})
}

// TestWriterIsolatesFailures commits a batch in which one request fails:
// the others are written, the failed one changes nothing.
func TestWriterIsolatesFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 3, Token: "iso", State: flows.SubscriptionActive})
		if err != nil {
			t.Fatal(err)
		}
		d := func(body string) flows.Delivery {
			return flows.Delivery{SubscriptionID: sub.ID, Method: "POST", Headers: map[string]string{}, Query: map[string]string{}, Body: []byte(body)}
		}
		if _, err := s.AcceptDelivery(ctx, d(`{"n":1}`)); err != nil {
			t.Fatal(err)
		}
		at := time.Now()
		kept := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: 3, FlowName: "kept", Trigger: flows.TriggerManual, Status: flows.StatusSucceeded, StartedAt: at, FinishedAt: at}
		if err := s.RecordExecution(ctx, kept); err != nil {
			t.Fatal(err)
		}
		// Finishing delivery 1 with an execution whose id is taken fails.
		clash := *kept
		clash.FlowName = "clash"
		errs := store.CommitTogether(s, []flows.Delivery{d(`{"n":2}`), d(`{"n":3}`)},
			[][]flows.FinishedDelivery{{{ID: 1, Executions: []*flows.Execution{&clash}}}})
		if errs[0] != nil || errs[1] != nil || errs[2] == nil {
			t.Fatalf("outcomes %v: want the accepts written and the finish failed", errs)
		}
		rows, err := store.DeliveryRows(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		queued := 0
		for _, r := range rows {
			if r == "queued, 7 bytes" {
				queued++
			}
		}
		if len(rows) != 3 || queued != 3 || rows[1] == "" {
			t.Fatalf("deliveries %v, want 1 and the two accepted, all queued with their request", rows)
		}
		if got, err := s.Execution(ctx, kept.ID); err != nil || got.FlowName != "kept" {
			t.Fatalf("the stored execution changed: %+v %v", got, err)
		}
	})
}

// TestFinishesYieldToAccepts: a large batch of finished deliveries is
// written in pieces of at most 64, and deliveries accepted meanwhile are
// written first, in a transaction of their own, instead of waiting behind
// all of them.
func TestFinishesYieldToAccepts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 3, Token: "yield", State: flows.SubscriptionActive})
		if err != nil {
			t.Fatal(err)
		}
		d := func() flows.Delivery {
			return flows.Delivery{SubscriptionID: sub.ID, Method: "POST", Headers: map[string]string{}, Query: map[string]string{}, Body: []byte("{}")}
		}
		first := make([]flows.Delivery, 150)
		for i := range first {
			first[i] = d()
		}
		for _, err := range store.CommitTogether(s, first, nil) {
			if err != nil {
				t.Fatal(err)
			}
		}
		rows, err := store.DeliveryRows(ctx, s)
		if err != nil || len(rows) != 150 {
			t.Fatalf("deliveries %v, %v", rows, err)
		}
		var finished []flows.FinishedDelivery
		at := time.Now()
		for id := range rows {
			e := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: 3, FlowName: "yield", Trigger: flows.TriggerPayload, Status: flows.StatusSucceeded, StartedAt: at, FinishedAt: at}
			finished = append(finished, flows.FinishedDelivery{ID: id, Executions: []*flows.Execution{e}})
		}

		var wg sync.WaitGroup
		errs := make(chan error, 6)
		accept := func(n int) {
			for range n {
				wg.Go(func() {
					_, err := s.AcceptDelivery(ctx, d())
					errs <- err
				})
			}
		}
		waitQueued := func(n int) bool {
			for deadline := time.Now().Add(10 * time.Second); store.QueuedWrites(s) < n; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					return false
				}
			}
			return true
		}
		var mu sync.Mutex
		var txs [][2]int // accepts, finishes
		store.WatchCommits(s, func(a, f int) {
			mu.Lock()
			defer mu.Unlock()
			txs = append(txs, [2]int{a, f})
			if len(txs) == 1 {
				// Two more arrive while finished deliveries wait.
				accept(2)
				if !waitQueued(2) {
					t.Error("the later accepts were not queued")
				}
			}
		})
		start := store.PauseWriter(s)
		defer start()
		wg.Go(func() { errs <- s.FinishDeliveries(ctx, finished) })
		pieces := min(3, store.PiecesWriting(s)) // of 64, 64 and 22: so many are written at a time
		if !waitQueued(pieces) {
			t.Fatalf("%d requests queued, want %d", store.QueuedWrites(s), pieces)
		}
		accept(3)
		if !waitQueued(pieces + 3) {
			t.Fatalf("%d requests queued, want %d", store.QueuedWrites(s), pieces+3)
		}
		start()
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		// The accepts first; then finished and accepted deliveries by turns,
		// the pieces in the order they were written.
		if len(txs) != 5 {
			t.Fatalf("transactions (accepts, finishes) %v, want 5", txs)
		}
		sizes := []int{txs[1][1], txs[3][1], txs[4][1]}
		slices.Sort(sizes)
		if txs[0] != [2]int{3, 0} || txs[2] != [2]int{2, 0} || txs[1][0]+txs[3][0]+txs[4][0] != 0 || !slices.Equal(sizes, []int{22, 64, 64}) {
			t.Fatalf("transactions (accepts, finishes) %v, want 3 accepts, a piece, 2 accepts and two pieces (of 64, 64 and 22)", txs)
		}
		rows, err = store.DeliveryRows(ctx, s)
		if err != nil || len(rows) != 5 {
			t.Fatalf("deliveries %v, %v: want the 150 finished gone and the 5 accepted", rows, err)
		}
		got, err := s.Executions(ctx, store.ExecutionFilter{FlowID: 3, Limit: 500})
		if err != nil || len(got) != 150 {
			t.Fatalf("%d executions, %v", len(got), err)
		}
	})
}

// TestDeliveriesLoadAsAccepted checks that a job's worker gets each
// delivery as it was accepted, every field.
func TestDeliveriesLoadAsAccepted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 1, Token: "load", State: flows.SubscriptionActive})
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 11, 23, 10, 0, 0, 123456000, time.UTC)
		want := []flows.Delivery{
			{SubscriptionID: sub.ID, DedupeKey: "evt-1", Method: "POST", Headers: map[string]string{"content-type": "application/json", "x-delivery": "1"},
				Query: map[string]string{"source": "okta"}, Body: []byte(`{"n":1}`), ReceivedAt: at},
			{SubscriptionID: sub.ID, Method: "PUT", Headers: map[string]string{}, Query: map[string]string{}, Body: []byte("plain \x00 bytes"), ReceivedAt: at.Add(time.Second)},
		}
		for _, d := range want {
			if _, err := s.AcceptDelivery(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		jobs, err := store.DeliveryJobs(ctx, s)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("jobs %v, %v", jobs, err)
		}
		got, err := store.LoadDeliveriesOfJob(ctx, s, jobs[0])
		if err != nil || len(got) != len(want) {
			t.Fatalf("loaded %d deliveries, %v", len(got), err)
		}
		for i := range want {
			if got[i].ID == 0 {
				t.Fatalf("delivery %d has no id", i)
			}
			want[i].ID = got[i].ID
			if !got[i].ReceivedAt.Equal(want[i].ReceivedAt) {
				t.Fatalf("delivery %d received at %v, want %v", i, got[i].ReceivedAt, want[i].ReceivedAt)
			}
			got[i].ReceivedAt = want[i].ReceivedAt
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("delivery %d:\n got %+v\nwant %+v", i, got[i], want[i])
			}
		}
	})
}

// TestDeliveriesJoinTheOpenJob: deliveries accepted while their job waits
// for a worker join it; once River has fetched it, or it is full, a new
// job starts, and each job finds exactly its own deliveries.
func TestDeliveriesJoinTheOpenJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 1, Token: "open", State: flows.SubscriptionActive})
		if err != nil {
			t.Fatal(err)
		}
		var accepted []int64
		accept := func(n int) {
			t.Helper()
			for range n {
				if _, err := s.AcceptDelivery(ctx, flows.Delivery{SubscriptionID: sub.ID, Method: "POST", Headers: map[string]string{}, Query: map[string]string{}, Body: []byte("{}")}); err != nil {
					t.Fatal(err)
				}
			}
		}
		jobs := func(want int) []int64 {
			t.Helper()
			ids, err := store.DeliveryJobs(ctx, s)
			if err != nil || len(ids) != want {
				t.Fatalf("jobs %v, %v: want %d", ids, err, want)
			}
			return ids
		}
		runs := func(job int64, want int) []int64 {
			t.Helper()
			ids, err := store.DeliveriesOfJob(ctx, s, job)
			if err != nil || len(ids) != want {
				t.Fatalf("job %d runs %v, %v: want %d deliveries", job, ids, err, want)
			}
			return ids
		}
		accept(3) // one at a time: three transactions, one job
		first := jobs(1)[0]
		accepted = append(accepted, runs(first, 3)...)
		// River fetches it (the queue is not started here: as River would).
		if err := store.SetJobState(ctx, s, first, "running"); err != nil {
			t.Fatal(err)
		}
		accept(2)
		second := jobs(2)[1]
		runs(first, 3)
		accepted = append(accepted, runs(second, 2)...)
		// A full job takes no more.
		store.FillOpenJob(s)
		accept(1)
		third := jobs(3)[2]
		runs(second, 2)
		accepted = append(accepted, runs(third, 1)...)
		seen := map[int64]bool{}
		for _, id := range accepted {
			seen[id] = true
		}
		if len(seen) != 6 {
			t.Fatalf("deliveries %v: each must be in one job", accepted)
		}
	})
}

// TestOpenJobFetchedMeanwhile: on Postgres, where River fetches on other
// connections, a delivery accepted while the open job is being fetched
// waits for the fetch and goes to a new job.
func TestOpenJobFetchedMeanwhile(t *testing.T) {
	s := storetest.Open(t, storetest.PostgresURL(t), t.TempDir())
	ctx := context.Background()
	sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 1, Token: "race", State: flows.SubscriptionActive})
	if err != nil {
		t.Fatal(err)
	}
	d := flows.Delivery{SubscriptionID: sub.ID, Method: "POST", Headers: map[string]string{}, Query: map[string]string{}, Body: []byte("{}")}
	if _, err := s.AcceptDelivery(ctx, d); err != nil {
		t.Fatal(err)
	}
	jobs, _ := store.DeliveryJobs(ctx, s)
	commit, err := store.FetchJobSlowly(ctx, s, jobs[0])
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	done := func() (err error) {
		once.Do(func() { err = commit() })
		return err
	}
	t.Cleanup(func() { done() }) // a failing test must not leave the fetch open
	accepted := make(chan error, 1)
	go func() { _, err := s.AcceptDelivery(ctx, d); accepted <- err }()
	select {
	case err := <-accepted:
		t.Fatalf("accepted (%v) while the job's fetch was still open", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := done(); err != nil {
		t.Fatal(err)
	}
	if err := <-accepted; err != nil {
		t.Fatal(err)
	}
	jobs, _ = store.DeliveryJobs(ctx, s)
	if len(jobs) != 2 {
		t.Fatalf("jobs %v: the delivery joined a job being fetched", jobs)
	}
	for i, want := range []int{1, 1} {
		if ids, err := store.DeliveriesOfJob(ctx, s, jobs[i]); err != nil || len(ids) != want {
			t.Fatalf("job %d runs %v, %v", jobs[i], ids, err)
		}
	}
}

// recordingJobs is a queue handler that records the deliveries it is given.
type recordingJobs struct {
	mu  sync.Mutex
	got []int64
}

func (r *recordingJobs) Deliver(_ context.Context, d flows.Delivery, _ bool) ([]*flows.Execution, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, d.ID)
	return nil, nil
}

func (r *recordingJobs) Deregister(context.Context, int64, bool) error { return nil }
func (r *recordingJobs) Tick(context.Context, int64, time.Time) error  { return nil }

func (r *recordingJobs) HookEvent(context.Context, int64, flows.HookEvent) error { return nil }

func (r *recordingJobs) delivered() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(slices.Values(r.got))
}

// TestJobsRunTheirDeliveries: the queue runs the deliveries that name
// their job, and those listed by a job queued before deliveries named it.
func TestJobsRunTheirDeliveries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 1, Token: "jobs", State: flows.SubscriptionActive})
		if err != nil {
			t.Fatal(err)
		}
		for range 4 {
			if _, err := s.AcceptDelivery(ctx, flows.Delivery{SubscriptionID: sub.ID, Method: "POST", Headers: map[string]string{}, Query: map[string]string{}, Body: []byte("{}")}); err != nil {
				t.Fatal(err)
			}
		}
		rows, _ := store.DeliveryRows(ctx, s)
		var ids []int64
		for id := range rows {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		if err := store.ListDeliveriesInAJob(ctx, s, ids[2:]); err != nil {
			t.Fatal(err)
		}
		jobs := &recordingJobs{}
		s.Queue().Handle(jobs)
		if err := s.Queue().Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer func() {
			stop, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			s.Queue().Stop(stop)
		}()
		deadline := time.Now().Add(30 * time.Second)
		for !slices.Equal(jobs.delivered(), ids) {
			if time.Now().After(deadline) {
				t.Fatalf("delivered %v, want %v", jobs.delivered(), ids)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// TestReadsBesideTheWriter: on SQLite, what a delivery's job and the
// history pages read does not wait for the writer's transaction.
func TestReadsBesideTheWriter(t *testing.T) {
	s := storetest.Open(t, "", t.TempDir())
	ctx := context.Background()
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Read me")
	f, err := s.CreateFlow(ctx, flows.Flow{Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: f.ID, Token: "reads", State: flows.SubscriptionActive})
	if err != nil {
		t.Fatal(err)
	}
	release, err := store.HoldWriter(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	wait, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if got, err := s.Flow(wait, f.ID); err != nil || got.Definition.Name != "Read me" {
		t.Fatalf("flow while the writer is busy: %+v, %v", got, err)
	}
	if _, err := s.SubscriptionByToken(wait, "reads"); err != nil {
		t.Fatalf("subscription while the writer is busy: %v", err)
	}
	if _, err := s.Subscription(wait, sub.ID); err != nil {
		t.Fatalf("subscription while the writer is busy: %v", err)
	}
	if _, err := s.Executions(wait, store.ExecutionFilter{Search: "anything"}); err != nil {
		t.Fatalf("history while the writer is busy: %v", err)
	}
}

// TestCloseDrainsOrRefuses closes a store while requests are being
// accepted and runs recorded from many goroutines: every call returns,
// each either stored or refused; what was accepted before the close is
// there after it, and a call after the close is refused at once.
func TestCloseDrainsOrRefuses(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			url, dir := db.URL(t), t.TempDir()
			s, err := store.Open(ctx, store.Config{DatabaseURL: url, DataDir: dir, EncryptionKey: storetest.TestKey})
			if err != nil {
				t.Fatal(err)
			}
			sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 1, Token: "closing", State: flows.SubscriptionActive})
			if err != nil {
				t.Fatal(err)
			}
			var accepted, recorded, refused atomic.Int64
			var wg sync.WaitGroup
			for i := range 32 {
				wg.Go(func() {
					for j := 0; ; j++ {
						var err error
						if j%2 == 0 {
							_, err = s.AcceptDelivery(ctx, flows.Delivery{SubscriptionID: sub.ID, Method: "POST", Headers: map[string]string{}, Query: map[string]string{}, Body: []byte("{}")})
						} else {
							at := time.Now()
							err = s.RecordExecution(ctx, &flows.Execution{ID: flows.NewExecutionID(at), FlowID: int64(i), Trigger: flows.TriggerManual,
								Status: flows.StatusSucceeded, StartedAt: at, FinishedAt: at})
						}
						switch {
						case err != nil:
							refused.Add(1)
							return
						case j%2 == 0:
							accepted.Add(1)
						default:
							recorded.Add(1)
						}
					}
				})
			}
			for accepted.Load() < 200 {
				time.Sleep(time.Millisecond)
			}
			closed := make(chan struct{})
			go func() { s.Close(); close(closed) }()
			returned := make(chan struct{})
			go func() { wg.Wait(); close(returned) }()
			for _, ch := range []chan struct{}{closed, returned} {
				select {
				case <-ch:
				case <-time.After(30 * time.Second):
					t.Fatal("Close or a call after it did not return")
				}
			}
			if refused.Load() != 32 {
				t.Fatalf("%d callers refused, want all 32 to end refused", refused.Load())
			}
			began := time.Now()
			if _, err := s.AcceptDelivery(ctx, flows.Delivery{SubscriptionID: sub.ID, Method: "POST", Headers: map[string]string{}, Query: map[string]string{}}); err == nil || time.Since(began) > time.Second {
				t.Fatalf("accept after Close: %v after %s", err, time.Since(began))
			}
			s, err = store.Open(ctx, store.Config{DatabaseURL: url, DataDir: dir, EncryptionKey: storetest.TestKey})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if n, err := s.CountQueuedDeliveries(ctx); err != nil || n != accepted.Load() {
				t.Fatalf("%d deliveries stored, %v; %d were accepted", n, err, accepted.Load())
			}
			if n, err := s.CountExecutions(ctx, store.ExecutionFilter{}); err != nil || n != recorded.Load() {
				t.Fatalf("%d executions stored, %v; %d were recorded", n, err, recorded.Load())
			}
		})
	}
}
