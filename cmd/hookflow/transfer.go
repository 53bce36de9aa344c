package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/hookflow/hookflow/cards"
	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/flows/packimport"
	"github.com/hookflow/hookflow/store"
)

// everything is what "hookflow export --all" writes: every connector (as
// its export), every workspace flow (as its document) and the tables
// those flows use, each once.
type everything struct {
	// Hookflow is "export": it tells this document from the others.
	Hookflow   string                  `json:"hookflow"`
	Schema     int                     `json:"schema"`
	Connectors []flows.ConnectorExport `json:"connectors"`
	Flows      []flows.Definition      `json:"flows"`
	Tables     []flows.ExportedTable   `json:"tables"`
}

// everythingMark is everything's Hookflow member.
const everythingMark = "export"

// setupExport is the export command.
func setupExport(fs *flag.FlagSet) func(context.Context, env, config, []string) error {
	connector := fs.Int64("connector", 0, "export the connector with this id (its draft flows)")
	flow := fs.Int64("flow", 0, "export the workspace flow with this id, with the tables its cards use")
	all := fs.Bool("all", false, "export every connector, every workspace flow and the tables they use")
	rows := fs.Bool("rows", false, "with the tables' rows (--flow, --all)")
	out := fs.String("o", "", "write to this file (default: standard output)")
	return func(ctx context.Context, e env, cfg config, _ []string) error {
		n := 0
		for _, set := range []bool{*connector != 0, *flow != 0, *all} {
			if set {
				n++
			}
		}
		if n != 1 {
			return errors.New("export: give one of --connector ID, --flow ID or --all")
		}
		st, err := openStore(ctx, cfg, e)
		if err != nil {
			return err
		}
		defer st.Close()
		var b []byte
		switch {
		case *connector != 0:
			b, err = exportConnector(ctx, st, *connector)
		case *flow != 0:
			b, err = exportFlow(ctx, st, *flow, *rows)
		default:
			b, err = exportEverything(ctx, st, *rows)
		}
		if err != nil {
			return err
		}
		if *out == "" {
			_, err := e.stdout.Write(b)
			return err
		}
		if err := os.WriteFile(*out, b, 0o600); err != nil {
			return fmt.Errorf("export: write %s: %w", *out, err)
		}
		fmt.Fprintf(e.stderr, "Wrote %s.\n", *out)
		return nil
	}
}

func exportConnector(ctx context.Context, st *store.Store, id int64) ([]byte, error) {
	x, err := connectorExport(ctx, st, id)
	if err != nil {
		return nil, err
	}
	return flows.MarshalConnector(x)
}

func connectorExport(ctx context.Context, st *store.Store, id int64) (flows.ConnectorExport, error) {
	con, err := st.Connector(ctx, id)
	if errors.Is(err, flows.ErrNotFound) {
		return flows.ConnectorExport{}, fmt.Errorf("export: there is no connector %d", id)
	} else if err != nil {
		return flows.ConnectorExport{}, err
	}
	fs, err := st.Flows(ctx, con.ID)
	if err != nil {
		return flows.ConnectorExport{}, err
	}
	return flows.ExportConnector(con, fs), nil
}

func exportFlow(ctx context.Context, st *store.Store, id int64, rows bool) ([]byte, error) {
	f, err := st.Flow(ctx, id)
	if errors.Is(err, flows.ErrNotFound) {
		return nil, fmt.Errorf("export: there is no flow %d", id)
	} else if err != nil {
		return nil, err
	}
	if f.ConnectorID != 0 {
		return nil, fmt.Errorf("export: flow %d belongs to connector %d: export the connector (--connector %d)", id, f.ConnectorID, f.ConnectorID)
	}
	return flows.Tables{Store: st}.ExportFlow(ctx, f.Definition, rows)
}

func exportEverything(ctx context.Context, st *store.Store, rows bool) ([]byte, error) {
	x := everything{Hookflow: everythingMark, Schema: flows.SchemaVersion, Connectors: []flows.ConnectorExport{}, Flows: []flows.Definition{}, Tables: []flows.ExportedTable{}}
	cons, err := st.Connectors(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cons {
		cx, err := connectorExport(ctx, st, c.ID)
		if err != nil {
			return nil, err
		}
		// As MarshalConnector writes it: a flow without cards has [].
		b, err := flows.MarshalConnector(cx)
		if err == nil {
			cx, err = flows.ParseConnector(b)
		}
		if err != nil {
			return nil, err
		}
		x.Connectors = append(x.Connectors, cx)
	}
	fs, err := st.Flows(ctx, 0)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	for _, f := range fs {
		b, err := flows.Tables{Store: st}.ExportFlow(ctx, f.Definition, rows)
		if err != nil {
			return nil, fmt.Errorf("export flow %d: %w", f.ID, err)
		}
		def := f.Definition
		if flows.IsFlowBundle(b) {
			bundle, err := flows.ParseFlowBundle(b)
			if err != nil {
				return nil, fmt.Errorf("export flow %d: %w", f.ID, err)
			}
			def = bundle.Flow
			for _, t := range bundle.Tables {
				if !seen[t.ID] {
					seen[t.ID] = true
					x.Tables = append(x.Tables, t)
				}
			}
		} else if def, err = flows.ParseDefinition(b); err != nil {
			return nil, fmt.Errorf("export flow %d: %w", f.ID, err)
		}
		x.Flows = append(x.Flows, def)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(x); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// setupImport is the import command: it tells a connector export, a
// workspace flow (alone or with its tables), an export of everything and
// an Okta Workflows flopack apart by their content.
func setupImport(*flag.FlagSet) func(context.Context, env, config, []string) error {
	return func(ctx context.Context, e env, cfg config, args []string) error {
		file := args[0]
		b, err := os.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("there is no file %s", file)
		} else if err != nil {
			return fmt.Errorf("cannot read %s", file)
		}
		st, err := openStore(ctx, cfg, e)
		if err != nil {
			return err
		}
		defer st.Close()
		im := importer{st: st, registry: cards.Builtin(cards.Options{HTTPClient: cards.NewClient(cfg.Outbound)}), out: e.stdout}
		switch kindOf(b) {
		case "connector":
			x, err := flows.ParseConnector(b)
			if err != nil {
				return fmt.Errorf("import %s: %w", file, err)
			}
			err = im.connector(ctx, x)
			return im.result(file, err)
		case "flow":
			def, tables, err := parseFlowFile(b)
			if err != nil {
				return fmt.Errorf("import %s: %w", file, err)
			}
			return im.result(file, im.flows(ctx, []flows.Definition{def}, tables))
		case "everything":
			var x everything
			if err := json.Unmarshal(b, &x); err != nil {
				return fmt.Errorf("import %s: %s", file, flows.DescribeJSONError(b, err))
			}
			if x.Schema != flows.SchemaVersion {
				return fmt.Errorf("import %s: schema version %d is not supported (this hookflow reads %d)", file, x.Schema, flows.SchemaVersion)
			}
			for _, c := range x.Connectors {
				im.connector(ctx, c)
			}
			return im.result(file, im.flows(ctx, x.Flows, x.Tables))
		default:
			pi := packimport.Importer{Store: st, Registry: im.registry}
			rep, err := pi.Import(ctx, b, false)
			if err != nil {
				return fmt.Errorf("import %s: %w", file, err)
			}
			printReport(e.stdout, &rep)
			return nil
		}
	}
}

// kindOf tells what a file to import is by its members: a connector
// export, a workspace flow (its document, or a bundle with its tables), an
// export of everything, or else a flopack (whose reader says what is
// wrong with a file that is none of them).
func kindOf(b []byte) string {
	var probe map[string]json.RawMessage
	if json.Unmarshal(b, &probe) != nil {
		return "flopack"
	}
	has := func(k string) bool { _, ok := probe[k]; return ok }
	switch {
	case string(probe["hookflow"]) == `"`+everythingMark+`"`:
		return "everything"
	case has("connector") && has("flows"):
		return "connector"
	case has("flow") && has("schema"), has("kind") && has("event") && has("schema"):
		return "flow"
	}
	return "flopack"
}

// parseFlowFile reads a workspace flow's export: its document, or a
// bundle with its tables.
func parseFlowFile(b []byte) (flows.Definition, []flows.ExportedTable, error) {
	if flows.IsFlowBundle(b) {
		x, err := flows.ParseFlowBundle(b)
		return x.Flow, x.Tables, err
	}
	def, err := flows.ParseDefinition(b)
	return def, nil, err
}

// importer stores what a file holds, reports each item on out, and
// counts those that failed.
type importer struct {
	st       *store.Store
	registry flows.Registry
	out      io.Writer
	failed   int
	total    int
}

// result is the command's end: nil when every item was imported.
func (im *importer) result(file string, err error) error {
	if err != nil {
		return fmt.Errorf("import %s: %w", file, err)
	}
	if im.failed > 0 {
		return fmt.Errorf("import %s: %d of %d could not be imported (see above)", file, im.failed, im.total)
	}
	return nil
}

// connector imports a connector export as a new connector, with the
// problems Deploy would refuse it for.
func (im *importer) connector(ctx context.Context, x flows.ConnectorExport) error {
	im.total++
	con, err := im.st.ImportConnector(ctx, x, 0)
	if err != nil {
		im.failed++
		if errors.Is(err, flows.ErrConflict) {
			err = fmt.Errorf("another connector is named %q", x.Connector.Name)
		}
		fmt.Fprintf(im.out, "  connector %q: not imported: %s\n", x.Connector.Name, plain(err))
		return nil
	}
	fmt.Fprintf(im.out, "Imported connector %d %q (%d flows) as a draft%s.\n", con.ID, con.Info.Name, con.FlowCount, problemsNote(flows.ValidateConnector(x, im.registry)))
	return nil
}

// flows imports workspace flows and the tables they use: the tables are
// made once, anew, and the flows' cards pointed at them.
func (im *importer) flows(ctx context.Context, defs []flows.Definition, tables []flows.ExportedTable) error {
	if len(tables) > 0 {
		// One bundle of every flow's cards makes each table once and
		// points every card at it; the cards are then split back.
		all := flows.Definition{Schema: flows.SchemaVersion, Kind: flows.KindWorkspace, Cards: []flows.Node{}}
		for _, d := range defs {
			all.Cards = append(all.Cards, d.Cards...)
		}
		repointed, made, err := flows.Tables{Store: im.st}.ImportTables(ctx, flows.FlowBundle{Schema: flows.SchemaVersion, Flow: all, Tables: tables})
		if err != nil {
			return err
		}
		for _, t := range made {
			fmt.Fprintf(im.out, "Imported table %d %q.\n", t.ID, t.Name)
		}
		at := 0
		for i := range defs {
			n := len(defs[i].Cards)
			defs[i].Cards = repointed.Cards[at : at+n : at+n]
			at += n
		}
	}
	for _, def := range defs {
		im.total++
		if err := im.flow(ctx, def); err != nil {
			im.failed++
			fmt.Fprintf(im.out, "  flow %q: not imported: %s\n", def.Name, plain(err))
		}
	}
	return nil
}

// flow stores one workspace flow, with the problems that keep it from
// being turned ON.
func (im *importer) flow(ctx context.Context, def flows.Definition) error {
	if def.Kind != flows.KindWorkspace {
		return fmt.Errorf("it is a %s flow: connector flows come with their connector", def.Kind)
	}
	if src := def.Source; src != nil {
		vs, err := im.st.Versions(ctx, src.Connector)
		if err != nil && !errors.Is(err, flows.ErrNotFound) {
			return err
		}
		found := false
		for _, v := range vs {
			found = found || v.Version == src.Version
		}
		if !found {
			return fmt.Errorf("its event card is version %d of connector %d, which this database does not have: import and deploy the connector, then make the flow on it", src.Version, src.Connector)
		}
	}
	if def.Cards == nil {
		def.Cards = []flows.Node{}
	}
	f, err := im.st.CreateFlow(ctx, flows.Flow{Definition: def})
	if err != nil {
		return err
	}
	fmt.Fprintf(im.out, "Imported flow %d %q%s.\n", f.ID, def.Name, problemsNote(flows.Validate(def, im.registry)))
	return nil
}

// problemsNote says how many problems validation found, if any.
func problemsNote(err error) string {
	var ve *flows.ValidationError
	if errors.As(err, &ve) {
		n := fmt.Sprintf("%d problems", len(ve.Problems))
		if len(ve.Problems) == 1 {
			n = "a problem"
		}
		return fmt.Sprintf(" with %s to fix (the first: %s)", n, ve.Problems[0].Message)
	}
	if err != nil {
		return " with a problem to fix: " + plain(err)
	}
	return ""
}

// plain is an error's message without the package prefixes of its chain.
func plain(err error) string {
	msg := err.Error()
	for _, p := range []string{"store: ", "flows: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}
