package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

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
