package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// TestCheckpointsBesideTheWriter checks that what the writer commits
// reaches the database file without a commit checkpointing: the writer
// leaves checkpoints to the checkpointer until the log is far larger than
// one delivery, yet the delivery's body soon appears in the file.
func TestCheckpointsBesideTheWriter(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var pages int
	if err := s.sqlDB.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&pages); err != nil || pages != writerCheckpointPages {
		t.Fatalf("the writer checkpoints at %d pages (%v), want %d", pages, err, writerCheckpointPages)
	}
	sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 1, Token: "checkpoints", State: flows.SubscriptionActive})
	if err != nil {
		t.Fatal(err)
	}
	marker := []byte("checkpointed-" + rand.Text())
	if _, err := s.AcceptDelivery(ctx, flows.Delivery{SubscriptionID: sub.ID, Method: "POST", Headers: map[string]string{},
		Query: map[string]string{}, Body: marker}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(checkpointEvery) {
		file, err := os.ReadFile(filepath.Join(dir, "hookflow.db"))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(file, marker) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the delivery is still only in the write-ahead log")
		}
	}
}
