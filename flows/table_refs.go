package flows

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// How a flow refers to a table: a card whose type starts with
// TableCardPrefix (the Tables cards) and whose input TableInput holds
// the table's id as a static value.
const (
	TableCardPrefix = "table."
	TableInput      = "table"
)

// TableRef is one card of a flow that refers to a table.
type TableRef struct {
	Card    string
	Label   string
	TableID int64
}

// TableRefs lists the cards of a flow that refer to a table, in the order
// they run, those inside containers' lanes included.
func TableRefs(def *Definition) []TableRef {
	var out []TableRef
	var walk func(cards []Node)
	walk = func(cards []Node) {
		for _, n := range cards {
			if strings.HasPrefix(n.Type, TableCardPrefix) {
				if id, ok := tableID(n.Bindings[TableInput].Value); ok {
					out = append(out, TableRef{Card: n.ID, Label: n.Label, TableID: id})
				}
			}
			for _, l := range n.Lanes {
				walk(l.Cards)
			}
		}
	}
	walk(def.Cards)
	return out
}

// tableID reads a table id from a binding's static value: a number, or
// text holding one.
func tableID(v any) (int64, bool) {
	switch x := normalize(v).(type) {
	case float64:
		if x > 0 && x == float64(int64(x)) {
			return int64(x), true
		}
	case string:
		if id, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil && id > 0 {
			return id, true
		}
	}
	return 0, false
}

// FlowUse is a flow and the cards of it that refer to a table.
type FlowUse struct {
	FlowID   int64
	FlowName string
	Cards    []TableRef
}

// UsesOf lists the flows among fs whose cards refer to the table.
func UsesOf(fs []Flow, tableID int64) []FlowUse {
	var out []FlowUse
	for _, f := range fs {
		var cards []TableRef
		for _, r := range TableRefs(&f.Definition) {
			if r.TableID == tableID {
				cards = append(cards, r)
			}
		}
		if len(cards) > 0 {
			out = append(out, FlowUse{FlowID: f.ID, FlowName: f.Definition.Name, Cards: cards})
		}
	}
	return out
}

// TableInUseError is why a table cannot be deleted: flows' cards refer
// to it. It matches ErrConflict.
type TableInUseError struct {
	Table string
	Uses  []FlowUse
}

func (e *TableInUseError) Error() string {
	names := make([]string, 0, len(e.Uses))
	for _, u := range e.Uses {
		cards := make([]string, len(u.Cards))
		for i, c := range u.Cards {
			cards[i] = cardName(c)
		}
		names = append(names, fmt.Sprintf("flow %q (%s)", u.FlowName, wordsList(cards, "card ")))
	}
	return fmt.Sprintf("the table %q is used by %s: change those cards before deleting it", e.Table, strings.Join(names, ", "))
}

// Is makes a TableInUseError match ErrConflict.
func (e *TableInUseError) Is(target error) bool { return target == ErrConflict }

func cardName(r TableRef) string {
	if r.Label != "" {
		return fmt.Sprintf("%q", r.Label)
	}
	return fmt.Sprintf("%q", r.Card)
}

// CheckTableRefs reports each card of a flow that refers to a table that
// does not exist (any more), naming the card and the table.
func CheckTableRefs(ctx context.Context, def *Definition, tables TableRows) error {
	var ps []Problem
	for _, r := range TableRefs(def) {
		_, err := tables.Table(ctx, r.TableID)
		switch {
		case errors.Is(err, ErrNotFound):
			ps = append(ps, Problem{Card: r.Card, Field: TableInput, Code: "table",
				Message: fmt.Sprintf("card %s refers to table %d, which does not exist (it may have been deleted)", cardName(r), r.TableID)})
		case err != nil:
			return err
		}
	}
	if len(ps) > 0 {
		return &ValidationError{Problems: ps}
	}
	return nil
}
