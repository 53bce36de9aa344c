package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// connectorRecord is a connector draft's row; the authentication
// definition is one JSON document.
type connectorRecord struct {
	ID          int64
	Name        string
	Description string
	BaseURL     string
	Auth        string
	Revision    int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FlowCount   int `gorm:"->;-:migration"`
}

func (connectorRecord) TableName() string { return "connectors" }

func (r connectorRecord) toFlows() (flows.Connector, error) {
	c := flows.Connector{ID: r.ID, Revision: r.Revision, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, FlowCount: r.FlowCount,
		Info: flows.ConnectorInfo{Name: r.Name, Description: r.Description, BaseURL: r.BaseURL}}
	if err := json.Unmarshal([]byte(r.Auth), &c.Info.Auth); err != nil {
		return flows.Connector{}, fmt.Errorf("store: connector %d: damaged auth: %w", r.ID, err)
	}
	return c, nil
}

func connectorValues(info flows.ConnectorInfo) (map[string]any, error) {
	auth, err := json.Marshal(info.Auth)
	if err != nil {
		return nil, fmt.Errorf("store: encode connector auth: %w", err)
	}
	return map[string]any{"name": info.Name, "description": info.Description, "base_url": info.BaseURL, "auth": string(auth)}, nil
}

// CreateConnector saves a new connector draft. The caller validates it; a
// taken name is flows.ErrConflict.
func (s *Store) CreateConnector(ctx context.Context, info flows.ConnectorInfo) (flows.Connector, error) {
	auth, err := json.Marshal(info.Auth)
	if err != nil {
		return flows.Connector{}, fmt.Errorf("store: encode connector auth: %w", err)
	}
	r := connectorRecord{Name: info.Name, Description: info.Description, BaseURL: info.BaseURL, Auth: string(auth), Revision: 1}
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return flows.Connector{}, fmt.Errorf("store: create connector: %w", conflict(err))
	}
	return r.toFlows()
}

// connectorsQuery selects connectors with their flow counts.
func (s *Store) connectorsQuery(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Model(&connectorRecord{}).
		Select("connectors.*, (SELECT COUNT(*) FROM flows WHERE flows.connector_id = connectors.id) AS flow_count")
}

// Connector loads a connector draft.
func (s *Store) Connector(ctx context.Context, id int64) (flows.Connector, error) {
	var r connectorRecord
	if err := s.connectorsQuery(ctx).Where("connectors.id = ?", id).Take(&r).Error; err != nil {
		return flows.Connector{}, fmt.Errorf("store: connector %d: %w", id, notFound(err))
	}
	return r.toFlows()
}

// Connectors lists the connectors by name.
func (s *Store) Connectors(ctx context.Context) ([]flows.Connector, error) {
	var rs []connectorRecord
	if err := s.connectorsQuery(ctx).Order("connectors.name, connectors.id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: connectors: %w", err)
	}
	out := make([]flows.Connector, 0, len(rs))
	for _, r := range rs {
		c, err := r.toFlows()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// UpdateConnector saves a connector's overview over revision c.Revision; if
// it was saved since, nothing is written and the error is flows.ErrConflict.
func (s *Store) UpdateConnector(ctx context.Context, c flows.Connector) (flows.Connector, error) {
	vals, err := connectorValues(c.Info)
	if err != nil {
		return flows.Connector{}, err
	}
	vals["revision"], vals["updated_at"] = c.Revision+1, time.Now().UTC()
	res := s.db.WithContext(ctx).Model(&connectorRecord{}).Where("id = ? AND revision = ?", c.ID, c.Revision).Updates(vals)
	if res.Error != nil {
		return flows.Connector{}, fmt.Errorf("store: update connector %d: %w", c.ID, conflict(res.Error))
	}
	if res.RowsAffected == 0 {
		if _, err := s.Connector(ctx, c.ID); err != nil {
			return flows.Connector{}, err
		}
		return flows.Connector{}, fmt.Errorf("store: update connector %d: %w: it was changed elsewhere since you opened it; reload to see the changes", c.ID, flows.ErrConflict)
	}
	return s.Connector(ctx, c.ID)
}

// DeleteConnector deletes a connector with its flows and versions, in one transaction.
func (s *Store) DeleteConnector(ctx context.Context, id int64) error {
	on, err := s.onWith(ctx, func(src flows.EventSource) bool { return src.Connector == id },
		func(name string, src flows.EventSource) string {
			return fmt.Sprintf("%s (version %d)", name, src.Version)
		})
	if err != nil {
		return err
	}
	if err := onRefusal(on, "this connector"); err != nil {
		return err
	}
	s.versions.Range(func(k, _ any) bool {
		if k.([2]int64)[0] == id {
			s.versions.Delete(k)
		}
		return true
	})
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("connector_id = ?", id).Delete(&connectionRecord{}).Error; err != nil {
			return fmt.Errorf("store: delete connector %d connections: %w", id, err)
		}
		if err := tx.Where("connector_id = ?", id).Delete(&flowRecord{}).Error; err != nil {
			return fmt.Errorf("store: delete connector %d flows: %w", id, err)
		}
		if err := tx.Where("connector_id = ?", id).Delete(&versionRecord{}).Error; err != nil {
			return fmt.Errorf("store: delete connector %d versions: %w", id, err)
		}
		res := tx.Delete(&connectorRecord{}, id)
		if res.Error != nil {
			return fmt.Errorf("store: delete connector %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("store: connector %d: %w", id, flows.ErrNotFound)
		}
		return nil
	})
}

// CountConnectors reports how many connectors exist.
func (s *Store) CountConnectors(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&connectorRecord{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count connectors: %w", err)
	}
	return n, nil
}
