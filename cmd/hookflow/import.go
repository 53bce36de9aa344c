package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/hookflow/hookflow/cards"
	"github.com/hookflow/hookflow/flows/packimport"
	"github.com/hookflow/hookflow/store"
)

// runImport runs "hookflow import FILE.flopack": it imports an Okta
// Workflows export into the database and prints what it made.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("usage: hookflow import FILE.flopack [--data-dir D | --database-url U]")
	}
	file := args[0]
	cfg, err := parseConfig("hookflow import", args[1:], getenv, stderr)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("there is no file %s", file)
	} else if err != nil {
		return fmt.Errorf("cannot read %s", file)
	}
	st, err := store.Open(ctx, store.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: newLogger(cfg, stderr)})
	if err != nil {
		return err
	}
	defer st.Close()
	im := packimport.Importer{Store: st, Registry: cards.Builtin(cards.Options{HTTPClient: cards.NewClient(cfg.Outbound)})}
	rep, err := im.Import(ctx, b, false)
	if err != nil {
		return fmt.Errorf("import %s: %w", file, err)
	}
	printReport(stdout, &rep)
	return nil
}

// printReport writes an import's report: the folder, each flow (valid or
// its problems), the tables and the cards Hookflow cannot run.
func printReport(w io.Writer, rep *packimport.Report) {
	fmt.Fprintf(w, "Imported into folder %q: %d flows (%d valid), %d tables.\n",
		rep.Folder.Name, len(rep.Flows), len(rep.Flows)-rep.Invalid(), len(rep.Tables))
	for _, f := range rep.Flows {
		state := "valid"
		if !f.Valid {
			state = fmt.Sprintf("%d problems", len(f.Problems))
		}
		fmt.Fprintf(w, "  flow %d %q: %s\n", f.ID, f.Name, state)
		for _, p := range f.Problems {
			fmt.Fprintf(w, "    - %s\n", p.Message)
		}
		for _, n := range f.Notes {
			fmt.Fprintf(w, "    note: %s\n", n)
		}
	}
	for _, t := range rep.Tables {
		fmt.Fprintf(w, "  table %d %q\n", t.ID, t.Name)
	}
	if len(rep.Unsupported) > 0 {
		fmt.Fprintf(w, "Cards Hookflow cannot run (%d):\n", len(rep.Unsupported))
		for _, u := range rep.Unsupported {
			fmt.Fprintf(w, "  %s › %s (%s)\n", u.Flow, u.Card, u.Address)
		}
	}
}
