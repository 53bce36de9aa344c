package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func TestOpenMigratesAndReopens(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			url, dir := db.URL(t), t.TempDir()
			s := storetest.Open(t, url, dir)
			v, err := s.SchemaVersion(ctx)
			if err != nil || v < 1 {
				t.Fatalf("schema version = %d, %v; want ≥ 1", v, err)
			}
			if _, err := s.CreateUser(ctx, "ada@example.com", "correct horse battery"); err != nil {
				t.Fatal(err)
			}
			s.Close()
			// Opening again applies nothing twice and keeps the data.
			s2 := storetest.Open(t, url, dir)
			if v2, _ := s2.SchemaVersion(ctx); v2 != v {
				t.Fatalf("schema version after reopen = %d, want %d", v2, v)
			}
			if n, err := s2.CountUsers(ctx); err != nil || n != 1 {
				t.Fatalf("users after reopen = %d, %v", n, err)
			}
			if string(s2.Dialect()) != db.Name {
				t.Fatalf("dialect = %s, want %s", s2.Dialect(), db.Name)
			}
		})
	}
}

func TestOpenRejectsBadURL(t *testing.T) {
	_, err := store.Open(context.Background(), store.Config{DatabaseURL: "mysql://x", DataDir: t.TempDir()})
	if err == nil {
		t.Fatal("open with a mysql URL succeeded")
	}
	_, err = store.Open(context.Background(), store.Config{DatabaseURL: "postgres://nobody@127.0.0.1:1/x?connect_timeout=2"})
	if err == nil {
		t.Fatal("open with an unreachable postgres succeeded")
	}
}

func TestUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u, err := s.CreateUser(ctx, " Ada@Example.com ", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "ada@example.com" {
			t.Errorf("email = %q, want normalised", u.Email)
		}
		tests := []struct {
			name, email, password string
			want                  error
		}{
			{"taken email", "ada@example.com", "another long password", flows.ErrConflict},
			{"short password", "bob@example.com", "short", store.ErrWeakPassword},
			{"bad email", "not-an-email", "correct horse battery", store.ErrBadEmail},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := s.CreateUser(ctx, tt.email, tt.password); !errors.Is(err, tt.want) {
					t.Fatalf("CreateUser = %v, want %v", err, tt.want)
				}
			})
		}
		if _, err := s.Authenticate(ctx, "ADA@example.com", "correct horse battery"); err != nil {
			t.Errorf("authenticate with the right password: %v", err)
		}
		for _, c := range [][2]string{{"ada@example.com", "wrong password!!"}, {"nobody@example.com", "correct horse battery"}} {
			if _, err := s.Authenticate(ctx, c[0], c[1]); !errors.Is(err, store.ErrBadCredentials) {
				t.Errorf("authenticate %v = %v, want ErrBadCredentials", c, err)
			}
		}
		if err := s.SetPassword(ctx, u.ID, "a brand new password", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "ada@example.com", "correct horse battery"); err == nil {
			t.Error("old password still works after SetPassword")
		}
		if _, err := s.Authenticate(ctx, "ada@example.com", "a brand new password"); err != nil {
			t.Errorf("new password: %v", err)
		}
		if _, err := s.User(ctx, 9999); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("User(9999) = %v, want ErrNotFound", err)
		}
	})
}

func TestAPITokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u, _ := s.CreateUser(ctx, "ada@example.com", "correct horse battery")
		other, _ := s.CreateUser(ctx, "bob@example.com", "correct horse battery")
		tok, secret, err := s.CreateAPIToken(ctx, u.ID, "ci")
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.UserByAPIToken(ctx, secret)
		if err != nil || got.ID != u.ID {
			t.Fatalf("UserByAPIToken = %v, %v", got, err)
		}
		list, _ := s.APITokens(ctx, u.ID)
		if len(list) != 1 || list[0].Name != "ci" || list[0].LastUsedAt == nil {
			t.Fatalf("tokens = %+v, want one used token named ci", list)
		}
		if _, _, err := s.CreateAPIToken(ctx, u.ID, "  "); !errors.Is(err, flows.ErrInvalid) {
			t.Errorf("empty name = %v, want ErrInvalid", err)
		}
		if err := s.RevokeAPIToken(ctx, other.ID, tok.ID); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("revoking another user's token = %v, want ErrNotFound", err)
		}
		if err := s.RevokeAPIToken(ctx, u.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UserByAPIToken(ctx, secret); !errors.Is(err, flows.ErrUnauthorized) {
			t.Errorf("revoked token = %v, want ErrUnauthorized", err)
		}
		if _, err := s.UserByAPIToken(ctx, "hf_made-up"); !errors.Is(err, flows.ErrUnauthorized) {
			t.Errorf("unknown token = %v, want ErrUnauthorized", err)
		}
	})
}

func TestQueueStartsAndStops(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Queue().Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Queue().Stop(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
