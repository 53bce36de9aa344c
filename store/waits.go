package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// Waiting runs. A run stopped at a wait card is a row of waits in the
// main database, with its state sealed, and a River resume job due when it
// resumes (its wake time, or its Pause's timeout), both written in one
// transaction. Its record in the history says waiting or paused. The row
// goes through phases: waiting; posted, once its resume URL received a
// body (a resume job due at once is added); resuming, claimed by the job
// that runs it (claimed_job). The row is deleted only once the run's final
// record is stored, or when the run is canceled.
//
// Exactly once. A job claims the row with one conditional update: posted,
// or waiting and due, or resuming and claimed by this very job (River runs
// it again after a crash: SQLite's start makes jobs left running
// available, Postgres rescues them). So of two instances, or of the POST
// and the timeout, one resumes it; the others find nothing to do.
//
// Crash points. The row and its job are written before the run's record:
// the record is the commit point. A job finds the record first; while it
// is missing the job waits a little (the record is on its way through the
// pipeline), and after waitRecordGrace it drops the row: the server stopped
// before it recorded the run (a payload's delivery then runs again). A
// record that has ended (canceled meanwhile, or the run resumed and the
// server stopped before the row went) drops the row too.

// waitRecord is a row of waits.
type waitRecord struct {
	ExecutionID string `gorm:"primaryKey"`
	FlowID      int64
	Kind        string
	Phase       string
	DueAt       time.Time
	TokenHash   *string
	Token       *string // sealed
	State       string  // sealed
	Body        *string // sealed; set once posted
	ClaimedJob  *int64
	CreatedAt   time.Time
}

func (waitRecord) TableName() string { return "waits" }

// The phases of a wait.
const (
	waitWaiting  = "waiting"
	waitPosted   = "posted"
	waitResuming = "resuming"
)

// waitRecordGrace is how long a resume job waits for the run's record
// before it takes the run for one the server never recorded.
var waitRecordGrace atomic.Int64 // nanoseconds

func init() { waitRecordGrace.Store(int64(time.Minute)) }

// migrateWaits creates the table of waiting runs.
func migrateWaits(tx *gorm.DB) error {
	type wait struct {
		ExecutionID string    `gorm:"primaryKey;size:40"`
		FlowID      int64     `gorm:"not null;index"`
		Kind        string    `gorm:"size:10;not null"`
		Phase       string    `gorm:"size:10;not null"`
		DueAt       time.Time `gorm:"not null"`
		TokenHash   *string   `gorm:"size:64;uniqueIndex"`
		Token       *string
		State       string `gorm:"not null"`
		Body        *string
		ClaimedJob  *int64
		CreatedAt   time.Time `gorm:"not null"`
	}
	return tx.Migrator().CreateTable(&wait{})
}

// resumeArgs is the job that resumes a waiting run.
type resumeArgs struct {
	Execution string `json:"execution"`
}

func (resumeArgs) Kind() string { return "resume" }

// InsertOpts puts resume jobs in a queue of their own: a job runs its
// flow until it ends or waits again.
func (resumeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: resumeQueue, MaxAttempts: 25}
}

const (
	resumeQueue        = "resumes"
	resumeQueueWorkers = 200
)

// Resumes goes on with waiting runs; flows.Engine does it.
type Resumes interface {
	Resume(ctx context.Context, w *flows.Wait, body []byte, timedOut bool) (*flows.Execution, error)
}

type resumesBox struct{ Resumes }

// HandleResumes sets the work of resume jobs; call it before Start.
func (q *Queue) HandleResumes(r Resumes) { q.resumes.Store(&resumesBox{r}) }

// SaveWait stores a waiting run, in place of its earlier wait, with the
// job that resumes it; it implements flows.Waits.
func (s *Store) SaveWait(ctx context.Context, w *flows.Wait) error {
	state, err := s.sealer.seal(w.State, "wait:"+w.ExecutionID)
	if err != nil {
		return fmt.Errorf("store: seal waiting run %s: %w", w.ExecutionID, err)
	}
	var hash, token *string
	if w.Token != "" {
		h := hashToken(w.Token)
		t, err := s.sealer.seal([]byte(w.Token), "wait-token:"+w.ExecutionID)
		if err != nil {
			return fmt.Errorf("store: seal resume token: %w", err)
		}
		hash, token = &h, &t
	}
	now, due := time.Now().UTC(), w.Until.UTC()
	const upsert = `INSERT INTO waits (execution_id, flow_id, kind, phase, due_at, token_hash, token, state, body, claimed_job, created_at)
		VALUES (%[1]s1, %[1]s2, %[1]s3, '` + waitWaiting + `', %[1]s4, %[1]s5, %[1]s6, %[1]s7, NULL, NULL, %[1]s8)
		ON CONFLICT (execution_id) DO UPDATE SET kind = excluded.kind, phase = excluded.phase, due_at = excluded.due_at,
		token_hash = excluded.token_hash, token = excluded.token, state = excluded.state, body = NULL, claimed_job = NULL`
	args := []any{w.ExecutionID, w.FlowID, string(w.Kind), due, hash, token, state, now}
	job := resumeArgs{Execution: w.ExecutionID}
	opts := &river.InsertOpts{ScheduledAt: due}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(upsert, "?"), args...); err != nil {
			return err
		}
		_, err := s.riverLite.InsertTx(ctx, tx, job, opts)
		return err
	}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, fmt.Sprintf(upsert, "$"), args...); err != nil {
			return err
		}
		_, err := s.riverPG.InsertTx(ctx, tx, job, opts)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: save waiting run %s: %w", w.ExecutionID, err)
	}
	return nil
}

// CancelWait removes a wait that is not resuming and returns it; it
// implements flows.Waits.
func (s *Store) CancelWait(ctx context.Context, id string) (*flows.Wait, error) {
	var rows []waitRecord
	err := s.db.WithContext(ctx).Raw("DELETE FROM waits WHERE execution_id = ? AND phase <> ? RETURNING *", id, waitResuming).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: cancel waiting run %s: %w", id, err)
	}
	if len(rows) == 0 {
		var n int64
		if err := s.db.WithContext(ctx).Model(&waitRecord{}).Where("execution_id = ?", id).Count(&n).Error; err != nil {
			return nil, fmt.Errorf("store: cancel waiting run %s: %w", id, err)
		}
		if n > 0 {
			return nil, fmt.Errorf("store: waiting run %s is resuming: %w", id, flows.ErrConflict)
		}
		return nil, fmt.Errorf("store: waiting run %s: %w", id, flows.ErrNotFound)
	}
	return s.openWait(&rows[0])
}

// openWait unseals a wait.
func (s *Store) openWait(r *waitRecord) (*flows.Wait, error) {
	state, err := s.sealer.open(r.State, "wait:"+r.ExecutionID)
	if err != nil {
		return nil, fmt.Errorf("store: waiting run %s: %w", r.ExecutionID, err)
	}
	w := &flows.Wait{ExecutionID: r.ExecutionID, FlowID: r.FlowID, Kind: flows.WaitKind(r.Kind), Until: r.DueAt, State: state}
	if r.Token != nil {
		t, err := s.sealer.open(*r.Token, "wait-token:"+r.ExecutionID)
		if err != nil {
			return nil, fmt.Errorf("store: waiting run %s: %w", r.ExecutionID, err)
		}
		w.Token = string(t)
	}
	return w, nil
}

// ErrAlreadyResumed is why a resume URL is refused whose run has been
// resumed (or whose Pause timed out) and not paused again.
var ErrAlreadyResumed = fmt.Errorf("the run has already been resumed: %w", flows.ErrConflict)

// PostResume takes a body posted to a paused run's resume URL: the run
// resumes with it, soon, on whichever instance takes its job. It returns
// the execution's id; ErrNotFound for an unknown token, ErrAlreadyResumed
// when the run is not paused any more (posted before, resuming, or timed
// out).
func (s *Store) PostResume(ctx context.Context, token string, body []byte) (string, error) {
	hash := hashToken(token)
	var id string
	err := s.db.WithContext(ctx).Model(&waitRecord{}).Select("execution_id").Where("token_hash = ?", hash).Scan(&id).Error
	if err != nil {
		return "", fmt.Errorf("store: resume: %w", err)
	}
	if id == "" {
		return "", fmt.Errorf("store: resume: %w", flows.ErrNotFound)
	}
	sealed, err := s.sealer.seal(body, "wait-body:"+id)
	if err != nil {
		return "", fmt.Errorf("store: resume: %w", err)
	}
	const post = "UPDATE waits SET phase = '" + waitPosted + "', body = %[1]s1 WHERE execution_id = %[1]s2 AND kind = 'pause' AND phase = '" +
		waitWaiting + "' AND due_at > %[1]s3"
	args := []any{sealed, id, time.Now().UTC()}
	posted := false
	job := resumeArgs{Execution: id}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, fmt.Sprintf(post, "?"), args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		posted = true
		_, err = s.riverLite.InsertTx(ctx, tx, job, nil)
		return err
	}, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, fmt.Sprintf(post, "$"), args...)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		posted = true
		_, err = s.riverPG.InsertTx(ctx, tx, job, nil)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store: resume %s: %w", id, err)
	}
	if !posted {
		return id, ErrAlreadyResumed
	}
	return id, nil
}

// fillWaits sets ResumesAt on the executions of xs that wait, and, if
// token, their resume tokens.
func (s *Store) fillWaits(ctx context.Context, xs []*flows.Execution, token bool) error {
	byID := map[string]*flows.Execution{}
	for _, x := range xs {
		if x.Status.Suspended() {
			byID[x.ID] = x
		}
	}
	if len(byID) == 0 {
		return nil
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	var rows []waitRecord
	q := s.reads.WithContext(ctx).Select("execution_id", "due_at", "token").Where("execution_id IN ?", ids)
	if err := q.Find(&rows).Error; err != nil {
		return fmt.Errorf("store: waits: %w", err)
	}
	for i := range rows {
		r := &rows[i]
		x := byID[r.ExecutionID]
		due := r.DueAt
		x.ResumesAt = &due
		if token && r.Token != nil {
			if t, err := s.sealer.open(*r.Token, "wait-token:"+r.ExecutionID); err == nil {
				x.ResumeToken = string(t)
			}
		}
	}
	return nil
}

// resumeWorker resumes waiting runs (see the top of this file).
type resumeWorker struct {
	river.WorkerDefaults[resumeArgs]
	store *Store
}

func (w *resumeWorker) Work(ctx context.Context, job *river.Job[resumeArgs]) error {
	s, id := w.store, job.Args.Execution
	b := s.queue.resumes.Load()
	if b == nil {
		return errors.New("store: the queue has no resume handler")
	}
	var row waitRecord
	err := s.db.WithContext(ctx).Select("phase", "due_at", "created_at", "claimed_job").Where("execution_id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil // canceled, or resumed by another job
	}
	if err != nil {
		return err
	}
	x, err := s.Execution(ctx, id)
	switch {
	case errors.Is(err, flows.ErrNotFound) && time.Since(row.CreatedAt) < time.Duration(waitRecordGrace.Load()):
		return river.JobSnooze(5 * time.Second) // its record is on its way
	case errors.Is(err, flows.ErrNotFound) || (err == nil && x.Status.IsFinal()):
		return s.dropWait(ctx, id, row.Phase)
	case err != nil:
		return err
	}
	claimed, err := s.claimWait(ctx, id, job.ID)
	if err != nil || claimed == nil {
		return err
	}
	wait, err := s.openWait(claimed)
	if err != nil {
		return err
	}
	var body []byte
	timedOut := claimed.Body == nil
	if claimed.Body != nil {
		if body, err = s.sealer.open(*claimed.Body, "wait-body:"+id); err != nil {
			return err
		}
	}
	if _, err := b.Resume(ctx, wait, body, timedOut); err != nil {
		return err // the row stays claimed by this job, which runs again
	}
	return s.db.WithContext(ctx).Where("execution_id = ? AND phase = ? AND claimed_job = ?", id, waitResuming, job.ID).Delete(&waitRecord{}).Error
}

// dropWait deletes a wait in the phase it was read in.
func (s *Store) dropWait(ctx context.Context, id, phase string) error {
	return s.db.WithContext(ctx).Where("execution_id = ? AND phase = ?", id, phase).Delete(&waitRecord{}).Error
}

// claimWait claims a wait for the job: one posted, one due, or one this
// job claimed before (it runs again after a crash); nil when there is
// none such.
func (s *Store) claimWait(ctx context.Context, id string, job int64) (*waitRecord, error) {
	var rows []waitRecord
	err := s.db.WithContext(ctx).Raw(`UPDATE waits SET phase = ?, claimed_job = ? WHERE execution_id = ? AND
		(phase = ? OR (phase = ? AND due_at <= ?) OR (phase = ? AND claimed_job = ?)) RETURNING *`,
		waitResuming, job, id, waitPosted, waitWaiting, time.Now().UTC(), waitResuming, job).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}
