package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

func TestFolders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f, err := s.CreateFolder(ctx, "Okta templates")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateFolder(ctx, "okta TEMPLATES"); !errors.Is(err, flows.ErrConflict) {
			t.Fatalf("a second folder of the same name: got %v, want ErrConflict", err)
		}
		def, _ := flows.NewDefinition(flows.KindWorkspace, "in the folder")
		in, err := s.CreateFlow(ctx, flows.Flow{FolderID: f.ID, Definition: def})
		if err != nil {
			t.Fatal(err)
		}
		// A new revision keeps the folder.
		in.Definition.Name = "renamed"
		if in, err = s.UpdateFlow(ctx, in); err != nil {
			t.Fatal(err)
		}
		if in.FolderID != f.ID {
			t.Fatalf("flow's folder = %d, want %d", in.FolderID, f.ID)
		}
		got, err := s.Folder(ctx, f.ID)
		if err != nil || got != f {
			t.Fatalf("Folder = %+v, %v; want %+v", got, err, f)
		}
		fs, err := s.Folders(ctx)
		if err != nil || len(fs) != 1 || fs[0] != f {
			t.Fatalf("Folders = %+v, %v", fs, err)
		}
		if _, err := s.Folder(ctx, f.ID+100); !errors.Is(err, flows.ErrNotFound) {
			t.Fatalf("Folder of no folder: %v", err)
		}
	})
}

// importSome stores a folder, a table and a flow in an import's
// transaction, then returns fail.
func importSome(ctx context.Context, s *store.Store, keep bool, fail error) error {
	return s.Import(ctx, keep, func(tx flows.ImportTx) error {
		f, err := tx.CreateFolder(ctx, "Pack")
		if err != nil {
			return err
		}
		tb := flows.Table{Name: "Pack table", Columns: []flows.Column{{Name: "email", Type: flows.TypeText}}}
		if err := flows.CheckTable(&tb); err != nil {
			return err
		}
		if _, err := tx.CreateTable(ctx, tb); err != nil {
			return err
		}
		id, err := tx.NewFlowID(ctx, f.ID, "Pack flow")
		if err != nil {
			return err
		}
		def, _ := flows.NewDefinition(flows.KindWorkspace, "Pack flow")
		if err := tx.SaveNewFlow(ctx, flows.Flow{ID: id, FolderID: f.ID, Revision: 1, Definition: def}); err != nil {
			return err
		}
		return fail
	})
}

// TestImportTransaction: an import keeps its folder, tables and flows
// together, or (failing midway, or a dry run) none of them.
func TestImportTransaction(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		keep bool
		fail error
		want int
	}{
		{"kept", true, nil, 1},
		{"failing midway", true, boom, 0},
		{"dry run", false, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				ctx := context.Background()
				if err := importSome(ctx, s, tc.keep, tc.fail); !errors.Is(err, tc.fail) {
					t.Fatalf("Import: %v, want %v", err, tc.fail)
				}
				folders, err := s.Folders(ctx)
				if err != nil {
					t.Fatal(err)
				}
				tables, err := s.Tables(ctx)
				if err != nil {
					t.Fatal(err)
				}
				fs, err := s.Flows(ctx, 0)
				if err != nil {
					t.Fatal(err)
				}
				if len(folders) != tc.want || len(tables) != tc.want || len(fs) != tc.want {
					t.Fatalf("after the import: %d folders, %d tables, %d flows; want %d of each", len(folders), len(tables), len(fs), tc.want)
				}
				if tc.want == 0 {
					return
				}
				if fs[0].FolderID != folders[0].ID || fs[0].Definition.Name != "Pack flow" || fs[0].Revision != 1 {
					t.Fatalf("imported flow = %+v", fs[0])
				}
				if revs, err := s.FlowRevisions(ctx, fs[0].ID, 5); err != nil || len(revs) != 1 {
					t.Fatalf("revisions = %v, %v; want one", revs, err)
				}
				// The table works: rows go in.
				tb := tables[0]
				vals, _ := tb.NewRowValues(map[string]any{"email": "a@example.com"})
				if _, err := s.CreateRow(ctx, &tb, vals); err != nil {
					t.Fatal(err)
				}
				// A second import of the same names is refused inside the
				// transaction, which stays usable.
				err = s.Import(ctx, true, func(tx flows.ImportTx) error {
					if _, err := tx.CreateFolder(ctx, "PACK"); !errors.Is(err, flows.ErrConflict) {
						t.Errorf("CreateFolder of a taken name: %v", err)
					}
					_, err := tx.CreateFolder(ctx, "Pack (2)")
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}
