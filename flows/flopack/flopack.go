// Package flopack reads Okta Workflows exports (.flopack files) and
// translates their flows and tables into Hookflow flow documents and
// tables. The Okta address → Hookflow card table is in cards.go.
//
// An import calls Parse, stores the pack's tables, gives an id to every
// key Keys lists (the pack's flows, then the helper flows its inline flows
// become, keyed "inline:<uuid>"), and calls Translate with those ids:
// Call Flow, the loops and error policies refer to them. Cards Hookflow
// cannot run become unbound placeholders (flows.CardUnbound), app events
// an unbound event card (flows.EventUnbound); Result.Unsupported lists
// them, and each FlowResult's Notes say what changed on the way.
//
// Where the format is not known for sure, the translation reads it so: an
// If/ElseIf's lanes are its inputs of type flo, each with the comparison
// (left-operand, operator, right-operand) of the same group, the one keyed
// or grouped "else" its else lane; a lane's entry card stands for the
// container's inputs of the same keys, and in an If Error's catch lane its
// "error" (or context) output for the failure; the entry card of an app
// event's body has the fields of each record; a loop's inputs whose value
// has a dynamic proxy take each item (or the path into it).
package flopack

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hookflow/hookflow/flows"
)

// Pack is a parsed flopack: its folder name, its flows and its tables.
type Pack struct {
	// Version is the flopack's format version ("1.5.0").
	Version string
	// Group is the name of the folder the pack's flows go into.
	Group  string
	Flows  []Flow
	Tables []Table
}

// maxFileSize bounds a flopack file (Okta's largest are a few MB).
const maxFileSize = 64 << 20

// Flow is one top-level flow of a pack.
type Flow struct {
	// Key is the flow's uuid in the pack.
	Key         string
	Name        string
	Description string
	data        *rawFlowData
}

// Table is one table of a pack: its schema, checked (no rows travel).
type Table struct {
	// Key is the table's uuid in the pack.
	Key   string
	Table flows.Table
}

// FormatError says why a file is not a flopack Hookflow can read.
type FormatError struct{ Reason string }

func (e *FormatError) Error() string { return "not a flopack: " + e.Reason }

// Unwrap makes a FormatError an flows.ErrInvalid.
func (e *FormatError) Unwrap() error { return flows.ErrInvalid }

// Parse reads a flopack file. A file that is not one gets a *FormatError.
func Parse(b []byte) (*Pack, error) {
	if len(b) > maxFileSize {
		return nil, &FormatError{Reason: fmt.Sprintf("the file is larger than %d MB", maxFileSize>>20)}
	}
	var raw rawPack
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, &FormatError{Reason: "the file is not JSON (" + jsonProblem(err) + ")"}
	}
	if raw.Type != "flopack" {
		return nil, &FormatError{Reason: fmt.Sprintf("its type is %q, where a flopack says \"flopack\"", raw.Type)}
	}
	if raw.Data == nil {
		return nil, &FormatError{Reason: "it holds no data"}
	}
	p := &Pack{Version: raw.Version, Group: "Imported flows"}
	for _, k := range sortedKeys(raw.Data.Groups) {
		if name := strings.TrimSpace(raw.Data.Groups[k].Data.Name); name != "" {
			p.Group = name
			break
		}
	}
	for _, k := range sortedKeys(raw.Data.Flos) {
		f := raw.Data.Flos[k]
		if f.Data == nil {
			return nil, &FormatError{Reason: fmt.Sprintf("flow %q has no body", f.Name)}
		}
		p.Flows = append(p.Flows, Flow{Key: k, Name: f.Name, Description: f.Description, data: f.Data})
	}
	sort.SliceStable(p.Flows, func(i, j int) bool { return p.Flows[i].Name < p.Flows[j].Name })
	for _, k := range sortedKeys(raw.Data.Tables) {
		t, err := table(raw.Data.Tables[k])
		if err != nil {
			return nil, err
		}
		p.Tables = append(p.Tables, Table{Key: k, Table: t})
	}
	if len(p.Flows) == 0 && len(p.Tables) == 0 {
		return nil, &FormatError{Reason: "it holds no flows and no tables"}
	}
	return p, nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errorsAs(err, &se):
		return fmt.Sprintf("bad syntax at byte %d", se.Offset)
	case errorsAs(err, &te):
		return fmt.Sprintf("%s holds a %s where the format has something else", te.Field, te.Value)
	}
	return "it ends too early or is not one document"
}

// columnTypes are Okta's column types.
var columnTypes = map[string]flows.Type{"str": flows.TypeText, "dec": flows.TypeNumber, "dte": flows.TypeDate, "bln": flows.TypeBool}

func table(rt rawTable) (flows.Table, error) {
	t := flows.Table{Name: strings.TrimSpace(rt.Name), Description: rt.Description}
	for _, c := range rt.Data.Structure {
		typ, ok := columnTypes[c.Type]
		if !ok {
			typ = flows.TypeText
		}
		col := flows.Column{Name: strings.TrimSpace(c.Name), Type: typ}
		if d, err := col.Value(c.Default); err == nil && d != nil && d != "" {
			col.Default = d
		}
		t.Columns = append(t.Columns, col)
	}
	if err := flows.CheckTable(&t); err != nil {
		return t, &FormatError{Reason: fmt.Sprintf("table %q cannot be made: %s", rt.Name, plain(err))}
	}
	return t, nil
}

func plain(err error) string {
	var ve *flows.ValidationError
	if errorsAs(err, &ve) && len(ve.Problems) > 0 {
		return ve.Problems[0].Message
	}
	return err.Error()
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// Targets are the ids the pack's flows and tables are stored under, by
// their keys in the pack; references between them point there.
type Targets struct {
	Flows  map[string]int64
	Tables map[string]flows.Table
}

// EventKind is what starts an imported flow.
type EventKind string

// The kinds of flows a pack holds.
const (
	KindManual    EventKind = "manual"
	KindHelper    EventKind = "helper"
	KindSchedule  EventKind = "schedule"
	KindEndpoint  EventKind = "api_endpoint"
	KindDelegated EventKind = "delegated"
	KindAppEvent  EventKind = "app_event"
)

// Result is a translated pack.
type Result struct {
	Flows []FlowResult
	// Unsupported lists every card of every flow Hookflow cannot run.
	Unsupported []Unsupported
}

// FlowResult is one translated flow.
type FlowResult struct {
	Key        string
	Kind       EventKind
	Definition flows.Definition
	// Notes say in plain words what changed on the way (a delegated flow
	// became a manual one, an app event waits to be bound …).
	Notes       []string
	Unsupported []Unsupported
}

// Unsupported is a card Hookflow cannot run: its flow, its title and its
// Okta address (with the app and action of a connector card).
type Unsupported struct {
	FlowKey string `json:"flowKey"`
	Flow    string `json:"flow"`
	Card    string `json:"card"`
	Address string `json:"address"`
	App     string `json:"app,omitempty"`
	Action  string `json:"action,omitempty"`
}
