package store

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// TestBackupBetweenTheTwoStepsOfAFinish takes a backup while a delivery
// finishes: between the moments the main file and the history are copied
// at, the history records its run, the main file marks it done, and the
// recorder forgets it. The restored store runs it exactly once: either
// the history holds its run and it is not queued, or the other way round.
func TestBackupBetweenTheTwoStepsOfAFinish(t *testing.T) {
	ctx := context.Background()
	dir, s, sub := storeWithSubscription(t, "backup")
	id := acceptOne(t, s, sub)
	other := acceptOne(t, s, sub)

	finished := make(chan error, 1)
	backupBetween = func() {
		go func() {
			if err := s.FinishDeliveries(ctx, []flows.FinishedDelivery{finishedWith(id, "finished")}); err != nil {
				finished <- err
				return
			}
			// The recorder forgets the delivery, now done, as it does every
			// pruneRecordedEvery.
			st, err := s.pipe.prepareRecorder(ctx)
			if err != nil {
				finished <- err
				return
			}
			req := encodeFinished(t, s, finishedWith(other, "other"))
			s.pipe.recordAll(st, []*writeReq{req}, true)
			finished <- req.err
		}()
		// Give the finish time to happen here, if it can.
		select {
		case err := <-finished:
			finished <- err
		case <-time.After(2 * time.Second):
		}
	}
	t.Cleanup(func() { backupBetween = nil })
	var archive bytes.Buffer
	if _, err := Backup(ctx, dir, t.TempDir(), nil, "test", &archive); err != nil {
		t.Fatal(err)
	}
	if err := <-finished; err != nil {
		t.Fatal(err)
	}
	if n := countOf(t, s.sqlDB, "SELECT COUNT(*) FROM deliveries WHERE id = ?", id); n != 0 {
		t.Fatal("the delivery did not finish on the serving store")
	}

	restored := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(&archive, restored, false); err != nil {
		t.Fatal(err)
	}
	r := openLiteStore(t, restored)
	runs, err := r.Executions(ctx, ExecutionFilter{FlowID: 3, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, e := range runs {
		if e.FlowName == "finished" {
			ran++
		}
	}
	queued := countOf(t, r.sqlDB, "SELECT COUNT(*) FROM deliveries WHERE id = ? AND state = ?", id, deliveryQueued)
	t.Logf("restored: its run recorded %d times, the delivery queued %d times", ran, queued)
	if ran+queued != 1 {
		t.Fatalf("restored: the delivery's run recorded %d times and the delivery queued %d times; want it to run exactly once", ran, queued)
	}
}
