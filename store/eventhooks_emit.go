package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// The events of the store's own writes, each recorded in the transaction
// of the write that causes it (see hookRelay).

// flowTarget is a workspace flow as an event's target.
func flowTarget(q *gorm.DB, flowID int64) flows.HookActor {
	var name string
	q.Model(&flowRecord{}).Where("id = ?", flowID).Pluck("name", &name)
	if name == "" {
		name = "flow " + strconv.FormatInt(flowID, 10)
	}
	return flows.HookActor{ID: strconv.FormatInt(flowID, 10), Type: "Flow", DisplayName: name}
}

// subscriptionEvent is the event a subscription's move from old to sub's
// state raises, if one does: ON is flow.activated; a registration that
// failed (registering to off with an error) or a deregistration that gave
// up (failed) is subscription.failed; active to off, for flows without a
// deregistration, is flow.deactivated.
func subscriptionEvent(q *gorm.DB, old flows.SubscriptionState, sub flows.Subscription) (flows.HookEvent, bool) {
	target := func() []flows.HookActor {
		return []flows.HookActor{{ID: strconv.FormatInt(sub.ID, 10), Type: "Subscription", DisplayName: "subscription " + strconv.FormatInt(sub.ID, 10),
			DetailEntry: map[string]any{"state": string(sub.State)}}, flowTarget(q, sub.FlowID)}
	}
	switch {
	case old == sub.State:
		return flows.HookEvent{}, false
	case sub.State == flows.SubscriptionActive:
		t := target()
		return flows.NewHookEvent(flows.EventFlowActivated, flows.SystemActor(), "Flow turned ON", "", t[1], t[0]), true
	case sub.State == flows.SubscriptionFailed,
		old == flows.SubscriptionRegistering && sub.State == flows.SubscriptionOff && sub.LastError != "":
		msg := "Flow registration failed"
		if sub.State == flows.SubscriptionFailed {
			msg = "Flow deregistration failed"
		}
		return flows.NewHookEvent(flows.EventSubscriptionFailed, flows.SystemActor(), msg, sub.LastError, target()...), true
	case old == flows.SubscriptionActive && sub.State == flows.SubscriptionOff:
		t := target()
		return flows.NewHookEvent(flows.EventFlowDeactivated, flows.SystemActor(), "Flow turned OFF", "", t[1], t[0]), true
	}
	return flows.HookEvent{}, false
}

// saveSubscriptionTx writes r's fields of a subscription and records the
// event its change of state raises.
func (s *Store) saveSubscriptionTx(ctx context.Context, sub flows.Subscription, save func(tx *gorm.DB) error) error {
	if !s.hooks.any() {
		return save(s.db.WithContext(ctx))
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var old string
		if err := tx.Model(&subscriptionRecord{}).Where("id = ?", sub.ID).Pluck("state", &old).Error; err != nil {
			return err
		}
		if err := save(tx); err != nil {
			return err
		}
		if ev, ok := subscriptionEvent(tx, flows.SubscriptionState(old), sub); ok {
			return s.emit(tx, ev)
		}
		return nil
	})
}

// emitRaw records ev in a transaction where gorm is not at hand: one of
// the database's own driver (see inTx), or database/sql's (lite, also on
// Postgres).
func (s *Store) emitRaw(ctx context.Context, lite *sql.Tx, pg pgx.Tx, ev flows.HookEvent) error {
	if !s.hooks.want(ev.EventType) {
		return nil
	}
	rec, err := outboxRecord(ev)
	if err != nil {
		return err
	}
	if lite != nil {
		values := "?, ?, ?, ?"
		if s.dialect == Postgres { // database/sql over pgx (tables)
			values = "$1, $2, $3, $4"
		}
		_, err = lite.ExecContext(ctx, insertOutbox(values), rec.UUID, rec.EventType, rec.Event, rec.CreatedAt)
	} else {
		_, err = pg.Exec(ctx, insertOutbox("$1, $2, $3, $4"), rec.UUID, rec.EventType, rec.Event, rec.CreatedAt)
	}
	if err != nil {
		return fmt.Errorf("store: record event %s: %w", ev.EventType, err)
	}
	s.hooks.pokeSoon()
	return nil
}

// flowOffEvent is the flow.deactivated of a subscription being turned
// off (its flow read outside the transaction: it does not change).
func (s *Store) flowOffEvent(ctx context.Context, subID int64) flows.HookEvent {
	if !s.hooks.want(flows.EventFlowDeactivated) {
		return flows.HookEvent{EventType: flows.EventFlowDeactivated}
	}
	var flowID int64
	s.reads.WithContext(ctx).Model(&subscriptionRecord{}).Where("id = ?", subID).Pluck("flow_id", &flowID)
	sub := strconv.FormatInt(subID, 10)
	return flows.NewHookEvent(flows.EventFlowDeactivated, flows.SystemActor(), "Flow turned OFF", "",
		flowTarget(s.reads.WithContext(ctx), flowID), flows.HookActor{ID: sub, Type: "Subscription", DisplayName: "subscription " + sub,
			DetailEntry: map[string]any{"state": string(flows.SubscriptionDeregistering)}})
}

// deployedEvent is the connector.deployed of version of a connector.
func deployedEvent(x flows.ConnectorExport, connectorID int64, version int, by string) flows.HookEvent {
	actor := flows.SystemActor()
	if by != "" {
		actor = flows.HookActor{ID: by, Type: "User", AlternateID: by, DisplayName: by}
	}
	return flows.NewHookEvent(flows.EventConnectorDeployed, actor, fmt.Sprintf("Connector deployed as version %d", version), "",
		flows.HookActor{ID: strconv.FormatInt(connectorID, 10), Type: "Connector", DisplayName: x.Connector.Name,
			DetailEntry: map[string]any{"version": version}})
}

// tableClearedEvent is the table.cleared of t, n rows deleted.
func tableClearedEvent(t *flows.Table, n int64) flows.HookEvent {
	return flows.NewHookEvent(flows.EventTableCleared, flows.SystemActor(), "Table cleared", "",
		flows.HookActor{ID: strconv.FormatInt(t.ID, 10), Type: "Table", DisplayName: t.Name, DetailEntry: map[string]any{"rowsDeleted": n}})
}

// sessionsRevokedEvent is the admin.session.revoked of a user's sessions
// (ids, when known) ended, n of them.
func sessionsRevokedEvent(userID int64, ids []int64, n int64) flows.HookEvent {
	detail := map[string]any{"sessionsRevoked": n}
	if len(ids) > 0 {
		detail["sessionIds"] = ids
	}
	return flows.NewHookEvent(flows.EventAdminSessionRevoked, flows.SystemActor(), "Signed-in session revoked", "",
		flows.HookActor{ID: strconv.FormatInt(userID, 10), Type: "User", DisplayName: "user " + strconv.FormatInt(userID, 10), DetailEntry: detail})
}

// connectionEvent is connection.created or connection.deleted of r.
func connectionEvent(q *gorm.DB, t flows.HookEventType, r connectionRecord) flows.HookEvent {
	msg := "Connection created"
	if t == flows.EventConnectionDeleted {
		msg = "Connection deleted"
	}
	var connector string
	q.Model(&connectorRecord{}).Where("id = ?", r.ConnectorID).Pluck("name", &connector)
	return flows.NewHookEvent(t, flows.SystemActor(), msg, "",
		flows.HookActor{ID: strconv.FormatInt(r.ID, 10), Type: "Connection", DisplayName: r.Name},
		flows.HookActor{ID: strconv.FormatInt(r.ConnectorID, 10), Type: "Connector", DisplayName: connector})
}

// emitWith records the event build makes, if a hook wants events of type
// t: build may read what it needs.
func (s *Store) emitWith(tx *gorm.DB, t flows.HookEventType, build func() flows.HookEvent) error {
	if !s.hooks.want(t) {
		return nil
	}
	return s.emit(tx, build())
}
