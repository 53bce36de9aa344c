package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// revisionTables are the tables whose rows count their revisions for the
// API's optimistic concurrency: connections, tables' schemas and event
// hooks. Connectors and flows have counted theirs from the start.
var revisionTables = []string{"connections", "data_tables", "event_hooks"}

// migrateRevisions adds the revision of each connection, table and event
// hook: 1 for those there are, one more on every change.
func migrateRevisions(tx *gorm.DB) error {
	for _, t := range revisionTables {
		if err := tx.Exec("ALTER TABLE " + t + " ADD COLUMN revision INTEGER NOT NULL DEFAULT 1").Error; err != nil {
			return fmt.Errorf("add the revision of %s: %w", t, err)
		}
	}
	return nil
}

// nextRevision is the value that sets a row's revision to its next one.
var nextRevision = gorm.Expr("revision + 1")

// atRevision narrows an update to the row at revision rev, unless rev is 0
// (the change was not made to a revision: it applies to whatever is there).
func atRevision(q *gorm.DB, rev int) *gorm.DB {
	if rev > 0 {
		return q.Where("revision = ?", rev)
	}
	return q
}

// staleRevision is the refusal of a change of what (its row in table, with
// id) made to revision rev, when the update changed no row: it names the
// revision the row is at, or is flows.ErrNotFound when there is no row.
func staleRevision(ctx context.Context, q *gorm.DB, table, what string, id int64, rev int) error {
	var now []int
	if err := q.WithContext(ctx).Table(table).Where("id = ?", id).Limit(1).Pluck("revision", &now).Error; err != nil {
		return err
	}
	if len(now) == 0 || rev == 0 {
		return flows.ErrNotFound
	}
	return &flows.StaleError{What: what, Revision: rev, Now: now[0]}
}
