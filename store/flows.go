package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// flowRecord is a saved flow's row; the definition is one JSON document.
type flowRecord struct {
	ID          int64
	ConnectorID *int64
	FolderID    *int64
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
	if r.FolderID != nil {
		f.FolderID = *r.FolderID
	}
	if err := json.Unmarshal([]byte(r.Definition), &f.Definition); err != nil {
		return flows.Flow{}, fmt.Errorf("store: flow %d: damaged definition: %w", r.ID, err)
	}
	f.Definition.UpgradeCards()
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
	if f.FolderID != 0 {
		r.FolderID = &f.FolderID
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
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		return tx.Create(&flowRevisionRecord{FlowID: r.ID, Revision: 1, Definition: r.Definition}).Error
	})
	if err != nil {
		return flows.Flow{}, fmt.Errorf("store: create flow: %w", conflict(err))
	}
	return r.toFlows()
}

// Flow loads a saved flow.
func (s *Store) Flow(ctx context.Context, id int64) (flows.Flow, error) {
	var r flowRecord
	if err := s.reads.WithContext(ctx).First(&r, id).Error; err != nil {
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
	var n int64
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		n, err = updateFlow(tx, f, r)
		return err
	})
	return s.updatedFlow(ctx, f, n, err)
}

// updateFlow writes the next revision of a flow in tx, if f.Revision is
// still its revision; it reports how many flows it updated (0 or 1).
func updateFlow(tx *gorm.DB, f flows.Flow, r flowRecord) (int64, error) {
	res := tx.Model(&flowRecord{}).Where("id = ? AND revision = ?", f.ID, f.Revision).
		Updates(map[string]any{"kind": r.Kind, "name": r.Name, "definition": r.Definition, "revision": f.Revision + 1, "updated_at": time.Now().UTC()})
	if res.Error != nil || res.RowsAffected == 0 {
		return 0, res.Error
	}
	return 1, tx.Create(&flowRevisionRecord{FlowID: f.ID, Revision: f.Revision + 1, Definition: r.Definition}).Error
}

// updatedFlow is the flow after updateFlow updated n flows: ErrConflict
// when it had been saved since f.Revision.
func (s *Store) updatedFlow(ctx context.Context, f flows.Flow, n int64, err error) (flows.Flow, error) {
	if err != nil {
		return flows.Flow{}, fmt.Errorf("store: update flow %d: %w", f.ID, err)
	}
	if n == 0 {
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

// flowRevisionRecord keeps each saved revision of a flow, so that an
// execution can be re-run on the flow as it ran.
type flowRevisionRecord struct {
	FlowID     int64
	Revision   int
	Definition string
	CreatedAt  time.Time
}

func (flowRevisionRecord) TableName() string { return "flow_revisions" }

// FlowRevisions lists a flow's last saved revisions, newest first, at most limit.
func (s *Store) FlowRevisions(ctx context.Context, id int64, limit int) ([]flows.FlowRevision, error) {
	var rs []flowRevisionRecord
	if err := s.db.WithContext(ctx).Where("flow_id = ?", id).Order("revision DESC").Limit(limit).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: revisions of flow %d: %w", id, err)
	}
	out := make([]flows.FlowRevision, 0, len(rs))
	for _, r := range rs {
		v := flows.FlowRevision{Revision: r.Revision, CreatedAt: r.CreatedAt}
		if err := json.Unmarshal([]byte(r.Definition), &v.Definition); err != nil {
			return nil, fmt.Errorf("store: flow %d revision %d: damaged definition: %w", id, r.Revision, err)
		}
		v.Definition.UpgradeCards()
		out = append(out, v)
	}
	return out, nil
}

// FlowRevision loads a flow's definition as it was at a revision.
func (s *Store) FlowRevision(ctx context.Context, id int64, revision int) (flows.Definition, error) {
	var r flowRevisionRecord
	if err := s.db.WithContext(ctx).Where("flow_id = ? AND revision = ?", id, revision).First(&r).Error; err != nil {
		return flows.Definition{}, fmt.Errorf("store: flow %d revision %d: %w", id, revision, notFound(err))
	}
	var d flows.Definition
	if err := json.Unmarshal([]byte(r.Definition), &d); err != nil {
		return d, fmt.Errorf("store: flow %d revision %d: damaged definition: %w", id, revision, err)
	}
	d.UpgradeCards()
	return d, nil
}
