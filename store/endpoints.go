package store

import (
	"context"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// endpointRecord is an API Endpoint flow's settings. The client token is
// kept as its SHA-256 only.
type endpointRecord struct {
	FlowID          int64 `gorm:"primaryKey;autoIncrement:false"`
	Alias           string
	Security        string
	ClientTokenHash string
	ClientTokenAt   *time.Time
	RateLimit       int
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

func (endpointRecord) TableName() string { return "endpoints" }

func (r endpointRecord) toFlows() flows.Endpoint {
	e := flows.Endpoint{FlowID: r.FlowID, Alias: r.Alias, Security: flows.EndpointSecurity(r.Security), ClientTokenHash: r.ClientTokenHash,
		RateLimit: r.RateLimit, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.ClientTokenAt != nil {
		e.ClientTokenAt = *r.ClientTokenAt
	}
	return e
}

func endpointRecordOf(e flows.Endpoint) endpointRecord {
	r := endpointRecord{FlowID: e.FlowID, Alias: e.Alias, Security: string(e.Security), ClientTokenHash: e.ClientTokenHash, RateLimit: e.RateLimit}
	if !e.ClientTokenAt.IsZero() {
		at := e.ClientTokenAt.UTC()
		r.ClientTokenAt = &at
	}
	return r
}

// Endpoint is an API Endpoint flow's settings.
func (s *Store) Endpoint(ctx context.Context, flowID int64) (flows.Endpoint, error) {
	var r endpointRecord
	if err := s.reads.WithContext(ctx).Where("flow_id = ?", flowID).First(&r).Error; err != nil {
		return flows.Endpoint{}, fmt.Errorf("store: endpoint of flow %d: %w", flowID, notFound(err))
	}
	return r.toFlows(), nil
}

// EndpointByAlias finds the settings of an invoke URL's alias.
func (s *Store) EndpointByAlias(ctx context.Context, alias string) (flows.Endpoint, error) {
	var r endpointRecord
	if err := s.reads.WithContext(ctx).Where("alias = ?", alias).First(&r).Error; err != nil {
		return flows.Endpoint{}, fmt.Errorf("store: endpoint: %w", notFound(err))
	}
	return r.toFlows(), nil
}

// CreateEndpoint saves a flow's first endpoint settings;
// flows.ErrConflict when it has them.
func (s *Store) CreateEndpoint(ctx context.Context, e flows.Endpoint) error {
	r := endpointRecordOf(e)
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("store: create endpoint of flow %d: %w", e.FlowID, conflict(err))
	}
	return nil
}

// SaveEndpoint saves a flow's alias, security, client token and rate limit.
func (s *Store) SaveEndpoint(ctx context.Context, e flows.Endpoint) error {
	r := endpointRecordOf(e)
	res := s.db.WithContext(ctx).Model(&endpointRecord{FlowID: e.FlowID}).
		Select("alias", "security", "client_token_hash", "client_token_at", "rate_limit", "updated_at").Updates(&r)
	if res.Error != nil {
		return fmt.Errorf("store: save endpoint of flow %d: %w", e.FlowID, conflict(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: endpoint of flow %d: %w", e.FlowID, flows.ErrNotFound)
	}
	return nil
}
