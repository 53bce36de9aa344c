package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// Event hooks (flows.EventHooks): the hooks, the log their events are
// written to in the transaction of what caused them, each hook's place in
// it, and the attempts to deliver them. eventhooks_relay.go explains how
// events reach the hooks.

// eventHookRecord is a hook; its secrets are sealed with the hook's id.
type eventHookRecord struct {
	ID                int64
	Name              string
	NameKey           string
	Description       string
	URL               string
	AuthField         string
	AuthSecret        string // sealed, "" when there is none
	SigningSecret     string // sealed
	Headers           string // JSON []flows.HookHeader
	Events            string // JSON []flows.HookEventType
	Active            bool
	Verified          bool
	Revision          int
	FailingSince      *time.Time
	DeactivatedReason string
	DeactivatedAt     *time.Time
	// CursorTx and CursorID are the last event of the log the hook was
	// sent (or skipped): its place in the log (see hookRelay).
	CursorTx int64
	CursorID int64
	// Delivery is the delivery being retried, of the events after the
	// cursor up to and including (UptoTx, UptoID); nil when none is.
	Delivery  *string
	UptoTx    int64
	UptoID    int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (eventHookRecord) TableName() string { return "event_hooks" }

// hookOutboxRecord is an event of the log (hook_outbox), written with
// what caused it. On SQLite the log is the history file's; events caused
// by writes to the main file wait in its hook_outbox until the relay
// moves them to the log. On Postgres Tx is the id of the transaction that
// wrote the event (see hookRelay); on SQLite it is 0.
type hookOutboxRecord struct {
	ID        int64
	Tx        int64 `gorm:"->"`
	UUID      string
	EventType string
	Event     string // JSON flows.HookEvent
	CreatedAt time.Time
}

func (hookOutboxRecord) TableName() string { return "hook_outbox" }

// hookAttemptRecord is one attempt to deliver to a hook.
type hookAttemptRecord struct {
	ID           int64
	HookID       int64
	Delivery     string
	At           time.Time
	Events       int
	Attempt      int
	Status       int
	LatencyUS    int64
	Error        string
	RequestBody  string
	ResponseBody string
	OK           bool
}

func (hookAttemptRecord) TableName() string { return "hook_attempts" }

// migrateEventHooks adds event hooks with their place in the log of
// events, the log (on SQLite the history file's, and an outbox in the main
// file) and the hooks' delivery attempts.
func migrateEventHooks(tx *gorm.DB) error {
	type eventHook struct {
		ID                int64  `gorm:"primaryKey"`
		Name              string `gorm:"size:255;not null"`
		NameKey           string `gorm:"size:1020;not null;uniqueIndex"`
		Description       string `gorm:"not null;default:''"`
		URL               string `gorm:"size:1024;not null"`
		AuthField         string `gorm:"not null;default:''"`
		AuthSecret        string `gorm:"not null;default:''"`
		SigningSecret     string `gorm:"not null"`
		Headers           string `gorm:"not null;default:'[]'"`
		Events            string `gorm:"not null;default:'[]'"`
		Active            bool   `gorm:"not null"`
		Verified          bool   `gorm:"not null"`
		FailingSince      *time.Time
		DeactivatedReason string `gorm:"not null;default:''"`
		DeactivatedAt     *time.Time
		CursorTx          int64   `gorm:"not null;default:0"`
		CursorID          int64   `gorm:"not null;default:0"`
		Delivery          *string `gorm:"size:36"`
		UptoTx            int64   `gorm:"not null;default:0"`
		UptoID            int64   `gorm:"not null;default:0"`
		CreatedAt         time.Time
		UpdatedAt         time.Time
	}
	type hookOutbox struct {
		ID        int64     `gorm:"primaryKey"`
		UUID      string    `gorm:"size:36;not null"`
		EventType string    `gorm:"size:100;not null"`
		Event     string    `gorm:"not null"`
		CreatedAt time.Time `gorm:"not null"`
	}
	type hookAttempt struct {
		ID           int64      `gorm:"primaryKey"`
		HookID       int64      `gorm:"not null;index:idx_hook_attempts_hook,priority:1"`
		Hook         *eventHook `gorm:"foreignKey:HookID;constraint:OnDelete:CASCADE"`
		Delivery     string     `gorm:"size:36;not null"`
		At           time.Time  `gorm:"not null;index:idx_hook_attempts_hook,priority:2"`
		Events       int        `gorm:"not null"`
		Attempt      int        `gorm:"not null"`
		Status       int        `gorm:"not null"`
		LatencyUS    int64      `gorm:"column:latency_us;not null"`
		Error        string     `gorm:"not null;default:''"`
		RequestBody  string     `gorm:"not null"`
		ResponseBody string     `gorm:"not null"`
		OK           bool       `gorm:"column:ok;not null"`
	}
	if err := tx.Migrator().CreateTable(&eventHook{}); err != nil {
		return err
	}
	if err := tx.Table("hook_attempts").Migrator().CreateTable(&hookAttempt{}); err != nil {
		return err
	}
	if err := tx.Table("hook_outbox").Migrator().CreateTable(&hookOutbox{}); err != nil {
		return err
	}
	type hookCursor struct {
		Consumer string `gorm:"primaryKey;size:50"`
		CursorTx int64  `gorm:"not null;default:0"`
		CursorID int64  `gorm:"not null;default:0"`
	}
	if err := tx.Table("hook_cursors").Migrator().CreateTable(&hookCursor{}); err != nil {
		return err
	}
	if err := tx.Exec("INSERT INTO hook_cursors (consumer, cursor_tx, cursor_id) VALUES ('flows', 0, 0)").Error; err != nil {
		return err
	}
	if tx.Dialector.Name() == "postgres" {
		// The writing transaction's id orders the log (hookRelay).
		if err := tx.Exec("ALTER TABLE hook_outbox ADD COLUMN tx bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint)").Error; err != nil {
			return err
		}
		return tx.Exec("CREATE INDEX idx_hook_outbox_tx ON hook_outbox (tx, id)").Error
	}
	// AUTOINCREMENT: an id is never used again, even once the log is
	// emptied, so a hook's place stays behind every new event.
	return tx.Exec("CREATE TABLE history.hook_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL, event_type TEXT NOT NULL, event TEXT NOT NULL, created_at DATETIME NOT NULL)").Error
}

func (s *Store) hookOf(r eventHookRecord) (flows.EventHook, error) {
	h := flows.EventHook{ID: r.ID, Name: r.Name, Description: r.Description, URL: r.URL, AuthField: r.AuthField,
		HasSecret: r.AuthSecret != "", Active: r.Active, Verified: r.Verified, Revision: r.Revision, FailingSince: r.FailingSince,
		DeactivatedReason: r.DeactivatedReason, DeactivatedAt: r.DeactivatedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if err := json.Unmarshal([]byte(r.Headers), &h.Headers); err != nil {
		return h, fmt.Errorf("store: event hook %d headers: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.Events), &h.Events); err != nil {
		return h, fmt.Errorf("store: event hook %d events: %w", r.ID, err)
	}
	return h, nil
}

// hookSealContext binds a hook's sealed secret to its row and purpose.
func hookSealContext(id int64, what string) string {
	return "event_hook:" + strconv.FormatInt(id, 10) + ":" + what
}

// EventHooks lists every hook by name.
func (s *Store) EventHooks(ctx context.Context) ([]flows.EventHook, error) {
	var rs []eventHookRecord
	if err := s.reads.WithContext(ctx).Order("name_key, id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: event hooks: %w", err)
	}
	out := make([]flows.EventHook, 0, len(rs))
	for _, r := range rs {
		h, err := s.hookOf(r)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// EventHook loads a hook.
func (s *Store) EventHook(ctx context.Context, id int64) (flows.EventHook, error) {
	var r eventHookRecord
	if err := s.reads.WithContext(ctx).First(&r, id).Error; err != nil {
		return flows.EventHook{}, fmt.Errorf("store: event hook %d: %w", id, notFound(err))
	}
	return s.hookOf(r)
}

// hookNameTaken is the error of a name another hook has.
func hookNameTaken(name string, err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) || isUnique(err) {
		return &flows.HookFieldError{Field: "name", Err: fmt.Errorf("%w: another event hook is named %q", flows.ErrConflict, name)}
	}
	return err
}

// CreateEventHook saves a new hook with its secrets sealed.
func (s *Store) CreateEventHook(ctx context.Context, h flows.EventHook, sec flows.HookSecrets) (flows.EventHook, error) {
	headers, events, err := encodeHookLists(h)
	if err != nil {
		return flows.EventHook{}, err
	}
	r := eventHookRecord{Name: h.Name, NameKey: strings.ToLower(h.Name), Description: h.Description, URL: h.URL,
		AuthField: h.AuthField, Headers: headers, Events: events, Active: h.Active, Verified: false, Revision: 1}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r.SigningSecret = "pending"
		if err := tx.Create(&r).Error; err != nil {
			return hookNameTaken(h.Name, err)
		}
		return s.sealHookSecrets(tx, &r, &sec.Auth, sec.Signing)
	})
	if err != nil {
		return flows.EventHook{}, fmt.Errorf("store: create event hook: %w", err)
	}
	s.hooksChanged(ctx)
	return s.hookOf(r)
}

// sealHookSecrets seals and saves the secrets given (auth nil: kept;
// signing "": kept).
func (s *Store) sealHookSecrets(tx *gorm.DB, r *eventHookRecord, auth *string, signing string) error {
	up := map[string]any{}
	if auth != nil {
		r.AuthSecret = ""
		if *auth != "" {
			sealed, err := s.sealer.seal([]byte(*auth), hookSealContext(r.ID, "auth"))
			if err != nil {
				return err
			}
			r.AuthSecret = sealed
		}
		up["auth_secret"] = r.AuthSecret
	}
	if signing != "" {
		sealed, err := s.sealer.seal([]byte(signing), hookSealContext(r.ID, "signing"))
		if err != nil {
			return err
		}
		r.SigningSecret = sealed
		up["signing_secret"] = sealed
	}
	if len(up) == 0 {
		return nil
	}
	return tx.Model(&eventHookRecord{}).Where("id = ?", r.ID).Updates(up).Error
}

func encodeHookLists(h flows.EventHook) (string, string, error) {
	headers, err := json.Marshal(h.Headers)
	if err != nil {
		return "", "", fmt.Errorf("store: encode event hook headers: %w", err)
	}
	events, err := json.Marshal(h.Events)
	if err != nil {
		return "", "", fmt.Errorf("store: encode event hook events: %w", err)
	}
	return string(headers), string(events), nil
}

// UpdateEventHook saves a hook's fields and state, and its authentication
// secret unless that is nil, as its next revision. When h.Revision is not
// 0 the check and the change are one statement: if the hook was saved
// since, nothing is written and the error is a *flows.StaleError. An
// unverified or inactive hook's waiting events are dropped.
func (s *Store) UpdateEventHook(ctx context.Context, h flows.EventHook, authSecret *string) (flows.EventHook, error) {
	headers, events, err := encodeHookLists(h)
	if err != nil {
		return flows.EventHook{}, err
	}
	var r eventHookRecord
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&r, h.ID).Error; err != nil {
			return notFound(err)
		}
		was := r.Active && r.Verified
		res := atRevision(tx.Model(&eventHookRecord{}).Where("id = ?", h.ID), h.Revision).Updates(map[string]any{"name": h.Name,
			"name_key": strings.ToLower(h.Name), "description": h.Description, "url": h.URL, "auth_field": h.AuthField,
			"headers": headers, "events": events, "active": h.Active, "verified": h.Verified,
			"updated_at": time.Now().UTC(), "revision": nextRevision})
		if res.Error != nil {
			return hookNameTaken(h.Name, res.Error)
		}
		if res.RowsAffected == 0 {
			return staleRevision(ctx, tx, "event_hooks", "event hook", h.ID, h.Revision)
		}
		if err := s.sealHookSecrets(tx, &r, authSecret, ""); err != nil {
			return err
		}
		return s.placeIfStarting(tx, h.ID, was, h.Receiving())
	})
	if err != nil {
		return flows.EventHook{}, fmt.Errorf("store: update event hook %d: %w", h.ID, err)
	}
	s.hooksChanged(ctx)
	return s.EventHook(ctx, h.ID)
}

// placeAtHead places a hook at the end of the event log: it gets only
// the events written after, and none it was still to be sent.
func (s *Store) placeAtHead(tx *gorm.DB, id int64) error {
	head, err := s.eventLog().lastPlace(tx)
	if err != nil {
		return err
	}
	return tx.Model(&eventHookRecord{}).Where("id = ?", id).
		Updates(map[string]any{"cursor_tx": head[0], "cursor_id": head[1], "delivery": nil, "upto_tx": 0, "upto_id": 0}).Error
}

// placeIfStarting places a hook that starts receiving (was not, is now)
// at the end of the event log.
func (s *Store) placeIfStarting(tx *gorm.DB, id int64, was, is bool) error {
	if was || !is {
		return nil
	}
	return s.placeAtHead(tx, id)
}

// SetEventHookState sets a hook's Active and Verified, as its next
// revision; one that starts receiving gets the events written from then
// on. Turning a hook on clears why Hookflow turned it off.
func (s *Store) SetEventHookState(ctx context.Context, id int64, active, verified bool) (flows.EventHook, error) {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var old eventHookRecord
		if err := tx.Select("id", "active", "verified").First(&old, id).Error; err != nil {
			return notFound(err)
		}
		up := map[string]any{"active": active, "verified": verified, "updated_at": time.Now().UTC(), "revision": nextRevision}
		if active {
			up["deactivated_reason"], up["deactivated_at"], up["failing_since"] = "", nil, nil
		}
		res := tx.Model(&eventHookRecord{}).Where("id = ?", id).Updates(up)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return flows.ErrNotFound
		}
		return s.placeIfStarting(tx, id, old.Active && old.Verified, active && verified)
	})
	if err != nil {
		return flows.EventHook{}, fmt.Errorf("store: event hook %d: %w", id, err)
	}
	s.hooksChanged(ctx)
	return s.EventHook(ctx, id)
}

// DeleteEventHook deletes a hook with its waiting events and attempts.
func (s *Store) DeleteEventHook(ctx context.Context, id int64) error {
	res := s.db.WithContext(ctx).Delete(&eventHookRecord{}, id)
	if res.Error != nil {
		return fmt.Errorf("store: delete event hook %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: event hook %d: %w", id, flows.ErrNotFound)
	}
	s.hooksChanged(ctx)
	return nil
}

// EventHookSecrets opens a hook's secrets.
func (s *Store) EventHookSecrets(ctx context.Context, id int64) (flows.HookSecrets, error) {
	var r eventHookRecord
	if err := s.reads.WithContext(ctx).Select("id", "auth_secret", "signing_secret").First(&r, id).Error; err != nil {
		return flows.HookSecrets{}, fmt.Errorf("store: event hook %d: %w", id, notFound(err))
	}
	var sec flows.HookSecrets
	if r.AuthSecret != "" {
		b, err := s.sealer.open(r.AuthSecret, hookSealContext(id, "auth"))
		if err != nil {
			return sec, err
		}
		sec.Auth = string(b)
	}
	b, err := s.sealer.open(r.SigningSecret, hookSealContext(id, "signing"))
	if err != nil {
		return sec, err
	}
	sec.Signing = string(b)
	return sec, nil
}

// EventHookAttempts lists a hook's latest delivery attempts, newest first.
func (s *Store) EventHookAttempts(ctx context.Context, id int64, limit int) ([]flows.HookAttempt, error) {
	var rs []hookAttemptRecord
	if err := s.reads.WithContext(ctx).Where("hook_id = ?", id).Order("id DESC").Limit(limit).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: event hook %d attempts: %w", id, err)
	}
	out := make([]flows.HookAttempt, 0, len(rs))
	for _, r := range rs {
		out = append(out, attemptOf(r))
	}
	return out, nil
}
