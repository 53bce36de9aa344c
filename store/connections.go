package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// connectionRecord is a connection's row; every value is in Sealed.
type connectionRecord struct {
	ID          int64
	ConnectorID int64
	Name        string
	Sealed      string
	Revision    int
	CreatedAt   time.Time
}

func (connectionRecord) TableName() string { return "connections" }

func (s *Store) connectionOf(r connectionRecord) (flows.Connection, error) {
	c := flows.Connection{ID: r.ID, ConnectorID: r.ConnectorID, Name: r.Name, Revision: r.Revision, CreatedAt: r.CreatedAt}
	plain, err := s.sealer.open(r.Sealed, "connection:"+strconv.FormatInt(r.ConnectorID, 10))
	if err != nil {
		return c, fmt.Errorf("store: connection %d: %w", r.ID, err)
	}
	if err := json.Unmarshal(plain, &c.Values); err != nil {
		return c, fmt.Errorf("store: connection %d: damaged values: %w", r.ID, err)
	}
	return c, nil
}

// CreateConnection saves a connection with its values sealed. The caller
// validates it first.
func (s *Store) CreateConnection(ctx context.Context, c flows.Connection) (flows.Connection, error) {
	plain, err := json.Marshal(c.Values)
	if err != nil {
		return flows.Connection{}, fmt.Errorf("store: encode connection: %w", err)
	}
	sealed, err := s.sealer.seal(plain, "connection:"+strconv.FormatInt(c.ConnectorID, 10))
	if err != nil {
		return flows.Connection{}, err
	}
	r := connectionRecord{ConnectorID: c.ConnectorID, Name: c.Name, Sealed: sealed, Revision: 1}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		return s.emitWith(tx, flows.EventConnectionCreated, func() flows.HookEvent { return connectionEvent(tx, flows.EventConnectionCreated, r) })
	})
	if err != nil {
		return flows.Connection{}, fmt.Errorf("store: create connection: %w", err)
	}
	return s.connectionOf(r)
}

// Connection loads a connection with its values opened.
func (s *Store) Connection(ctx context.Context, id int64) (flows.Connection, error) {
	var r connectionRecord
	if err := s.db.WithContext(ctx).First(&r, id).Error; err != nil {
		return flows.Connection{}, fmt.Errorf("store: connection %d: %w", id, notFound(err))
	}
	return s.connectionOf(r)
}

// Connections lists the connections of a connector (0: of every
// connector), with their connector's name, newest first.
func (s *Store) Connections(ctx context.Context, connectorID int64) ([]flows.Connection, error) {
	q := s.db.WithContext(ctx).Order("id DESC")
	if connectorID != 0 {
		q = q.Where("connector_id = ?", connectorID)
	}
	var rs []connectionRecord
	if err := q.Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: connections: %w", err)
	}
	var cons []connectorRecord
	if err := s.db.WithContext(ctx).Select("id", "name").Find(&cons).Error; err != nil {
		return nil, fmt.Errorf("store: connections: %w", err)
	}
	names := make(map[int64]string, len(cons))
	for _, c := range cons {
		names[c.ID] = c.Name
	}
	out := make([]flows.Connection, 0, len(rs))
	for _, r := range rs {
		c, err := s.connectionOf(r)
		if err != nil {
			return nil, err
		}
		c.ConnectorName = names[r.ConnectorID]
		out = append(out, c)
	}
	return out, nil
}

// UpdateConnection saves a connection's name and values, sealed again, as
// its next revision. When c.Revision is not 0 the check and the change are
// one statement: if the connection was saved since, nothing is written and
// the error is a *flows.StaleError. The caller validates it first.
func (s *Store) UpdateConnection(ctx context.Context, c flows.Connection) (flows.Connection, error) {
	plain, err := json.Marshal(c.Values)
	if err != nil {
		return flows.Connection{}, fmt.Errorf("store: encode connection: %w", err)
	}
	sealed, err := s.sealer.seal(plain, "connection:"+strconv.FormatInt(c.ConnectorID, 10))
	if err != nil {
		return flows.Connection{}, err
	}
	q := s.db.WithContext(ctx).Model(&connectionRecord{}).Where("id = ? AND connector_id = ?", c.ID, c.ConnectorID)
	res := atRevision(q, c.Revision).Updates(map[string]any{"name": c.Name, "sealed": sealed, "revision": nextRevision})
	if res.Error != nil {
		return flows.Connection{}, fmt.Errorf("store: update connection %d: %w", c.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return flows.Connection{}, fmt.Errorf("store: update connection %d: %w", c.ID, staleRevision(ctx, s.db, "connections", "connection", c.ID, c.Revision))
	}
	return s.Connection(ctx, c.ID)
}

// onWith names the flows whose live subscription matches, quoted, for a
// refusal, by what label makes of each name and source.
func (s *Store) onWith(ctx context.Context, match func(flows.EventSource) bool, label func(string, flows.EventSource) string) ([]string, error) {
	live, err := s.LiveSubscriptions(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, sub := range live {
		if match(sub.Source) {
			f, err := s.Flow(ctx, sub.FlowID)
			if err != nil {
				return nil, err
			}
			names = append(names, label(strconv.Quote(f.Definition.Name), sub.Source))
		}
	}
	return names, nil
}

// onRefusal is the refusal of a change while the flows named are ON with
// what (nil when none is).
func onRefusal(names []string, what string) error {
	switch len(names) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%w: flow %s is ON with %s; turn it off first", flows.ErrConflict, names[0], what)
	}
	return fmt.Errorf("%w: flows %s are ON with %s; turn them off first", flows.ErrConflict, strings.Join(names, ", "), what)
}

// DeleteConnection deletes a connection; ErrConflict, naming the flows,
// while flows that are not off use it.
func (s *Store) DeleteConnection(ctx context.Context, id int64) error {
	on, err := s.onWith(ctx, func(src flows.EventSource) bool { return src.Connection == id },
		func(name string, _ flows.EventSource) string { return name })
	if err != nil {
		return err
	}
	if err := onRefusal(on, "this connection"); err != nil {
		return err
	}
	var n int64
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r connectionRecord
		if err := tx.Select("id", "connector_id", "name").First(&r, id).Error; err != nil {
			return notFound(err)
		}
		res := tx.Delete(&connectionRecord{}, id)
		if n = res.RowsAffected; res.Error != nil || n == 0 {
			return res.Error
		}
		return s.emitWith(tx, flows.EventConnectionDeleted, func() flows.HookEvent { return connectionEvent(tx, flows.EventConnectionDeleted, r) })
	})
	if err != nil {
		return fmt.Errorf("store: delete connection %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("store: connection %d: %w", id, flows.ErrNotFound)
	}
	return nil
}
