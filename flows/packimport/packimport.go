// Package packimport imports an Okta Workflows export (a .flopack file)
// into the workspace: a folder, one table per table of the pack (schema
// only) and one workspace flow per flow, in one transaction. The
// translation itself is package flopack's.
package packimport

import (
	"context"
	"fmt"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/flows/flopack"
)

// Importer imports flopacks into a store, checking each flow with the
// registry's cards.
type Importer struct {
	Store    flows.ImportStore
	Registry flows.Registry
}

// Report is what an import stored (or, on a dry run, would store).
type Report struct {
	DryRun      bool                  `json:"dryRun,omitempty"`
	Folder      flows.Folder          `json:"folder"`
	Flows       []FlowReport          `json:"flows"`
	Tables      []TableReport         `json:"tables"`
	Unsupported []flopack.Unsupported `json:"unsupported"`
}

// FlowReport is one imported flow: its key in the pack, its id, whether
// it is valid and, if not, why; and what changed on the way.
type FlowReport struct {
	Key      string            `json:"key"`
	ID       int64             `json:"id"`
	Name     string            `json:"name"`
	Kind     flopack.EventKind `json:"kind"`
	Valid    bool              `json:"valid"`
	Problems []flows.Problem   `json:"problems"`
	Notes    []string          `json:"notes"`
}

// TableReport is one imported table.
type TableReport struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Invalid counts the flows that are not valid.
func (r *Report) Invalid() int {
	n := 0
	for _, f := range r.Flows {
		if !f.Valid {
			n++
		}
	}
	return n
}

// Import reads a flopack and stores its folder, tables and flows, all or
// nothing; dryRun does everything but keep them (and reports no ids). A
// file that is not a flopack gets a *flopack.FormatError (flows.ErrInvalid).
// Flows are stored valid or not, with their problems, and OFF.
func (im Importer) Import(ctx context.Context, file []byte, dryRun bool) (Report, error) {
	pack, err := flopack.Parse(file)
	if err != nil {
		return Report{}, err
	}
	rep := Report{DryRun: dryRun, Flows: []FlowReport{}, Tables: []TableReport{}, Unsupported: []flopack.Unsupported{}}
	err = im.Store.Import(ctx, !dryRun, func(tx flows.ImportTx) error {
		rep.Flows, rep.Tables, rep.Unsupported = rep.Flows[:0], rep.Tables[:0], rep.Unsupported[:0]
		return im.store(ctx, tx, pack, &rep)
	})
	if err != nil {
		return Report{}, fmt.Errorf("flopack import: %w", err)
	}
	if dryRun {
		rep.Folder.ID = 0
		for i := range rep.Flows {
			rep.Flows[i].ID = 0
		}
		for i := range rep.Tables {
			rep.Tables[i].ID = 0
		}
	}
	return rep, nil
}

// store does the import's work inside its transaction.
func (im Importer) store(ctx context.Context, tx flows.ImportTx, pack *flopack.Pack, rep *Report) error {
	folder, err := newFolder(ctx, tx, pack.Group)
	if err != nil {
		return err
	}
	rep.Folder = folder
	targets := flopack.Targets{Flows: map[string]int64{}, Tables: map[string]flows.Table{}}
	if err := createTables(ctx, tx, pack, targets, rep); err != nil {
		return err
	}
	names := map[string]string{}
	for _, f := range pack.Flows {
		names[f.Key] = f.Name
	}
	for _, key := range flopack.Keys(pack) {
		name := names[key]
		if name == "" {
			name = "Helper flow" // named once translated
		}
		id, err := tx.NewFlowID(ctx, folder.ID, name)
		if err != nil {
			return err
		}
		targets.Flows[key] = id
	}
	res, err := flopack.Translate(pack, targets)
	if err != nil {
		return err
	}
	rep.Unsupported = append(rep.Unsupported, res.Unsupported...)
	saved := map[string]bool{}
	for _, fr := range res.Flows {
		id, ok := targets.Flows[fr.Key]
		if !ok || saved[fr.Key] {
			return fmt.Errorf("translated flow %q has no id of its own", fr.Key)
		}
		saved[fr.Key] = true
		def := fr.Definition
		if def.Kind == "" {
			def.Kind = flows.KindWorkspace
		}
		ps, err := flows.ImportProblems(ctx, tx, &def, im.Registry)
		if err != nil {
			return err
		}
		if err := tx.SaveNewFlow(ctx, flows.Flow{ID: id, FolderID: folder.ID, Revision: 1, Definition: def}); err != nil {
			return err
		}
		rep.Flows = append(rep.Flows, FlowReport{Key: fr.Key, ID: id, Name: def.Name, Kind: fr.Kind, Valid: len(ps) == 0,
			Problems: nonNil(ps), Notes: nonNil(fr.Notes)})
	}
	// A flow given an id but not translated would stay empty: none is kept.
	for key := range targets.Flows {
		if !saved[key] {
			return fmt.Errorf("flow %q of the pack was not translated", key)
		}
	}
	return nil
}

// newFolder makes the pack's folder, named after its group ("Flopack"
// when it has none), with a free name.
func newFolder(ctx context.Context, tx flows.ImportTx, group string) (flows.Folder, error) {
	name, err := flows.CheckFolderName(group)
	if err != nil {
		name = "Flopack"
	}
	existing, err := tx.Folders(ctx)
	if err != nil {
		return flows.Folder{}, err
	}
	taken := make([]string, 0, len(existing))
	for _, f := range existing {
		taken = append(taken, f.Name)
	}
	return tx.CreateFolder(ctx, flows.FreeName(name, taken))
}

// createTables makes one table per table of the pack, with a free name.
func createTables(ctx context.Context, tx flows.ImportTx, pack *flopack.Pack, targets flopack.Targets, rep *Report) error {
	existing, err := tx.Tables(ctx)
	if err != nil {
		return err
	}
	taken := make([]string, 0, len(existing)+len(pack.Tables))
	for _, t := range existing {
		taken = append(taken, t.Name)
	}
	for _, pt := range pack.Tables {
		t := pt.Table
		t.Name = flows.FreeName(t.Name, taken)
		if err := flows.CheckTable(&t); err != nil {
			return fmt.Errorf("table %q: %w", pt.Table.Name, err)
		}
		made, err := tx.CreateTable(ctx, t)
		if err != nil {
			return err
		}
		taken = append(taken, made.Name)
		targets.Tables[pt.Key] = made
		rep.Tables = append(rep.Tables, TableReport{ID: made.ID, Name: made.Name})
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
