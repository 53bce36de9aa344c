package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// versionRecord is a deployed connector version: an immutable snapshot.
type versionRecord struct {
	ID          int64
	ConnectorID int64
	Version     int
	CreatedAt   time.Time
	CreatedBy   string
	Snapshot    string
}

func (versionRecord) TableName() string { return "connector_versions" }

func (r versionRecord) toFlows() (flows.ConnectorVersion, error) {
	v := flows.ConnectorVersion{ConnectorID: r.ConnectorID, Version: r.Version, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy}
	if err := json.Unmarshal([]byte(r.Snapshot), &v.Export); err != nil {
		return v, fmt.Errorf("store: connector %d version %d: damaged snapshot: %w", r.ConnectorID, r.Version, err)
	}
	return v, nil
}

// Deploy snapshots a connector's draft as its next version. The caller
// validates the snapshot first.
func (s *Store) Deploy(ctx context.Context, x flows.ConnectorExport, connectorID int64, by string) (flows.ConnectorVersion, error) {
	snap, err := json.Marshal(x)
	if err != nil {
		return flows.ConnectorVersion{}, fmt.Errorf("store: encode snapshot: %w", err)
	}
	var r versionRecord
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var last int
		if err := tx.Model(&versionRecord{}).Where("connector_id = ?", connectorID).Select("COALESCE(MAX(version), 0)").Scan(&last).Error; err != nil {
			return err
		}
		r = versionRecord{ConnectorID: connectorID, Version: last + 1, CreatedBy: by, Snapshot: string(snap)}
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		return s.emit(tx, deployedEvent(x, connectorID, r.Version, by))
	})
	if err != nil {
		return flows.ConnectorVersion{}, fmt.Errorf("store: deploy connector %d: %w", connectorID, conflict(err))
	}
	return r.toFlows()
}

// Versions lists a connector's deployed versions, newest first.
func (s *Store) Versions(ctx context.Context, connectorID int64) ([]flows.ConnectorVersion, error) {
	var rs []versionRecord
	if err := s.db.WithContext(ctx).Where("connector_id = ?", connectorID).Order("version DESC").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: versions of connector %d: %w", connectorID, err)
	}
	out := make([]flows.ConnectorVersion, 0, len(rs))
	for _, r := range rs {
		v, err := r.toFlows()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// NewestVersions maps each connector that has a deployed version to the
// number of its newest.
func (s *Store) NewestVersions(ctx context.Context) (map[int64]int, error) {
	var rows []struct {
		ConnectorID int64
		Version     int
	}
	if err := s.db.WithContext(ctx).Model(&versionRecord{}).Select("connector_id, MAX(version) AS version").Group("connector_id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: newest versions: %w", err)
	}
	out := make(map[int64]int, len(rows))
	for _, r := range rows {
		out[r.ConnectorID] = r.Version
	}
	return out, nil
}

// ImportConnector saves an export as a new connector (into 0) or as the new
// draft of connector into, replacing its overview and flows, in one
// transaction. Calls between the imported flows are rewritten to their new
// ids. The caller validates the export first.
func (s *Store) ImportConnector(ctx context.Context, x flows.ConnectorExport, into int64) (flows.Connector, error) {
	auth, err := json.Marshal(x.Connector.Auth)
	if err != nil {
		return flows.Connector{}, fmt.Errorf("store: encode connector auth: %w", err)
	}
	id := into
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if into == 0 {
			r := connectorRecord{Name: x.Connector.Name, Description: x.Connector.Description, BaseURL: x.Connector.BaseURL, Auth: string(auth), Revision: 1}
			if err := tx.Create(&r).Error; err != nil {
				return conflict(err)
			}
			id = r.ID
		} else {
			res := tx.Model(&connectorRecord{}).Where("id = ?", into).Updates(map[string]any{
				"name": x.Connector.Name, "description": x.Connector.Description, "base_url": x.Connector.BaseURL, "auth": string(auth),
				"revision": gorm.Expr("revision + 1"), "updated_at": time.Now().UTC()})
			if res.Error != nil {
				return conflict(res.Error)
			}
			if res.RowsAffected == 0 {
				return flows.ErrNotFound
			}
			if err := tx.Where("connector_id = ?", into).Delete(&flowRecord{}).Error; err != nil {
				return err
			}
		}
		ids := map[int64]int64{}
		records := make([]flowRecord, len(x.Flows))
		for i, f := range x.Flows {
			r, err := flowRecordOf(flows.Flow{ConnectorID: id, Revision: 1, Definition: f.Definition})
			if err != nil {
				return err
			}
			if err := tx.Create(&r).Error; err != nil {
				return err
			}
			records[i] = r
			if old, err := strconv.ParseInt(f.Key, 10, 64); err == nil {
				ids[old] = r.ID
			}
		}
		for i, f := range x.Flows {
			def := f.Definition
			def.RemapCalls(ids)
			r, err := flowRecordOf(flows.Flow{ConnectorID: id, Definition: def})
			if err != nil {
				return err
			}
			if r.Definition != records[i].Definition {
				if err := tx.Model(&flowRecord{}).Where("id = ?", records[i].ID).Update("definition", r.Definition).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return flows.Connector{}, fmt.Errorf("store: import connector: %w", err)
	}
	return s.Connector(ctx, id)
}
