package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// TestCheckpointsBesideTheWriter checks that what the writers commit
// reaches the database files without a commit checkpointing: the main
// writer and the recorder leave checkpoints to the checkpointer until a
// log is far larger than one delivery, yet the delivery's body soon
// appears in the main file, and its execution's id in the history's.
func TestCheckpointsBesideTheWriter(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, db := range map[string]*sql.DB{"main writer": s.sqlDB, "recorder": s.histDB} {
		var pages int
		if err := db.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&pages); err != nil || pages != writerCheckpointPages {
			t.Fatalf("the %s checkpoints at %d pages (%v), want %d", name, pages, err, writerCheckpointPages)
		}
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
	waitInFile(t, filepath.Join(dir, "hookflow.db"), marker)

	var id int64
	if err := s.db.Raw("SELECT MAX(id) FROM deliveries").Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	e := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: 1, Trigger: flows.TriggerPayload, Status: flows.StatusSucceeded, StartedAt: at, FinishedAt: at}
	if err := s.FinishDeliveries(ctx, []flows.FinishedDelivery{{ID: id, Executions: []*flows.Execution{e}}}); err != nil {
		t.Fatal(err)
	}
	waitInFile(t, filepath.Join(dir, historyFile), []byte(e.ID))
}

// waitInFile waits until the file at path holds marker, not just its
// write-ahead log.
func waitInFile(t *testing.T, path string, marker []byte) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(checkpointEvery) {
		file, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(file, marker) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q is still only in the write-ahead log of %s", marker, filepath.Base(path))
		}
	}
}

// TestWritersFlushEveryCommit checks the synchronous setting of the two
// connections that commit what acknowledges a payload and what records its
// run: FULL unless the operator chose NORMAL.
func TestWritersFlushEveryCommit(t *testing.T) {
	for _, tt := range []struct {
		name string
		sync Sync
		want int // SQLite's numbers: 1 NORMAL, 2 FULL
	}{
		{name: "default", want: 2},
		{name: "full", sync: SyncFull, want: 2},
		{name: "normal", sync: SyncNormal, want: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, err := Open(ctx, Config{DataDir: t.TempDir(), Sync: tt.sync})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for name, db := range map[string]*sql.DB{"main writer": s.sqlDB, "recorder": s.histDB} {
				var got int
				if err := db.QueryRowContext(ctx, "PRAGMA main.synchronous").Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Errorf("%s: synchronous = %d, want %d", name, got, tt.want)
				}
			}
		})
	}
}
