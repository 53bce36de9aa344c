package store

import (
	"context"
	"fmt"
	"time"
)

// Sign-in throttling: every attempt is counted against its account and
// its address before the password is checked; within loginWindow of an
// account's or an address's first attempt, those past the limits are
// refused until the window has passed. A successful sign-in gives its
// attempt back, so the limits count failures. Kept in the database, so
// every instance sees them.
const (
	loginWindow        = 15 * time.Minute
	maxFailuresAccount = 5
	maxFailuresAddress = 20
)

// countAttempt counts one attempt against key and reads the count back,
// in one statement: parallel attempts each get a different count, so no
// more than the limit of them can pass. A window older than loginWindow
// starts again at one.
const countAttempt = `INSERT INTO login_attempts (key, attempts, window_start) VALUES (?, 1, ?)
ON CONFLICT (key) DO UPDATE SET
	attempts = CASE WHEN login_attempts.window_start <= ? THEN 1 ELSE login_attempts.attempts + 1 END,
	window_start = CASE WHEN login_attempts.window_start <= ? THEN excluded.window_start ELSE login_attempts.window_start END
RETURNING attempts, window_start`

// LoginAttempt counts a sign-in attempt for the account and the address
// and reports how long sign-in stays refused for them; zero means this
// attempt may check its password. Call LoginSucceeded when it matches.
func (s *Store) LoginAttempt(ctx context.Context, email, addr string) (time.Duration, error) {
	now := time.Now()
	for _, k := range []struct {
		key string
		max int
	}{{"account:" + email, maxFailuresAccount}, {"addr:" + addr, maxFailuresAddress}} {
		var got struct {
			Attempts    int
			WindowStart int64
		}
		stale := now.Add(-loginWindow).UnixMilli()
		if err := s.db.WithContext(ctx).Raw(countAttempt, k.key, now.UnixMilli(), stale, stale).Scan(&got).Error; err != nil {
			return 0, fmt.Errorf("store: count sign-in attempt: %w", err)
		}
		if got.Attempts > k.max {
			wait := time.UnixMilli(got.WindowStart).Add(loginWindow).Sub(now).Round(time.Second)
			return max(wait, time.Second), nil
		}
	}
	return 0, nil
}

// LoginSucceeded forgets the account's attempts and gives the address
// back the attempt that succeeded.
func (s *Store) LoginSucceeded(ctx context.Context, email, addr string) error {
	db := s.db.WithContext(ctx)
	err := db.Exec("DELETE FROM login_attempts WHERE key = ?", "account:"+email).Error
	if err == nil {
		err = db.Exec("UPDATE login_attempts SET attempts = attempts - 1 WHERE key = ? AND attempts > 0", "addr:"+addr).Error
	}
	if err != nil {
		return fmt.Errorf("store: clear sign-in attempts: %w", err)
	}
	return nil
}

// PruneLoginAttempts deletes the counts of windows that began before before.
func (s *Store) PruneLoginAttempts(ctx context.Context, before time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Exec("DELETE FROM login_attempts WHERE window_start < ?", before.UnixMilli())
	if res.Error != nil {
		return 0, fmt.Errorf("store: prune sign-in attempts: %w", res.Error)
	}
	return res.RowsAffected, nil
}
