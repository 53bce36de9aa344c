package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// The deliveries of a hook as the Event Hooks pages show them: attempts
// grouped by their delivery (the envelope's eventId), and the attempts a
// re-delivery adds.

// attemptOf maps an attempt's row.
func attemptOf(r hookAttemptRecord) flows.HookAttempt {
	return flows.HookAttempt{ID: r.ID, HookID: r.HookID, Delivery: r.Delivery, At: r.At, Events: r.Events,
		Attempt: r.Attempt, Status: r.Status, Latency: time.Duration(r.LatencyUS) * time.Microsecond, Error: r.Error,
		RequestBody: unpackBody(r.RequestBody), ResponseBody: r.ResponseBody, OK: r.OK}
}

// attemptRecord is an attempt's row, its request body packed.
func attemptRecord(a flows.HookAttempt) hookAttemptRecord {
	return hookAttemptRecord{HookID: a.HookID, Delivery: a.Delivery, At: a.At, Events: a.Events, Attempt: a.Attempt,
		Status: a.Status, LatencyUS: a.Latency.Microseconds(), Error: a.Error, RequestBody: packBody(a.RequestBody),
		ResponseBody: a.ResponseBody, OK: a.OK}
}

// An attempt's request body longer than packBodyOver is stored packed
// (as execution documents are, in base64 for a text column) after
// packedBody: a delivery of 50 events is some 40 KB of JSON, written to
// the main file with every attempt, and packs to a few. A body stored
// as it is, JSON, never begins with packedBody.
const (
	packedBody   = "zstd:"
	packBodyOver = 1024
)

// packBody is a request body as it is stored.
func packBody(body string) string {
	if len(body) <= packBodyOver {
		return body
	}
	return packedBody + base64.StdEncoding.EncodeToString(thePacker.pack([]byte(body)))
}

// unpackBody is a stored request body as it was sent; one that cannot be
// unpacked is shown as it is stored.
func unpackBody(stored string) string {
	rest, ok := strings.CutPrefix(stored, packedBody)
	if !ok {
		return stored
	}
	b, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return stored
	}
	if b, err = thePacker.unpack(b); err != nil {
		return stored
	}
	return string(b)
}

// EventHookDeliveries lists a page of a hook's deliveries, newest (first
// tried) first, each with its latest attempt, and how many there are.
func (s *Store) EventHookDeliveries(ctx context.Context, id int64, offset, limit int) ([]flows.HookDelivery, int, error) {
	q := s.reads.WithContext(ctx)
	var total int64
	if err := q.Model(&hookAttemptRecord{}).Where("hook_id = ?", id).Distinct("delivery").Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("store: event hook %d deliveries: %w", id, err)
	}
	var groups []struct {
		Delivery string
		First    int64
		Last     int64
		Attempts int
	}
	err := q.Model(&hookAttemptRecord{}).Select("delivery, MIN(id) AS first, MAX(id) AS last, COUNT(*) AS attempts").
		Where("hook_id = ?", id).Group("delivery").Order("MIN(id) DESC").Offset(offset).Limit(limit).Scan(&groups).Error
	if err != nil {
		return nil, 0, fmt.Errorf("store: event hook %d deliveries: %w", id, err)
	}
	ids := make([]int64, 0, 2*len(groups))
	for _, g := range groups {
		ids = append(ids, g.First, g.Last)
	}
	var rs []hookAttemptRecord
	if len(ids) > 0 {
		if err := q.Where("id IN ?", ids).Find(&rs).Error; err != nil {
			return nil, 0, fmt.Errorf("store: event hook %d deliveries: %w", id, err)
		}
	}
	byID := make(map[int64]hookAttemptRecord, len(rs))
	for _, r := range rs {
		byID[r.ID] = r
	}
	out := make([]flows.HookDelivery, 0, len(groups))
	for _, g := range groups {
		first, last := byID[g.First], attemptOf(byID[g.Last])
		d := flows.HookDelivery{ID: g.Delivery, At: first.At, Events: last.Events, EventTypes: flows.HookBodyEventTypes(unpackBody(first.RequestBody)),
			Attempts: g.Attempts, Last: last}
		d.Last.RequestBody, d.Last.ResponseBody = "", ""
		out = append(out, d)
	}
	return out, int(total), nil
}

// EventHookDelivery lists the attempts of one of a hook's deliveries,
// oldest first.
func (s *Store) EventHookDelivery(ctx context.Context, id int64, delivery string) ([]flows.HookAttempt, error) {
	var rs []hookAttemptRecord
	if err := s.reads.WithContext(ctx).Where("hook_id = ? AND delivery = ?", id, delivery).Order("id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: event hook %d delivery %s: %w", id, delivery, err)
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("store: event hook %d delivery %s: %w", id, delivery, flows.ErrNotFound)
	}
	out := make([]flows.HookAttempt, 0, len(rs))
	for _, r := range rs {
		out = append(out, attemptOf(r))
	}
	return out, nil
}

// RecordEventHookAttempt records an attempt made outside the relay: it
// touches neither the events waiting for the hook nor its failing state.
func (s *Store) RecordEventHookAttempt(ctx context.Context, a flows.HookAttempt) (flows.HookAttempt, error) {
	r := attemptRecord(a)
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return a, fmt.Errorf("store: record event hook %d attempt: %w", a.HookID, err)
	}
	a.ID = r.ID
	return a, nil
}
