package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// A Polling Event flow is a connector's event that Hookflow fetches rather
// than receives. While a workspace flow that starts with it is ON, it runs
// every so often (the interval its user chose on the event card, or the
// connector's default) with the options the user filled — the fields of
// its Polling Event card — and the connection. It reads the cursor the
// last successful poll left (Get Cursor; empty on the first), asks the
// service for what is new since, sets the cursor (Set Cursor) and returns
// the records; the run mode says how they start the workspace flow. The
// cursor belongs to the subscription and is saved only when the poll
// succeeds: a failed poll is made again from the old cursor next time.

// PollingSettings are a Polling Event flow's card settings: how its
// Return output starts the flows that use the card, where the records are
// in it, and how often it polls unless the user chooses otherwise. Its
// options are the fields of its event card (as an Action flow's inputs).
type PollingSettings struct {
	RunMode RunMode `json:"runMode"`
	// RecordsPath is the path of the records list in the Return output.
	RecordsPath string `json:"recordsPath,omitempty"`
	// Every is the default interval: 30s, 5m, 1h … (DefaultPollEvery when empty).
	Every string `json:"every,omitempty"`
}

// The run modes of a Polling Event only (it also runs in RunEach and RunList).
const (
	// RunEveryTime starts the flow once each poll, with the records as a
	// list, even when there are none.
	RunEveryTime RunMode = "every_time"
	// RunNoNewData starts the flow once for a poll that found no records.
	RunNoNewData RunMode = "no_new_data"
)

// PollingRunModes lists a Polling Event's run modes, for forms.
var PollingRunModes = []RunMode{RunEach, RunList, RunEveryTime, RunNoNewData}

// RunModeTitle names a run mode as the builder shows it.
func RunModeTitle(m RunMode) string {
	return map[RunMode]string{RunSingle: "Single record", RunEach: "Each record", RunList: "List of records",
		RunEveryTime: "Every time", RunNoNewData: "No new data"}[m]
}

// Polling's defaults and limits.
const (
	// DefaultPollEvery is how often a Polling Event polls when its
	// connector says nothing else.
	DefaultPollEvery = "5m"
	// DefaultMinPollInterval is the shortest interval a server polls at,
	// unless it is configured otherwise (Lifecycle.MinPollInterval).
	DefaultMinPollInterval = time.Minute
	// MaxCursorBytes bounds a cursor: 10 KB.
	MaxCursorBytes = 10 << 10
	// FieldPollInterval is the input of a workspace flow's Polling Event
	// card that holds the interval its user chose.
	FieldPollInterval = "pollInterval"
)

// NewPollingSettings are a new Polling Event flow's settings: each record
// of "records", every 5 minutes.
func NewPollingSettings() *PollingSettings {
	return &PollingSettings{RunMode: RunEach, RecordsPath: "records", Every: DefaultPollEvery}
}

// interval is the settings' default interval.
func (p *PollingSettings) interval() (time.Duration, error) {
	if p == nil || strings.TrimSpace(p.Every) == "" {
		return parseEvery(DefaultPollEvery)
	}
	return parseEvery(strings.TrimSpace(p.Every))
}

// polling checks a Polling Event flow's settings on their own; its Return
// card and records path are checked with the connector (validatePolling),
// so that the settings can be saved before the Return card is made.
func (v *validator) polling(def *Definition) {
	p := def.Polling
	if def.Kind != KindPollingEvent {
		if p != nil {
			v.add("", "", "polling", "polling", "only a Polling Event flow has polling settings")
		}
		return
	}
	if p == nil {
		v.add("", "", "polling", "polling", "set the Polling Event card's run mode, records path and interval")
		return
	}
	if !slices.Contains(PollingRunModes, p.RunMode) {
		v.add("", "", "polling.runMode", "polling", "choose a run mode: each record, list of records, every time or no new data")
	}
	if p.RunMode != RunEveryTime && strings.TrimSpace(p.RecordsPath) == "" {
		v.add("", "", "polling.recordsPath", "polling", "name where the records list is in the Return output (e.g. records)")
	}
	if _, err := p.interval(); err != nil {
		v.add("", "", "polling.every", "polling", "the default interval: %v", err)
	}
	for _, f := range def.Event.Outputs {
		if f.Key == FieldPollInterval {
			v.add(def.Event.ID, "", f.Key, "polling", "the option key %q is taken: it holds the interval a user chooses", FieldPollInterval)
		}
	}
}

// pollingCard checks that a cursor card sits in a Polling Event flow.
func (v *validator) pollingCard(n *Node, lane string, spec CardSpec) {
	if (n.Type == PollingGetCursor || n.Type == PollingSetCursor) && v.kind != KindPollingEvent {
		v.add(n.ID, lane, "", "polling_only", "%s works only in a Polling Event flow: the cursor belongs to the flow that polls", spec.Title)
	}
}

// validatePolling checks a Polling Event flow as a deploy does: it ends in
// a Return card whose fields are its event card's outputs, and the records
// path names one of them.
func validatePolling(def *Definition) []Problem {
	bad := func(card, field, format string, args ...any) []Problem {
		return []Problem{{Card: card, Field: field, Code: "polling", Message: fmt.Sprintf("flow %q: ", def.Name) + fmt.Sprintf(format, args...)}}
	}
	ret := findReturn(def.Cards)
	switch {
	case ret == nil:
		return bad("", "return", "a Polling Event flow ends in a Return card whose fields are the records and what else workspace flows use; add a Return card")
	case len(ret.Inputs) == 0:
		return bad(ret.ID, "return", "its Return card has no fields, so its event card would have no outputs; add the records field")
	}
	p := def.Polling
	if p == nil || strings.TrimSpace(p.RecordsPath) == "" {
		return nil
	}
	key, _, _ := strings.Cut(strings.TrimSpace(p.RecordsPath), ".")
	i := slices.IndexFunc(ret.Inputs, func(f Field) bool { return f.Key == key })
	if i < 0 {
		keys := make([]string, len(ret.Inputs))
		for j, f := range ret.Inputs {
			keys[j] = f.Key
		}
		return bad(ret.ID, "polling.recordsPath", "the records path %q names no field of the Return card (its fields: %s)", p.RecordsPath, strings.Join(keys, ", "))
	}
	if t := ret.Inputs[i].Type; key == strings.TrimSpace(p.RecordsPath) && t != TypeAny && t != TypeObject && !strings.HasPrefix(string(t), "list<") {
		return bad(ret.ID, "polling.recordsPath", "the records path %q is the Return field %q of type %s; make it a list", p.RecordsPath, key, t)
	}
	return nil
}

// pollInputs splits a successful poll's Return output into the inputs of
// the workspace flow's runs, as the run mode says, and counts the records.
func pollInputs(p PollingSettings, out map[string]any) ([]map[string]any, int, error) {
	if p.RunMode == RunEveryTime && strings.TrimSpace(p.RecordsPath) == "" {
		return []map[string]any{out}, 0, nil
	}
	key, items, err := recordsAt(strings.TrimSpace(p.RecordsPath), out)
	if err != nil {
		return nil, 0, err
	}
	if items == nil {
		items = []any{}
	}
	switch p.RunMode {
	case RunEach:
		runs := make([]map[string]any, 0, len(items))
		for _, it := range items {
			runs = append(runs, withRecords(out, key, it))
		}
		return runs, len(items), nil
	case RunList:
		if len(items) == 0 {
			return nil, 0, nil
		}
	case RunNoNewData:
		if len(items) > 0 {
			return nil, len(items), nil
		}
	case RunEveryTime:
	default:
		return nil, 0, fmt.Errorf("the run mode %q is not one of a Polling Event", p.RunMode)
	}
	return []map[string]any{withRecords(out, key, items)}, len(items), nil
}

// Cursor is a polling run's cursor: what the subscription's last
// successful poll saved (empty on the first), and what this run sets.
// Get Cursor reads it and Set Cursor writes it; the lifecycle saves it
// when the poll succeeds. It is safe for concurrent use.
type Cursor struct {
	mu    sync.Mutex
	value string
}

// NewCursor returns a run's cursor starting at value.
func NewCursor(value string) *Cursor { return &Cursor{value: value} }

// Value is the cursor as the run left it.
func (c *Cursor) Value() string {
	if c == nil {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.value
}

// ErrCursorTooLarge is a cursor over MaxCursorBytes.
var ErrCursorTooLarge = errors.New("the cursor is too large")

// checkCursor refuses a cursor over MaxCursorBytes, in words.
func checkCursor(v string) error {
	if len(v) > MaxCursorBytes {
		return fmt.Errorf("%w: it is %d bytes and holds at most %d (10 KB): keep a time or an id in it, not the records", ErrCursorTooLarge, len(v), MaxCursorBytes)
	}
	return nil
}

// The cursor cards: the interpreter's own, for Polling Event flows only.
const (
	PollingGetCursor = "polling.get_cursor"
	PollingSetCursor = "polling.set_cursor"
)

// CategoryPolling holds the cursor cards in the palette.
const CategoryPolling Category = "Polling"

var cursorField = Field{Key: "cursor", Label: "Cursor", Type: TypeText}

// addCursorCards adds Get Cursor and Set Cursor to the control cards.
func addCursorCards(add func(CardSpec, func(r *run, ctx context.Context, n *Node, in map[string]any, step int) (Output, error))) {
	add(CardSpec{Type: PollingGetCursor, Title: "Get Cursor", Category: CategoryPolling, Outputs: []Field{cursorField},
		Help: "The cursor the last successful poll set: where to fetch from (empty on the first poll)."},
		func(r *run, _ context.Context, _ *Node, _ map[string]any, _ int) (Output, error) {
			return Output{"cursor": r.req.Cursor.Value()}, nil
		})
	add(CardSpec{Type: PollingSetCursor, Title: "Set Cursor", Category: CategoryPolling, Inputs: []Field{cursorField}, Outputs: []Field{cursorField},
		Help: "Set the cursor the next poll starts from (at most 10 KB); it is saved when this poll succeeds."},
		func(r *run, _ context.Context, _ *Node, in map[string]any, _ int) (Output, error) {
			v, _ := in["cursor"].(string)
			if err := checkCursor(v); err != nil {
				return nil, err
			}
			if c := r.req.Cursor; c != nil {
				c.mu.Lock()
				c.value = v
				c.mu.Unlock()
			}
			return Output{"cursor": v}, nil
		})
}

// pollEventField is the interval input of a workspace flow's Polling Event card.
func pollEventField(p *PollingSettings) Field {
	every := DefaultPollEvery
	if p != nil && strings.TrimSpace(p.Every) != "" {
		every = strings.TrimSpace(p.Every)
	}
	return Field{Key: FieldPollInterval, Label: "Poll every", Type: TypeText, Help: "every " + every + " if empty (30s, 5m, 1h)"}
}

// PollInterval is how often a workspace flow on a Polling Event polls: the
// interval its user chose on the event card, or else the connector's
// default; never shorter than min.
func PollInterval(def *Definition, p *PollingSettings, min time.Duration) (time.Duration, error) {
	d, err := p.interval()
	if err != nil {
		return 0, fmt.Errorf("%w: the connector's interval: %v", ErrInvalid, err)
	}
	if b, ok := def.Event.Bindings[FieldPollInterval]; ok {
		if b.Ref != nil || len(b.Parts) > 0 {
			return 0, fmt.Errorf("%w: Poll every takes a typed interval, not a mapped field", ErrInvalid)
		}
		if s, _ := b.Value.(string); strings.TrimSpace(s) != "" {
			if d, err = parseEvery(strings.TrimSpace(s)); err != nil {
				return 0, fmt.Errorf("%w: Poll every: %v", ErrInvalid, err)
			}
		}
	}
	if d < min {
		return 0, fmt.Errorf("%w: Poll every: this server polls at most once every %s; choose a longer interval", ErrInvalid, durationWords(min))
	}
	return d, nil
}
