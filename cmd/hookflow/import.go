package main

import (
	"fmt"
	"io"

	"github.com/hookflow/hookflow/flows/packimport"
)

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
