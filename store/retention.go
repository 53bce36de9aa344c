package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// finalStatuses are flows.FinalStatuses: the only executions pruning and
// clearing touch.
var finalStatuses = flows.FinalStatuses

// Retention says how long executions are kept: those that ended before
// now minus MaxAge go, and beyond the newest MaxPerFlow of each flow.
type Retention struct {
	MaxAge     time.Duration
	MaxPerFlow int
}

// deleteExecutions deletes executions (and their search entries, and the
// packs that then hold no one's document) by a condition on the executions
// table.
func (s *Store) deleteExecutions(tx *gorm.DB, where string, args ...any) (int64, error) {
	packs, err := packsWhere(tx, where, args...)
	if err != nil {
		return 0, err
	}
	if s.dialect != Postgres {
		q := "DELETE FROM executions_fts WHERE rowid IN (SELECT rowid FROM executions WHERE " + where + ")"
		if err := tx.Exec(q, args...).Error; err != nil {
			return 0, err
		}
	}
	res := tx.Exec("DELETE FROM executions WHERE "+where, args...)
	if res.Error != nil {
		return 0, res.Error
	}
	return res.RowsAffected, dropUnusedPacks(tx, packs)
}

// packsWhere lists the packs that hold documents of the executions a
// condition selects.
func packsWhere(tx *gorm.DB, where string, args ...any) ([]int64, error) {
	var ids []int64
	err := tx.Raw("SELECT DISTINCT pack_id FROM executions WHERE pack_id IS NOT NULL AND ("+where+")", args...).Scan(&ids).Error
	return ids, err
}

// dropUnusedPacks deletes those of packs that no execution uses any more.
func dropUnusedPacks(tx *gorm.DB, packs []int64) error {
	for ids := range slices.Chunk(packs, 500) {
		err := tx.Exec("DELETE FROM execution_packs WHERE id IN ? AND NOT EXISTS (SELECT 1 FROM executions WHERE pack_id = execution_packs.id)", ids).Error
		if err != nil {
			return err
		}
	}
	return nil
}

// PruneExecutions deletes what the retention no longer keeps, never an
// execution that has not ended, and the deliveries run before the cutoff.
// It returns how many executions went.
func (s *Store) PruneExecutions(ctx context.Context, r Retention) (int64, error) {
	var total int64
	cutoff := time.Now().Add(-r.MaxAge).UTC()
	err := s.hist.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if r.MaxAge > 0 {
			n, err := s.deleteExecutions(tx, "started_at < ? AND status IN ?", cutoff, finalStatuses)
			if err != nil {
				return err
			}
			total += n
		}
		if r.MaxPerFlow > 0 {
			var over []struct {
				FlowID int64
				N      int64
			}
			if err := tx.Raw("SELECT flow_id, COUNT(*) AS n FROM executions GROUP BY flow_id HAVING COUNT(*) > ?", r.MaxPerFlow).Scan(&over).Error; err != nil {
				return err
			}
			for _, o := range over {
				var oldestKept string
				if err := tx.Raw("SELECT id FROM executions WHERE flow_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?", o.FlowID, r.MaxPerFlow-1).Scan(&oldestKept).Error; err != nil {
					return err
				}
				n, err := s.deleteExecutions(tx, "flow_id = ? AND id < ? AND status IN ?", o.FlowID, oldestKept, finalStatuses)
				if err != nil {
					return err
				}
				total += n
			}
		}
		return nil
	})
	if err == nil && r.MaxAge > 0 {
		// In the main file: on SQLite a transaction of its own.
		err = s.db.WithContext(ctx).Exec("DELETE FROM deliveries WHERE state = ? AND received_at < ?", deliveryDone, cutoff).Error
	}
	if err != nil {
		return 0, fmt.Errorf("store: prune executions: %w", err)
	}
	return total, nil
}

// ClearFlowData clears a flow's ended executions: their inputs and outputs
// (everything false), or the executions themselves (everything true).
// Cleared executions are recorded again without their data, a page at a
// time, through the pipeline: each page at once, and a clear that was cut
// short clears the rest when done again.
func (s *Store) ClearFlowData(ctx context.Context, flowID int64, everything bool) (int64, error) {
	var total int64
	if everything {
		err := s.hist.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			n, err := s.deleteExecutions(tx, "flow_id = ? AND status IN ?", flowID, finalStatuses)
			total = n
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("store: clear data of flow %d: %w", flowID, err)
		}
		return total, nil
	}
	after := ""
	for {
		var rs []executionRecord
		q := s.hist.WithContext(ctx).Where("flow_id = ? AND status IN ? AND id > ?", flowID, finalStatuses, after)
		if err := q.Order("id").Limit(maxPiece).Find(&rs).Error; err != nil {
			return total, fmt.Errorf("store: clear data of flow %d: %w", flowID, err)
		}
		if len(rs) == 0 {
			return total, nil
		}
		after = rs[len(rs)-1].ID
		packs, err := loadPacks(s.hist.WithContext(ctx), rs)
		if err != nil {
			return total, err
		}
		es := make([]*flows.Execution, len(rs))
		for i, r := range rs {
			e, err := r.toFlows(packs)
			if err != nil {
				return total, err
			}
			es[i] = e.SavedCopy(false)
		}
		if err := s.pipe.rewrite(es); err != nil {
			return total, fmt.Errorf("store: clear data of flow %d: %w", flowID, err)
		}
		total += int64(len(es))
	}
}

// auditRecord is an audit log row.
type auditRecord flows.AuditEntry

func (auditRecord) TableName() string { return "audit_entries" }

// Audit records an admin action.
func (s *Store) Audit(ctx context.Context, actor, action, subject, detail string) error {
	e := auditRecord{At: time.Now().UTC(), Actor: actor, Action: action, Subject: subject, Detail: detail}
	if err := s.db.WithContext(ctx).Create(&e).Error; err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// AuditLog lists the newest audit entries.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]flows.AuditEntry, error) {
	var rs []auditRecord
	if err := s.db.WithContext(ctx).Order("id DESC").Limit(limit).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	out := make([]flows.AuditEntry, len(rs))
	for i, r := range rs {
		out[i] = flows.AuditEntry(r)
	}
	return out, nil
}
