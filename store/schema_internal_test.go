package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestMigrateRefusesNewerSchema: a database that a newer binary migrated
// (a step beyond this binary's newest is recorded) is refused at Open
// with a SchemaNewerError naming both steps, in one line of plain words.
func TestMigrateRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	s := openLiteStore(t, dir)
	newer := LatestSchemaVersion() + 2
	if err := s.db.Create(&schemaMigration{Version: newer, Name: "from a newer hookflow", AppliedAt: time.Now()}).Error; err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(context.Background(), Config{DataDir: dir})
	var sn *SchemaNewerError
	if !errors.As(err, &sn) || sn.Database != newer || sn.Binary != LatestSchemaVersion() {
		t.Fatalf("open a newer schema: %v, want a SchemaNewerError at step %d", err, newer)
	}
	want := fmt.Sprintf("the database's schema is at step %d, newer than this hookflow binary knows (step %d)", newer, LatestSchemaVersion())
	if got := err.Error(); !strings.HasPrefix(got, want) || strings.Contains(got, "\n") {
		t.Fatalf("message %q, want it to start %q", got, want)
	}
}
