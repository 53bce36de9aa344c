package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// sessionRecord is a session's row. Only its token's hash is kept: the
// token itself is in the admin's cookie.
type sessionRecord struct {
	ID        int64
	TokenHash string
	UserID    int64
	Address   string
	UserAgent string
	Data      string
	CreatedAt time.Time
	SeenAt    time.Time
	ExpiresAt time.Time
	RevokedAt *time.Time
}

func (sessionRecord) TableName() string { return "sessions" }

func (r sessionRecord) toFlows() flows.Session {
	return flows.Session{ID: r.ID, UserID: r.UserID, CreatedAt: r.CreatedAt, SeenAt: r.SeenAt, ExpiresAt: r.ExpiresAt,
		Address: r.Address, UserAgent: r.UserAgent, Data: r.Data}
}

// sessionSeenEvery is how often a session's use is noted at most, to spare
// the single writer a write per request.
const sessionSeenEvery = time.Minute

// CreateSession starts a session for sess.UserID that lasts until
// sess.ExpiresAt, and returns it with its token, which is not kept and
// cannot be read again. Ended and expired sessions are deleted meanwhile.
func (s *Store) CreateSession(ctx context.Context, sess flows.Session) (flows.Session, string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return flows.Session{}, "", fmt.Errorf("store: session token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := time.Now().UTC()
	r := sessionRecord{TokenHash: hashToken(token), UserID: sess.UserID, Address: clip(sess.Address, 100),
		UserAgent: clip(sess.UserAgent, 500), Data: sess.Data, CreatedAt: now, SeenAt: now, ExpiresAt: sess.ExpiresAt.UTC()}
	db := s.db.WithContext(ctx)
	if err := db.Where("expires_at < ? OR revoked_at IS NOT NULL", now).Delete(&sessionRecord{}).Error; err != nil {
		return flows.Session{}, "", fmt.Errorf("store: prune sessions: %w", err)
	}
	if err := db.Create(&r).Error; err != nil {
		return flows.Session{}, "", fmt.Errorf("store: create session: %w", err)
	}
	return r.toFlows(), token, nil
}

// SessionByToken loads the live session a token belongs to and notes its
// use from addr, at most once a minute. An unknown, ended or expired
// token is flows.ErrUnauthorized.
func (s *Store) SessionByToken(ctx context.Context, token, addr string) (flows.Session, error) {
	var r sessionRecord
	err := s.reads.WithContext(ctx).Where("token_hash = ?", hashToken(token)).First(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return flows.Session{}, fmt.Errorf("store: session: %w", flows.ErrUnauthorized)
	}
	if err != nil {
		return flows.Session{}, fmt.Errorf("store: session: %w", err)
	}
	now := time.Now().UTC()
	if r.RevokedAt != nil || !now.Before(r.ExpiresAt) {
		return flows.Session{}, fmt.Errorf("store: session %d has ended: %w", r.ID, flows.ErrUnauthorized)
	}
	if now.Sub(r.SeenAt) >= sessionSeenEvery {
		r.SeenAt, r.Address = now, clip(addr, 100)
		err := s.db.WithContext(ctx).Model(&sessionRecord{}).Where("id = ?", r.ID).
			Updates(map[string]any{"seen_at": r.SeenAt, "address": r.Address}).Error
		if err != nil {
			return flows.Session{}, fmt.Errorf("store: note use of session %d: %w", r.ID, err)
		}
	}
	return r.toFlows(), nil
}

// SetSessionData replaces what the web layer keeps in a live session.
func (s *Store) SetSessionData(ctx context.Context, id int64, data string) error {
	err := s.db.WithContext(ctx).Model(&sessionRecord{}).Where("id = ? AND revoked_at IS NULL", id).Update("data", data).Error
	if err != nil {
		return fmt.Errorf("store: save session %d: %w", id, err)
	}
	return nil
}

// Sessions lists a user's live sessions, the most recently used first.
func (s *Store) Sessions(ctx context.Context, userID int64) ([]flows.Session, error) {
	var rs []sessionRecord
	err := s.reads.WithContext(ctx).Where("user_id = ? AND revoked_at IS NULL AND expires_at > ?", userID, time.Now().UTC()).
		Order("seen_at DESC, id DESC").Find(&rs).Error
	if err != nil {
		return nil, fmt.Errorf("store: sessions: %w", err)
	}
	out := make([]flows.Session, len(rs))
	for i, r := range rs {
		out[i] = r.toFlows()
	}
	return out, nil
}

// RevokeSession ends one of a user's live sessions: its cookie is refused
// from now on. Another user's session, or one already ended, is
// flows.ErrNotFound.
func (s *Store) RevokeSession(ctx context.Context, userID, id int64) error {
	var n int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&sessionRecord{}).Where("id = ? AND user_id = ? AND revoked_at IS NULL", id, userID).
			Update("revoked_at", time.Now().UTC())
		if n = res.RowsAffected; res.Error != nil || n == 0 {
			return res.Error
		}
		return s.emit(tx, sessionsRevokedEvent(userID, []int64{id}, 1))
	})
	if err != nil {
		return fmt.Errorf("store: end session %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("store: session %d: %w", id, flows.ErrNotFound)
	}
	return nil
}

// RevokeOtherSessions ends every live session of a user but keep (0 ends
// them all) and reports how many it ended.
func (s *Store) RevokeOtherSessions(ctx context.Context, userID, keep int64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if n, err = revokeOtherSessions(tx, userID, keep); err != nil || n == 0 {
			return err
		}
		return s.emit(tx, sessionsRevokedEvent(userID, nil, n))
	})
	if err != nil {
		return 0, fmt.Errorf("store: end sessions of user %d: %w", userID, err)
	}
	return n, nil
}

func revokeOtherSessions(db *gorm.DB, userID, keep int64) (int64, error) {
	res := db.Model(&sessionRecord{}).Where("user_id = ? AND id <> ? AND revoked_at IS NULL", userID, keep).
		Update("revoked_at", time.Now().UTC())
	return res.RowsAffected, res.Error
}

// clip shortens s to at most n bytes, at a character's boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
