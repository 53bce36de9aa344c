package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// subscriptionRecord is a subscription's row. Registration Data is sealed:
// it may hold the service's signing secret.
type subscriptionRecord struct {
	ID                      int64
	FlowID                  int64
	Token                   string
	State                   string
	Source                  string
	Options                 string
	Registration            string
	LastError               string
	RegistrationExecution   string
	DeregistrationExecution string
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

func (subscriptionRecord) TableName() string { return "subscriptions" }

func (s *Store) subscriptionOf(r subscriptionRecord) (flows.Subscription, error) {
	sub := flows.Subscription{ID: r.ID, FlowID: r.FlowID, Token: r.Token, State: flows.SubscriptionState(r.State),
		LastError: r.LastError, RegistrationExecution: r.RegistrationExecution, DeregistrationExecution: r.DeregistrationExecution,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if err := json.Unmarshal([]byte(r.Source), &sub.Source); err != nil {
		return sub, fmt.Errorf("store: subscription %d: damaged source: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.Options), &sub.Options); err != nil {
		return sub, fmt.Errorf("store: subscription %d: damaged options: %w", r.ID, err)
	}
	if r.Registration != "" {
		plain, err := s.sealer.open(r.Registration, "subscription:"+r.Token)
		if err != nil {
			return sub, fmt.Errorf("store: subscription %d: %w", r.ID, err)
		}
		if err := json.Unmarshal(plain, &sub.Registration); err != nil {
			return sub, fmt.Errorf("store: subscription %d: damaged registration data: %w", r.ID, err)
		}
	}
	return sub, nil
}

func (s *Store) subscriptionRecordOf(sub flows.Subscription) (subscriptionRecord, error) {
	src, err := json.Marshal(sub.Source)
	if err != nil {
		return subscriptionRecord{}, err
	}
	opts, err := json.Marshal(sub.Options)
	if err != nil {
		return subscriptionRecord{}, fmt.Errorf("store: encode options: %w", err)
	}
	r := subscriptionRecord{ID: sub.ID, FlowID: sub.FlowID, Token: sub.Token, State: string(sub.State), Source: string(src),
		Options: string(opts), LastError: sub.LastError, RegistrationExecution: sub.RegistrationExecution,
		DeregistrationExecution: sub.DeregistrationExecution, CreatedAt: sub.CreatedAt}
	if sub.Registration != nil {
		plain, err := json.Marshal(sub.Registration)
		if err != nil {
			return r, fmt.Errorf("store: encode registration data: %w", err)
		}
		if r.Registration, err = s.sealer.seal(plain, "subscription:"+sub.Token); err != nil {
			return r, err
		}
	}
	return r, nil
}

// StartSubscription saves a new subscription (state registering);
// flows.ErrConflict while the flow has another that is not off.
func (s *Store) StartSubscription(ctx context.Context, sub flows.Subscription) (flows.Subscription, error) {
	sub.ID = 0
	r, err := s.subscriptionRecordOf(sub)
	if err != nil {
		return flows.Subscription{}, err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		if !s.hooks.any() {
			return nil
		}
		if ev, ok := subscriptionEvent(tx, flows.SubscriptionRegistering, flows.Subscription{ID: r.ID, FlowID: sub.FlowID, State: sub.State}); ok {
			return s.emit(tx, ev)
		}
		return nil
	})
	if err != nil {
		if errors.Is(conflict(err), flows.ErrConflict) {
			return flows.Subscription{}, fmt.Errorf("%w: the flow is already ON or being turned on or off", flows.ErrConflict)
		}
		return flows.Subscription{}, fmt.Errorf("store: start subscription: %w", err)
	}
	return s.subscriptionOf(r)
}

// SaveSubscription writes a subscription's state, Registration Data, last
// error and executions.
func (s *Store) SaveSubscription(ctx context.Context, sub flows.Subscription) error {
	_, err := s.saveSubscription(ctx, sub, "")
	return err
}

// SaveSubscriptionFrom writes a subscription as SaveSubscription does, but
// only while its stored state is still from; saved is false, and nothing
// is written, when it changed meanwhile (a deregistration that ends after
// the flow was turned off anyway leaves it off).
func (s *Store) SaveSubscriptionFrom(ctx context.Context, sub flows.Subscription, from flows.SubscriptionState) (saved bool, err error) {
	return s.saveSubscription(ctx, sub, from)
}

// saveSubscription writes sub's saved fields, only while its stored state
// is from unless from is empty, and reports whether it wrote them.
func (s *Store) saveSubscription(ctx context.Context, sub flows.Subscription, from flows.SubscriptionState) (bool, error) {
	r, err := s.subscriptionRecordOf(sub)
	if err != nil {
		return false, err
	}
	err = s.saveSubscriptionTx(ctx, sub, func(tx *gorm.DB) error {
		q := tx.Model(&subscriptionRecord{ID: sub.ID})
		if from != "" {
			q = q.Where("state = ?", string(from))
		}
		res := q.Select("state", "registration", "last_error", "registration_execution", "deregistration_execution", "updated_at").Updates(&r)
		if res.Error == nil && from != "" && res.RowsAffected == 0 {
			return errStateChanged
		}
		return res.Error
	})
	if errors.Is(err, errStateChanged) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: save subscription %d: %w", sub.ID, err)
	}
	return true, nil
}

// errStateChanged rolls back a conditional save whose row was not in the
// state it expected.
var errStateChanged = errors.New("store: the subscription's state changed meanwhile")

// SaveUpgrade saves a flow's new definition over revision f.Revision (a
// new revision; flows.ErrConflict when it was saved since) and, when sub
// is not nil, the subscription's source, options, state, Registration Data
// and runs, in one transaction: the flow and its subscription move to
// another connector version together.
func (s *Store) SaveUpgrade(ctx context.Context, f flows.Flow, sub *flows.Subscription) (flows.Flow, error) {
	r, err := flowRecordOf(f)
	if err != nil {
		return flows.Flow{}, err
	}
	var sr subscriptionRecord
	if sub != nil {
		if sr, err = s.subscriptionRecordOf(*sub); err != nil {
			return flows.Flow{}, err
		}
		sr.UpdatedAt = time.Now().UTC()
	}
	var n int64
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if n, err = updateFlow(tx, f, r); err != nil || n == 0 || sub == nil {
			return err
		}
		return tx.Model(&subscriptionRecord{ID: sub.ID}).Select("source", "options", "state", "registration", "last_error",
			"registration_execution", "deregistration_execution", "updated_at").Updates(&sr).Error
	})
	return s.updatedFlow(ctx, f, n, err)
}

func (s *Store) subscriptionWhere(ctx context.Context, what string, query string, args ...any) (flows.Subscription, error) {
	var r subscriptionRecord
	if err := s.reads.WithContext(ctx).Where(query, args...).Order("id DESC").First(&r).Error; err != nil {
		return flows.Subscription{}, fmt.Errorf("store: subscription %s: %w", what, notFound(err))
	}
	return s.subscriptionOf(r)
}

// Subscription loads a subscription.
func (s *Store) Subscription(ctx context.Context, id int64) (flows.Subscription, error) {
	return s.subscriptionWhere(ctx, fmt.Sprint(id), "id = ?", id)
}

// SubscriptionByToken loads the subscription of an Event URL token.
func (s *Store) SubscriptionByToken(ctx context.Context, token string) (flows.Subscription, error) {
	return s.subscriptionWhere(ctx, "by token", "token = ?", token)
}

// SubscriptionByRegistration loads the subscription a registration run
// made, with its Registration Data (kept sealed; the history holds it
// masked).
func (s *Store) SubscriptionByRegistration(ctx context.Context, execution string) (flows.Subscription, error) {
	return s.subscriptionWhere(ctx, "of registration run "+execution, "registration_execution = ?", execution)
}

// LiveSubscription is the flow's subscription that is not off.
func (s *Store) LiveSubscription(ctx context.Context, flowID int64) (flows.Subscription, error) {
	return s.subscriptionWhere(ctx, fmt.Sprintf("of flow %d", flowID), "flow_id = ? AND state <> ?", flowID, flows.SubscriptionOff)
}

// LatestSubscription is the flow's newest subscription, live or not.
func (s *Store) LatestSubscription(ctx context.Context, flowID int64) (flows.Subscription, error) {
	return s.subscriptionWhere(ctx, fmt.Sprintf("of flow %d", flowID), "flow_id = ?", flowID)
}

// LiveSubscriptions lists every subscription that is not off.
func (s *Store) LiveSubscriptions(ctx context.Context) ([]flows.Subscription, error) {
	var rs []subscriptionRecord
	if err := s.db.WithContext(ctx).Where("state <> ?", flows.SubscriptionOff).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: live subscriptions: %w", err)
	}
	out := make([]flows.Subscription, 0, len(rs))
	for _, r := range rs {
		sub, err := s.subscriptionOf(r)
		if err != nil {
			return nil, err
		}
		out = append(out, sub)
	}
	return out, nil
}

// StopSubscription moves an active subscription to deregistering and
// queues its deregistration job, in one transaction.
func (s *Store) StopSubscription(ctx context.Context, id int64) error {
	const q = "UPDATE subscriptions SET state = 'deregistering', updated_at = %s WHERE id = %s AND state = 'active'"
	args := deregistrationArgs{Subscription: id}
	now := time.Now().UTC()
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, fmt.Sprintf(q, "?", "?"), now, id)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n == 1 {
			if _, err = s.riverLite.InsertTx(ctx, tx, args, nil); err == nil {
				err = s.emitRaw(ctx, tx, nil, s.flowOffEvent(ctx, id))
			}
		}
		return err
	}, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, fmt.Sprintf(q, "$1", "$2"), now, id)
		if err != nil {
			return err
		}
		if n = tag.RowsAffected(); n == 1 {
			if _, err = s.riverPG.InsertTx(ctx, tx, args, nil); err == nil {
				err = s.emitRaw(ctx, nil, tx, s.flowOffEvent(ctx, id))
			}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store: stop subscription %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: the flow is not ON", flows.ErrConflict)
	}
	return nil
}

// Version loads one deployed version of a connector. Versions never
// change, so each is read from the database once and then kept in memory.
func (s *Store) Version(ctx context.Context, connectorID int64, version int) (flows.ConnectorVersion, error) {
	key := [2]int64{connectorID, int64(version)}
	if v, ok := s.versions.Load(key); ok {
		return v.(flows.ConnectorVersion), nil
	}
	v, err := s.loadVersion(ctx, connectorID, version)
	if err == nil {
		s.versions.Store(key, v)
	}
	return v, err
}

func (s *Store) loadVersion(ctx context.Context, connectorID int64, version int) (flows.ConnectorVersion, error) {
	var r versionRecord
	err := s.db.WithContext(ctx).Where("connector_id = ? AND version = ?", connectorID, version).First(&r).Error
	if err != nil {
		return flows.ConnectorVersion{}, fmt.Errorf("store: connector %d version %d: %w", connectorID, version, notFound(err))
	}
	return r.toFlows()
}
