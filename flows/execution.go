package flows

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
)

// Trigger is what started an execution. Persisted; the tokens never change.
type Trigger string

// The triggers.
const (
	TriggerPayload        Trigger = "payload"
	TriggerRegistration   Trigger = "registration"
	TriggerDeregistration Trigger = "deregistration"
	TriggerManual         Trigger = "manual"
	TriggerTest           Trigger = "test"
	TriggerAPI            Trigger = "api"
	TriggerSchedule       Trigger = "schedule"
	TriggerHelper         Trigger = "helper"
	TriggerRerun          Trigger = "rerun"
	// TriggerPoll: a poll of a Polling Event, and the workspace runs it started.
	TriggerPoll Trigger = "poll"
	// TriggerHookEvent: a run a Hookflow event started (hooktrigger.go).
	TriggerHookEvent Trigger = "hookflow_event"
)

// Status is an execution's state. Persisted; the tokens never change.
type Status string

// The statuses. Stopped means a Continue If ended the flow early, without
// error. Waiting and Paused are runs stopped at a Wait For or Wait Until,
// or at a Pause: stored, not final, resumed later (waits.go).
const (
	StatusQueued    Status = "queued"
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusCanceled  Status = "canceled"
	StatusStopped   Status = "stopped"
	StatusWaiting   Status = "waiting"
	StatusPaused    Status = "paused"
)

// FinalStatuses are the statuses of executions that have ended.
var FinalStatuses = []Status{StatusSucceeded, StatusFailed, StatusCanceled, StatusStopped}

// IsFinal reports whether the execution has ended.
func (s Status) IsFinal() bool { return slices.Contains(FinalStatuses, s) }

// Suspended reports whether the execution is stored waiting to resume:
// it has not ended, yet nothing runs it.
func (s Status) Suspended() bool { return s == StatusWaiting || s == StatusPaused }

// Step is one card's run within an execution.
type Step struct {
	CardID string `json:"cardId"`
	Type   string `json:"type"`
	Label  string `json:"label,omitempty"`
	// Lane is the container lane the card ran in ("c3/then"), empty at the top.
	Lane    string         `json:"lane,omitempty"`
	Inputs  map[string]any `json:"inputs,omitempty"`
	Outputs map[string]any `json:"outputs,omitempty"`
	Error   string         `json:"error,omitempty"`
	// ErrorDetail is the raw text behind Error, when Error is put in
	// words of its own (ErrorText).
	ErrorDetail string    `json:"errorDetail,omitempty"`
	StartedAt   time.Time `json:"startedAt"`
	DurationUS  int64     `json:"durationUs"`
	Attempts    int       `json:"attempts,omitempty"`
	// Children are the executions this card started (Call Flow, For Each …).
	Children []string `json:"children,omitempty"`
}

// Execution is one run of a flow, with every card's step.
type Execution struct {
	ID         string         `json:"id"`
	FlowID     int64          `json:"flowId"`
	FlowName   string         `json:"flowName,omitempty"`
	ParentID   string         `json:"parentId,omitempty"`
	Trigger    Trigger        `json:"trigger"`
	Status     Status         `json:"status"`
	StartedAt  time.Time      `json:"startedAt"`
	FinishedAt time.Time      `json:"finishedAt"`
	Input      map[string]any `json:"input,omitempty"`
	Output     map[string]any `json:"output,omitempty"`
	Error      string         `json:"error,omitempty"`
	// ErrorCard is the id of the card that failed the run, if one did.
	ErrorCard string `json:"errorCard,omitempty"`
	// Revision is the flow's revision the run used (0: a deployed
	// connector version's flow); RerunOf the execution it re-runs.
	Revision int    `json:"revision,omitempty"`
	RerunOf  string `json:"rerunOf,omitempty"`
	// WorkspaceFlow is, for a run of a connector's flow made for a
	// workspace flow (its Webhook Event flow on a payload, its
	// registration or deregistration), that workspace flow.
	WorkspaceFlow int64  `json:"workspaceFlow,omitempty"`
	Steps         []Step `json:"steps"`
	// ResumesAt is, for a waiting run, when it resumes, and for a paused
	// one, when its Pause times out; ResumeToken a paused run's token
	// (its resume URL, /resume/<token>), and ResumeURL that URL. The
	// store fills them from the run's wait, never from its record.
	ResumesAt   *time.Time `json:"resumesAt,omitempty"`
	ResumeToken string     `json:"-"`
	ResumeURL   string     `json:"resumeUrl,omitempty"`
	// ByHookEvent: the run was started by a Hookflow event, or called by
	// such a run; its execution.* events carry HookEventMarker.
	ByHookEvent bool `json:"byHookEvent,omitempty"`

	cause error // why it failed, for Transient; not stored
	kind  Kind  // the kind of the flow that ran, for FlowKind; not stored
}

// FlowKind is the kind of the flow the execution ran; empty for an
// execution loaded from the store.
func (e *Execution) FlowKind() Kind { return e.kind }

// Transient reports whether the execution failed for a reason that may
// pass when the run is tried again: an HTTP 429 or 5xx, or a network error.
func (e *Execution) Transient() bool {
	if e.Status != StatusFailed || e.cause == nil {
		return false
	}
	var he *HTTPError
	if errors.As(e.cause, &he) {
		return he.Retryable()
	}
	var ne net.Error
	return errors.As(e.cause, &ne)
}

// ErrorDetail is the raw text behind the error of the card that failed
// the run, if it keeps one.
func (e *Execution) ErrorDetail() string {
	for i := len(e.Steps) - 1; i >= 0; i-- {
		if st := e.Steps[i]; st.CardID == e.ErrorCard && st.ErrorDetail != "" {
			return st.ErrorDetail
		}
	}
	return ""
}

// Interrupted reports whether the run stopped because the server shut
// down.
func (e *Execution) Interrupted() bool { return errors.Is(e.cause, ErrShutdown) }

// SavedCopy is the execution as the flow's "save all data" keeps it:
// itself when the flow saves all data, otherwise a copy without the run's
// and the cards' inputs and outputs (metadata only). The run itself keeps
// them: what a flow computes never depends on what is stored. The engine
// records this copy with its secrets masked (mask.go).
func (e *Execution) SavedCopy(saveData bool) *Execution {
	if saveData {
		return e
	}
	c := *e
	c.Input, c.Output = nil, nil
	c.Steps = make([]Step, len(e.Steps))
	for i, st := range e.Steps {
		st.Inputs, st.Outputs = nil, nil
		c.Steps[i] = st
	}
	return &c
}

// Duration is how long the execution ran.
func (e *Execution) Duration() time.Duration { return e.FinishedAt.Sub(e.StartedAt) }

// Recorder stores finished executions; store implements it.
type Recorder interface {
	RecordExecution(ctx context.Context, e *Execution) error
}

// FlowSource looks up saved flows for Call Flow and the loops over helper flows.
type FlowSource interface {
	FlowDefinition(ctx context.Context, id int64) (Definition, error)
}

var idSeq atomic.Uint64

// NewExecutionID returns a unique id that sorts by creation time: 12 hex
// digits of Unix milliseconds, then a counter and random bits.
func NewExecutionID(now time.Time) string {
	var b [26]byte
	ms := strconv.FormatInt(now.UnixMilli(), 16)
	for i := 0; i < 12-len(ms); i++ {
		b[i] = '0'
	}
	copy(b[12-len(ms):], ms)
	var r [7]byte
	rand.Read(r[:])
	hex.Encode(b[12:], r[:])
	seq := idSeq.Add(1)
	b[24] = "0123456789abcdef"[seq>>4&15]
	b[25] = "0123456789abcdef"[seq&15]
	return string(b[:])
}
