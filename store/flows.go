package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// flowRecord is a saved flow's row; the definition is one JSON document.
type flowRecord struct {
	ID          int64
	ConnectorID *int64
	Kind        string
	Name        string
	Revision    int
	Definition  string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (flowRecord) TableName() string { return "flows" }

func (r flowRecord) toFlows() (flows.Flow, error) {
	f := flows.Flow{ID: r.ID, Revision: r.Revision, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.ConnectorID != nil {
		f.ConnectorID = *r.ConnectorID
	}
	if err := json.Unmarshal([]byte(r.Definition), &f.Definition); err != nil {
		return flows.Flow{}, fmt.Errorf("store: flow %d: damaged definition: %w", r.ID, err)
	}
	return f, nil
}

func flowRecordOf(f flows.Flow) (flowRecord, error) {
	def, err := json.Marshal(f.Definition)
	if err != nil {
		return flowRecord{}, fmt.Errorf("store: encode flow definition: %w", err)
	}
	r := flowRecord{ID: f.ID, Kind: string(f.Definition.Kind), Name: f.Definition.Name, Revision: f.Revision, Definition: string(def)}
	if f.ConnectorID != 0 {
		r.ConnectorID = &f.ConnectorID
	}
	return r, nil
}

// CreateFlow saves a new flow at revision 1. The caller validates it first.
func (s *Store) CreateFlow(ctx context.Context, f flows.Flow) (flows.Flow, error) {
	f.ID, f.Revision = 0, 1
	r, err := flowRecordOf(f)
	if err != nil {
		return flows.Flow{}, err
	}
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return flows.Flow{}, fmt.Errorf("store: create flow: %w", conflict(err))
	}
	return r.toFlows()
}

// Flow loads a saved flow.
func (s *Store) Flow(ctx context.Context, id int64) (flows.Flow, error) {
	var r flowRecord
	if err := s.db.WithContext(ctx).First(&r, id).Error; err != nil {
		return flows.Flow{}, fmt.Errorf("store: flow %d: %w", id, notFound(err))
	}
	return r.toFlows()
}

// FlowDefinition loads the definition of a saved flow (the interpreter's
// source for Call Flow and the loops over helper flows).
func (s *Store) FlowDefinition(ctx context.Context, id int64) (flows.Definition, error) {
	f, err := s.Flow(ctx, id)
	return f.Definition, err
}

// UpdateFlow saves a new definition over revision f.Revision. If the flow has
// been saved since, nothing is written and the error is flows.ErrConflict.
func (s *Store) UpdateFlow(ctx context.Context, f flows.Flow) (flows.Flow, error) {
	r, err := flowRecordOf(f)
	if err != nil {
		return flows.Flow{}, err
	}
	res := s.db.WithContext(ctx).Model(&flowRecord{}).Where("id = ? AND revision = ?", f.ID, f.Revision).
		Updates(map[string]any{"kind": r.Kind, "name": r.Name, "definition": r.Definition, "revision": f.Revision + 1, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return flows.Flow{}, fmt.Errorf("store: update flow %d: %w", f.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		if _, err := s.Flow(ctx, f.ID); err != nil {
			return flows.Flow{}, err
		}
		return flows.Flow{}, fmt.Errorf("store: update flow %d: %w: the flow was changed elsewhere since revision %d; reload it", f.ID, flows.ErrConflict, f.Revision)
	}
	return s.Flow(ctx, f.ID)
}

// Flows lists the flows of a connector (0: the workspace flows), by name.
func (s *Store) Flows(ctx context.Context, connectorID int64) ([]flows.Flow, error) {
	q := s.db.WithContext(ctx).Order("name, id")
	if connectorID == 0 {
		q = q.Where("connector_id IS NULL")
	} else {
		q = q.Where("connector_id = ?", connectorID)
	}
	var rs []flowRecord
	if err := q.Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: flows: %w", err)
	}
	out := make([]flows.Flow, 0, len(rs))
	for _, r := range rs {
		f, err := r.toFlows()
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// CountFlows reports how many flows exist.
func (s *Store) CountFlows(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&flowRecord{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count flows: %w", err)
	}
	return n, nil
}

// DeleteFlow deletes a saved flow.
func (s *Store) DeleteFlow(ctx context.Context, id int64) error {
	res := s.db.WithContext(ctx).Delete(&flowRecord{}, id)
	if res.Error != nil {
		return fmt.Errorf("store: delete flow %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: flow %d: %w", id, flows.ErrNotFound)
	}
	return nil
}
