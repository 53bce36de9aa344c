package flows

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// A workspace flow whose cards use tables is exported together with them:
// a FlowBundle holds the flow's document and each table's schema, and its
// rows when asked. Importing it makes new tables (a name that is taken
// gets " (2)", " (3)" …), fills them with the rows it holds, and points
// the flow's cards at them. A flow that uses no table is exported as its
// document alone, as before.

// FlowBundle is a flow exported with the tables its cards use.
type FlowBundle struct {
	Schema int             `json:"schema"`
	Flow   Definition      `json:"flow"`
	Tables []ExportedTable `json:"tables"`
}

// ExportedTable is one table of a bundle: ID is its id where it was
// exported, which the flow's cards name.
type ExportedTable struct {
	ID          int64            `json:"id"`
	Name        string           `json:"name"`
	Description string           `json:"description,omitempty"`
	Columns     []Column         `json:"columns"`
	Rows        []map[string]any `json:"rows,omitempty"`
}

// MaxExportedRows bounds the rows a bundle holds per table; larger tables
// go by CSV.
const MaxExportedRows = 100_000

// IsFlowBundle reports whether a document is a FlowBundle rather than a
// flow's document (it has a "flow" member).
func IsFlowBundle(b []byte) bool {
	var probe struct {
		Flow json.RawMessage `json:"flow"`
	}
	return json.Unmarshal(b, &probe) == nil && len(bytes.TrimSpace(probe.Flow)) > 0
}

// ExportFlow writes a flow's export: its document, or a FlowBundle with
// the tables its cards use (and their rows, with rows).
func (ts Tables) ExportFlow(ctx context.Context, def Definition, rows bool) ([]byte, error) {
	refs := TableRefs(&def)
	if len(refs) == 0 {
		return MarshalDefinition(def)
	}
	if def.Cards == nil {
		def.Cards = []Node{}
	}
	x := FlowBundle{Schema: SchemaVersion, Flow: def, Tables: []ExportedTable{}}
	seen := map[int64]bool{}
	for _, r := range refs {
		if seen[r.TableID] {
			continue
		}
		seen[r.TableID] = true
		t, err := ts.Store.Table(ctx, r.TableID)
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("%w: card %s refers to table %d, which does not exist: point it at a table before exporting", ErrInvalid, cardName(r), r.TableID)
		}
		if err != nil {
			return nil, err
		}
		et := ExportedTable{ID: t.ID, Name: t.Name, Description: t.Description, Columns: make([]Column, len(t.Columns))}
		for i, c := range t.Columns {
			c.ID = 0
			et.Columns[i] = c
		}
		if rows {
			if et.Rows, err = exportedRows(ctx, ts.Store, &t); err != nil {
				return nil, err
			}
		}
		x.Tables = append(x.Tables, et)
	}
	return marshal(x)
}

// exportedRows reads a table's rows for a bundle: values by column name.
func exportedRows(ctx context.Context, store TableRows, t *Table) ([]map[string]any, error) {
	q, err := t.CheckQuery(RowQuery{Limit: MaxRowsLimit})
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for {
		page, err := store.SearchRows(ctx, t, q)
		if err != nil {
			return nil, err
		}
		for _, r := range page.Rows {
			out = append(out, r.Values)
		}
		if len(out) > MaxExportedRows {
			return nil, fmt.Errorf("%w: the table %q has more than %d rows: export the flow without them and its rows as CSV", ErrInvalid, t.Name, MaxExportedRows)
		}
		if page.Next == "" {
			return out, nil
		}
		q.Cursor = page.Next
		if q, err = t.CheckQuery(q); err != nil {
			return nil, err
		}
	}
}

// ParseFlowBundle reads a bundle, refusing unknown schema versions and
// fields, and tables named twice.
func ParseFlowBundle(b []byte) (FlowBundle, error) {
	var x FlowBundle
	if err := unmarshalStrict(b, &x); err != nil {
		return FlowBundle{}, fmt.Errorf("flows: read flow export: %w", err)
	}
	if x.Schema != SchemaVersion || x.Flow.Schema != SchemaVersion {
		return FlowBundle{}, fmt.Errorf("flows: read flow export: %w: schema version %d is not supported (this build reads %d)", ErrInvalid, x.Schema, SchemaVersion)
	}
	if x.Flow.Cards == nil {
		x.Flow.Cards = []Node{}
	}
	x.Flow.UpgradeCards()
	seen := map[int64]bool{}
	for _, t := range x.Tables {
		if t.ID <= 0 || seen[t.ID] {
			return FlowBundle{}, fmt.Errorf("flows: read flow export: %w: table %q has an empty or repeated id %d", ErrInvalid, t.Name, t.ID)
		}
		seen[t.ID] = true
	}
	for _, r := range TableRefs(&x.Flow) {
		if !seen[r.TableID] {
			return FlowBundle{}, fmt.Errorf("flows: read flow export: %w: card %s refers to table %d, which the export does not hold", ErrInvalid, cardName(r), r.TableID)
		}
	}
	return x, nil
}

// ImportTables makes a bundle's tables anew, with their rows, and returns
// the flow's document pointing at them and the tables made. Should a
// table fail, those made before are deleted.
func (ts Tables) ImportTables(ctx context.Context, x FlowBundle) (Definition, []Table, error) {
	existing, err := ts.Store.Tables(ctx)
	if err != nil {
		return Definition{}, nil, err
	}
	taken := map[string]bool{}
	for _, t := range existing {
		taken[strings.ToLower(t.Name)] = true
	}
	ids := map[int64]int64{}
	var made []Table
	undo := func(err error) (Definition, []Table, error) {
		for _, t := range made {
			ts.Store.DeleteTable(context.WithoutCancel(ctx), t.ID)
		}
		return Definition{}, nil, err
	}
	for _, et := range x.Tables {
		name := et.Name
		for n := 2; taken[strings.ToLower(name)]; n++ {
			name = fmt.Sprintf("%s (%d)", et.Name, n)
		}
		taken[strings.ToLower(name)] = true
		t, err := ts.Create(ctx, Table{Name: name, Description: et.Description, Columns: append([]Column(nil), et.Columns...)})
		if err != nil {
			return undo(fmt.Errorf("table %q: %w", et.Name, err))
		}
		made = append(made, t)
		ids[et.ID] = t.ID
		rows := make([]map[string]any, len(et.Rows))
		for i, in := range et.Rows {
			if rows[i], err = t.Values(in); err != nil {
				return undo(fmt.Errorf("table %q, row %d: %w", et.Name, i+1, err))
			}
		}
		if _, err := ts.Store.ImportRows(ctx, &t, rows, nil); err != nil {
			return undo(fmt.Errorf("table %q: %w", et.Name, err))
		}
	}
	def := x.Flow
	def.Cards = repointTables(def.Cards, ids)
	return def, made, nil
}

// repointTables copies cards, pointing Tables cards at the new ids.
func repointTables(cards []Node, ids map[int64]int64) []Node {
	out := make([]Node, len(cards))
	for i, n := range cards {
		if id, ok := tableID(n.Bindings[TableInput].Value); ok && strings.HasPrefix(n.Type, TableCardPrefix) {
			b := make(map[string]Binding, len(n.Bindings))
			for k, v := range n.Bindings {
				b[k] = v
			}
			b[TableInput] = Binding{Value: float64(ids[id])}
			n.Bindings = b
		}
		if len(n.Lanes) > 0 {
			lanes := make([]Lane, len(n.Lanes))
			for j, l := range n.Lanes {
				l.Cards = repointTables(l.Cards, ids)
				lanes[j] = l
			}
			n.Lanes = lanes
		}
		out[i] = n
	}
	return out
}
