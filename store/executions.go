package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

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
	Data       string
}

func (executionRecord) TableName() string { return "executions" }

// executionData is the part of an execution kept in the data column.
type executionData struct {
	FlowName  string         `json:"flowName,omitempty"`
	Input     map[string]any `json:"input,omitempty"`
	Output    map[string]any `json:"output,omitempty"`
	ErrorCard string         `json:"errorCard,omitempty"`
	Steps     []flows.Step   `json:"steps"`
}

// RecordExecution stores a finished (or updated) execution; it implements
// flows.Recorder.
func (s *Store) RecordExecution(ctx context.Context, e *flows.Execution) error {
	r, err := executionRecordOf(e)
	if err != nil {
		return err
	}
	if err := s.db.WithContext(ctx).Save(&r).Error; err != nil {
		return fmt.Errorf("store: record execution %s: %w", e.ID, err)
	}
	return nil
}

func executionRecordOf(e *flows.Execution) (executionRecord, error) {
	data, err := json.Marshal(executionData{FlowName: e.FlowName, Input: e.Input, Output: e.Output, ErrorCard: e.ErrorCard, Steps: e.Steps})
	if err != nil {
		return executionRecord{}, fmt.Errorf("store: encode execution %s: %w", e.ID, err)
	}
	r := executionRecord{ID: e.ID, FlowID: e.FlowID, Trigger: string(e.Trigger), Status: string(e.Status),
		StartedAt: e.StartedAt.UTC(), Error: e.Error, Data: string(data)}
	if e.ParentID != "" {
		r.ParentID = &e.ParentID
	}
	if !e.FinishedAt.IsZero() {
		f := e.FinishedAt.UTC()
		r.FinishedAt = &f
		r.DurationUS = e.FinishedAt.Sub(e.StartedAt).Microseconds()
	}
	return r, nil
}

// Execution loads one execution with its steps.
func (s *Store) Execution(ctx context.Context, id string) (*flows.Execution, error) {
	var r executionRecord
	if err := s.db.WithContext(ctx).Where("id = ?", id).First(&r).Error; err != nil {
		return nil, fmt.Errorf("store: execution %s: %w", id, notFound(err))
	}
	return r.toFlows()
}

// ExecutionFilter selects executions; zero fields select all.
type ExecutionFilter struct {
	FlowID  int64
	Status  flows.Status
	Trigger flows.Trigger
	Limit   int
}

// Executions lists executions, newest first, with their steps.
func (s *Store) Executions(ctx context.Context, f ExecutionFilter) ([]*flows.Execution, error) {
	q := s.db.WithContext(ctx).Order("started_at DESC, id DESC")
	if f.FlowID != 0 {
		q = q.Where("flow_id = ?", f.FlowID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Trigger != "" {
		q = q.Where(`"trigger" = ?`, f.Trigger)
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var rs []executionRecord
	if err := q.Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: executions: %w", err)
	}
	out := make([]*flows.Execution, 0, len(rs))
	for _, r := range rs {
		e, err := r.toFlows()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (r executionRecord) toFlows() (*flows.Execution, error) {
	id := r.ID
	var d executionData
	if err := json.Unmarshal([]byte(r.Data), &d); err != nil {
		return nil, fmt.Errorf("store: execution %s: damaged data: %w", id, err)
	}
	e := &flows.Execution{ID: r.ID, FlowID: r.FlowID, FlowName: d.FlowName, Trigger: flows.Trigger(r.Trigger), Status: flows.Status(r.Status),
		StartedAt: r.StartedAt, Input: d.Input, Output: d.Output, Error: r.Error, ErrorCard: d.ErrorCard, Steps: d.Steps}
	if r.ParentID != nil {
		e.ParentID = *r.ParentID
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
