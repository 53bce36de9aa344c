// Package storetest gives tests real, migrated stores: a fresh SQLite file per
// test, and a fresh database per test on a Postgres server that the harness
// starts itself (initdb into a temp dir, a free loopback port) and stops when
// the test binary ends.
package storetest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/hookflow/hookflow/store"
)

// Main runs a package's tests, then stops the Postgres server if one was started.
// Use it from TestMain: func TestMain(m *testing.M) { storetest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	stopPostgres()
	os.Exit(code)
}

// Open opens a migrated store for the given database URL (empty for SQLite
// in dataDir) and closes it when the test ends.
func Open(t testing.TB, databaseURL, dataDir string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), store.Config{DatabaseURL: databaseURL, DataDir: dataDir,
		EncryptionKey: TestKey, MaxAttempts: 3, RetryBase: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestKey is the encryption key of test stores.
var TestKey = []byte("hookflow-test-key-32-bytes-long!")

// SQLite returns a migrated store on a fresh SQLite file.
func SQLite(t testing.TB) *store.Store {
	t.Helper()
	return Open(t, "", t.TempDir())
}

// Postgres returns a migrated store on a fresh database of the test Postgres server.
func Postgres(t testing.TB) *store.Store {
	t.Helper()
	return Open(t, PostgresURL(t), t.TempDir())
}

// DB names one of the databases the store runs on, for tests that run on both.
type DB struct {
	Name string
	// URL returns a database URL for a fresh database ("" means SQLite).
	URL func(t testing.TB) string
}

// DBs lists SQLite and Postgres, for table tests that run against both.
var DBs = []DB{
	{Name: "sqlite", URL: func(testing.TB) string { return "" }},
	{Name: "postgres", URL: PostgresURL},
}

// Each runs fn as a subtest against a fresh SQLite store and a fresh Postgres store.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, db := range DBs {
		t.Run(db.Name, func(t *testing.T) {
			fn(t, Open(t, db.URL(t), t.TempDir()))
		})
	}
}

func fatalf(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Fatalf("storetest: %s", fmt.Sprintf(format, args...))
}
