package store

import (
	"context"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// TestSessionUseNotedOnceAMinute checks that a session's use is written
// at most once a minute, not on every request.
func TestSessionUseNotedOnceAMinute(t *testing.T) {
	s := openLiteStore(t, t.TempDir())
	ctx := context.Background()
	u, err := s.CreateUser(ctx, "ada@example.com", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	sess, token, err := s.CreateSession(ctx, flows.Session{UserID: u.ID, Address: "10.0.0.1", ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.SessionByToken(ctx, token, "10.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	if !got.SeenAt.Equal(sess.SeenAt) || got.Address != "10.0.0.1" {
		t.Fatalf("use noted within the minute: seen %v (was %v) from %s", got.SeenAt, sess.SeenAt, got.Address)
	}
	earlier := time.Now().UTC().Add(-2 * time.Minute)
	if err := s.db.Model(&sessionRecord{}).Where("id = ?", sess.ID).Update("seen_at", earlier).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByToken(ctx, token, "10.0.0.3"); err != nil {
		t.Fatal(err)
	}
	var r sessionRecord
	if err := s.db.First(&r, sess.ID).Error; err != nil {
		t.Fatal(err)
	}
	if !r.SeenAt.After(earlier.Add(time.Minute)) || r.Address != "10.0.0.3" {
		t.Fatalf("use a minute later not noted: seen %v from %s", r.SeenAt, r.Address)
	}
}
