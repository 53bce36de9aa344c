package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// folderRecord is a folder of workspace flows.
type folderRecord struct {
	ID        int64
	Name      string
	NameKey   string
	CreatedAt time.Time
}

func (folderRecord) TableName() string { return "folders" }

// migrateFolders adds folders and the folder of each workspace flow; a
// flow whose folder is deleted is in none.
func migrateFolders(tx *gorm.DB) error {
	type folder struct {
		ID        int64  `gorm:"primaryKey"`
		Name      string `gorm:"size:100;not null"`
		NameKey   string `gorm:"size:400;not null;uniqueIndex"`
		CreatedAt time.Time
	}
	if err := tx.Migrator().CreateTable(&folder{}); err != nil {
		return err
	}
	if err := tx.Exec("ALTER TABLE flows ADD COLUMN folder_id BIGINT REFERENCES folders (id) ON DELETE SET NULL").Error; err != nil {
		return err
	}
	return tx.Exec("CREATE INDEX idx_flows_folder ON flows (folder_id)").Error
}

// Folders lists every folder by name.
func (s *Store) Folders(ctx context.Context) ([]flows.Folder, error) {
	return folders(s.reads.WithContext(ctx))
}

func folders(db *gorm.DB) ([]flows.Folder, error) {
	var rs []folderRecord
	if err := db.Order("name_key, id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: folders: %w", err)
	}
	out := make([]flows.Folder, 0, len(rs))
	for _, r := range rs {
		out = append(out, flows.Folder{ID: r.ID, Name: r.Name})
	}
	return out, nil
}

// Folder loads a folder.
func (s *Store) Folder(ctx context.Context, id int64) (flows.Folder, error) {
	var r folderRecord
	if err := s.reads.WithContext(ctx).First(&r, id).Error; err != nil {
		return flows.Folder{}, fmt.Errorf("store: folder %d: %w", id, notFound(err))
	}
	return flows.Folder{ID: r.ID, Name: r.Name}, nil
}

// CreateFolder saves a folder; flows.ErrConflict when its name is taken.
func (s *Store) CreateFolder(ctx context.Context, name string) (flows.Folder, error) {
	return createFolder(s.db.WithContext(ctx), name)
}

func createFolder(db *gorm.DB, name string) (flows.Folder, error) {
	r := folderRecord{Name: name, NameKey: strings.ToLower(name)}
	if err := db.Create(&r).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return flows.Folder{}, fmt.Errorf("store: create folder: %w: a folder named %q exists already", flows.ErrConflict, name)
		}
		return flows.Folder{}, fmt.Errorf("store: create folder: %w", err)
	}
	return flows.Folder{ID: r.ID, Name: r.Name}, nil
}

// errRollback ends an import's transaction without keeping anything.
var errRollback = errors.New("store: import rolled back")

// Import runs fn in one transaction of the writer that spans flows,
// folders and tables: what fn stores is committed only when fn returns
// nil and keep is set.
func (s *Store) Import(ctx context.Context, keep bool, fn func(flows.ImportTx) error) error {
	err := s.db.WithContext(ctx).Transaction(func(gtx *gorm.DB) error {
		sqlTx, ok := gtx.Statement.ConnPool.(*sql.Tx)
		if !ok {
			return fmt.Errorf("store: import: the database gave no transaction")
		}
		if err := fn(importTx{s: s, db: gtx, tx: sqlTx}); err != nil {
			return err
		}
		if !keep {
			return errRollback
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}

// importTx is an import's transaction: gorm's and the same *sql.Tx for
// the tables' SQL.
type importTx struct {
	s  *Store
	db *gorm.DB
	tx *sql.Tx
}

func (t importTx) Folders(context.Context) ([]flows.Folder, error) { return folders(t.db) }

func (t importTx) CreateFolder(_ context.Context, name string) (flows.Folder, error) {
	// A savepoint keeps the transaction usable on Postgres after a
	// refused name.
	if err := t.db.SavePoint("folder").Error; err != nil {
		return flows.Folder{}, err
	}
	f, err := createFolder(t.db, name)
	if err != nil {
		if rb := t.db.RollbackTo("folder").Error; rb != nil {
			return f, rb
		}
	}
	return f, err
}

func (t importTx) Tables(ctx context.Context) ([]flows.Table, error) {
	ts, err := t.s.loadTables(ctx, t.tx, 0, false)
	if err != nil {
		return nil, fmt.Errorf("store: tables: %w", err)
	}
	return ts, nil
}

func (t importTx) Table(ctx context.Context, id int64) (flows.Table, error) {
	ts, err := t.s.loadTables(ctx, t.tx, id, false)
	if err != nil {
		return flows.Table{}, fmt.Errorf("store: table %d: %w", id, err)
	}
	return ts[0], nil
}

func (t importTx) CreateTable(ctx context.Context, tb flows.Table) (flows.Table, error) {
	if err := t.s.createTable(ctx, t.tx, &tb, time.Now().UTC()); err != nil {
		if isUnique(err) {
			return flows.Table{}, fmt.Errorf("store: create table: %w: a table named %q exists already", flows.ErrConflict, tb.Name)
		}
		return flows.Table{}, fmt.Errorf("store: create table: %w", err)
	}
	return t.Table(ctx, tb.ID)
}

func (t importTx) NewFlowID(_ context.Context, folderID int64, name string) (int64, error) {
	r := flowRecord{Kind: string(flows.KindWorkspace), Name: name, Revision: 1, Definition: "{}"}
	if folderID != 0 {
		r.FolderID = &folderID
	}
	if err := t.db.Create(&r).Error; err != nil {
		return 0, fmt.Errorf("store: create flow: %w", err)
	}
	return r.ID, nil
}

func (t importTx) SaveNewFlow(_ context.Context, f flows.Flow) error {
	r, err := flowRecordOf(f)
	if err != nil {
		return err
	}
	res := t.db.Model(&flowRecord{}).Where("id = ?", f.ID).
		Updates(map[string]any{"kind": r.Kind, "name": r.Name, "definition": r.Definition, "revision": 1})
	if res.Error == nil && res.RowsAffected == 0 {
		res.Error = flows.ErrNotFound
	}
	if res.Error != nil {
		return fmt.Errorf("store: save flow %d: %w", f.ID, res.Error)
	}
	if err := t.db.Create(&flowRevisionRecord{FlowID: f.ID, Revision: 1, Definition: r.Definition}).Error; err != nil {
		return fmt.Errorf("store: save flow %d: %w", f.ID, err)
	}
	return nil
}

var _ flows.ImportStore = (*Store)(nil)
