package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// migration is one step of the schema. Steps are ordered and append-only:
// never edit or reorder a step that has shipped; add a new one. Each step
// declares the tables it creates with its own frozen struct types, so later
// changes to the models cannot change what an old step does.
type migration struct {
	version int
	name    string
	up      func(tx *gorm.DB) error
}

// migrations is the schema's history, oldest first.
var migrations = []migration{
	{1, "accounts", migrateAccounts},
	{2, "flows and executions", migrateFlowsExecutions},
	{3, "connectors", migrateConnectors},
	{4, "connections, subscriptions and deliveries", migrateLifecycle},
	{5, "execution history: search, re-runs, flow revisions, audit log", migrateHistory},
	{6, "drop the execution indexes that lists no longer use", migrateDropStartedIndexes},
	{7, "packed execution documents, leaner indexes", migratePackedExecutions},
	{8, "deliveries name the job that runs them", migrateDeliveryJobs},
	{9, "execution documents packed together", migrateExecutionPacks},
	{10, "status and trigger indexes without the common values", migratePartialExecutionIndexes},
	{11, "search index merges less often", migrateSearchMerges},
	{12, "the dedupe index holds only deliveries with a key", migratePartialDedupeIndex},
	{13, "the execution history in a file of its own", migrateHistoryFile},
	{14, "every execution document in a pack", migrateDocumentsInPacks},
	{15, "instances sharing the database", migrateInstances},
	{16, "sessions kept on the server; sign-in attempts counted per key", migrateSessions},
	{17, "the latest tick each schedule ran", migrateScheduleTicks},
	{18, "API Endpoint flows: invoke URL aliases, security and rate limits", migrateEndpoints},
	{19, "waiting runs", migrateWaits},
	{20, "the cursor and the last poll of each polling subscription", migratePollStates},
	{21, "tables: their schemas (each table's rows are in a table of their own)", migrateTables},
	{22, "tables: each table's row count kept as rows come and go", migrateTableCounts},
	{23, "folders of workspace flows", migrateFolders},
	{24, "event hooks: the hooks, the log of events and each reader's place in it, delivery attempts", migrateEventHooks},
	{25, "deliveries done and kept for dedupe forget their job", migrateDoneWithoutJob},
	{26, "connections, tables and event hooks count their revisions", migrateRevisions},
	{27, "executions recorded as running name the instance that runs them", migrateRunningOn},
}

// schemaMigration records an applied step.
type schemaMigration struct {
	Version   int `gorm:"primaryKey;autoIncrement:false"`
	Name      string
	AppliedAt time.Time
}

func (schemaMigration) TableName() string { return "schema_migrations" }

// migrate applies the steps not yet recorded, each in its own transaction.
// On Postgres an advisory lock keeps two starting instances from racing.
func (s *Store) migrate(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	if err := db.AutoMigrate(&schemaMigration{}); err != nil {
		return fmt.Errorf("store: migrate: create schema_migrations: %w", err)
	}
	if err := checkSchemaNotNewer(db); err != nil {
		return err
	}
	for _, m := range migrations {
		err := db.Transaction(func(tx *gorm.DB) error {
			if s.dialect == Postgres {
				if err := tx.Exec("SELECT pg_advisory_xact_lock(7263541)").Error; err != nil {
					return err
				}
			}
			var n int64
			if err := tx.Model(&schemaMigration{}).Where("version = ?", m.version).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if err := m.up(tx); err != nil {
				return err
			}
			return tx.Create(&schemaMigration{Version: m.version, Name: m.name, AppliedAt: time.Now().UTC()}).Error
		})
		if err != nil {
			return fmt.Errorf("store: migrate step %d %q: %w", m.version, m.name, err)
		}
	}
	if s.dialect == SQLite {
		if err := s.historyReadOnly(ctx); err != nil {
			return err
		}
		return s.compactMain(ctx)
	}
	return nil
}

// compactMain gives the file system back the space of the main SQLite
// file when more than half of it is free, as once the history has moved
// out of it (migration 13): VACUUM copies only what is left.
func (s *Store) compactMain(ctx context.Context) error {
	var free, pages int64
	err := s.sqlDB.QueryRowContext(ctx, "PRAGMA main.freelist_count").Scan(&free)
	if err == nil {
		err = s.sqlDB.QueryRowContext(ctx, "PRAGMA main.page_count").Scan(&pages)
	}
	if err == nil && free*2 > pages {
		_, err = s.sqlDB.ExecContext(ctx, "VACUUM main")
	}
	if err != nil {
		return fmt.Errorf("store: compact the database file: %w", err)
	}
	return nil
}

// historyReadOnly attaches the history read-only again to the main
// writer's connection, once migrations have run (openSQLite). The readers
// and the recorder connect again: a connection opened before migrations
// may go on seeing a table in the file it has moved out of.
func (s *Store) historyReadOnly(ctx context.Context) error {
	reconnect(s.readDB, readers)
	reconnect(s.histDB, 1)
	s.historyWritable.Store(false)
	_, err := s.sqlDB.ExecContext(ctx, "DETACH DATABASE history")
	if err == nil {
		_, err = s.sqlDB.ExecContext(ctx, "ATTACH DATABASE ? AS history", "file:"+s.historyPath()+"?mode=ro")
	}
	if err != nil {
		return fmt.Errorf("store: attach the history read-only: %w", err)
	}
	return nil
}

// reconnect closes the idle connections of a pool of n, so that each
// opens anew when next used.
func reconnect(db *sql.DB, n int) {
	db.SetMaxIdleConns(0)
	db.SetMaxIdleConns(n)
}

// SchemaVersion reports the newest applied migration step.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.WithContext(ctx).Model(&schemaMigration{}).Select("COALESCE(MAX(version), 0)").Scan(&v).Error
	if err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return v, nil
}

func migrateAccounts(tx *gorm.DB) error {
	type user struct {
		ID           int64  `gorm:"primaryKey"`
		Email        string `gorm:"size:254;not null;uniqueIndex"`
		PasswordHash string `gorm:"not null"`
		CreatedAt    time.Time
		UpdatedAt    time.Time
	}
	type apiToken struct {
		ID         int64  `gorm:"primaryKey"`
		UserID     int64  `gorm:"not null;index;constraint:OnDelete:CASCADE"`
		User       *user  `gorm:"foreignKey:UserID"`
		Name       string `gorm:"size:100;not null"`
		Prefix     string `gorm:"size:16;not null"`
		Hash       string `gorm:"size:64;not null;uniqueIndex"`
		CreatedAt  time.Time
		LastUsedAt *time.Time
	}
	type loginFailure struct {
		ID  int64     `gorm:"primaryKey"`
		Key string    `gorm:"size:300;not null;index:idx_login_failures_key_at"`
		At  time.Time `gorm:"not null;index:idx_login_failures_key_at"`
	}
	return tx.Migrator().CreateTable(&user{}, &apiToken{}, &loginFailure{})
}

func migrateFlowsExecutions(tx *gorm.DB) error {
	type flow struct {
		ID          int64  `gorm:"primaryKey"`
		ConnectorID *int64 `gorm:"index"`
		Kind        string `gorm:"size:40;not null"`
		Name        string `gorm:"size:200;not null"`
		Revision    int    `gorm:"not null"`
		Definition  string `gorm:"not null"`
		CreatedAt   time.Time
		UpdatedAt   time.Time
	}
	// An execution is one row: the columns that lists filter and sort on,
	// and the run's input, output and steps as one JSON document.
	type execution struct {
		ID         string    `gorm:"primaryKey;size:32"`
		FlowID     int64     `gorm:"not null;index:idx_executions_flow,priority:1"`
		ParentID   *string   `gorm:"size:32;index"`
		Trigger    string    `gorm:"size:20;not null"`
		Status     string    `gorm:"size:20;not null;index:idx_executions_status,priority:1"`
		StartedAt  time.Time `gorm:"not null;index:idx_executions_flow,priority:2;index:idx_executions_status,priority:2;index"`
		FinishedAt *time.Time
		DurationUS int64
		Error      string
		Data       string
	}
	return tx.Migrator().CreateTable(&flow{}, &execution{})
}

func migrateConnectors(tx *gorm.DB) error {
	type connector struct {
		ID          int64  `gorm:"primaryKey"`
		Name        string `gorm:"size:200;not null;uniqueIndex"`
		Description string `gorm:"size:1000;not null;default:''"`
		BaseURL     string `gorm:"size:2000;not null;default:''"`
		Auth        string `gorm:"not null"`
		Revision    int    `gorm:"not null"`
		CreatedAt   time.Time
		UpdatedAt   time.Time
	}
	type connectorVersion struct {
		ID          int64 `gorm:"primaryKey"`
		ConnectorID int64 `gorm:"not null;uniqueIndex:idx_connector_versions,priority:1"`
		Version     int   `gorm:"not null;uniqueIndex:idx_connector_versions,priority:2"`
		CreatedAt   time.Time
		CreatedBy   string `gorm:"size:254;not null"`
		Snapshot    string `gorm:"not null"`
	}
	return tx.Migrator().CreateTable(&connector{}, &connectorVersion{})
}

func migrateLifecycle(tx *gorm.DB) error {
	// Values holds every field of the connection, sealed as one value.
	type connection struct {
		ID          int64  `gorm:"primaryKey"`
		ConnectorID int64  `gorm:"not null;index"`
		Name        string `gorm:"size:200;not null"`
		Sealed      string `gorm:"not null"`
		CreatedAt   time.Time
	}
	// A flow has at most one live (not off) subscription, by a partial
	// unique index; off ones stay so that their Event URLs answer 410.
	type subscription struct {
		ID                      int64  `gorm:"primaryKey"`
		FlowID                  int64  `gorm:"not null;index"`
		Token                   string `gorm:"size:64;not null;uniqueIndex"`
		State                   string `gorm:"size:20;not null"`
		Source                  string `gorm:"not null"`
		Options                 string `gorm:"not null"`
		Registration            string `gorm:"not null;default:''"`
		LastError               string `gorm:"not null;default:''"`
		RegistrationExecution   string `gorm:"size:32;not null;default:''"`
		DeregistrationExecution string `gorm:"size:32;not null;default:''"`
		CreatedAt               time.Time
		UpdatedAt               time.Time
	}
	// A delivery is stored with its job before it is acknowledged; the
	// dedupe key is unique per subscription (NULL when there is none).
	type delivery struct {
		ID             int64   `gorm:"primaryKey"`
		SubscriptionID int64   `gorm:"not null;uniqueIndex:idx_deliveries_dedupe,priority:1"`
		DedupeKey      *string `gorm:"size:200;uniqueIndex:idx_deliveries_dedupe,priority:2"`
		Method         string  `gorm:"size:10;not null"`
		Headers        string  `gorm:"not null"`
		Query          string  `gorm:"not null"`
		Body           []byte
		State          string `gorm:"size:10;not null;index"`
		ReceivedAt     time.Time
		FinishedAt     *time.Time
	}
	if err := tx.Migrator().CreateTable(&connection{}, &subscription{}, &delivery{}); err != nil {
		return err
	}
	return tx.Exec("CREATE UNIQUE INDEX idx_subscriptions_live ON subscriptions (flow_id) WHERE state <> 'off'").Error
}

func migrateHistory(tx *gorm.DB) error {
	type flowRevision struct {
		FlowID     int64  `gorm:"primaryKey;autoIncrement:false"`
		Revision   int    `gorm:"primaryKey;autoIncrement:false"`
		Definition string `gorm:"not null"`
		CreatedAt  time.Time
	}
	type auditEntry struct {
		ID      int64     `gorm:"primaryKey"`
		At      time.Time `gorm:"not null;index"`
		Actor   string    `gorm:"size:254;not null"`
		Action  string    `gorm:"size:60;not null"`
		Subject string    `gorm:"size:200;not null"`
		Detail  string    `gorm:"not null;default:''"`
	}
	if err := tx.Migrator().CreateTable(&flowRevision{}, &auditEntry{}); err != nil {
		return err
	}
	stmts := []string{
		"ALTER TABLE executions ADD COLUMN rerun_of VARCHAR(32)",
		"ALTER TABLE executions ADD COLUMN revision INTEGER NOT NULL DEFAULT 0",
		"CREATE INDEX idx_executions_rerun_of ON executions (rerun_of)",
		// Lists page newest first by id (time-ordered); these serve the filters.
		"CREATE INDEX idx_executions_status_id ON executions (status, id)",
		"CREATE INDEX idx_executions_flow_id ON executions (flow_id, id)",
		"CREATE INDEX idx_executions_trigger_id ON executions (" + `"trigger"` + ", id)",
	}
	if tx.Dialector.Name() == "postgres" {
		stmts = append(stmts,
			"ALTER TABLE executions ADD COLUMN search tsvector",
			"CREATE INDEX idx_executions_search ON executions USING GIN (search)")
	} else {
		// Contentless: the index only, keyed by the executions' rowid.
		stmts = append(stmts, "CREATE VIRTUAL TABLE executions_fts USING fts5(body, content='', contentless_delete=1)")
	}
	for _, q := range stmts {
		if err := tx.Exec(q).Error; err != nil {
			if strings.Contains(err.Error(), "no such module: fts5") {
				return ErrNoSearch
			}
			return err
		}
	}
	return nil
}

// migrateDropStartedIndexes drops the indexes on start time: lists page by
// id, which begins with the start time; every index costs each insert.
func migrateDropStartedIndexes(tx *gorm.DB) error {
	for _, idx := range []string{"idx_executions_flow", "idx_executions_status", "idx_executions_started_at"} {
		if err := tx.Exec("DROP INDEX IF EXISTS " + idx).Error; err != nil {
			return err
		}
	}
	return nil
}

// migratePackedExecutions adds the packed document column (documents.go);
// rows written before it keep their JSON in data. It drops the indexes no
// query needs (executions' parent_id; deliveries' state, now that done
// deliveries are deleted or kept only for dedupe) and keeps in the re-run
// index only the executions that are re-runs.
func migratePackedExecutions(tx *gorm.DB) error {
	typ := "BLOB"
	if tx.Dialector.Name() == "postgres" {
		typ = "BYTEA"
	}
	for _, q := range []string{
		"ALTER TABLE executions ADD COLUMN packed " + typ,
		"DROP INDEX IF EXISTS idx_executions_parent_id",
		"DROP INDEX IF EXISTS idx_deliveries_state",
		"DROP INDEX IF EXISTS idx_executions_rerun_of",
		"CREATE INDEX idx_executions_rerun_of ON executions (rerun_of) WHERE rerun_of IS NOT NULL",
	} {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}

// migrateDeliveryJobs lets a delivery name the job that runs it (the
// writer adds deliveries to a job River has not fetched yet); deliveries
// accepted before, which their jobs list, leave it empty.
func migrateDeliveryJobs(tx *gorm.DB) error {
	for _, q := range []string{
		"ALTER TABLE deliveries ADD COLUMN job_id BIGINT",
		"CREATE INDEX idx_deliveries_job ON deliveries (job_id) WHERE job_id IS NOT NULL",
	} {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}

// migrateExecutionPacks adds the packs of execution documents written
// together (documents.go): an execution's document is in its row (data or
// packed) or at pack_index in its pack.
func migrateExecutionPacks(tx *gorm.DB) error {
	table := "CREATE TABLE execution_packs (id INTEGER PRIMARY KEY, packed BLOB NOT NULL)"
	if tx.Dialector.Name() == "postgres" {
		table = "CREATE TABLE execution_packs (id BIGSERIAL PRIMARY KEY, packed BYTEA NOT NULL)"
	}
	for _, q := range []string{
		table,
		"ALTER TABLE executions ADD COLUMN pack_id BIGINT",
		"ALTER TABLE executions ADD COLUMN pack_index INTEGER NOT NULL DEFAULT 0",
		"CREATE INDEX idx_executions_pack ON executions (pack_id) WHERE pack_id IS NOT NULL",
	} {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}

// migratePartialExecutionIndexes keeps out of the status and trigger
// indexes the executions that succeeded and those a payload started: most
// of them, which a list finds by id order at once, and every index entry
// costs each insert.
func migratePartialExecutionIndexes(tx *gorm.DB) error {
	for _, q := range []string{
		"DROP INDEX IF EXISTS idx_executions_status_id",
		"CREATE INDEX idx_executions_status_id ON executions (status, id) WHERE status <> 'succeeded'",
		"DROP INDEX IF EXISTS idx_executions_trigger_id",
		`CREATE INDEX idx_executions_trigger_id ON executions ("trigger", id) WHERE "trigger" <> 'payload'`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}

// migrateSearchMerges lets SQLite's full-text index gather 16 segments of a
// level before it merges them, instead of 4: each execution's entry is
// rewritten fewer times as the index grows, and a search reads a few more
// segments (still milliseconds at a million executions). Merges stay
// incremental, a little with each write: the level at which one write
// merges a whole level at once rises from 16 segments to 64 (at 16 that
// stalled the writer for most of a second). Postgres keeps its own index.
func migrateSearchMerges(tx *gorm.DB) error {
	if tx.Dialector.Name() == "postgres" {
		return nil
	}
	for _, q := range []string{
		"INSERT INTO executions_fts (executions_fts, rank) VALUES ('automerge', 16)",
		"INSERT INTO executions_fts (executions_fts, rank) VALUES ('crisismerge', 64)",
	} {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}

// migratePartialDedupeIndex keeps out of the dedupe index the deliveries
// without a dedupe key, which it never refused (keys are unique per
// subscription; NULLs never collide): each accepted and finished delivery
// then writes one index fewer.
func migratePartialDedupeIndex(tx *gorm.DB) error {
	for _, q := range []string{
		"DROP INDEX idx_deliveries_dedupe",
		"CREATE UNIQUE INDEX idx_deliveries_dedupe ON deliveries (subscription_id, dedupe_key) WHERE dedupe_key IS NOT NULL",
	} {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}

// migrateSessions adds the sessions that signed-in admins' cookies name,
// so that they can be listed and ended, and replaces the rows of failed
// sign-ins with one counter per account or address, which a single
// statement can count up and read (throttle.go).
func migrateSessions(tx *gorm.DB) error {
	type user struct {
		ID int64 `gorm:"primaryKey"`
	}
	type session struct {
		ID        int64     `gorm:"primaryKey"`
		TokenHash string    `gorm:"size:64;not null;uniqueIndex"`
		UserID    int64     `gorm:"not null;index;constraint:OnDelete:CASCADE"`
		User      *user     `gorm:"foreignKey:UserID"`
		Address   string    `gorm:"size:100;not null"`
		UserAgent string    `gorm:"size:500;not null"`
		Data      string    `gorm:"not null"`
		CreatedAt time.Time `gorm:"not null"`
		SeenAt    time.Time `gorm:"not null"`
		ExpiresAt time.Time `gorm:"not null;index"`
		RevokedAt *time.Time
	}
	type loginAttempt struct {
		Key      string `gorm:"primaryKey;size:300"`
		Attempts int    `gorm:"not null"`
		// WindowStart is when the window of these attempts began, in
		// Unix milliseconds.
		WindowStart int64 `gorm:"not null"`
	}
	if err := tx.Migrator().CreateTable(&session{}, &loginAttempt{}); err != nil {
		return err
	}
	return tx.Migrator().DropTable("login_failures")
}

func migrateEndpoints(tx *gorm.DB) error {
	type flow struct {
		ID int64 `gorm:"primaryKey"`
	}
	// One row per API Endpoint flow, gone with its flow; the client token
	// is kept as its SHA-256 only.
	type endpoint struct {
		FlowID          int64  `gorm:"primaryKey;autoIncrement:false"`
		Flow            *flow  `gorm:"foreignKey:FlowID;constraint:OnDelete:CASCADE"`
		Alias           string `gorm:"size:64;not null;uniqueIndex"`
		Security        string `gorm:"size:20;not null"`
		ClientTokenHash string `gorm:"size:64;not null;default:''"`
		ClientTokenAt   *time.Time
		RateLimit       int `gorm:"not null;default:0"`
		CreatedAt       time.Time
		UpdatedAt       time.Time
	}
	return tx.Migrator().CreateTable(&endpoint{})
}

// migrateScheduleTicks adds the latest tick each scheduled flow's
// subscription ran (times in Unix milliseconds): a tick at or before it
// never runs again (schedules.go).
func migrateScheduleTicks(tx *gorm.DB) error {
	type scheduleTick struct {
		SubscriptionID int64  `gorm:"primaryKey;autoIncrement:false"`
		TickAt         int64  `gorm:"not null"`
		DueAt          int64  `gorm:"not null"`
		ExecutionID    string `gorm:"size:32;not null"`
		UpdatedAt      int64  `gorm:"not null"`
	}
	return tx.Migrator().CreateTable(&scheduleTick{})
}

// migratePollStates adds, per subscription of a flow on a Polling Event,
// its cursor, the poll going on (its run and until when it holds the
// subscription) and how the last poll ended; times in Unix milliseconds
// (polls.go).
func migratePollStates(tx *gorm.DB) error {
	type pollState struct {
		SubscriptionID   int64  `gorm:"primaryKey;autoIncrement:false"`
		Cursor           string `gorm:"not null;default:''"`
		RunningExecution string `gorm:"size:32;not null;default:''"`
		LeaseUntil       int64  `gorm:"not null;default:0"`
		LastPollAt       int64  `gorm:"not null;default:0"`
		LastStatus       string `gorm:"size:20;not null;default:''"`
		LastError        string `gorm:"not null;default:''"`
		LastExecution    string `gorm:"size:32;not null;default:''"`
		LastRecords      int    `gorm:"not null;default:0"`
		UpdatedAt        int64  `gorm:"not null"`
	}
	return tx.Migrator().CreateTable(&pollState{})
}

// migrateTables adds the tables' schemas: a table's name (unique, ignoring
// case) and description, and its columns in order with their types,
// defaults (JSON, "" for none) and unique flags. Each table's rows go in
// a database table of their own, made with it (table_sql.go). On
// Postgres it adds pg_trgm, when the server has it, for text search.
func migrateTables(tx *gorm.DB) error {
	type dataTable struct {
		ID          int64  `gorm:"primaryKey"`
		Name        string `gorm:"size:100;not null"`
		NameKey     string `gorm:"size:400;not null;uniqueIndex"`
		Description string `gorm:"not null;default:''"`
		CreatedAt   time.Time
		UpdatedAt   time.Time
	}
	type dataTableColumn struct {
		ID           int64      `gorm:"primaryKey"`
		TableID      int64      `gorm:"not null;index"`
		Table        *dataTable `gorm:"foreignKey:TableID;constraint:OnDelete:CASCADE"`
		Position     int        `gorm:"not null"`
		Name         string     `gorm:"size:100;not null"`
		Type         string     `gorm:"size:20;not null"`
		DefaultValue string     `gorm:"not null;default:''"`
		IsUnique     bool       `gorm:"not null;default:false"`
	}
	if err := tx.Migrator().CreateTable(&dataTable{}, &dataTableColumn{}); err != nil {
		return err
	}
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	var n int64
	if err := tx.Raw("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'").Scan(&n).Error; err != nil || n == 0 {
		return err
	}
	// Without the right to add it, text search goes on without its index.
	if err := tx.SavePoint("trgm").Error; err != nil {
		return err
	}
	if err := tx.Exec("CREATE EXTENSION IF NOT EXISTS pg_trgm").Error; err != nil {
		return tx.RollbackTo("trgm").Error
	}
	return nil
}

// migrateTableCounts adds the row counts of tables that SQLite keeps with
// triggers (see countRows), counting the rows of the tables there are.
// Postgres counts rows when asked and keeps none.
func migrateTableCounts(tx *gorm.DB) error {
	if tx.Dialector.Name() == "postgres" {
		return nil
	}
	if err := tx.Exec("CREATE TABLE data_table_counts (table_id INTEGER PRIMARY KEY REFERENCES data_tables (id) ON DELETE CASCADE, row_count INTEGER NOT NULL)").Error; err != nil {
		return err
	}
	var ids []int64
	if err := tx.Raw("SELECT id FROM data_tables").Scan(&ids).Error; err != nil {
		return err
	}
	for _, id := range ids {
		for _, st := range countRows(id) {
			if err := tx.Exec(st).Error; err != nil {
				return err
			}
		}
	}
	return nil
}
