package flows

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A Schedule event card starts a workspace flow on time while the flow is
// ON: on a cron expression read in a time zone, or every so often (an
// interval of whole seconds, at least one). Optional start and end dates
// bound it: no tick before the start, none after the end. Its settings are
// the card's typed input values; Validate checks them when the flow is
// saved, naming the field that is wrong.

// The Schedule card's input keys.
const (
	FieldScheduleMode       = "mode"
	FieldScheduleExpression = "expression"
	FieldScheduleEvery      = "every"
	FieldScheduleTimezone   = "timezone"
	FieldScheduleStart      = "start"
	FieldScheduleEnd        = "end"
)

// The Schedule card's output keys: the tick a run is for, when it started,
// and how many earlier ticks it stands for (missed while Hookflow was down).
const (
	FieldScheduledAt = "scheduledAt"
	FieldFiredAt     = "firedAt"
	FieldMissed      = "missed"
)

// ScheduleMode says how a Schedule card's ticks are set. Persisted.
type ScheduleMode string

// The schedule modes.
const (
	ScheduleCron     ScheduleMode = "cron"
	ScheduleInterval ScheduleMode = "interval"
)

// MinInterval is the shortest interval a schedule takes.
const MinInterval = time.Second

// CronSchedule is a parsed cron expression: Next returns the first time
// after t (in t's location) that the expression matches, or the zero time
// when there is none within some years.
type CronSchedule interface {
	Next(t time.Time) time.Time
}

// CronParser reads cron expressions of 5 fields (minute, hour, day of
// month, month, day of week) or 6 (seconds first), and descriptors such as
// @daily. Its error is a sentence a user can act on. cards.Registry
// implements it; a Registry that does not leaves cron schedules unreadable.
type CronParser interface {
	ParseCron(expr string) (CronSchedule, error)
}

func cronOf(reg Registry) CronParser {
	c, _ := reg.(CronParser)
	return c
}

// ScheduleSpec is a Schedule card's settings as typed, as the API shows them.
type ScheduleSpec struct {
	Mode       ScheduleMode `json:"mode"`
	Expression string       `json:"expression,omitempty"`
	Every      string       `json:"every,omitempty"`
	Timezone   string       `json:"timezone"`
	Start      string       `json:"start,omitempty"`
	End        string       `json:"end,omitempty"`
}

// Schedule is a valid schedule: when a scheduled flow's ticks fall.
type Schedule struct {
	Spec  ScheduleSpec
	loc   *time.Location
	every time.Duration
	// start and end bound the ticks (zero: unbounded); both are included.
	start, end time.Time
	cron       CronSchedule
	// fixedHours: the cron expression names its hours (0 9 * * *), not
	// every hour or a step (*/15 * * * *).
	fixedHours bool
}

// Location is the time zone the schedule is read in.
func (s *Schedule) Location() *time.Location { return s.loc }

// Start is the first time a tick may fall on; zero when there is none.
func (s *Schedule) Start() time.Time { return s.start }

// End is the last time a tick may fall on; zero when there is none.
func (s *Schedule) End() time.Time { return s.end }

// ScheduleOf reads the schedule of a flow that starts with a Schedule
// card. A schedule that is not valid is a *ValidationError naming the
// card's fields; a flow with another event card is ErrInvalid.
func ScheduleOf(def *Definition, reg Registry) (*Schedule, error) {
	if def.Event.Type != EventSchedule {
		return nil, fmt.Errorf("%w: flow %q does not start with a Schedule card", ErrInvalid, def.Name)
	}
	s, ps := parseSchedule(&def.Event, cronOf(reg))
	if len(ps) > 0 {
		return nil, &ValidationError{Problems: ps}
	}
	return s, nil
}

// schedule checks a Schedule card's settings.
func (v *validator) schedule(def *Definition) {
	if def.Event.Type == EventSchedule {
		_, ps := parseSchedule(&def.Event, cronOf(v.reg))
		v.problems = append(v.problems, ps...)
	}
}

// parseSchedule reads a Schedule card's settings, or says what is wrong
// with each.
func parseSchedule(ev *Node, cron CronParser) (*Schedule, []Problem) {
	var ps []Problem
	bad := func(field, format string, args ...any) {
		ps = append(ps, Problem{Card: ev.ID, Field: field, Code: "schedule", Message: fmt.Sprintf(format, args...)})
	}
	text := func(key string) string {
		b := ev.Bindings[key]
		if b.Ref != nil || len(b.Parts) > 0 {
			bad(key, "a schedule takes typed values, not mapped fields")
			return ""
		}
		s, _ := Convert(b.Value, TypeText)
		t, _ := s.(string)
		return strings.TrimSpace(t)
	}
	s := &Schedule{Spec: ScheduleSpec{Mode: ScheduleMode(text(FieldScheduleMode)), Expression: text(FieldScheduleExpression),
		Every: text(FieldScheduleEvery), Timezone: text(FieldScheduleTimezone), Start: text(FieldScheduleStart), End: text(FieldScheduleEnd)}}
	sp := &s.Spec
	if sp.Mode == "" {
		sp.Mode = ScheduleInterval
	}
	if sp.Timezone == "" {
		sp.Timezone = "UTC"
	}
	var err error
	if s.loc, err = time.LoadLocation(sp.Timezone); err != nil || sp.Timezone == "Local" {
		bad(FieldScheduleTimezone, "%q is not a time zone this server knows: use an IANA name such as Europe/Paris, America/New_York or UTC", sp.Timezone)
		s.loc = time.UTC
	}
	switch sp.Mode {
	case ScheduleCron:
		switch {
		case sp.Expression == "":
			bad(FieldScheduleExpression, "enter a cron expression, such as 0 9 * * 1-5 (09:00 on weekdays)")
		case strings.HasPrefix(sp.Expression, "@every"):
			bad(FieldScheduleExpression, "for @every, choose the interval mode and fill Every")
		case cron == nil:
			bad(FieldScheduleExpression, "this server cannot read cron expressions")
		default:
			if s.cron, err = cron.ParseCron(sp.Expression); err != nil {
				bad(FieldScheduleExpression, "the cron expression %q is not valid: %v", sp.Expression, err)
			}
			s.fixedHours = fixedHours(sp.Expression)
		}
	case ScheduleInterval:
		if sp.Every == "" {
			bad(FieldScheduleEvery, "say how often, such as 30s, 15m, 1h30m or 1d")
		} else if s.every, err = parseEvery(sp.Every); err != nil {
			bad(FieldScheduleEvery, "%v", err)
		}
	default:
		bad(FieldScheduleMode, "choose cron or interval")
	}
	if sp.Start != "" {
		if s.start, err = parseWhen(sp.Start, s.loc, false); err != nil {
			bad(FieldScheduleStart, "%v", err)
		}
	}
	if sp.End != "" {
		if s.end, err = parseWhen(sp.End, s.loc, true); err != nil {
			bad(FieldScheduleEnd, "%v", err)
		} else if !s.start.IsZero() && s.end.Before(s.start) {
			bad(FieldScheduleEnd, "the end is before the start")
		}
	}
	return s, ps
}

var daysPrefix = regexp.MustCompile(`^(\d+)d`)

// parseEvery reads an interval: Go's durations (30s, 15m, 1h30m) and days (1d, 2d12h).
func parseEvery(text string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not an interval: write it like 30s, 15m, 1h30m or 1d", text)
	var days time.Duration
	rest := text
	if m := daysPrefix.FindStringSubmatch(text); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 3650 {
			return 0, bad
		}
		days, rest = time.Duration(n)*24*time.Hour, text[len(m[0]):]
	}
	d := time.Duration(0)
	if rest != "" {
		var err error
		if d, err = time.ParseDuration(rest); err != nil {
			return 0, bad
		}
	}
	d += days
	switch {
	case d < MinInterval:
		return 0, fmt.Errorf("the interval is at least 1 second (%s is shorter)", text)
	case d%time.Second != 0:
		return 0, fmt.Errorf("the interval is a whole number of seconds (%s is not)", text)
	}
	return d, nil
}

// whenLayouts are the forms a start or end date takes; without an offset
// it is read in the schedule's time zone.
var whenLayouts = []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"}

// parseWhen reads a start or end date. A day alone is its first second,
// or for an end its last: an end of 2026-12-31 includes that day.
func parseWhen(text string, loc *time.Location, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, text); err == nil {
		return t.Truncate(time.Second), nil
	}
	for _, l := range whenLayouts {
		if t, err := time.ParseInLocation(l, text, loc); err == nil {
			if l == "2006-01-02" && end {
				t = t.AddDate(0, 0, 1).Add(-time.Second)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date: write it like 2026-03-01 or 2026-03-01 09:00 (in the schedule's time zone)", text)
}

// Next returns the first tick after t, and false when the schedule has
// none left (past its end).
func (s *Schedule) Next(t time.Time) (time.Time, bool) {
	var next time.Time
	if s.cron != nil {
		from := t
		if !s.start.IsZero() && from.Before(s.start) {
			from = s.start.Add(-time.Second)
		}
		if next = s.cron.Next(from.In(s.loc)); next.IsZero() {
			return time.Time{}, false
		}
		if s.fixedHours && repeatedWallClock(next) {
			if next = s.cron.Next(next); next.IsZero() {
				return time.Time{}, false
			}
		}
	} else {
		anchor := s.start // ticks fall on start + k·every; without a start, on the Unix epoch + k·every
		if anchor.IsZero() {
			anchor = time.Unix(0, 0)
		}
		k := int64(0)
		if !t.Before(anchor) {
			k = int64(t.Sub(anchor)/s.every) + 1
		}
		next = anchor.Add(time.Duration(k) * s.every).In(s.loc)
	}
	if !s.end.IsZero() && next.After(s.end) {
		return time.Time{}, false
	}
	return next, true
}

// fixedHours reports whether a cron expression names the hours it runs
// at: such a schedule runs a wall-clock time that comes twice, when the
// clocks go back, once; one of every hour or every n hours runs on in real
// time. As cron does.
func fixedHours(expr string) bool {
	if strings.HasPrefix(expr, "@") {
		return expr != "@hourly"
	}
	f := strings.Fields(expr)
	return len(f) >= 5 && !strings.ContainsAny(f[len(f)-4], "*/")
}

// repeatedWallClock reports whether t's wall-clock time came before, that
// same night, when the clocks went back. (A time that does not occur when
// the clocks go forward is skipped that day.)
func repeatedWallClock(t time.Time) bool {
	_, after := t.Zone()
	_, before := t.Add(-3 * time.Hour).Zone()
	if before <= after {
		return false
	}
	first := t.Add(-time.Duration(before-after) * time.Second)
	_, firstOffset := first.Zone()
	return firstOffset == before && first.Format(time.DateTime) == t.Format(time.DateTime)
}

// On reports whether t is one of the schedule's ticks.
func (s *Schedule) On(t time.Time) bool {
	next, ok := s.Next(t.Add(-time.Second))
	return ok && next.Equal(t)
}

// NextN returns up to n ticks after t.
func (s *Schedule) NextN(t time.Time, n int) []time.Time {
	var out []time.Time
	for len(out) < n {
		next, ok := s.Next(t)
		if !ok {
			break
		}
		out, t = append(out, next), next
	}
	return out
}

// Ended reports whether the schedule has no tick after t.
func (s *Schedule) Ended(t time.Time) bool {
	_, ok := s.Next(t)
	return !ok
}

// maxCatchUp bounds the ticks Due steps over one by one.
const maxCatchUp = 1_000_000

// Due returns the latest tick at or before now, counting from tick (a
// tick that has come), and how many ticks before it it stands for: the
// ticks missed while no server ran, folded into one run.
func (s *Schedule) Due(tick, now time.Time) (time.Time, int) {
	if !now.After(tick) {
		return tick, 0
	}
	if s.cron == nil {
		n := int64(now.Sub(tick) / s.every)
		due := tick.Add(time.Duration(n) * s.every)
		if !s.end.IsZero() && due.After(s.end) {
			n = int64(s.end.Sub(tick) / s.every)
			due = tick.Add(time.Duration(n) * s.every)
		}
		return due, int(n)
	}
	due, missed := tick, 0
	for missed < maxCatchUp {
		next, ok := s.Next(due)
		if !ok || next.After(now) {
			break
		}
		due, missed = next, missed+1
	}
	return due, missed
}

// NewScheduleEvent is the Schedule card a new scheduled flow starts with:
// every hour, in UTC.
func NewScheduleEvent() Node {
	return Node{ID: "event", Type: EventSchedule, Bindings: map[string]Binding{
		FieldScheduleMode: {Value: string(ScheduleInterval)}, FieldScheduleEvery: {Value: "1h"}, FieldScheduleTimezone: {Value: "UTC"}}}
}

// ScheduleFieldUsed reports whether a card's input is one its settings
// use: a Schedule card in cron mode has no use for Every, in interval
// mode none for the cron expression. Any other card uses every input.
func ScheduleFieldUsed(n *Node, key string) bool {
	if n.Type != EventSchedule {
		return true
	}
	mode, _ := n.Bindings[FieldScheduleMode].Value.(string)
	switch key {
	case FieldScheduleEvery:
		return mode != string(ScheduleCron)
	case FieldScheduleExpression:
		return mode == string(ScheduleCron)
	}
	return true
}
