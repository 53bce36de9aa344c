package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// hookCall is a request a receiver got.
type hookCall struct {
	at     time.Time
	method string
	header http.Header
	body   []byte
}

// receiver is an event hook's endpoint: a real HTTP server that answers
// verifications and records deliveries; answer decides each POST's status
// (n counts the POSTs from 1).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	calls  []hookCall
	answer func(n int) (status int, delay time.Duration)
	reply  string // the POSTs' answer; empty: {"seen": n}
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{answer: func(int) (int, time.Duration) { return 200, 0 }}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.calls = append(r.calls, hookCall{at: time.Now(), method: req.Method, header: req.Header.Clone(), body: body})
		n := 0
		for _, c := range r.calls {
			if c.method == "POST" {
				n++
			}
		}
		answer, reply := r.answer, r.reply
		r.mu.Unlock()
		if req.Method == "GET" {
			json.NewEncoder(w).Encode(map[string]string{"verification": req.Header.Get(flows.HeaderVerification)})
			return
		}
		status, delay := answer(n)
		select {
		case <-time.After(delay):
		case <-req.Context().Done():
			return
		}
		w.WriteHeader(status)
		if reply != "" {
			fmt.Fprint(w, reply)
			return
		}
		fmt.Fprintf(w, `{"seen":%d}`, n)
	}))
	t.Cleanup(r.Close)
	return r
}

// posts are the deliveries received so far.
func (r *receiver) posts() []hookCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []hookCall
	for _, c := range r.calls {
		if c.method == "POST" {
			out = append(out, c)
		}
	}
	return out
}

// hookService is the event hooks service on s, sending through the
// default client with loopback allowed, and starts s's queue.
func hookService(t *testing.T, s *store.Store, timing flows.HookTiming) *flows.EventHooks {
	t.Helper()
	svc := &flows.EventHooks{Store: s, Client: &http.Client{}, BaseURL: "http://hookflow.test",
		PlainHTTP: func(string) bool { return true }, Timing: timing}
	s.HandleEventHooks(svc)
	startQueue(t, s)
	return svc
}

func startQueue(t *testing.T, s *store.Store) {
	t.Helper()
	if err := s.Queue().Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Queue().StopAndCancel(ctx)
	})
}

// activeHook creates a hook at r, verified and active, for events.
func activeHook(t *testing.T, svc *flows.EventHooks, r *receiver, events ...flows.HookEventType) (flows.EventHook, string) {
	t.Helper()
	ctx := context.Background()
	secret := "Bearer s3cret"
	h, signing, err := svc.Create(ctx, flows.HookInput{Name: "Audit " + r.URL, URL: r.URL + "/events", AuthField: "Authorization",
		AuthSecret: &secret, Headers: []flows.HookHeader{{Name: "X-Team", Value: "ops"}}, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	if h, err = svc.Verify(ctx, h.ID); err != nil || !h.Receiving() {
		t.Fatalf("verify: %+v %v", h, err)
	}
	return h, signing
}

// failRun records a failed run of flow 7.
func failRun(t *testing.T, s *store.Store, i int) *flows.Execution {
	t.Helper()
	at := time.Now().UTC()
	e := &flows.Execution{ID: flows.NewExecutionID(at), FlowID: 7, FlowName: "Orders", Trigger: flows.TriggerAPI,
		Status: flows.StatusFailed, StartedAt: at, FinishedAt: at.Add(time.Duration(i) * time.Microsecond), Error: fmt.Sprintf("boom %d", i)}
	if err := s.RecordExecution(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// envelope decodes a delivery's body.
func envelope(t *testing.T, b []byte) (flows.HookEnvelope, []flows.HookEvent) {
	t.Helper()
	var env flows.HookEnvelope
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatalf("body %s: %v", b, err)
	}
	var evs []flows.HookEvent
	for _, raw := range env.Data.Events {
		var ev flows.HookEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return env, evs
}

var fast = flows.HookTiming{BatchWait: 50 * time.Millisecond, Timeout: time.Second, RetryBase: 100 * time.Millisecond, GiveUp: time.Hour}

// TestHookDeliversExecutionFailed: a failed run reaches a verified,
// active hook as Okta's envelope, with the authentication, custom,
// content type, signature and event id headers, and the attempt is
// recorded.
func TestHookDeliversExecutionFailed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		r := newReceiver(t)
		svc := hookService(t, s, fast)
		h, signing := activeHook(t, svc, r)
		e := failRun(t, s, 1)
		waitFor(t, 10*time.Second, "the delivery", func() bool { return len(r.posts()) == 1 })
		p := r.posts()[0]
		env, evs := envelope(t, p.body)
		if env.EventType != "com.hookflow.event_hook" || env.EventTypeVersion != "1.0" || env.CloudEventsVersion != "0.1" ||
			env.ContentType != "application/json" || env.Source != fmt.Sprintf("http://hookflow.test/api/v1/event-hooks/%d", h.ID) || env.EventID == "" {
			t.Errorf("envelope = %+v", env)
		}
		if len(evs) != 1 || evs[0].EventType != flows.EventExecutionFailed || evs[0].Outcome.Result != "FAILURE" ||
			len(evs[0].Target) != 2 || evs[0].Target[0].ID != e.ID || evs[0].Target[1].ID != "7" || evs[0].Actor.Type != "Flow" || evs[0].UUID == "" {
			t.Errorf("events = %+v", evs)
		}
		want := map[string]string{"Authorization": "Bearer s3cret", "X-Team": "ops", "Content-Type": "application/json",
			flows.HeaderHookSignature: flows.SignHookBody(signing, p.body), flows.HeaderHookEventID: env.EventID}
		for k, v := range want {
			if got := p.header.Get(k); got != v {
				t.Errorf("header %s = %q, want %q", k, got, v)
			}
		}
		waitFor(t, 5*time.Second, "the attempt's record", func() bool {
			as, err := s.EventHookAttempts(context.Background(), h.ID, 10)
			return err == nil && len(as) == 1 && as[0].OK && as[0].Status == 200 && as[0].Events == 1 &&
				as[0].Delivery == env.EventID && as[0].RequestBody == string(p.body) && as[0].ResponseBody == `{"seen":1}`
		})
	})
}

// TestHookNothingBeforeVerifiedAndActive: an unverified hook and an
// inactive one get nothing; once both, only later events arrive.
func TestHookNothingBeforeVerifiedAndActive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := newReceiver(t)
		svc := hookService(t, s, fast)
		h, _, err := svc.Create(ctx, flows.HookInput{Name: "Late", URL: r.URL})
		if err != nil {
			t.Fatal(err)
		}
		failRun(t, s, 1) // unverified
		if h, err = svc.Deactivate(ctx, h.ID); err != nil {
			t.Fatal(err)
		}
		if h, err = svc.Verify(ctx, h.ID); err != nil || !h.Verified || h.Active {
			t.Fatalf("verify: %+v %v", h, err)
		}
		failRun(t, s, 2) // inactive
		time.Sleep(1500 * time.Millisecond)
		if n := len(r.posts()); n != 0 {
			t.Fatalf("%d deliveries before the hook was verified and active", n)
		}
		if _, err := svc.Activate(ctx, h.ID); err != nil {
			t.Fatal(err)
		}
		e := failRun(t, s, 3)
		waitFor(t, 10*time.Second, "the delivery", func() bool { return len(r.posts()) == 1 })
		time.Sleep(300 * time.Millisecond)
		posts := r.posts()
		_, evs := envelope(t, posts[0].body)
		if len(posts) != 1 || len(evs) != 1 || evs[0].Target[0].ID != e.ID {
			t.Fatalf("got %d deliveries, events %+v; want the last run's only", len(posts), evs)
		}
	})
}

// TestHookBatches: events close together go up to 50 per POST, in the
// order they happened.
func TestHookBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		r := newReceiver(t)
		timing := fast
		timing.BatchWait = 500 * time.Millisecond
		svc := hookService(t, s, timing)
		activeHook(t, svc, r)
		var ids []string
		for i := range 120 {
			ids = append(ids, failRun(t, s, i).ID)
		}
		var got []string
		waitFor(t, 20*time.Second, "120 events", func() bool {
			got = got[:0]
			for _, p := range r.posts() {
				_, evs := envelope(t, p.body)
				for _, ev := range evs {
					got = append(got, ev.Target[0].ID)
				}
			}
			return len(got) >= 120
		})
		posts := r.posts()
		for _, p := range posts {
			if _, evs := envelope(t, p.body); len(evs) > flows.MaxHookBatch {
				t.Errorf("a delivery of %d events", len(evs))
			}
		}
		if len(posts) > 6 {
			t.Errorf("%d deliveries for 120 events, want them batched", len(posts))
		}
		if strings.Join(got, ",") != strings.Join(ids, ",") {
			t.Errorf("events out of order or repeated:\n%v\nwant\n%v", got, ids)
		}
	})
}

// TestHookRetries: 5xx and timeouts are retried with growing waits under
// the same event id until a 2xx; a 400 is not retried and the next
// delivery goes on.
func TestHookRetries(t *testing.T) {
	tests := []struct {
		name     string
		answer   func(n int) (int, time.Duration)
		attempts int // POSTs for the first event
		errText  string
	}{
		{"500 twice then 200", func(n int) (int, time.Duration) {
			if n <= 2 {
				return 500, 0
			}
			return 200, 0
		}, 3, "HTTP 500"},
		{"429 then 200", func(n int) (int, time.Duration) {
			if n == 1 {
				return 429, 0
			}
			return 204, 0
		}, 2, "HTTP 429"},
		{"timeout then 200", func(n int) (int, time.Duration) {
			if n == 1 {
				return 200, 2 * time.Second
			}
			return 200, 0
		}, 2, "did not answer within"},
		{"400 is final", func(n int) (int, time.Duration) {
			if n == 1 {
				return 400, 0
			}
			return 200, 0
		}, 1, "HTTP 400; it is not retried"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				r := newReceiver(t)
				r.answer = tc.answer
				timing := fast
				timing.Timeout = time.Second
				timing.RetryBase = 300 * time.Millisecond
				svc := hookService(t, s, timing)
				h, _ := activeHook(t, svc, r)
				first := failRun(t, s, 1)
				// A snoozed job runs again once River's scheduler, every few
				// seconds, makes it available: these waits only guard hangs.
				waitFor(t, 30*time.Second, "the attempts", func() bool { return len(r.posts()) >= tc.attempts })
				// A later event follows the first's delivery.
				time.Sleep(200 * time.Millisecond)
				second := failRun(t, s, 2)
				waitFor(t, 30*time.Second, "the next delivery", func() bool { return len(r.posts()) >= tc.attempts+1 })
				posts := r.posts()
				var firstID string
				for i, p := range posts[:tc.attempts] {
					env, evs := envelope(t, p.body)
					if len(evs) != 1 || evs[0].Target[0].ID != first.ID {
						t.Fatalf("attempt %d sent %+v", i+1, evs)
					}
					if i == 0 {
						firstID = env.EventID
					} else if env.EventID != firstID {
						t.Errorf("attempt %d has event id %s, want %s as the first", i+1, env.EventID, firstID)
					}
					// Exponential backoff: base, then twice base.
					if want := timing.RetryBase << max(i-1, 0); i >= 1 && p.at.Sub(posts[i-1].at) < want {
						t.Errorf("retry %d came %s after the one before, sooner than %s", i, p.at.Sub(posts[i-1].at), want)
					}
				}
				_, evs := envelope(t, posts[tc.attempts].body)
				if len(evs) != 1 || evs[0].Target[0].ID != second.ID {
					t.Errorf("after the first delivery came %+v, want the second run", evs)
				}
				var as []flows.HookAttempt
				waitFor(t, 5*time.Second, "every attempt's record", func() bool {
					as, _ = s.EventHookAttempts(context.Background(), h.ID, 10)
					return len(as) == tc.attempts+1
				})
				last := as[len(as)-1] // the oldest
				if !strings.Contains(last.Error, tc.errText) || last.Attempt != 1 {
					t.Errorf("first attempt recorded as %+v, want error with %q", last, tc.errText)
				}
				if tc.attempts > 1 && as[1].Attempt != tc.attempts {
					t.Errorf("the first delivery's last attempt is number %d, want %d", as[1].Attempt, tc.attempts)
				}
			})
		})
	}
}

// TestHookGivesUp: a hook whose deliveries fail for the whole give-up
// period is turned off, with the reason, and gets nothing more.
func TestHookGivesUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := newReceiver(t)
		r.answer = func(int) (int, time.Duration) { return 503, 0 }
		timing := fast
		timing.GiveUp = 600 * time.Millisecond
		svc := hookService(t, s, timing)
		h, _ := activeHook(t, svc, r)
		failRun(t, s, 1)
		waitFor(t, 15*time.Second, "the hook turned off", func() bool {
			got, err := s.EventHook(ctx, h.ID)
			return err == nil && !got.Active
		})
		got, _ := s.EventHook(ctx, h.ID)
		if !strings.Contains(got.DeactivatedReason, "failed for 600ms") || !strings.Contains(got.DeactivatedReason, "HTTP 503") || got.DeactivatedAt == nil {
			t.Errorf("turned off with reason %q at %v", got.DeactivatedReason, got.DeactivatedAt)
		}
		n := len(r.posts())
		if n < 3 {
			t.Errorf("%d attempts before giving up, want retries", n)
		}
		failRun(t, s, 2)
		time.Sleep(1500 * time.Millisecond)
		if len(r.posts()) != n {
			t.Errorf("a turned off hook got %d more deliveries", len(r.posts())-n)
		}
	})
}

// TestHookOutboxSurvivesCrash: an event recorded with its execution is
// in the outbox before anything relays it; the server stopping then
// loses nothing: after a restart it is delivered.
func TestHookOutboxSurvivesCrash(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			url, dir := db.URL(t), t.TempDir()
			r := newReceiver(t)
			s := storetest.Open(t, url, dir)
			svc := &flows.EventHooks{Store: s, Client: &http.Client{}, PlainHTTP: func(string) bool { return true }, Timing: fast}
			h, _ := activeHook(t, svc, r)
			store.StopRelay(s)
			e := failRun(t, s, 1)
			if n, err := store.OutboxLen(ctx, s); err != nil || n != 1 {
				t.Fatalf("outbox holds %d events (%v), want the run's", n, err)
			}
			s.Close()

			s = storetest.Open(t, url, dir)
			hookService(t, s, fast)
			waitFor(t, 10*time.Second, "the delivery after the restart", func() bool { return len(r.posts()) == 1 })
			_, evs := envelope(t, r.posts()[0].body)
			if len(evs) != 1 || evs[0].Target[0].ID != e.ID {
				t.Fatalf("delivered %+v", evs)
			}
			waitFor(t, 5*time.Second, "the sent event to leave the log", func() bool {
				n, err := store.OutboxLen(ctx, s)
				return err == nil && n == 0
			})
			waitFor(t, 5*time.Second, "the attempt's record", func() bool {
				as, err := s.EventHookAttempts(ctx, h.ID, 5)
				return err == nil && len(as) == 1 && as[0].OK
			})
		})
	}
}

// TestHookVerify: the endpoint must echo the challenge of a GET within
// the timeout; one failure is tried again.
func TestHookVerify(t *testing.T) {
	tests := []struct {
		name     string
		handler  func(n int, w http.ResponseWriter, r *http.Request)
		verified bool
		gets     int
		errText  string
	}{
		{"echo", func(_ int, w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"verification":%q}`, r.Header.Get("x-okta-verification-challenge"))
		}, true, 1, ""},
		{"wrong value", func(_ int, w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"verification":"nope"}`)
		}, false, 2, "not the challenge sent"},
		{"timeout", func(_ int, w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		}, false, 2, "did not answer within 300ms"},
		{"500 then 200", func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				w.WriteHeader(500)
				return
			}
			fmt.Fprintf(w, `{"verification":%q}`, r.Header.Get("x-okta-verification-challenge"))
		}, true, 2, ""},
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				var mu sync.Mutex
				var gets []*http.Request
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					mu.Lock()
					gets = append(gets, r)
					n := len(gets)
					mu.Unlock()
					tc.handler(n, w, r)
				}))
				defer srv.Close()
				svc := &flows.EventHooks{Store: s, Client: &http.Client{}, PlainHTTP: func(string) bool { return true },
					Timing: flows.HookTiming{Timeout: 300 * time.Millisecond}}
				h, _, err := svc.Create(ctx, flows.HookInput{Name: "Verify " + tc.name, URL: srv.URL})
				if err != nil {
					t.Fatal(err)
				}
				h, err = svc.Verify(ctx, h.ID)
				var ve *flows.VerifyError
				switch {
				case tc.verified && err != nil:
					t.Fatalf("verify: %v", err)
				case !tc.verified && (!errors.As(err, &ve) || !strings.Contains(err.Error(), tc.errText)):
					t.Fatalf("verify error = %v, want one with %q", err, tc.errText)
				}
				got, _ := s.EventHook(ctx, h.ID)
				mu.Lock()
				defer mu.Unlock()
				if got.Verified != tc.verified || len(gets) != tc.gets {
					t.Errorf("verified = %v after %d requests, want %v after %d", got.Verified, len(gets), tc.verified, tc.gets)
				}
				for _, r := range gets {
					if r.Method != "GET" || r.Header.Get("x-okta-verification-challenge") == "" {
						t.Errorf("verification request %s without a challenge", r.Method)
					}
				}
			})
		}
	})
}

// TestHookLateCommit: an event whose transaction commits after later
// events were written is still sent (on Postgres ids are taken before
// commit); on SQLite writers take turns, so it is written in its turn.
func TestHookLateCommit(t *testing.T) {
	db := storetest.DBs[len(storetest.DBs)-1]
	if db.Name != "postgres" {
		t.Skip("only Postgres commits writers out of id order")
	}
	s := storetest.Open(t, db.URL(t), t.TempDir())
	r := newReceiver(t)
	svc := hookService(t, s, fast)
	activeHook(t, svc, r, flows.EventAdminSigninFailed)
	commit := store.HoldEvent(t, s, flows.SigninFailedEvent("early@example.com", "10.0.0.1", "wrong password"))
	if err := s.Emit(context.Background(), flows.SigninFailedEvent("late@example.com", "10.0.0.2", "wrong password")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // the relay and the hook's job look meanwhile
	commit()
	var got []string
	waitFor(t, 10*time.Second, "both events", func() bool {
		got = got[:0]
		for _, p := range r.posts() {
			_, evs := envelope(t, p.body)
			for _, ev := range evs {
				got = append(got, ev.Actor.AlternateID)
			}
		}
		return len(got) == 2
	})
	if got[0] != "early@example.com" {
		t.Errorf("sent %v; the early event first", got)
	}
}
