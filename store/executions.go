package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// executionRecord is one execution's row: the columns lists filter and sort
// on, and the rest of the execution as one JSON document.
type executionRecord struct {
	ID         string
	FlowID     int64
	ParentID   *string
	Trigger    string
	Status     string
	StartedAt  time.Time
	FinishedAt *time.Time
	DurationUS int64
	Error      string
	PackID     *int64 // the pack that holds the document, at PackIndex (documents.go)
	PackIndex  int
	RerunOf    *string
	Revision   int
	// RunningOn is the instance that runs the execution while it is
	// recorded as running (stranded.go); nil once it has ended.
	RunningOn *string
}

func (executionRecord) TableName() string { return "executions" }

// Execution loads one execution with its steps.
func (s *Store) Execution(ctx context.Context, id string) (*flows.Execution, error) {
	var e *flows.Execution
	err := s.snapshot(ctx, func(db *gorm.DB) error {
		var r executionRecord
		if err := db.Where("id = ?", id).First(&r).Error; err != nil {
			return fmt.Errorf("store: execution %s: %w", id, notFound(err))
		}
		packs, err := loadPacks(db, []executionRecord{r})
		if err != nil {
			return err
		}
		e, err = r.toFlows(packs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return e, s.fillWaits(ctx, []*flows.Execution{e}, true)
}

// snapshot runs fn with reads that see the database as it was at one
// moment: an execution's row and its pack stay together even when its
// record is replaced (a run recorded as running, ended) meanwhile.
func (s *Store) snapshot(ctx context.Context, fn func(db *gorm.DB) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	return s.reads.WithContext(ctx).Transaction(fn, opts)
}

// loadPacks loads and unpacks the packs that hold documents of rs.
func loadPacks(db *gorm.DB, rs []executionRecord) (map[int64][]byte, error) {
	var ids []int64
	for _, r := range rs {
		if r.PackID != nil && !slices.Contains(ids, *r.PackID) {
			ids = append(ids, *r.PackID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var packs []struct {
		ID     int64
		Packed []byte
	}
	if err := db.Table("execution_packs").Where("id IN ?", ids).Find(&packs).Error; err != nil {
		return nil, fmt.Errorf("store: execution packs: %w", err)
	}
	out := make(map[int64][]byte, len(packs))
	for _, p := range packs {
		pack, err := thePacker.unpack(p.Packed)
		if err != nil {
			return nil, fmt.Errorf("store: execution pack %d: %w", p.ID, err)
		}
		out[p.ID] = pack
	}
	return out, nil
}

// ExecutionFilter selects executions; zero fields select all.
type ExecutionFilter struct {
	FlowID      int64
	ConnectorID int64 // the executions of the connector's flows
	// Kind selects the runs of workspace flows (KindWorkspaceRuns) or of
	// connectors' flows (KindConnectorRuns).
	Kind     string
	Status   flows.Status
	Trigger  flows.Trigger
	From, To time.Time // started in [From, To)
	RerunOf  string
	// Search finds executions by the words of their cards' inputs,
	// outputs and errors (all words must match).
	Search string
	// Before is the page cursor: executions older than this id.
	Before string
	// After lists executions newer than this id (what arrived since).
	After string
	Limit int // 50 when 0
}

// The kinds of runs an ExecutionFilter can select.
const (
	KindWorkspaceRuns = "workspace"
	KindConnectorRuns = "connector"
)

// Executions lists executions newest first (by id, which orders by start
// time), a page at a time: pass the last id of a page as Before to get the
// next; new executions never shift a page.
func (s *Store) Executions(ctx context.Context, f ExecutionFilter) ([]*flows.Execution, error) {
	var out []*flows.Execution
	err := s.snapshot(ctx, func(db *gorm.DB) error {
		var err error
		out, err = s.executions(db, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, s.fillWaits(ctx, out, false)
}

// executions is Executions, reading from db.
func (s *Store) executions(db *gorm.DB, f ExecutionFilter) ([]*flows.Execution, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	words := searchWords(f.Search)
	q := filterExecutions(db.Table("executions").Select("executions.*"), f)
	var rs []executionRecord
	switch {
	case len(words) > 0 && s.dialect != Postgres:
		var err error
		if rs, err = searchSQLite(db, q, ftsQuery(words), f); err != nil {
			return nil, fmt.Errorf("store: executions: %w", err)
		}
	default:
		if len(words) > 0 {
			q = q.Where("executions.search @@ to_tsquery('simple', ?)", tsQuery(words))
		}
		if f.Before != "" {
			q = q.Where("executions.id < ?", f.Before)
		}
		if err := q.Order("executions.id DESC").Limit(f.Limit).Find(&rs).Error; err != nil {
			return nil, fmt.Errorf("store: executions: %w", err)
		}
	}
	packs, err := loadPacks(db, rs)
	if err != nil {
		return nil, err
	}
	out := make([]*flows.Execution, 0, len(rs))
	for _, r := range rs {
		e, err := r.toFlows(packs)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// filterExecutions narrows a query of the executions table to those a
// filter selects, but for its Search, Before and Limit.
func filterExecutions(q *gorm.DB, f ExecutionFilter) *gorm.DB {
	if f.FlowID != 0 {
		q = q.Where("executions.flow_id = ?", f.FlowID)
	}
	if f.ConnectorID != 0 {
		q = q.Where("executions.flow_id IN (SELECT id FROM flows WHERE connector_id = ?)", f.ConnectorID)
	}
	switch f.Kind {
	case KindConnectorRuns:
		q = q.Where("executions.flow_id IN (SELECT id FROM flows WHERE connector_id IS NOT NULL)")
	case KindWorkspaceRuns:
		q = q.Where("executions.flow_id NOT IN (SELECT id FROM flows WHERE connector_id IS NOT NULL)")
	}
	// The status and trigger indexes leave out the common values, which
	// the id order finds at once; a filter on another value names the
	// index's condition, so that the index serves it.
	if f.Status != "" {
		q = q.Where("executions.status = ?", f.Status)
		if f.Status != flows.StatusSucceeded {
			q = q.Where("executions.status <> '" + string(flows.StatusSucceeded) + "'")
		}
	}
	if f.Trigger != "" {
		q = q.Where(`executions."trigger" = ?`, f.Trigger)
		if f.Trigger != flows.TriggerPayload {
			q = q.Where(`executions."trigger" <> '` + string(flows.TriggerPayload) + "'")
		}
	}
	// Ids begin with their start time, so a time range is also an id range:
	// the list walks its index instead of filtering every row.
	if !f.From.IsZero() {
		q = q.Where("executions.id >= ? AND executions.started_at >= ?", idPrefix(f.From.Add(-time.Second)), f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("executions.id < ? AND executions.started_at < ?", idPrefix(f.To.Add(time.Second)), f.To.UTC())
	}
	if f.RerunOf != "" {
		q = q.Where("executions.rerun_of = ?", f.RerunOf)
	}
	if f.After != "" {
		q = q.Where("executions.id > ?", f.After)
	}
	return q
}

// searchChunk is how many matches of the full-text index a search reads
// at a time, newest first.
const searchChunk = 1000

// searchSQLite pages through the full-text index newest first (by rowid,
// the order executions were stored in), a chunk at a time, keeping the
// matches that pass the other filters until the page is full: common and
// rare words cost the same.
func searchSQLite(db, filtered *gorm.DB, words string, f ExecutionFilter) ([]executionRecord, error) {
	below := int64(math.MaxInt64)
	if f.Before != "" {
		if err := db.Raw("SELECT rowid FROM executions WHERE id = ?", f.Before).Scan(&below).Error; err != nil {
			return nil, err
		}
	}
	var out []executionRecord
	for len(out) < f.Limit {
		var rowids []int64
		err := db.Raw("SELECT rowid FROM executions_fts WHERE executions_fts MATCH ? AND rowid < ? ORDER BY rowid DESC LIMIT ?",
			words, below, searchChunk).Scan(&rowids).Error
		if err != nil || len(rowids) == 0 {
			return out, err
		}
		var rs []executionRecord
		err = filtered.Session(&gorm.Session{}).Where("executions.rowid IN ?", rowids).Order("executions.rowid DESC").Limit(f.Limit - len(out)).Find(&rs).Error
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
		below = rowids[len(rowids)-1]
		if len(rowids) < searchChunk {
			break
		}
	}
	return out, nil
}

// idPrefix is the start of the ids of executions started at t.
func idPrefix(t time.Time) string { return fmt.Sprintf("%012x", t.UnixMilli()) }

// searchWords splits what a user typed into the words a search looks
// for: runs of letters and digits, with the _ - @ . that names, emails and
// hosts hold. No other character survives, so that no input is query
// syntax of SQLite's or Postgres's full-text search.
func searchWords(text string) []string {
	var words []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' && r != '@' && r != '.'
	}) {
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			words = append(words, w)
		}
	}
	return words
}

// ftsQuery is the FTS5 query of search words: each quoted and a prefix
// ("grac"* finds Grace), all of them required.
func ftsQuery(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = `"` + w + `"*`
	}
	return strings.Join(q, " ")
}

// tsQuery is the Postgres tsquery of search words: each quoted and a
// prefix ('grac':* finds Grace), all of them required.
func tsQuery(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + w + "':*"
	}
	return strings.Join(q, " & ")
}

// toFlows restores the execution of a row; packs are the unpacked packs
// by id (loadPacks).
func (r executionRecord) toFlows(packs map[int64][]byte) (*flows.Execution, error) {
	if r.PackID == nil {
		return nil, fmt.Errorf("store: execution %s: it has no document", r.ID)
	}
	pack, ok := packs[*r.PackID]
	if !ok {
		return nil, fmt.Errorf("store: execution %s: its pack %d is missing", r.ID, *r.PackID)
	}
	doc, err := docAt(pack, r.PackIndex)
	if err != nil {
		return nil, fmt.Errorf("store: execution %s: damaged data: %w", r.ID, err)
	}
	var d executionData
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("store: execution %s: damaged data: %w", r.ID, err)
	}
	e := &flows.Execution{ID: r.ID, FlowID: r.FlowID, FlowName: d.FlowName, Revision: r.Revision, Trigger: flows.Trigger(r.Trigger), Status: flows.Status(r.Status),
		StartedAt: r.StartedAt, Input: d.Input, Output: d.Output, Error: r.Error, ErrorCard: d.ErrorCard, WorkspaceFlow: d.WorkspaceFlow, Steps: d.steps()}
	if r.ParentID != nil {
		e.ParentID = *r.ParentID
	}
	if r.RerunOf != nil {
		e.RerunOf = *r.RerunOf
	}
	if r.FinishedAt != nil {
		e.FinishedAt = *r.FinishedAt
	}
	return e, nil
}

// HistoryFlows names every flow whose runs the history can hold: the
// workspace flows by name, then each connector's flows, by connector and
// name.
func (s *Store) HistoryFlows(ctx context.Context) ([]flows.FlowName, error) {
	var rs []struct {
		ID          int64
		Name        string
		ConnectorID *int64
		Connector   *string
	}
	err := s.reads.WithContext(ctx).Table("flows").
		Select("flows.id, flows.name, flows.connector_id, connectors.name AS connector").
		Joins("LEFT JOIN connectors ON connectors.id = flows.connector_id").
		Order("flows.connector_id IS NOT NULL, connectors.name, connectors.id, flows.name, flows.id").Scan(&rs).Error
	if err != nil {
		return nil, fmt.Errorf("store: history flows: %w", err)
	}
	out := make([]flows.FlowName, len(rs))
	for i, r := range rs {
		out[i] = flows.FlowName{ID: r.ID, Name: r.Name}
		if r.ConnectorID != nil && r.Connector != nil {
			out[i].ConnectorID, out[i].Connector = *r.ConnectorID, *r.Connector
		}
	}
	return out, nil
}

// CountExecutions counts the executions a filter selects (its Search,
// Before and Limit aside).
func (s *Store) CountExecutions(ctx context.Context, f ExecutionFilter) (int64, error) {
	var n int64
	if err := filterExecutions(s.reads.WithContext(ctx).Table("executions"), f).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count executions: %w", err)
	}
	return n, nil
}

// EachExecution calls fn with every execution a filter selects, newest
// first, a page at a time, until fn returns an error (which it returns).
func (s *Store) EachExecution(ctx context.Context, f ExecutionFilter, fn func(*flows.Execution) error) error {
	f.Limit = 1000
	for {
		page, err := s.Executions(ctx, f)
		if err != nil {
			return err
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < f.Limit {
			return nil
		}
		f.Before = page[len(page)-1].ID
	}
}

// The store is the interpreter's recorder and flow source.
var (
	_ flows.Recorder   = (*Store)(nil)
	_ flows.FlowSource = (*Store)(nil)
)
