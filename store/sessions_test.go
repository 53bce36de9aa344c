package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

func TestLoginThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for i := range 5 {
			if d, err := s.LoginAttempt(ctx, "ada@example.com", "10.0.0.1"); err != nil || d != 0 {
				t.Fatalf("attempt %d refused for %v, %v; the first 5 may try", i+1, d, err)
			}
		}
		if d, _ := s.LoginAttempt(ctx, "ada@example.com", "10.0.0.2"); d <= 0 || d > 15*time.Minute {
			t.Fatalf("6th attempt refused for %v, want within 15m (per account, whatever the address)", d)
		}
		if d, _ := s.LoginAttempt(ctx, "bob@example.com", "10.0.0.3"); d != 0 {
			t.Fatalf("another account and address refused for %v", d)
		}
		for i := range 20 {
			if d, _ := s.LoginAttempt(ctx, fmt.Sprintf("x%d@example.com", i), "10.0.0.9"); d != 0 {
				t.Fatalf("attempt %d from one address refused", i+1)
			}
		}
		if d, _ := s.LoginAttempt(ctx, "new@example.com", "10.0.0.9"); d <= 0 {
			t.Fatal("21 attempts from one address do not throttle it")
		}
		// A success forgets the account's attempts and gives the address its
		// attempt back: successes are not failures.
		for range 30 {
			if d, _ := s.LoginAttempt(ctx, "carol@example.com", "10.0.0.4"); d != 0 {
				t.Fatal("successful sign-ins throttled")
			}
			if err := s.LoginSucceeded(ctx, "carol@example.com", "10.0.0.4"); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := s.PruneLoginAttempts(ctx, time.Now().Add(time.Minute)); err != nil || n == 0 {
			t.Fatalf("prune = %d, %v", n, err)
		}
		if d, _ := s.LoginAttempt(ctx, "ada@example.com", "10.0.0.1"); d != 0 {
			t.Fatal("still throttled after prune")
		}
	})
}

// TestLoginAttemptsCountedAtOnce makes 40 attempts on one account at the
// same moment: only as many as the limit may go on to their password.
func TestLoginAttemptsCountedAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			allowed int
			start   = make(chan struct{})
		)
		for i := range 40 {
			wg.Go(func() {
				<-start
				d, err := s.LoginAttempt(ctx, "ada@example.com", fmt.Sprintf("10.0.1.%d", i))
				if err != nil {
					t.Error(err)
					return
				}
				if d == 0 {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if allowed != 5 {
			t.Fatalf("%d of 40 parallel attempts allowed, want 5", allowed)
		}
	})
}

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ada, err := s.CreateUser(ctx, "ada@example.com", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		bob, err := s.CreateUser(ctx, "bob@example.com", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		start := func(u flows.User, agent string, lasts time.Duration) (flows.Session, string) {
			t.Helper()
			sess, token, err := s.CreateSession(ctx, flows.Session{UserID: u.ID, Address: "10.0.0.1", UserAgent: agent, ExpiresAt: time.Now().Add(lasts)})
			if err != nil {
				t.Fatal(err)
			}
			return sess, token
		}
		laptop, laptopToken := start(ada, "laptop", time.Hour)
		phone, phoneToken := start(ada, "phone", time.Hour)
		_, bobToken := start(bob, "bob's", time.Hour)
		_, expiredToken := start(ada, "expired", -time.Second)

		got, err := s.SessionByToken(ctx, laptopToken, "10.0.0.2")
		if err != nil || got.ID != laptop.ID || got.UserID != ada.ID || got.UserAgent != "laptop" {
			t.Fatalf("SessionByToken = %+v, %v", got, err)
		}
		for name, token := range map[string]string{"unknown": "made-up", "expired": expiredToken, "empty": ""} {
			if _, err := s.SessionByToken(ctx, token, "10.0.0.2"); !errors.Is(err, flows.ErrUnauthorized) {
				t.Errorf("%s token = %v, want ErrUnauthorized", name, err)
			}
		}
		if err := s.SetSessionData(ctx, laptop.ID, "flashes"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.SessionByToken(ctx, laptopToken, ""); got.Data != "flashes" {
			t.Errorf("data = %q after SetSessionData", got.Data)
		}
		list, err := s.Sessions(ctx, ada.ID)
		if err != nil || len(list) != 2 {
			t.Fatalf("ada's live sessions = %d, %v; want laptop and phone", len(list), err)
		}

		if err := s.RevokeSession(ctx, bob.ID, laptop.ID); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("bob ending ada's session = %v, want ErrNotFound", err)
		}
		if err := s.RevokeSession(ctx, ada.ID, phone.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionByToken(ctx, phoneToken, ""); !errors.Is(err, flows.ErrUnauthorized) {
			t.Errorf("ended session = %v, want ErrUnauthorized", err)
		}
		if err := s.RevokeSession(ctx, ada.ID, phone.ID); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("ending it again = %v, want ErrNotFound", err)
		}

		// A new password ends every other session of the admin, and no one else's.
		tablet, tabletToken := start(ada, "tablet", time.Hour)
		if err := s.SetPassword(ctx, ada.ID, "a brand new password", tablet.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionByToken(ctx, laptopToken, ""); !errors.Is(err, flows.ErrUnauthorized) {
			t.Errorf("laptop after a new password = %v, want ErrUnauthorized", err)
		}
		for name, token := range map[string]string{"the kept session": tabletToken, "another admin's": bobToken} {
			if _, err := s.SessionByToken(ctx, token, ""); err != nil {
				t.Errorf("%s after a new password: %v", name, err)
			}
		}
		if n, err := s.RevokeOtherSessions(ctx, ada.ID, 0); err != nil || n != 1 {
			t.Fatalf("ending all of ada's sessions = %d, %v; want the tablet's", n, err)
		}
		if list, _ := s.Sessions(ctx, ada.ID); len(list) != 0 {
			t.Fatalf("%d sessions live after ending them all", len(list))
		}
	})
}
