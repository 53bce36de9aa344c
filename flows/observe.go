package flows

import (
	"sync/atomic"
	"time"
)

// Observer is told of the events an operator watches and alerts on: runs
// ending, deliveries retried or given up, registrations failing, the
// store's writes, schedules running late. Each method is called once per
// event, on the path where it happens, and must be cheap: atomic adds to
// series found once and kept, no allocation, no I/O. web implements it
// with Prometheus metrics.
type Observer interface {
	// ExecutionFinished: an execution ended and its final record was
	// stored.
	ExecutionFinished(kind Kind, trigger Trigger, status Status, took time.Duration)
	// DeliveryRetried: a delivery met a transient failure and runs again
	// later; DeliveryDead: its last allowed attempt failed too.
	DeliveryRetried()
	DeliveryDead()
	// RegistrationFailed: turning a webhook flow ON failed at its
	// registration; DeregistrationFailed: an attempt to deregister one
	// failed (it is retried until its attempts run out).
	RegistrationFailed()
	DeregistrationFailed()
	// ScheduleLate: a scheduled run started late by this much after the
	// time it was due.
	ScheduleLate(late time.Duration)
	// WriteCommitted: one of the store's writers committed a transaction
	// of size items of batch (see store's pipeline) in took.
	WriteCommitted(batch WriteBatch, size int, took time.Duration)
}

// WriteBatch is what a transaction of the store's write path holds.
type WriteBatch string

// The write path's transactions.
const (
	// BatchAccepted: deliveries accepted at Event URLs, with their job.
	BatchAccepted WriteBatch = "accepted"
	// BatchFinished: finished deliveries marked done (and, on Postgres,
	// their executions recorded).
	BatchFinished WriteBatch = "finished"
	// BatchHistory: executions recorded in SQLite's history file.
	BatchHistory WriteBatch = "history"
)

// NoObserver observes nothing.
type NoObserver struct{}

func (NoObserver) ExecutionFinished(Kind, Trigger, Status, time.Duration) {}
func (NoObserver) DeliveryRetried()                                       {}
func (NoObserver) DeliveryDead()                                          {}
func (NoObserver) RegistrationFailed()                                    {}
func (NoObserver) DeregistrationFailed()                                  {}
func (NoObserver) ScheduleLate(time.Duration)                             {}
func (NoObserver) WriteCommitted(WriteBatch, int, time.Duration)          {}

// ObserverSlot holds the Observer of a part that runs already when it is
// set (the store's writers start when it opens). Its zero value observes
// nothing. It is safe for concurrent use.
type ObserverSlot struct{ p atomic.Pointer[Observer] }

// Set makes o the observer; nil observes nothing.
func (s *ObserverSlot) Set(o Observer) {
	if o == nil {
		s.p.Store(nil)
		return
	}
	s.p.Store(&o)
}

// Get is the observer.
func (s *ObserverSlot) Get() Observer {
	if o := s.p.Load(); o != nil {
		return *o
	}
	return NoObserver{}
}
