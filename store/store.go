// Package store keeps Hookflow's state: gorm models and queries, ordered
// migrations, and the River queue, on SQLite by default or on Postgres.
// gorm models never leave this package; callers get flows types.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	sqlite3 "github.com/mattn/go-sqlite3"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/hookflow/hookflow/flows"
)

// Dialect names the database behind a Store.
type Dialect string

// The supported databases.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Config says where the database is.
type Config struct {
	// DatabaseURL is a postgres:// URL, or empty for SQLite in DataDir.
	DatabaseURL string
	// DataDir holds the SQLite file when DatabaseURL is empty.
	DataDir string
	Logger  *slog.Logger
	// EncryptionKey (32 bytes) seals connection secrets and Registration
	// Data at rest; without it they cannot be stored.
	EncryptionKey []byte
	// MaxAttempts bounds the tries of a delivery or a deregistration
	// (default 10); RetryBase is the first retry's delay, doubled on each
	// next one (default 1s, at most an hour).
	MaxAttempts int
	RetryBase   time.Duration
	// Retention is how long executions are kept (pruned every 10 minutes);
	// zero fields keep them.
	Retention Retention
	// ReadOnly opens the database to read what a server beside it wrote
	// (the benchmark does): no migrations, no writers, no queue.
	ReadOnly bool
	// Sync is how SQLite's commits reach the disk (default SyncFull).
	Sync Sync
}

// Sync is how SQLite's commits reach the disk: its synchronous setting.
type Sync string

const (
	// SyncFull flushes every commit to the disk before it returns: an
	// acknowledged payload survives a power loss. Group commit makes the
	// flush one per batch of payloads, not one per payload.
	SyncFull Sync = "full"
	// SyncNormal flushes at checkpoints only: a commit survives the
	// process being killed, but the last ones before a power loss or an
	// operating system crash may be lost.
	SyncNormal Sync = "normal"
)

// pragma is the setting's value for SQLite's synchronous pragma.
func (s Sync) pragma() string {
	if s == SyncNormal {
		return "NORMAL"
	}
	return "FULL"
}

// Store is Hookflow's persistence. It is safe for concurrent use.
type Store struct {
	db    *gorm.DB
	sqlDB *sql.DB
	// reads serves queries outside transactions: on SQLite a pool of its
	// own beside the one writer connection, on Postgres db itself.
	reads  *gorm.DB
	readDB *sql.DB
	// hist writes the execution history: on SQLite its own file with a
	// writer connection of its own (histDB), on Postgres db itself.
	hist   *gorm.DB
	histDB *sql.DB
	// historyWritable lets the main writer's connection write the history
	// file (migrations only).
	historyWritable atomic.Bool
	pgPool          *pgxpool.Pool
	dialect         Dialect
	log             *slog.Logger
	queue           *Queue
	sealer          *sealer
	cfg             Config
	// The River client, by driver: inserts jobs in the store's transactions.
	riverLite *river.Client[*sql.Tx]
	riverPG   *river.Client[pgx.Tx]

	// pipe writes deliveries and executions, and runs payloads (pipeline.go).
	pipe *pipeline

	// instance is this process among those sharing the database; alive
	// keeps it so (instances.go); cancels handles their cancel requests.
	instance string
	alive    *instances
	cancels  cancels

	closeOnce sync.Once
	closed    chan struct{} // closed by Close: background loops end

	// checkpoints checkpoints SQLite's write-ahead log beside the writer.
	checkpoints *checkpointer

	// versions caches deployed connector versions, which never change.
	versions sync.Map

	// tables is what the store knows of the database for tables.
	tables tablesState

	// observer is told of the write path's transactions and of the
	// executions stored as ended (Observe).
	observer flows.ObserverSlot

	// hooks relays events to event hooks (eventhooks_relay.go).
	hooks *hookRelay
}

// Observe makes o the observer of the store's write path: the size and
// commit time of its transactions, and each execution stored as ended.
func (s *Store) Observe(o flows.Observer) { s.observer.Set(o) }

// Open connects to the database, applies Hookflow's and River's migrations
// and prepares (but does not start) the River queue.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = time.Second
	}
	sl, err := newSealer(cfg.EncryptionKey)
	if err != nil {
		return nil, err
	}
	s := &Store{log: cfg.Logger, sealer: sl, cfg: cfg, closed: make(chan struct{})}
	gcfg := &gorm.Config{Logger: logger.Discard, TranslateError: true, NowFunc: func() time.Time { return time.Now().UTC() }}
	if cfg.ReadOnly {
		return s, s.openReader(ctx, gcfg)
	}
	s.pipe = newPipeline(s)
	s.hooks = newHookRelay(s)
	s.instance = newInstanceID()
	switch {
	case cfg.DatabaseURL == "":
		err = s.openSQLite(ctx, filepath.Join(cfg.DataDir, "hookflow.db"), gcfg)
	case strings.HasPrefix(cfg.DatabaseURL, "postgres://"), strings.HasPrefix(cfg.DatabaseURL, "postgresql://"):
		err = s.openPostgres(ctx, cfg.DatabaseURL, gcfg)
	default:
		return nil, fmt.Errorf("store: database URL must start with postgres:// or postgresql://")
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.pipe.start()
	if s.dialect == SQLite {
		if err := s.finishRecorded(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	if s.queue, err = newQueue(ctx, s); err != nil {
		s.Close()
		return nil, err
	}
	s.hooks.start(ctx)
	return s, nil
}

func (s *Store) openSQLite(ctx context.Context, path string, gcfg *gorm.Config) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, dataDirMode); err != nil {
			return fmt.Errorf("store: create data dir: %w", err)
		}
	}
	history := s.historyPath()
	// The files exist, mode 0600, before SQLite opens them: it would
	// create them as the umask says, and their logs take their mode.
	for _, p := range []string{path, history} {
		if _, err := privateFile(p, true); err != nil {
			return err
		}
	}
	// SQLite has one writer; one connection avoids SQLITE_BUSY between
	// gorm and River (see riversqlite's docs). It attaches the history
	// (creating its file) read-only, so that its transactions never lock
	// the history's writer out; migrations alone write both (migrate).
	s.historyWritable.Store(true)
	sqlDB := openLite(path, 1, attachment{name: "history", path: history, writable: &s.historyWritable}, writerPragmas,
		"_journal_mode", "WAL", "_foreign_keys", "on", "_synchronous", s.cfg.Sync.pragma(), "_txlock", "immediate")
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	db, err := gorm.Open(sqlite.Dialector{Conn: sqlDB}, gcfg)
	if err != nil {
		sqlDB.Close()
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	s.db, s.sqlDB, s.dialect = db, sqlDB, SQLite
	// The history's writer attaches the main file, read-only, to read the
	// deliveries it records.
	s.histDB = openLite(history, 1, attachment{name: "hookflow", path: path, readOnly: true}, writerPragmas,
		"_journal_mode", "WAL", "_synchronous", s.cfg.Sync.pragma(), "_txlock", "immediate")
	if err := s.histDB.PingContext(ctx); err != nil {
		return fmt.Errorf("store: open sqlite %s: %w", history, err)
	}
	if s.hist, err = gorm.Open(sqlite.Dialector{Conn: s.histDB}, gcfg); err != nil {
		return fmt.Errorf("store: open sqlite %s: %w", history, err)
	}
	// Readers of their own: in WAL mode they read beside the writers, and
	// the writers' connections are left to writes.
	readDB := openLite(path, readers, attachment{name: "history", path: history, readOnly: true}, nil, "_query_only", "1")
	if s.reads, err = gorm.Open(sqlite.Dialector{Conn: readDB}, gcfg); err != nil {
		readDB.Close()
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	s.readDB = readDB
	s.startCheckpointer(path)
	return nil
}

// ErrNoSearch is why a binary built without SQLite's full-text search
// cannot keep an execution history on SQLite.
var ErrNoSearch = errors.New("this build of Hookflow has no SQLite full-text search, so it cannot keep the execution history: " +
	"build it with go build -tags sqlite_fts5 ./cmd/hookflow (make build does)")

// CheckSQLiteSearch reports ErrNoSearch when the SQLite driver compiled
// into this binary lacks full-text search (FTS5, the sqlite_fts5 build
// tag), which the execution history on SQLite needs. It opens no file.
func CheckSQLiteSearch() error {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		return fmt.Errorf("store: sqlite: %w", err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE VIRTUAL TABLE probe USING fts5(body)"); err != nil {
		if strings.Contains(err.Error(), "no such module: fts5") {
			return ErrNoSearch
		}
		return fmt.Errorf("store: sqlite: %w", err)
	}
	return nil
}

// openReader opens the database to read only (Config.ReadOnly).
func (s *Store) openReader(ctx context.Context, gcfg *gorm.Config) error {
	if s.cfg.DatabaseURL != "" {
		return s.openPostgres(ctx, s.cfg.DatabaseURL, gcfg)
	}
	path := filepath.Join(s.cfg.DataDir, "hookflow.db")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	readDB := openLite(path, readers, attachment{name: "history", path: s.historyPath(), readOnly: true}, nil, "_query_only", "1")
	db, err := gorm.Open(sqlite.Dialector{Conn: readDB}, gcfg)
	if err != nil {
		readDB.Close()
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	s.db, s.reads, s.hist, s.readDB, s.dialect = db, db, db, readDB, SQLite
	return nil
}

// historyPath is where the SQLite history's file is (historyFile).
func (s *Store) historyPath() string { return filepath.Join(s.cfg.DataDir, historyFile) }

// readers is the number of SQLite connections that serve reads.
const readers = 4

// historyFile is the SQLite file of the execution history, beside the main
// one: executions, their packs and search index, and the deliveries whose
// executions it holds (deliveries.go). It has a writer of its own, so that
// storing runs never holds up accepting payloads.
const historyFile = "history.db"

// attachment is a second SQLite file that a pool's connections attach
// under name: read-only if readOnly, or while writable is set and false.
type attachment struct {
	name, path string
	readOnly   bool
	writable   *atomic.Bool
}

// uri is the file's URI for ATTACH.
func (a attachment) uri() string {
	if a.readOnly || (a.writable != nil && !a.writable.Load()) {
		return "file:" + a.path + "?mode=ro"
	}
	return "file:" + a.path
}

// openLite opens a pool of n connections to the SQLite file at path, kept
// open, each waiting up to 10 s for a lock, with the driver's params given
// as key, value pairs. Each new connection first attaches att (unless its
// path is empty) and runs pragmas. A transaction that begins IMMEDIATE
// takes the write lock of every file it may write: on a read-only
// attachment it takes none.
func openLite(path string, n int, att attachment, pragmas []string, params ...string) *sql.DB {
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	drv := &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		if att.path != "" {
			if _, err := c.Exec("ATTACH DATABASE ? AS "+att.name, []driver.Value{att.uri()}); err != nil {
				return err
			}
		}
		for _, p := range pragmas {
			if _, err := c.Exec(p, nil); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		return nil
	}}
	db := sql.OpenDB(liteConnector{dsn: "file:" + path + "?" + q.Encode(), driver: drv})
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(0)
	return db
}

// liteConnector opens SQLite connections with its driver's hook.
type liteConnector struct {
	dsn    string
	driver *sqlite3.SQLiteDriver
}

func (c liteConnector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }
func (c liteConnector) Driver() driver.Driver                        { return c.driver }

func (s *Store) openPostgres(ctx context.Context, dsn string, gcfg *gorm.Config) error {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return fmt.Errorf("store: open postgres: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return fmt.Errorf("store: connect to postgres: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	db, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), gcfg)
	if err != nil {
		pool.Close()
		return fmt.Errorf("store: open postgres: %w", err)
	}
	s.db, s.reads, s.hist, s.sqlDB, s.pgPool, s.dialect = db, db, db, sqlDB, pool, Postgres
	return nil
}

// Size reports how many bytes the database takes: on SQLite its files and
// their write-ahead logs, on Postgres the database's size.
func (s *Store) Size(ctx context.Context) (int64, error) {
	if s.dialect == Postgres {
		var n int64
		if err := s.db.WithContext(ctx).Raw("SELECT pg_database_size(current_database())").Scan(&n).Error; err != nil {
			return 0, fmt.Errorf("store: size: %w", err)
		}
		return n, nil
	}
	var total int64
	for _, f := range []string{"hookflow.db", "hookflow.db-wal", historyFile, historyFile + "-wal"} {
		if fi, err := os.Stat(filepath.Join(s.cfg.DataDir, f)); err == nil {
			total += fi.Size()
		}
	}
	return total, nil
}

// Dialect reports which database the store uses.
func (s *Store) Dialect() Dialect { return s.dialect }

// Queue returns the River queue bound to this store.
func (s *Store) Queue() *Queue { return s.queue }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	var one int
	if err := s.db.WithContext(ctx).Raw("SELECT 1").Scan(&one).Error; err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close refuses new writes at once, writes what was handed over before,
// and releases the database. Stop the queue first: runs that have not
// finished by now are not recorded, and run again on the next start.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.hooks != nil {
			s.hooks.close()
		}
		if s.pipe != nil {
			s.pipe.close()
		}
		close(s.closed)
		if s.checkpoints != nil {
			s.checkpoints.stop()
		}
		if s.sqlDB != nil {
			err = s.sqlDB.Close()
		}
		if s.readDB != nil {
			s.readDB.Close()
		}
		if s.histDB != nil {
			s.histDB.Close()
		}
		if s.pgPool != nil {
			s.pgPool.Close()
		}
	})
	return err
}

// inTx runs one of two functions in a transaction of the database's own
// driver, where River can insert jobs: lite on SQLite, pg on Postgres.
func (s *Store) inTx(ctx context.Context, lite func(*sql.Tx) error, pg func(pgx.Tx) error) error {
	if s.dialect == Postgres {
		tx, err := s.pgPool.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.WithoutCancel(ctx))
		if err := pg(tx); err != nil {
			return err
		}
		return tx.Commit(ctx)
	}
	tx, err := s.sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := lite(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// notFound maps gorm's not-found error to flows.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return flows.ErrNotFound
	}
	return err
}

// conflict maps a unique-constraint violation to flows.ErrConflict.
func conflict(err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return flows.ErrConflict
	}
	return err
}
