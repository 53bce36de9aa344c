package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
)

// seedWorkspace stores, in the data dir, a connector with a Webhook Event
// flow and two workspace flows that use one table with two rows.
func seedWorkspace(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ev, _ := flows.NewDefinition(flows.KindWebhookEvent, "Numbers")
	ev.Cards = []flows.Node{{ID: "return", Type: flows.ControlReturn, Inputs: []flows.Field{{Key: "n", Type: flows.TypeNumber}},
		Bindings: map[string]flows.Binding{"n": {Ref: &flows.Ref{Card: "event", Field: "body", Path: "n"}}}}}
	ev.Webhook = &flows.WebhookSettings{RunMode: flows.RunSingle, ManualRegistration: true}
	if _, err := st.ImportConnector(ctx, flows.ConnectorExport{Schema: flows.SchemaVersion,
		Connector: flows.ConnectorInfo{Name: "Numbers", Description: "counts", Auth: flows.AuthDefinition{Kind: flows.AuthNone}},
		Flows:     []flows.ExportedFlow{{Key: "1", Definition: ev}}}, 0); err != nil {
		t.Fatal(err)
	}
	ts := flows.Tables{Store: st}
	tb, err := ts.Create(ctx, flows.Table{Name: "Seen", Columns: []flows.Column{{Name: "key", Type: flows.TypeText, Unique: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportRows(ctx, &tb, []map[string]any{{"key": "k1"}, {"key": "k2"}}, nil); err != nil {
		t.Fatal(err)
	}
	ref := map[string]flows.Binding{flows.TableInput: {Value: float64(tb.ID)}}
	for _, name := range []string{"Dedupe", "Record"} {
		def, _ := flows.NewDefinition(flows.KindWorkspace, name)
		def.Cards = []flows.Node{
			{ID: "c1", Type: "table.search_rows", Bindings: ref},
			{ID: "c2", Type: "control.if_else", Lanes: []flows.Lane{{Name: "then", Cards: []flows.Node{{ID: "c3", Type: "table.create_row", Bindings: ref}}}}},
		}
		if _, err := st.CreateFlow(ctx, flows.Flow{Definition: def}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestExportImportRoundTrip exports a connector, a workspace flow with its
// table and everything, imports each into a new data directory, and
// exports it from there again: the documents are identical, and a table
// two flows share is made once.
func TestExportImportRoundTrip(t *testing.T) {
	src := t.TempDir()
	seedWorkspace(t, src)
	files := t.TempDir()
	tests := []struct {
		name   string
		export []string // from the source; then from the new directory
		again  []string
		report string
	}{
		{"everything", []string{"--all", "--rows"}, []string{"--all", "--rows"}, `Imported table 1 "Seen".`},
		{"connector", []string{"--connector", "1"}, []string{"--connector", "1"}, `Imported connector 1 "Numbers" (1 flows) as a draft.`},
		{"flow with its table", []string{"--flow", "3", "--rows"}, []string{"--flow", "1", "--rows"}, `Imported flow 1 "Record"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(files, strings.ReplaceAll(tt.name, " ", "-")+".json")
			if _, stderr, code := hookflow(t, []string{"HOOKFLOW_DATA_DIR=" + src}, append([]string{"export", "-o", file}, tt.export...)...); code != 0 {
				t.Fatalf("export: %s", stderr)
			}
			first, _ := os.ReadFile(file)
			dst := t.TempDir()
			env := []string{"HOOKFLOW_DATA_DIR=" + dst}
			out, stderr, code := hookflow(t, env, "import", file)
			if code != 0 || !strings.Contains(out, tt.report) {
				t.Fatalf("import: exit %d, %q %q; want %q", code, out, stderr, tt.report)
			}
			again, stderr, code := hookflow(t, env, append([]string{"export"}, tt.again...)...)
			if code != 0 {
				t.Fatalf("export again: %s", stderr)
			}
			if !bytes.Equal(first, []byte(again)) {
				t.Fatalf("the documents differ:\n%s\n---\n%s", first, again)
			}
		})
	}
	// The shared table was made once, with its rows.
	all, _ := os.ReadFile(filepath.Join(files, "everything.json"))
	if strings.Count(string(all), `"name": "Seen"`) != 1 || !strings.Contains(string(all), `"key": "k2"`) {
		t.Fatalf("everything holds the table once, with its rows:\n%s", all)
	}
}

// TestImportRefusals: a connector flow's document and a workspace flow
// on a connector version the database lacks are refused by name; the
// command exits non-zero after reporting each.
func TestImportRefusals(t *testing.T) {
	src := t.TempDir()
	seedWorkspace(t, src)
	dir := t.TempDir()
	file := filepath.Join(t.TempDir(), "flow.json")
	def, _ := flows.NewDefinition(flows.KindWorkspace, "On numbers")
	def.Event = flows.Node{ID: "event", Type: flows.EventConnector}
	def.Source = &flows.EventSource{Connector: 7, Version: 2, Flow: 1}
	b, _ := flows.MarshalDefinition(def)
	os.WriteFile(file, b, 0o600)
	out, stderr, code := hookflow(t, []string{"HOOKFLOW_DATA_DIR=" + dir}, "import", file)
	oneLine(t, stderr, code, "1 of 1 could not be imported")
	if !strings.Contains(out, `flow "On numbers": not imported: its event card is version 2 of connector 7, which this database does not have`) {
		t.Fatalf("report: %q", out)
	}
	// A connector's name that is taken.
	con := filepath.Join(t.TempDir(), "connector.json")
	if _, stderr, code := hookflow(t, []string{"HOOKFLOW_DATA_DIR=" + src}, "export", "--connector", "1", "-o", con); code != 0 {
		t.Fatal(stderr)
	}
	out, stderr, code = hookflow(t, []string{"HOOKFLOW_DATA_DIR=" + src}, "import", con)
	oneLine(t, stderr, code, "1 of 1 could not be imported")
	if !strings.Contains(out, `connector "Numbers": not imported: another connector is named "Numbers"`) {
		t.Fatalf("report: %q", out)
	}
}
