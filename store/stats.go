package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// Stats is what an operator's metrics read of the store when they are
// scraped: the deliveries waiting to run and the subscriptions by state.
type Stats struct {
	// QueuedDeliveries is how many accepted deliveries have not run yet;
	// OldestQueued when the oldest of them arrived (zero when none).
	QueuedDeliveries int64
	OldestQueued     time.Time
	// Subscriptions counts the subscriptions by state; a state none is
	// in is missing.
	Subscriptions map[flows.SubscriptionState]int64
}

// statsQuery reads Stats in one round trip: the queued deliveries through
// the index of the deliveries' jobs, which holds only those not done
// (a done delivery is deleted, or kept for dedupe without its job), and
// the subscriptions, a few per flow.
const statsQuery = `SELECT 'deliveries' AS part, '' AS state, COUNT(*) AS n, MIN(received_at) AS oldest
FROM deliveries WHERE job_id IS NOT NULL AND state = '` + deliveryQueued + `'
UNION ALL
SELECT 'subscriptions', state, COUNT(*), NULL FROM subscriptions GROUP BY state`

// Stats reads the store's Stats.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	st := Stats{Subscriptions: map[flows.SubscriptionState]int64{}}
	rows, err := s.reads.WithContext(ctx).Raw(statsQuery).Rows()
	if err != nil {
		return st, fmt.Errorf("store: stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var part, state string
		var n int64
		var oldest any
		if err := rows.Scan(&part, &state, &n, &oldest); err != nil {
			return st, fmt.Errorf("store: stats: %w", err)
		}
		if part == "deliveries" {
			st.QueuedDeliveries, st.OldestQueued = n, scanTime(oldest)
		} else {
			st.Subscriptions[flows.SubscriptionState(state)] = n
		}
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("store: stats: %w", err)
	}
	return st, nil
}

// migrateDoneWithoutJob lets the deliveries done and kept for dedupe
// forget their job, as they do since: the index of the deliveries' jobs
// then holds only the deliveries not done, which Stats counts.
func migrateDoneWithoutJob(tx *gorm.DB) error {
	return tx.Exec("UPDATE deliveries SET job_id = NULL WHERE state = '" + deliveryDone + "' AND job_id IS NOT NULL").Error
}
