package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// TestPollClaims claims and finishes the polls of a subscription, on
// SQLite and on Postgres: the first poll reads the cursor empty; a tick
// that comes while a poll holds the subscription is claimed but busy;
// a finished poll saves its cursor only when given one, and frees the
// subscription; a tick is claimed once; none is claimed once it is off.
func TestPollClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sub, err := s.StartSubscription(ctx, flows.Subscription{FlowID: 1, Token: "poll-token", State: flows.SubscriptionActive})
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		claim := func(n int, exec string) flows.PollClaim {
			t.Helper()
			tick := at.Add(time.Duration(n) * time.Second)
			pc, err := s.ClaimPoll(ctx, flows.TickClaim{Subscription: sub.ID, Tick: tick, Due: tick, Execution: exec, Next: tick.Add(time.Second)})
			if err != nil {
				t.Fatal(err)
			}
			return pc
		}
		saved := func(v string) *string { return &v }
		if pc := claim(0, "poll-0"); !pc.Claimed || pc.Busy || pc.Cursor != "" {
			t.Fatalf("the first poll: %+v", pc)
		}
		if st, _ := s.PollState(ctx, sub.ID); !st.Polling {
			t.Fatalf("while the first poll goes on: %+v", st)
		}
		if pc := claim(1, "poll-1"); !pc.Claimed || !pc.Busy {
			t.Fatalf("a tick while the first poll goes on: %+v", pc)
		}
		if err := s.FinishPoll(ctx, flows.PollOutcome{Subscription: sub.ID, Claim: "poll-0", Ran: true, At: at, Status: flows.StatusSucceeded,
			Records: 2, Cursor: saved("c1")}); err != nil {
			t.Fatal(err)
		}
		st, err := s.PollState(ctx, sub.ID)
		if err != nil || st.Cursor != "c1" || st.Polling || st.LastStatus != flows.StatusSucceeded || st.LastRecords != 2 || st.LastExecution != "poll-0" || !st.LastPollAt.Equal(at) {
			t.Fatalf("after the first poll: %+v %v", st, err)
		}
		if pc := claim(2, "poll-2"); !pc.Claimed || pc.Busy || pc.Cursor != "c1" {
			t.Fatalf("the next poll: %+v", pc)
		}
		if pc := claim(2, "poll-2b"); pc.Claimed {
			t.Fatalf("a tick claimed twice: %+v", pc)
		}
		// A failed poll leaves the cursor as it was.
		if err := s.FinishPoll(ctx, flows.PollOutcome{Subscription: sub.ID, Claim: "poll-2", Ran: true, At: at.Add(2 * time.Second),
			Status: flows.StatusFailed, Error: "HTTP 500"}); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.PollState(ctx, sub.ID); st.Cursor != "c1" || st.LastStatus != flows.StatusFailed || st.LastError != "HTTP 500" {
			t.Fatalf("after the failed poll: %+v", st)
		}
		// An outcome of a poll that no longer holds the subscription is dropped.
		if err := s.FinishPoll(ctx, flows.PollOutcome{Subscription: sub.ID, Claim: "poll-1", Ran: true, Status: flows.StatusSucceeded, Cursor: saved("c9")}); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.PollState(ctx, sub.ID); st.Cursor != "c1" {
			t.Fatalf("a stale poll saved its cursor: %+v", st)
		}
		sub.State = flows.SubscriptionOff
		if err := s.SaveSubscription(ctx, sub); err != nil {
			t.Fatal(err)
		}
		if pc := claim(3, "poll-3"); pc.Claimed {
			t.Fatalf("a tick of a subscription turned off: %+v", pc)
		}
	})
}
