package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow/flows"
)

// The polls of a flow on a Polling Event are the ticks of a schedule
// (schedules.go): each tick job claims its tick, queues the next and
// polls. The table poll_states keeps, per subscription, the cursor the
// last successful poll saved, the poll going on — its run, and until when
// it holds the subscription (the lease) — and how the last poll ended. A
// tick that comes while the lease is held is claimed but polls nothing:
// polls of one subscription never overlap.

// pollLease is how long a poll holds its subscription at most: a tick job
// runs for at most River's JobTimeout (6 minutes, queue.go), after which
// its context ends. A lease a crashed server left ends with it; on SQLite,
// which one server owns, the queue frees leases when it starts.
const pollLease = 7 * time.Minute

// takeLeaseQuery takes a subscription's lease unless a poll holds it.
const takeLeaseQuery = `INSERT INTO poll_states (subscription_id, running_execution, lease_until, updated_at)
VALUES (%[1]s, %[2]s, %[3]s, %[4]s)
ON CONFLICT (subscription_id) DO UPDATE SET running_execution = excluded.running_execution,
lease_until = excluded.lease_until, updated_at = excluded.updated_at WHERE poll_states.lease_until < %[4]s`

// ClaimPoll claims a poll's tick (as ClaimTick does, queueing the next
// tick with it) and the subscription's lease, in one transaction, and
// reads its cursor. The claim is Busy when another poll holds the lease.
func (s *Store) ClaimPoll(ctx context.Context, c flows.TickClaim) (flows.PollClaim, error) {
	now := time.Now().UTC().UnixMilli()
	tickArgs := []any{c.Subscription, c.Tick.UnixMilli(), c.Due.UnixMilli(), c.Execution, now}
	leaseArgs := []any{c.Subscription, c.Execution, now + pollLease.Milliseconds(), now}
	var pc flows.PollClaim
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, fmt.Sprintf(claimTickQuery, "?1", "?2", "?3", "?4", "?5"), tickArgs...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		pc.Claimed = true
		if !c.Next.IsZero() {
			args, opts := tickJob(c.Subscription, c.Next)
			if _, err := s.riverLite.InsertTx(ctx, tx, args, opts); err != nil {
				return err
			}
		}
		if res, err = tx.ExecContext(ctx, fmt.Sprintf(takeLeaseQuery, "?1", "?2", "?3", "?4"), leaseArgs...); err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			pc.Busy = true
			return nil
		}
		return tx.QueryRowContext(ctx, "SELECT cursor FROM poll_states WHERE subscription_id = ?", c.Subscription).Scan(&pc.Cursor)
	}, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, fmt.Sprintf(claimTickQuery, "$1::bigint", "$2::bigint", "$3::bigint", "$4::text", "$5::bigint"), tickArgs...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return nil
		}
		pc.Claimed = true
		if !c.Next.IsZero() {
			args, opts := tickJob(c.Subscription, c.Next)
			if _, err := s.riverPG.InsertTx(ctx, tx, args, opts); err != nil {
				return err
			}
		}
		if tag, err = tx.Exec(ctx, fmt.Sprintf(takeLeaseQuery, "$1::bigint", "$2::text", "$3::bigint", "$4::bigint"), leaseArgs...); err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			pc.Busy = true
			return nil
		}
		return tx.QueryRow(ctx, "SELECT cursor FROM poll_states WHERE subscription_id = $1", c.Subscription).Scan(&pc.Cursor)
	})
	if err != nil {
		return flows.PollClaim{}, fmt.Errorf("store: claim poll %s of subscription %d: %w", c.Tick.UTC().Format(time.RFC3339), c.Subscription, err)
	}
	if !pc.Claimed || pc.Busy {
		pc.Cursor = ""
	}
	return pc, nil
}

// finishPollQuery records a poll's outcome, its cursor when it is to be
// saved, and frees the lease, if the poll still holds it.
const finishPollQuery = `UPDATE poll_states SET cursor = CASE WHEN %[1]s THEN %[2]s ELSE cursor END,
running_execution = '', lease_until = 0, last_poll_at = %[3]s, last_status = %[4]s, last_error = %[5]s,
last_execution = %[6]s, last_records = %[7]s, updated_at = %[8]s WHERE subscription_id = %[9]s AND running_execution = %[10]s`

// FinishPoll records how a claimed poll ended: its outcome, and its
// cursor when o.Cursor is set; the next poll may go. A poll that no longer
// holds its lease (past pollLease) records nothing.
func (s *Store) FinishPoll(ctx context.Context, o flows.PollOutcome) error {
	cursor, save := "", o.Cursor != nil
	if save {
		cursor = *o.Cursor
	}
	if len(cursor) > flows.MaxCursorBytes {
		return fmt.Errorf("store: finish poll of subscription %d: %w", o.Subscription, flows.ErrCursorTooLarge)
	}
	last := ""
	if o.Ran {
		last = o.Claim
	}
	args := []any{save, cursor, o.At.UnixMilli(), string(o.Status), o.Error, last, o.Records, time.Now().UTC().UnixMilli(), o.Subscription, o.Claim}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, fmt.Sprintf(finishPollQuery, "?1", "?2", "?3", "?4", "?5", "?6", "?7", "?8", "?9", "?10"), args...)
		return err
	}, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, fmt.Sprintf(finishPollQuery, "$1::boolean", "$2::text", "$3::bigint", "$4::text", "$5::text", "$6::text",
			"$7::bigint", "$8::bigint", "$9::bigint", "$10::text"), args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: finish poll of subscription %d: %w", o.Subscription, err)
	}
	return nil
}

// PollState is what a subscription's polls left: the zero state before
// its first poll.
func (s *Store) PollState(ctx context.Context, subscription int64) (flows.PollState, error) {
	var r struct {
		Cursor        string
		LeaseUntil    int64
		LastPollAt    int64
		LastStatus    string
		LastError     string
		LastExecution string
		LastRecords   int
	}
	err := s.reads.WithContext(ctx).Table("poll_states").Where("subscription_id = ?", subscription).Take(&r).Error
	if errors.Is(notFound(err), flows.ErrNotFound) {
		return flows.PollState{}, nil
	} else if err != nil {
		return flows.PollState{}, fmt.Errorf("store: poll state of subscription %d: %w", subscription, err)
	}
	st := flows.PollState{Cursor: r.Cursor, LastStatus: flows.Status(r.LastStatus), LastError: r.LastError,
		LastExecution: r.LastExecution, LastRecords: r.LastRecords, Polling: r.LeaseUntil > time.Now().UnixMilli()}
	if r.LastPollAt > 0 {
		st.LastPollAt = time.UnixMilli(r.LastPollAt).UTC()
	}
	return st, nil
}

// freePollLeases ends the leases of polls a stopped server left (SQLite,
// when the queue starts: no other server can be polling).
func freePollLeases(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, "UPDATE poll_states SET lease_until = 0, running_execution = '' WHERE lease_until > 0")
	return err
}
