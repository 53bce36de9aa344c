package store_test

import (
	"context"
	"os"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/flows/flopack"
	. "github.com/hookflow/hookflow/flows/flowstest"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
)

// TestImportedTablesFlowRuns imports the Tables test flopack: its table
// is made in the database, and its flow's Tables cards run on it, on
// SQLite and Postgres, as Okta's Create Row, Read Row and Search Rows do.
func TestImportedTablesFlowRuns(t *testing.T) {
	b, err := os.ReadFile("../flows/flopack/testdata/tables.flopack")
	if err != nil {
		t.Fatal(err)
	}
	p, err := flopack.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		tg := flopack.Targets{Flows: map[string]int64{}, Tables: map[string]flows.Table{}}
		for _, pt := range p.Tables {
			made, err := s.CreateTable(ctx, pt.Table)
			if err != nil {
				t.Fatal(err)
			}
			tg.Tables[pt.Key] = made
		}
		res, err := flopack.Translate(p, tg)
		if err != nil {
			t.Fatal(err)
		}
		var def flows.Definition
		for _, f := range res.Flows {
			if f.Definition.Name == "Add a person" {
				def = f.Definition
			}
		}
		if err := flows.Validate(def, Registry()); err != nil {
			t.Fatalf("the imported flow is not valid: %v", err)
		}
		e := flows.NewEngine(Registry(), flows.Options{Tables: s})
		x, err := e.Run(ctx, flows.RunRequest{FlowID: 1, Definition: def, Input: map[string]any{"name": "Ada", "age": 36}, Trigger: flows.TriggerTest})
		if err != nil {
			t.Fatal(err)
		}
		if x.Status != flows.StatusSucceeded {
			t.Fatalf("status %s: %s", x.Status, x.Error)
		}
		row, _ := x.Output["row"].(map[string]any)
		rows, _ := x.Output["rows"].([]any)
		if row["name"] != "Ada" || row["age"] != 36.0 || row["active"] != true || len(rows) != 1 {
			t.Errorf("output %v", x.Output)
		}
		if got := Step(t, x, "tbClear01").Outputs["deleted"]; got != 1.0 {
			t.Errorf("Clear Table deleted %v rows, want 1", got)
		}
	})
}
