package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Folder holds workspace flows; a flow sits in at most one. Folder names
// are unique, whatever their case.
type Folder struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// CheckFolderName trims a folder's name and checks its length.
func CheckFolderName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > MaxNameLength {
		return name, &ValidationError{What: "folder", Problems: []Problem{{Field: "name", Code: "name",
			Message: fmt.Sprintf("give the folder a name of 1 to %d characters", MaxNameLength)}}}
	}
	return name, nil
}

// FreeName is name when taken does not hold it (whatever its case), else
// the first of "name (2)", "name (3)" … that it does not hold; each fits
// in MaxNameLength characters.
func FreeName(name string, taken []string) string {
	used := make(map[string]bool, len(taken))
	for _, t := range taken {
		used[strings.ToLower(t)] = true
	}
	if !used[strings.ToLower(name)] {
		return name
	}
	for n := 2; ; n++ {
		suffix := fmt.Sprintf(" (%d)", n)
		base := []rune(name)
		if max := MaxNameLength - len(suffix); len(base) > max {
			base = base[:max]
		}
		if c := strings.TrimSpace(string(base)) + suffix; !used[strings.ToLower(c)] {
			return c
		}
	}
}

// ImportStore runs an import in one transaction: what fn stores is kept
// only when fn returns nil and keep is set; otherwise nothing is.
type ImportStore interface {
	Import(ctx context.Context, keep bool, fn func(ImportTx) error) error
}

// ImportTx is what an import reads and stores inside its transaction.
type ImportTx interface {
	// Folders lists every folder.
	Folders(ctx context.Context) ([]Folder, error)
	// CreateFolder saves a folder; ErrConflict when its name is taken.
	CreateFolder(ctx context.Context, name string) (Folder, error)
	// Tables lists every table; Table reads one (ErrNotFound).
	Tables(ctx context.Context) ([]Table, error)
	Table(ctx context.Context, id int64) (Table, error)
	// CreateTable saves a checked table; ErrConflict when its name is taken.
	CreateTable(ctx context.Context, t Table) (Table, error)
	// NewFlowID saves an empty workspace flow in a folder and gives its
	// id, for the flow's document to refer to before it is written.
	NewFlowID(ctx context.Context, folderID int64, name string) (int64, error)
	// SaveNewFlow writes the document of a flow NewFlowID made, as its
	// first revision.
	SaveNewFlow(ctx context.Context, f Flow) error
}

// txTables lets the checks of Tables cards read the tables of an
// import's transaction; only Table is used.
type txTables struct {
	TableRows
	tx ImportTx
}

func (t txTables) Table(ctx context.Context, id int64) (Table, error) { return t.tx.Table(ctx, id) }

// ImportProblems are the problems of an imported flow's document: those
// Validate finds and those of its Tables cards (nil when it is valid).
func ImportProblems(ctx context.Context, tx ImportTx, def *Definition, reg Registry) ([]Problem, error) {
	var ps []Problem
	for _, err := range []error{Validate(*def, reg), CheckTableCards(ctx, def, txTables{tx: tx})} {
		if err == nil {
			continue
		}
		var ve *ValidationError
		if !errors.As(err, &ve) {
			return nil, err
		}
		ps = append(ps, ve.Problems...)
	}
	return ps, nil
}
