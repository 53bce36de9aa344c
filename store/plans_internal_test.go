package store

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/hookflow/hookflow/flows"
)

// sqlRecorder is a gorm logger that keeps the statements run.
type sqlRecorder struct {
	logger.Interface
	mu   sync.Mutex
	sqls []string
}

func (r *sqlRecorder) LogMode(logger.LogLevel) logger.Interface { return r }

func (r *sqlRecorder) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sqls = append(r.sqls, sql)
}

// TestListsUseTheirIndexes: on SQLite, lists filtered by a status or a
// trigger other than the common ones read the partial indexes that hold
// them, instead of walking every execution.
func TestListsUseTheirIndexes(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tt := range []struct {
		name  string
		f     ExecutionFilter
		index string
	}{
		{"failed", ExecutionFilter{Status: flows.StatusFailed}, "idx_executions_status_id"},
		{"running", ExecutionFilter{Status: flows.StatusRunning}, "idx_executions_status_id"},
		{"manual", ExecutionFilter{Trigger: flows.TriggerManual}, "idx_executions_trigger_id"},
		{"of a flow", ExecutionFilter{FlowID: 3}, "idx_executions_flow_id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &sqlRecorder{Interface: logger.Discard}
			reads := s.reads
			s.reads = s.reads.Session(&gorm.Session{Logger: rec})
			defer func() { s.reads = reads }()
			if _, err := s.Executions(ctx, tt.f); err != nil {
				t.Fatal(err)
			}
			if len(rec.sqls) == 0 {
				t.Fatal("no statement recorded")
			}
			var plan []string
			rows, err := s.readDB.QueryContext(ctx, "EXPLAIN QUERY PLAN "+rec.sqls[0])
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if got := strings.Join(plan, "; "); !strings.Contains(got, "INDEX "+tt.index) {
				t.Fatalf("%s\nplan: %s; want %s", rec.sqls[0], got, tt.index)
			}
		})
	}
}

// TestSearchIndexMergesLess: SQLite's full-text index merges 16 segments
// of a level at a time, and a whole level at once only at 64.
func TestSearchIndexMergesLess(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for k, want := range map[string]int{"automerge": 16, "crisismerge": 64} {
		var v int
		if err := s.db.Raw("SELECT v FROM executions_fts_config WHERE k = ?", k).Scan(&v).Error; err != nil || v != want {
			t.Errorf("%s %d, %v; want %d", k, v, err, want)
		}
	}
}
