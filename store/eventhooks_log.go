package store

import (
	"fmt"

	"gorm.io/gorm"
)

// eventLog is the SQL of the log of events (hook_outbox) in one dialect's
// terms; see hookRelay for why they differ. A place in the log is a pair
// (tx, id): on SQLite tx is always 0 and the log is ordered by id; on
// Postgres it is ordered by (tx, id), and a reader takes only the events
// of transactions older than every one still running.
type eventLog struct {
	// table is the log as the read pool names it.
	table string
	// columns are the columns a reader of events takes.
	columns string
	// order orders the log.
	order string
	// after, through and cursorBefore are conditions on a place's
	// arguments (args): the events after it, visible to every later
	// reader; the events up to it; a consumer's cursor before it.
	after, through, cursorBefore string
	// head selects the place (tx, id) of the log's last event.
	head string
	// args are a place's arguments to the conditions.
	args func(place [2]int64) []any
}

var (
	sqliteLog = eventLog{
		table:        "history.hook_outbox",
		columns:      "id, 0 AS tx, event_type, event, created_at",
		order:        "id",
		after:        "id > ?",
		through:      "id <= ?",
		cursorBefore: "cursor_id < ?",
		head:         "SELECT 0 AS tx, COALESCE(MAX(id), 0) AS id FROM history.hook_outbox",
		args:         func(p [2]int64) []any { return []any{p[1]} },
	}
	postgresLog = eventLog{
		table:        "hook_outbox",
		columns:      "id, tx, event_type, event, created_at",
		order:        "tx, id",
		after:        "(tx, id) > (?, ?) AND tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
		through:      "(tx, id) <= (?, ?)",
		cursorBefore: "(cursor_tx, cursor_id) < (?, ?)",
		head:         "SELECT tx, id FROM hook_outbox ORDER BY tx DESC, id DESC LIMIT 1",
		args:         func(p [2]int64) []any { return []any{p[0], p[1]} },
	}
)

// eventLog is the log's SQL in the store's dialect.
func (s *Store) eventLog() eventLog {
	if s.dialect == SQLite {
		return sqliteLog
	}
	return postgresLog
}

// events reads, on q, the events after place whose type is among types,
// in the log's order.
func (l eventLog) events(q *gorm.DB, place [2]int64, types []string) *gorm.DB {
	return q.Table(l.table).Where(l.after, l.args(place)...).Where("event_type IN ?", types)
}

// lastPlace is the place of the log's last event, read on q: a hook placed
// there gets only the events written after.
func (l eventLog) lastPlace(q *gorm.DB) ([2]int64, error) {
	var head struct{ Tx, ID int64 }
	if err := q.Raw(l.head).Scan(&head).Error; err != nil {
		return [2]int64{}, fmt.Errorf("store: the end of the event log: %w", err)
	}
	return [2]int64{head.Tx, head.ID}, nil
}
