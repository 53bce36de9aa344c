package store

import (
	"context"
	"fmt"
	"time"
)

// Sign-in throttling: failed attempts are kept per account and per address
// for loginWindow; past the limits further attempts are refused until the
// window has moved on. Kept in the database, so every instance sees them.
const (
	loginWindow        = 15 * time.Minute
	maxFailuresAccount = 5
	maxFailuresAddress = 20
)

type loginFailureRecord struct {
	ID  int64
	Key string
	At  time.Time
}

func (loginFailureRecord) TableName() string { return "login_failures" }

// LoginThrottled reports how long sign-in stays refused for this account and
// address; zero means it may be tried.
func (s *Store) LoginThrottled(ctx context.Context, email, addr string) (time.Duration, error) {
	now := time.Now().UTC()
	since := now.Add(-loginWindow)
	for _, k := range []struct {
		key string
		max int
	}{{"account:" + email, maxFailuresAccount}, {"addr:" + addr, maxFailuresAddress}} {
		var times []time.Time
		err := s.db.WithContext(ctx).Model(&loginFailureRecord{}).Where("key = ? AND at > ?", k.key, since).
			Order("at DESC").Limit(k.max).Pluck("at", &times).Error
		if err != nil {
			return 0, fmt.Errorf("store: login throttle: %w", err)
		}
		if len(times) >= k.max {
			// Refused until the oldest of the last max failures leaves the window.
			return times[len(times)-1].Add(loginWindow).Sub(now).Round(time.Second), nil
		}
	}
	return 0, nil
}

// RecordLoginFailure notes a failed sign-in for the account and the address.
func (s *Store) RecordLoginFailure(ctx context.Context, email, addr string) error {
	now := time.Now().UTC()
	rs := []loginFailureRecord{{Key: "account:" + email, At: now}, {Key: "addr:" + addr, At: now}}
	if err := s.db.WithContext(ctx).Create(&rs).Error; err != nil {
		return fmt.Errorf("store: record login failure: %w", err)
	}
	return nil
}

// ClearLoginFailures forgets an account's failures after it signs in.
func (s *Store) ClearLoginFailures(ctx context.Context, email string) error {
	if err := s.db.WithContext(ctx).Where("key = ?", "account:"+email).Delete(&loginFailureRecord{}).Error; err != nil {
		return fmt.Errorf("store: clear login failures: %w", err)
	}
	return nil
}

// PruneLoginFailures deletes failures older than before.
func (s *Store) PruneLoginFailures(ctx context.Context, before time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("at < ?", before).Delete(&loginFailureRecord{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: prune login failures: %w", res.Error)
	}
	return res.RowsAffected, nil
}
