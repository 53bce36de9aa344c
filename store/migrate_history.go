package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hookflow/hookflow/flows"
	"gorm.io/gorm"
)

// The steps that reshaped the execution history: its own file on SQLite
// (13), every document in a pack (14); and the instances that share a
// database (15).

// migrateHistoryFile moves the execution history on SQLite into its own
// file (historyFile, attached as history): the executions and their
// packs as they are, their search index rebuilt from their documents (a
// contentless index cannot be read back), and a new table of the
// deliveries whose executions it holds. Postgres keeps one database.
func migrateHistoryFile(tx *gorm.DB) error {
	if tx.Dialector.Name() == "postgres" {
		return nil
	}
	var objects []struct{ Type, SQL string }
	err := tx.Raw("SELECT type, sql FROM main.sqlite_master WHERE tbl_name IN ('executions', 'execution_packs') AND sql IS NOT NULL " +
		"ORDER BY type = 'index', rowid").Scan(&objects).Error
	if err != nil {
		return err
	}
	var stmts []string
	for _, o := range objects {
		q := o.SQL
		for _, create := range []string{"CREATE TABLE ", "CREATE INDEX ", "CREATE UNIQUE INDEX "} {
			if strings.HasPrefix(q, create) {
				q = create + "history." + strings.TrimPrefix(q, create)
				break
			}
		}
		stmts = append(stmts, q)
	}
	stmts = append(stmts,
		"INSERT INTO history.execution_packs SELECT * FROM main.execution_packs",
		"INSERT INTO history.executions SELECT * FROM main.executions",
		"CREATE VIRTUAL TABLE history.executions_fts USING fts5(body, content='', contentless_delete=1)",
		"INSERT INTO history.executions_fts (executions_fts, rank) VALUES ('automerge', 16)",
		"INSERT INTO history.executions_fts (executions_fts, rank) VALUES ('crisismerge', 64)",
		"CREATE TABLE history.finished_deliveries (id INTEGER PRIMARY KEY)",
	)
	for _, q := range stmts {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	if err := reindexHistory(tx); err != nil {
		return err
	}
	for _, q := range []string{"DROP TABLE main.executions_fts", "DROP TABLE main.executions", "DROP TABLE main.execution_packs"} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// reindexHistory fills the history's search index from its executions'
// documents, a chunk at a time; an execution whose document cannot be read
// is left out of it.
func reindexHistory(tx *gorm.DB) error {
	for after := int64(0); ; {
		var rowids []int64
		if err := tx.Raw("SELECT rowid FROM history.executions WHERE rowid > ? ORDER BY rowid LIMIT 500", after).Scan(&rowids).Error; err != nil {
			return err
		}
		if len(rowids) == 0 {
			return nil
		}
		var rs []legacyExecution
		if err := tx.Table("history.executions").Where("rowid IN ?", rowids).Order("rowid").Find(&rs).Error; err != nil {
			return err
		}
		packs, err := legacyPacks(tx, "main.execution_packs", rs) // main's copy, until the step ends
		if err != nil {
			return err
		}
		for i, r := range rs {
			doc, err := r.document(packs)
			if err != nil {
				continue
			}
			var d executionData
			if json.Unmarshal(doc, &d) != nil {
				continue
			}
			e := &flows.Execution{FlowName: d.FlowName, Error: r.Error, Input: d.Input, Output: d.Output, Steps: d.steps()}
			if err := tx.Exec("INSERT INTO history.executions_fts (rowid, body) VALUES (?, ?)", rowids[i], searchText(e)).Error; err != nil {
				return err
			}
		}
		after = rowids[len(rowids)-1]
	}
}

// legacyExecution is an execution's row as steps 7 to 13 left it: its
// document as JSON in data, packed in packed, or in a pack.
type legacyExecution struct {
	ID        string
	Error     string
	Data      string
	Packed    []byte
	PackID    *int64
	PackIndex int
}

// document is the row's document as JSON; packs are the unpacked packs
// that hold documents of rows like it, by id.
func (r legacyExecution) document(packs map[int64][]byte) ([]byte, error) {
	switch {
	case r.PackID != nil:
		pack, ok := packs[*r.PackID]
		if !ok {
			return nil, fmt.Errorf("pack %d is missing", *r.PackID)
		}
		return docAt(pack, r.PackIndex)
	case len(r.Packed) > 0:
		return thePacker.unpack(r.Packed)
	}
	return []byte(r.Data), nil
}

// legacyPacks loads and unpacks from table the packs that hold documents
// of rs.
func legacyPacks(tx *gorm.DB, table string, rs []legacyExecution) (map[int64][]byte, error) {
	var ids []int64
	for _, r := range rs {
		if r.PackID != nil && !slices.Contains(ids, *r.PackID) {
			ids = append(ids, *r.PackID)
		}
	}
	out := map[int64][]byte{}
	if len(ids) == 0 {
		return out, nil
	}
	var packs []struct {
		ID     int64
		Packed []byte
	}
	if err := tx.Table(table).Where("id IN ?", ids).Find(&packs).Error; err != nil {
		return nil, err
	}
	for _, p := range packs {
		pack, err := thePacker.unpack(p.Packed)
		if err != nil {
			return nil, fmt.Errorf("pack %d: %w", p.ID, err)
		}
		out[p.ID] = pack
	}
	return out, nil
}

// migrateDocumentsInPacks puts the documents of executions written before
// packs (as JSON in data, or packed in packed) into packs of up to 64, in
// the order they were stored, and drops both columns: an execution's
// document is read one way only. A document that cannot be read becomes
// an empty one.
func migrateDocumentsInPacks(tx *gorm.DB) error {
	executions, packs := "executions", "execution_packs"
	if tx.Dialector.Name() != "postgres" {
		executions, packs = "history.executions", "history.execution_packs"
	}
	for {
		var rs []legacyExecution
		if err := tx.Table(executions).Where("pack_id IS NULL").Order("id").Limit(64).Find(&rs).Error; err != nil {
			return err
		}
		if len(rs) == 0 {
			break
		}
		var content []byte
		for _, r := range rs {
			doc, err := r.document(nil)
			if err != nil || !json.Valid(doc) {
				doc = []byte(`{"steps":[]}`)
			}
			content = appendToPack(content, doc)
		}
		var id int64
		insert := "INSERT INTO " + packs + " (packed) VALUES (?) RETURNING id"
		if tx.Dialector.Name() == "postgres" {
			insert = strings.Replace(insert, "?", "$1", 1)
		}
		if err := tx.Statement.ConnPool.QueryRowContext(tx.Statement.Context, insert, thePacker.pack(content)).Scan(&id); err != nil {
			return err
		}
		for i, r := range rs {
			if err := tx.Exec("UPDATE "+executions+" SET pack_id = ?, pack_index = ? WHERE id = ?", id, i, r.ID).Error; err != nil {
				return err
			}
		}
	}
	for _, col := range []string{"data", "packed"} {
		if err := tx.Exec("ALTER TABLE " + executions + " DROP COLUMN " + col).Error; err != nil {
			return err
		}
	}
	return nil
}

// migrateInstances adds the instances that share the database, each with
// when it was last heard from (instances.go).
func migrateInstances(tx *gorm.DB) error {
	type instance struct {
		ID        string    `gorm:"primaryKey;size:200"`
		StartedAt time.Time `gorm:"not null"`
		SeenAt    time.Time `gorm:"not null"`
	}
	return tx.Migrator().CreateTable(&instance{})
}

// migrateRunningOn adds to each execution the instance that runs it while
// it is recorded as running (stranded.go), indexed for those rows only:
// an ended execution names none.
func migrateRunningOn(tx *gorm.DB) error {
	table, index := "executions", "CREATE INDEX idx_executions_running_on ON executions (running_on) WHERE running_on IS NOT NULL"
	if tx.Dialector.Name() != "postgres" {
		table, index = "history.executions", "CREATE INDEX history.idx_executions_running_on ON executions (running_on) WHERE running_on IS NOT NULL"
	}
	for _, q := range []string{"ALTER TABLE " + table + " ADD COLUMN running_on VARCHAR(200)", index} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}
