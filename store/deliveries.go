package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"gorm.io/gorm"

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
// or queued. Concurrent calls are committed together (group commit): one
// transaction, one fsync, for all the deliveries waiting at that moment.
func (s *Store) AcceptDelivery(ctx context.Context, d flows.Delivery) (duplicate bool, err error) {
	s.acceptOnce.Do(func() {
		s.accepts = make(chan *acceptReq, 4096)
		go s.acceptLoop()
	})
	req := &acceptReq{d: d, done: make(chan struct{})}
	select {
	case s.accepts <- req:
	case <-ctx.Done():
		return false, ctx.Err()
	case <-s.closed:
		return false, errors.New("store: closed")
	}
	<-req.done // once queued, the batch decides: its outcome is the answer
	return req.duplicate, req.err
}

// acceptReq is one delivery waiting for its group commit.
type acceptReq struct {
	d         flows.Delivery
	duplicate bool
	err       error
	done      chan struct{}
}

// maxAcceptBatch bounds how many deliveries one transaction commits.
const maxAcceptBatch = 512

func (s *Store) acceptLoop() {
	for {
		var first *acceptReq
		select {
		case first = <-s.accepts:
		case <-s.closed:
			return
		}
		batch := []*acceptReq{first}
	fill:
		for len(batch) < maxAcceptBatch {
			select {
			case r := <-s.accepts:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		err := s.acceptBatch(batch)
		for _, r := range batch {
			if err != nil {
				r.err, r.duplicate = err, false
			}
			close(r.done)
		}
	}
}

// acceptBatch stores deliveries and their jobs in one transaction.
func (s *Store) acceptBatch(batch []*acceptReq) error {
	ctx := context.Background()
	const ins = "INSERT INTO deliveries (subscription_id, dedupe_key, method, headers, query, body, state, received_at) " +
		"VALUES (%s) ON CONFLICT DO NOTHING RETURNING id"
	rows := make([][]any, len(batch))
	for i, r := range batch {
		d := r.d
		headers, err := json.Marshal(d.Headers)
		if err != nil {
			return fmt.Errorf("store: encode headers: %w", err)
		}
		query, err := json.Marshal(d.Query)
		if err != nil {
			return fmt.Errorf("store: encode query: %w", err)
		}
		var key *string
		if d.DedupeKey != "" {
			key = &d.DedupeKey
		}
		if d.ReceivedAt.IsZero() {
			d.ReceivedAt = time.Now()
		}
		rows[i] = []any{d.SubscriptionID, key, d.Method, string(headers), string(query), d.Body, deliveryQueued, d.ReceivedAt.UTC()}
	}
	// One job runs the whole batch: River's cost is per job, not per delivery.
	jobs := func(ids []int64) []river.InsertManyParams {
		var args deliveryArgs
		for _, id := range ids {
			if id != 0 {
				args.Deliveries = append(args.Deliveries, id)
			}
		}
		if len(args.Deliveries) == 0 {
			return nil
		}
		return []river.InsertManyParams{{Args: args}}
	}
	ids := make([]int64, len(batch))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, fmt.Sprintf(ins, "?, ?, ?, ?, ?, ?, ?, ?"))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, args := range rows {
			if err := stmt.QueryRowContext(ctx, args...).Scan(&ids[i]); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if ps := jobs(ids); len(ps) > 0 {
			_, err = s.riverLite.InsertManyTx(ctx, tx, ps)
		}
		return err
	}, func(tx pgx.Tx) error {
		for i, args := range rows {
			if err := tx.QueryRow(ctx, fmt.Sprintf(ins, "$1, $2, $3, $4, $5, $6, $7, $8"), args...).Scan(&ids[i]); err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		if ps := jobs(ids); len(ps) > 0 {
			_, err := s.riverPG.InsertManyTx(ctx, tx, ps)
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: accept deliveries: %w", err)
	}
	for i, r := range batch {
		r.duplicate = ids[i] == 0
	}
	return nil
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

// FinishDeliveries records deliveries' executions and marks them done, in
// one transaction; a delivery done already is skipped with its executions.
func (s *Store) FinishDeliveries(ctx context.Context, ds []flows.FinishedDelivery) error {
	now := time.Now().UTC()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, d := range ds {
			res := tx.Exec("UPDATE deliveries SET state = ?, finished_at = ? WHERE id = ? AND state = ?", deliveryDone, now, d.ID, deliveryQueued)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				continue
			}
			for _, e := range d.Executions {
				if err := s.saveExecution(tx, e, false); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: finish deliveries: %w", err)
	}
	return nil
}

// queuedDeliveries loads the deliveries of ids that have not run yet.
func (s *Store) queuedDeliveries(ctx context.Context, ids []int64) ([]flows.Delivery, error) {
	var rs []deliveryRecord
	if err := s.db.WithContext(ctx).Where("id IN ? AND state = ?", ids, deliveryQueued).Order("id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	out := make([]flows.Delivery, 0, len(rs))
	for _, r := range rs {
		d, err := r.toFlows()
		if err != nil {
			return nil, err
		}
		out = append(out, d)
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
