package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
	Data       string // the document as JSON (rows written before packing)
	Packed     []byte // the document packed (packing.go)
	PackID     *int64 // or the pack that holds the document, at PackIndex
	PackIndex  int
	RerunOf    *string
	Revision   int
}

func (executionRecord) TableName() string { return "executions" }

// executionData is the part of an execution kept as one document.
type executionData struct {
	FlowName  string         `json:"flowName,omitempty"`
	Input     map[string]any `json:"input,omitempty"`
	Output    map[string]any `json:"output,omitempty"`
	ErrorCard string         `json:"errorCard,omitempty"`
	Steps     []storedStep   `json:"steps"`
}

// storedStep is a step as stored: outputs equal to the step's inputs (the
// cards that pass their inputs on) or to the run's input (the event card),
// and inputs equal to the run's output (the Return card), are stored once
// and restored when read.
type storedStep struct {
	flows.Step
	OutIsIn    bool `json:"outIsIn,omitempty"`
	OutIsInput bool `json:"outIsInput,omitempty"`
	InIsOutput bool `json:"inIsOutput,omitempty"`
}

func storedSteps(e *flows.Execution) []storedStep {
	out := make([]storedStep, len(e.Steps))
	for i, st := range e.Steps {
		out[i].Step = st
		switch {
		case st.Outputs == nil:
		case i == 0 && e.Input != nil && sameMap(st.Outputs, e.Input):
			out[i].Outputs, out[i].OutIsInput = nil, true
		case st.Inputs != nil && sameMap(st.Outputs, st.Inputs):
			out[i].Outputs, out[i].OutIsIn = nil, true
		}
		if st.Inputs != nil && e.Output != nil && sameMap(st.Inputs, e.Output) {
			out[i].Inputs, out[i].InIsOutput = nil, true
		}
	}
	return out
}

// sameMap reports whether a and b hold the same values (a nil map and an
// empty one are the same: neither is stored). The interpreter often hands
// on the very same map, which is quick to tell.
func sameMap(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	if reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer() {
		return true
	}
	for k, x := range a {
		y, ok := b[k]
		if !ok || !sameValue(x, y) {
			return false
		}
	}
	return true
}

// sameValue is reflect.DeepEqual, without reflection for the values of
// the interpreter (maps, lists, text, numbers, booleans).
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && (x == nil) == (y == nil) && sameMap(x, y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(a, b)
	}
}

func (d *executionData) steps() []flows.Step {
	out := make([]flows.Step, len(d.Steps))
	for i, st := range d.Steps {
		out[i] = st.Step
		if st.InIsOutput {
			out[i].Inputs = d.Output
		}
		switch {
		case st.OutIsInput:
			out[i].Outputs = d.Input
		case st.OutIsIn:
			out[i].Outputs = out[i].Inputs
		}
	}
	return out
}

// RecordExecution stores a finished (or updated) execution; it implements
// flows.Recorder.
func (s *Store) RecordExecution(ctx context.Context, e *flows.Execution) error {
	err := s.hist.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return s.saveExecution(tx, e, true) })
	if err != nil {
		return fmt.Errorf("store: record execution %s: %w", e.ID, err)
	}
	return nil
}

// saveExecution writes an execution's row and its full-text index entry;
// again replaces both (an execution announced as running, now finished).
func (s *Store) saveExecution(tx *gorm.DB, e *flows.Execution, again bool) error {
	r, err := executionRecordOf(e)
	if err != nil {
		return err
	}
	text := searchText(e)
	if s.dialect == Postgres {
		return tx.Exec(insertExecutionPG+`
			ON CONFLICT (id) DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at, duration_us = excluded.duration_us,
			error = excluded.error, data = excluded.data, packed = excluded.packed, pack_id = excluded.pack_id, pack_index = excluded.pack_index,
			search = excluded.search`, r.values(text)...).Error
	}
	if again {
		if err := tx.Exec("DELETE FROM executions_fts WHERE rowid = (SELECT rowid FROM executions WHERE id = ?)", r.ID).Error; err != nil {
			return err
		}
	}
	write := tx.Create
	if again {
		write = tx.Save
	}
	if err := write(&r).Error; err != nil {
		return err
	}
	return tx.Exec("INSERT INTO executions_fts (rowid, body) SELECT rowid, ? FROM executions WHERE id = ?", text, r.ID).Error
}

// The inserts of an execution's row: on SQLite its rowid keys the
// full-text index entry; on Postgres the last value is the search text.
const (
	insertExecutionSQLite = `INSERT INTO executions (id, flow_id, parent_id, "trigger", status, started_at, finished_at, duration_us, error, data, packed, pack_id, pack_index, rerun_of, revision)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertExecutionPG = `INSERT INTO executions (id, flow_id, parent_id, "trigger", status, started_at, finished_at, duration_us, error, data, packed, pack_id, pack_index, rerun_of, revision, search)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, to_tsvector('simple', $16))`
)

// values are the row's columns in the order of the inserts, then extra.
func (r *executionRecord) values(extra ...any) []any {
	return append([]any{r.ID, r.FlowID, r.ParentID, r.Trigger, r.Status, r.StartedAt, r.FinishedAt, r.DurationUS, r.Error, r.Data, r.Packed,
		r.PackID, r.PackIndex, r.RerunOf, r.Revision}, extra...)
}

// searchText is what full-text search finds an execution by: its flow's
// name, its errors, and the text and numbers its cards took and gave, each
// value once (a value passed from card to card is indexed once).
func searchText(e *flows.Execution) string { return new(searchIndexer).text(e) }

// searchIndexer makes search texts, reusing its buffer and set from one
// execution to the next.
type searchIndexer struct {
	b    []byte
	seen map[string]struct{}
}

func (x *searchIndexer) text(e *flows.Execution) string {
	x.b = x.b[:0]
	if x.seen == nil {
		x.seen = make(map[string]struct{}, 32)
	}
	clear(x.seen)
	x.add(e.FlowName)
	x.add(e.Error)
	x.add(e.Input)
	x.add(e.Output)
	for _, st := range e.Steps {
		x.add(st.Error)
		x.add(st.Inputs)
		x.add(st.Outputs)
	}
	if utf8.Valid(x.b) {
		return string(x.b)
	}
	return strings.ToValidUTF8(string(x.b), "\uFFFD") // Postgres takes only UTF-8
}

func (x *searchIndexer) add(v any) {
	if len(x.b) > 4000 {
		return
	}
	switch v := v.(type) {
	case string:
		if len(v) > 200 {
			v = v[:200]
		}
		x.word(v)
	case float64:
		x.word(strconv.FormatFloat(v, 'f', -1, 64))
	case map[string]any:
		for _, y := range v {
			x.add(y)
		}
	case []any:
		for _, y := range v {
			x.add(y)
		}
	}
}

func (x *searchIndexer) word(w string) {
	if _, ok := x.seen[w]; ok {
		return
	}
	x.seen[w] = struct{}{}
	x.b = append(x.b, w...)
	x.b = append(x.b, ' ')
}

// executionRecordOf is an execution's row with its document packed in it.
func executionRecordOf(e *flows.Execution) (executionRecord, error) {
	r, doc, err := encodeExecution(nil, e)
	r.Packed = thePacker.pack(doc)
	return r, err
}

// encodeExecution returns an execution's row without its document, and
// the document, appended to buf.
func encodeExecution(buf []byte, e *flows.Execution) (executionRecord, []byte, error) {
	d := executionData{FlowName: e.FlowName, Input: e.Input, Output: e.Output, ErrorCard: e.ErrorCard, Steps: storedSteps(e)}
	doc, err := appendDocument(buf, &d)
	if err != nil {
		return executionRecord{}, nil, fmt.Errorf("store: encode execution %s: %w", e.ID, err)
	}
	r := executionRecord{ID: e.ID, FlowID: e.FlowID, Trigger: string(e.Trigger), Status: string(e.Status),
		StartedAt: e.StartedAt.UTC(), Error: e.Error}
	if e.ParentID != "" {
		r.ParentID = &e.ParentID
	}
	if e.RerunOf != "" {
		r.RerunOf = &e.RerunOf
	}
	r.Revision = e.Revision
	if !e.FinishedAt.IsZero() {
		f := e.FinishedAt.UTC()
		r.FinishedAt = &f
		r.DurationUS = e.FinishedAt.Sub(e.StartedAt).Microseconds()
	}
	return r, doc, nil
}

// Execution loads one execution with its steps.
func (s *Store) Execution(ctx context.Context, id string) (*flows.Execution, error) {
	var r executionRecord
	if err := s.reads.WithContext(ctx).Where("id = ?", id).First(&r).Error; err != nil {
		return nil, fmt.Errorf("store: execution %s: %w", id, notFound(err))
	}
	packs, err := loadPacks(s.reads.WithContext(ctx), []executionRecord{r})
	if err != nil {
		return nil, err
	}
	return r.toFlows(packs)
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
	Status      flows.Status
	Trigger     flows.Trigger
	From, To    time.Time // started in [From, To)
	RerunOf     string
	// Search finds executions by the words of their cards' inputs,
	// outputs and errors (all words must match).
	Search string
	// Before is the page cursor: executions older than this id.
	Before string
	// After lists executions newer than this id (what arrived since).
	After string
	Limit int // 50 when 0
}

// Executions lists executions newest first (by id, which orders by start
// time), a page at a time: pass the last id of a page as Before to get the
// next; new executions never shift a page.
func (s *Store) Executions(ctx context.Context, f ExecutionFilter) ([]*flows.Execution, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	words := searchQuery(f.Search)
	q := s.reads.WithContext(ctx).Table("executions").Select("executions.*")
	if f.FlowID != 0 {
		q = q.Where("executions.flow_id = ?", f.FlowID)
	}
	if f.ConnectorID != 0 {
		q = q.Where("executions.flow_id IN (SELECT id FROM flows WHERE connector_id = ?)", f.ConnectorID)
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
	var rs []executionRecord
	switch {
	case words != "" && s.dialect != Postgres:
		var err error
		if rs, err = s.searchSQLite(ctx, q, words, f); err != nil {
			return nil, fmt.Errorf("store: executions: %w", err)
		}
	default:
		if words != "" {
			q = q.Where("executions.search @@ plainto_tsquery('simple', ?)", f.Search)
		}
		if f.Before != "" {
			q = q.Where("executions.id < ?", f.Before)
		}
		if err := q.Order("executions.id DESC").Limit(f.Limit).Find(&rs).Error; err != nil {
			return nil, fmt.Errorf("store: executions: %w", err)
		}
	}
	packs, err := loadPacks(s.reads.WithContext(ctx), rs)
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

// searchChunk is how many matches of the full-text index a search reads
// at a time, newest first.
const searchChunk = 1000

// searchSQLite pages through the full-text index newest first (by rowid,
// the order executions were stored in), a chunk at a time, keeping the
// matches that pass the other filters until the page is full: common and
// rare words cost the same.
func (s *Store) searchSQLite(ctx context.Context, filtered *gorm.DB, words string, f ExecutionFilter) ([]executionRecord, error) {
	below := int64(math.MaxInt64)
	if f.Before != "" {
		if err := s.reads.WithContext(ctx).Raw("SELECT rowid FROM executions WHERE id = ?", f.Before).Scan(&below).Error; err != nil {
			return nil, err
		}
	}
	var out []executionRecord
	for len(out) < f.Limit {
		var rowids []int64
		err := s.reads.WithContext(ctx).Raw("SELECT rowid FROM executions_fts WHERE executions_fts MATCH ? AND rowid < ? ORDER BY rowid DESC LIMIT ?",
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

// searchQuery turns what a user typed into an FTS5 query: each word quoted,
// all of them required, so that no input is FTS syntax.
func searchQuery(text string) string {
	var words []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' && r != '@' && r != '.'
	}) {
		words = append(words, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`)
	}
	return strings.Join(words, " ")
}

// toFlows restores the execution of a row; packs are the unpacked packs
// by id (loadPacks).
func (r executionRecord) toFlows(packs map[int64][]byte) (*flows.Execution, error) {
	doc := []byte(r.Data)
	var err error
	switch {
	case r.PackID != nil:
		pack, ok := packs[*r.PackID]
		if !ok {
			return nil, fmt.Errorf("store: execution %s: its pack %d is missing", r.ID, *r.PackID)
		}
		doc, err = docAt(pack, r.PackIndex)
	case len(r.Packed) > 0:
		doc, err = thePacker.unpack(r.Packed)
	}
	if err != nil {
		return nil, fmt.Errorf("store: execution %s: damaged data: %w", r.ID, err)
	}
	var d executionData
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("store: execution %s: damaged data: %w", r.ID, err)
	}
	e := &flows.Execution{ID: r.ID, FlowID: r.FlowID, FlowName: d.FlowName, Revision: r.Revision, Trigger: flows.Trigger(r.Trigger), Status: flows.Status(r.Status),
		StartedAt: r.StartedAt, Input: d.Input, Output: d.Output, Error: r.Error, ErrorCard: d.ErrorCard, Steps: d.steps()}
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

// CountExecutions reports how many executions are stored.
func (s *Store) CountExecutions(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&executionRecord{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count executions: %w", err)
	}
	return n, nil
}

// The store is the interpreter's recorder and flow source.
var (
	_ flows.Recorder   = (*Store)(nil)
	_ flows.FlowSource = (*Store)(nil)
)
