package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/hookflow/hookflow/flows"
)

// SearchPlans returns the database's plan of each statement that reads a
// page of a search, for tests that check which indexes serve it. On
// Postgres sequential scans are discouraged, so that a small table shows
// the plan a large one would get.
func SearchPlans(ctx context.Context, s *Store, t *flows.Table, q flows.RowQuery) ([]string, error) {
	stmts, err := s.searchStatements(t, q)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, st := range stmts {
		var plan []string
		err := s.tableTx(ctx, func(tx *sql.Tx) error {
			prefix := "EXPLAIN QUERY PLAN "
			if s.dialect == Postgres {
				prefix = "EXPLAIN "
				if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
					return err
				}
			}
			rows, err := tx.QueryContext(ctx, s.rebind(prefix+st.sql+" LIMIT 101"), st.args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					return err
				}
				if v, ok := vals[len(vals)-1].(string); ok {
					plan = append(plan, v)
				}
			}
			return rows.Err()
		})
		if err != nil {
			return nil, err
		}
		out = append(out, strings.Join(plan, "\n"))
	}
	return out, nil
}

// SetProbeRows makes searches in id order read n rows before they turn to
// the indexes, until the test ends.
func SetProbeRows(t interface{ Cleanup(func()) }, n int) {
	old := probeRows
	probeRows = n
	t.Cleanup(func() { probeRows = old })
}
