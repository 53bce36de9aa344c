package store

import (
	"fmt"

	"gorm.io/gorm"
)

// SchemaNewerError is why a binary refuses a database that a newer
// Hookflow has migrated: it does not know the tables it would find.
type SchemaNewerError struct {
	// Database is the newest step applied to the database; Binary is the
	// newest step this binary knows.
	Database, Binary int
}

func (e *SchemaNewerError) Error() string {
	return fmt.Sprintf("the database's schema is at step %d, newer than this hookflow binary knows (step %d): "+
		"run the newer hookflow, or restore a backup taken before the upgrade", e.Database, e.Binary)
}

// LatestSchemaVersion is the newest migration step this binary knows.
func LatestSchemaVersion() int { return migrations[len(migrations)-1].version }

// checkSchemaNotNewer refuses a database whose newest applied step is
// newer than this binary's newest (SchemaNewerError).
func checkSchemaNotNewer(db *gorm.DB) error {
	var v int
	if err := db.Model(&schemaMigration{}).Select("COALESCE(MAX(version), 0)").Scan(&v).Error; err != nil {
		return fmt.Errorf("store: schema version: %w", err)
	}
	if latest := LatestSchemaVersion(); v > latest {
		return &SchemaNewerError{Database: v, Binary: latest}
	}
	return nil
}
