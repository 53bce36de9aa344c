package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// userRecord is a super admin's row.
type userRecord struct {
	ID           int64
	Email        string
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (userRecord) TableName() string { return "users" }

func (r userRecord) toFlows() flows.User {
	return flows.User{ID: r.ID, Email: r.Email, CreatedAt: r.CreatedAt}
}

// MinPasswordLength is the shortest password Hookflow accepts.
const MinPasswordLength = 12

// ErrWeakPassword is returned for a password shorter than MinPasswordLength.
var ErrWeakPassword = fmt.Errorf("%w: password must be at least %d characters", flows.ErrInvalid, MinPasswordLength)

// ErrBadEmail is returned for an address that is not an email address.
var ErrBadEmail = fmt.Errorf("%w: email address is not valid", flows.ErrInvalid)

// ErrBadCredentials is returned when an email and password do not match.
var ErrBadCredentials = fmt.Errorf("%w: wrong email or password", flows.ErrUnauthorized)

func normalizeEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	at := strings.IndexByte(email, '@')
	if at < 1 || at == len(email)-1 || len(email) > 254 || strings.ContainsAny(email, " \t\r\n<>\"") {
		return "", ErrBadEmail
	}
	return email, nil
}

func hashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", ErrWeakPassword
	}
	if len(password) > 72 {
		return "", fmt.Errorf("%w: password must be at most 72 bytes", flows.ErrInvalid)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("store: hash password: %w", err)
	}
	return string(h), nil
}

// CreateUser adds a super admin. A taken email is flows.ErrConflict.
func (s *Store) CreateUser(ctx context.Context, email, password string) (flows.User, error) {
	email, err := normalizeEmail(email)
	if err != nil {
		return flows.User{}, err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return flows.User{}, err
	}
	r := userRecord{Email: email, PasswordHash: hash}
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return flows.User{}, fmt.Errorf("store: create user %s: %w", email, conflict(err))
	}
	return r.toFlows(), nil
}

// CountUsers reports how many super admins exist.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&userRecord{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count users: %w", err)
	}
	return n, nil
}

// Users lists the super admins, by email.
func (s *Store) Users(ctx context.Context) ([]flows.User, error) {
	var rs []userRecord
	if err := s.db.WithContext(ctx).Order("email").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	out := make([]flows.User, len(rs))
	for i, r := range rs {
		out[i] = r.toFlows()
	}
	return out, nil
}

// User loads a super admin by id.
func (s *Store) User(ctx context.Context, id int64) (flows.User, error) {
	var r userRecord
	if err := s.db.WithContext(ctx).First(&r, id).Error; err != nil {
		return flows.User{}, fmt.Errorf("store: user %d: %w", id, notFound(err))
	}
	return r.toFlows(), nil
}

// UserByEmail loads a super admin by email.
func (s *Store) UserByEmail(ctx context.Context, email string) (flows.User, error) {
	email, err := normalizeEmail(email)
	if err != nil {
		return flows.User{}, err
	}
	var r userRecord
	if err := s.db.WithContext(ctx).Where("email = ?", email).First(&r).Error; err != nil {
		return flows.User{}, fmt.Errorf("store: user %s: %w", email, notFound(err))
	}
	return r.toFlows(), nil
}

// dummyHash is compared against when the email is unknown, so that a wrong
// email and a wrong password take the same time.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("hookflow-timing-equaliser"), bcrypt.DefaultCost)

// Authenticate checks an email and password. Any mismatch is ErrBadCredentials.
func (s *Store) Authenticate(ctx context.Context, email, password string) (flows.User, error) {
	email, _ = normalizeEmail(email)
	var r userRecord
	err := s.db.WithContext(ctx).Where("email = ?", email).First(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return flows.User{}, ErrBadCredentials
	}
	if err != nil {
		return flows.User{}, fmt.Errorf("store: authenticate: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(r.PasswordHash), []byte(password)) != nil {
		return flows.User{}, ErrBadCredentials
	}
	return r.toFlows(), nil
}

// SetPassword replaces a super admin's password and, in the same
// transaction, ends every session of theirs but keepSession (0 ends them
// all): whoever signed in with the old password is signed out.
func (s *Store) SetPassword(ctx context.Context, userID int64, password string, keepSession int64) error {
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&userRecord{}).Where("id = ?", userID).
			Updates(map[string]any{"password_hash": hash, "updated_at": time.Now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return flows.ErrNotFound
		}
		_, err := revokeOtherSessions(tx, userID, keepSession)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: set password for user %d: %w", userID, err)
	}
	return nil
}

// apiTokenRecord is a personal API token's row; only the hash is kept.
type apiTokenRecord struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string
	Hash       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

func (apiTokenRecord) TableName() string { return "api_tokens" }

func (r apiTokenRecord) toFlows() flows.APIToken {
	return flows.APIToken{ID: r.ID, UserID: r.UserID, Name: r.Name, Prefix: r.Prefix, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt}
}

// tokenPrefix starts every API token, so leaked tokens are easy to find.
const tokenPrefix = "hf_"

func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateAPIToken makes a personal API token and returns it with its secret,
// which is not kept and cannot be shown again.
func (s *Store) CreateAPIToken(ctx context.Context, userID int64, name string) (flows.APIToken, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return flows.APIToken{}, "", fmt.Errorf("%w: token name must be 1 to 100 characters", flows.ErrInvalid)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return flows.APIToken{}, "", fmt.Errorf("store: token: %w", err)
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	r := apiTokenRecord{UserID: userID, Name: name, Prefix: secret[:len(tokenPrefix)+6], Hash: hashToken(secret)}
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return flows.APIToken{}, "", fmt.Errorf("store: create api token: %w", err)
	}
	return r.toFlows(), secret, nil
}

// APITokens lists a user's tokens, newest first.
func (s *Store) APITokens(ctx context.Context, userID int64) ([]flows.APIToken, error) {
	var rs []apiTokenRecord
	if err := s.db.WithContext(ctx).Where("user_id = ?", userID).Order("id DESC").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: api tokens: %w", err)
	}
	out := make([]flows.APIToken, len(rs))
	for i, r := range rs {
		out[i] = r.toFlows()
	}
	return out, nil
}

// RevokeAPIToken deletes one of a user's tokens.
func (s *Store) RevokeAPIToken(ctx context.Context, userID, tokenID int64) error {
	res := s.db.WithContext(ctx).Where("id = ? AND user_id = ?", tokenID, userID).Delete(&apiTokenRecord{})
	if res.Error != nil {
		return fmt.Errorf("store: revoke api token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: api token %d: %w", tokenID, flows.ErrNotFound)
	}
	return nil
}

// UserByAPIToken finds the owner of a token secret and notes its use.
// An unknown token is flows.ErrUnauthorized.
func (s *Store) UserByAPIToken(ctx context.Context, secret string) (flows.User, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return flows.User{}, fmt.Errorf("store: api token: %w", flows.ErrUnauthorized)
	}
	var t apiTokenRecord
	err := s.db.WithContext(ctx).Where("hash = ?", hashToken(secret)).First(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return flows.User{}, fmt.Errorf("store: api token: %w", flows.ErrUnauthorized)
	}
	if err != nil {
		return flows.User{}, fmt.Errorf("store: api token: %w", err)
	}
	now := time.Now().UTC()
	// Note the use at most once a minute, to spare the single writer.
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		s.db.WithContext(ctx).Model(&apiTokenRecord{}).Where("id = ?", t.ID).Update("last_used_at", now)
	}
	return s.User(ctx, t.UserID)
}
