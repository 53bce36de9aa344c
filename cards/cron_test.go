package cards_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/cards"
	"github.com/hookflow/hookflow/flows"
)

// schedule reads a Schedule card's settings with the built-in registry.
func schedule(settings map[string]string) (*flows.Schedule, error) {
	def, _ := flows.NewDefinition(flows.KindWorkspace, "Scheduled")
	def.Event = flows.Node{ID: "event", Type: flows.EventSchedule, Bindings: map[string]flows.Binding{}}
	for k, v := range settings {
		def.Event.Bindings[k] = flows.Binding{Value: v}
	}
	return flows.ScheduleOf(&def, cards.Builtin(cards.Options{}))
}

func at(t *testing.T, zone, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestScheduleTicks(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		from     string // in the schedule's zone
		want     []string
	}{
		{"cron of 5 fields", map[string]string{"mode": "cron", "expression": "*/15 * * * *"},
			"2026-03-01 10:07:00", []string{"2026-03-01 10:15:00", "2026-03-01 10:30:00", "2026-03-01 10:45:00"}},
		{"cron of 6 fields, seconds first", map[string]string{"mode": "cron", "expression": "30 0 9 * * *"},
			"2026-03-01 10:00:00", []string{"2026-03-02 09:00:30", "2026-03-03 09:00:30"}},
		{"a descriptor", map[string]string{"mode": "cron", "expression": "@daily"},
			"2026-03-01 10:00:00", []string{"2026-03-02 00:00:00", "2026-03-03 00:00:00"}},
		{"weekdays in Paris", map[string]string{"mode": "cron", "expression": "0 9 * * 1-5", "timezone": "Europe/Paris"},
			"2026-03-06 10:00:00", []string{"2026-03-09 09:00:00", "2026-03-10 09:00:00"}},
		{"weekday names in New York", map[string]string{"mode": "cron", "expression": "0 9 * * MON,FRI", "timezone": "America/New_York"},
			"2026-03-03 00:00:00", []string{"2026-03-06 09:00:00", "2026-03-09 09:00:00"}},
		// 29 March 2026: Paris goes from 02:00 to 03:00; 02:30 does not occur that day.
		{"Paris springs forward", map[string]string{"mode": "cron", "expression": "30 2 * * *", "timezone": "Europe/Paris"},
			"2026-03-28 00:00:00", []string{"2026-03-28 02:30:00", "2026-03-30 02:30:00"}},
		// 25 October 2026: Paris goes back from 03:00 to 02:00; 02:30 comes twice and runs once.
		{"Paris falls back, a fixed time runs once", map[string]string{"mode": "cron", "expression": "30 2 * * *", "timezone": "Europe/Paris"},
			"2026-10-24 12:00:00", []string{"2026-10-25 02:30:00", "2026-10-26 02:30:00"}},
		// 1 November 2026: New York goes back from 02:00 to 01:00; every 30 minutes goes on in real time.
		{"New York falls back, every 30 minutes goes on", map[string]string{"mode": "cron", "expression": "*/30 * * * *", "timezone": "America/New_York"},
			"2026-11-01 00:50:00", []string{"2026-11-01 01:00:00", "2026-11-01 01:30:00", "2026-11-01 01:00:00", "2026-11-01 01:30:00", "2026-11-01 02:00:00"}},
		{"cron from its start", map[string]string{"mode": "cron", "expression": "0 * * * *", "start": "2026-05-01 12:00"},
			"2026-03-01 00:00:00", []string{"2026-05-01 12:00:00", "2026-05-01 13:00:00"}},
		{"cron until its end day", map[string]string{"mode": "cron", "expression": "0 12 * * *", "end": "2026-03-02"},
			"2026-03-01 00:00:00", []string{"2026-03-01 12:00:00", "2026-03-02 12:00:00"}},
		{"interval on the clock", map[string]string{"mode": "interval", "every": "15m"},
			"2026-03-01 10:07:00", []string{"2026-03-01 10:15:00", "2026-03-01 10:30:00"}},
		{"interval of days from its start", map[string]string{"every": "1d", "start": "2026-03-01 09:30", "timezone": "Asia/Tokyo"},
			"2026-03-01 00:00:00", []string{"2026-03-01 09:30:00", "2026-03-02 09:30:00"}},
		{"interval until its end", map[string]string{"every": "1h30m", "start": "2026-03-01 09:00:00", "end": "2026-03-01 12:00"},
			"2026-03-01 08:00:00", []string{"2026-03-01 09:00:00", "2026-03-01 10:30:00", "2026-03-01 12:00:00"}},
		{"ended", map[string]string{"every": "1h", "end": "2026-02-01"},
			"2026-03-01 08:00:00", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := schedule(tt.settings)
			if err != nil {
				t.Fatal(err)
			}
			zone := s.Location().String()
			var got []string
			for _, tick := range s.NextN(at(t, zone, tt.from), len(tt.want)+1) {
				if tick.Location().String() != zone {
					t.Fatalf("tick %s is not in %s", tick, zone)
				}
				got = append(got, tick.Format("2006-01-02 15:04:05"))
			}
			if len(got) > len(tt.want) {
				got = got[:len(tt.want)]
			}
			if strings.Join(got, ", ") != strings.Join(tt.want, ", ") {
				t.Fatalf("ticks %v, want %v", got, tt.want)
			}
			if len(tt.want) == 0 && !s.Ended(at(t, zone, tt.from)) {
				t.Fatal("not ended")
			}
		})
	}
}

func TestScheduleProblems(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		field    string
		says     string
	}{
		{"no expression", map[string]string{"mode": "cron"}, "expression", "enter a cron expression"},
		{"four fields", map[string]string{"mode": "cron", "expression": "0 9 * *"}, "expression", "it has 4 fields"},
		{"seven fields", map[string]string{"mode": "cron", "expression": "0 0 9 * * * 2026"}, "expression", "it has 7 fields"},
		{"a word", map[string]string{"mode": "cron", "expression": "x 9 * * *"}, "expression", `"x" is not a number`},
		{"out of range", map[string]string{"mode": "cron", "expression": "0 25 * * *"}, "expression", "above maximum"},
		{"unknown descriptor", map[string]string{"mode": "cron", "expression": "@fortnightly"}, "expression", "is not a descriptor"},
		{"@every", map[string]string{"mode": "cron", "expression": "@every 5m"}, "expression", "interval mode"},
		{"zone in the expression", map[string]string{"mode": "cron", "expression": "CRON_TZ=UTC 0 9 * * *"}, "expression", "Time zone field"},
		{"unknown zone", map[string]string{"every": "1h", "timezone": "Mars/Olympus"}, "timezone", `"Mars/Olympus" is not a time zone`},
		{"no interval", map[string]string{"mode": "interval"}, "every", "say how often"},
		{"interval under a second", map[string]string{"every": "500ms"}, "every", "at least 1 second"},
		{"interval not in whole seconds", map[string]string{"every": "1500ms"}, "every", "whole number of seconds"},
		{"interval not a duration", map[string]string{"every": "often"}, "every", `"often" is not an interval`},
		{"unknown mode", map[string]string{"mode": "hourly", "every": "1h"}, "mode", "choose cron or interval"},
		{"start not a date", map[string]string{"every": "1h", "start": "soon"}, "start", `"soon" is not a date`},
		{"end before start", map[string]string{"every": "1h", "start": "2026-03-02", "end": "2026-03-01 12:00"}, "end", "before the start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := schedule(tt.settings)
			var ve *flows.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, flows.ErrInvalid) {
				t.Fatalf("err = %v, want a validation error", err)
			}
			p := ve.Problems[0]
			if len(ve.Problems) != 1 || p.Card != "event" || p.Field != tt.field || !strings.Contains(p.Message, tt.says) {
				t.Fatalf("problems %+v, want one on %s saying %q", ve.Problems, tt.field, tt.says)
			}
		})
	}
}

func TestScheduleInWords(t *testing.T) {
	tests := []struct {
		settings map[string]string
		want     string
	}{
		{map[string]string{"every": "15m"}, "Every 15 minutes"},
		{map[string]string{"every": "1h"}, "Every hour"},
		{map[string]string{"every": "1s"}, "Every second"},
		{map[string]string{"every": "1h30m"}, "Every 1 hour and 30 minutes"},
		{map[string]string{"every": "2d"}, "Every 2 days"},
		{map[string]string{"mode": "cron", "expression": "0 9 * * 1-5", "timezone": "Europe/Paris"}, "At 09:00 on Monday through Friday (Europe/Paris)"},
		{map[string]string{"mode": "cron", "expression": "30 17 * * *"}, "At 17:30 every day (UTC)"},
		{map[string]string{"mode": "cron", "expression": "0 9,17 1,15 * *"}, "At 09:00 and 17:00 on days 1 and 15 of the month (UTC)"},
		{map[string]string{"mode": "cron", "expression": "0 8 * 1-3 SAT"}, "At 08:00 on Saturday in January through March (UTC)"},
		{map[string]string{"mode": "cron", "expression": "*/5 * * * *"}, "Every 5 minutes (UTC)"},
		{map[string]string{"mode": "cron", "expression": "*/10 * * * * *"}, "Every 10 seconds (UTC)"},
		{map[string]string{"mode": "cron", "expression": "15 */2 * * *"}, "At minute 15 of every 2 hours (UTC)"},
		{map[string]string{"mode": "cron", "expression": "45 * * * *"}, "At minute 45 of every hour (UTC)"},
		{map[string]string{"mode": "cron", "expression": "@hourly"}, "Every hour, on the hour (UTC)"},
		{map[string]string{"mode": "cron", "expression": "5 4 1-7 * 0"}, "Cron 5 4 1-7 * 0 (UTC)"},
		{map[string]string{"mode": "cron", "expression": "0 9-17 * * *"}, "Cron 0 9-17 * * * (UTC)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			s, err := schedule(tt.settings)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Describe(); got != tt.want {
				t.Fatalf("%v reads %q, want %q", tt.settings, got, tt.want)
			}
		})
	}
}

// TestMissedTicksFoldIntoOne: a tick run late stands for the latest tick
// due, with the count of those before it; the next tick comes after now.
func TestMissedTicksFoldIntoOne(t *testing.T) {
	for _, settings := range []map[string]string{{"every": "1m"}, {"mode": "cron", "expression": "* * * * *"}} {
		s, err := schedule(settings)
		if err != nil {
			t.Fatal(err)
		}
		tick := at(t, "UTC", "2026-03-01 10:00:00")
		now := at(t, "UTC", "2026-03-01 10:04:30")
		due, missed := s.Due(tick, now)
		next, _ := s.Next(now)
		if !due.Equal(at(t, "UTC", "2026-03-01 10:04:00")) || missed != 4 || !next.Equal(at(t, "UTC", "2026-03-01 10:05:00")) {
			t.Fatalf("%v: due %s, %d missed, next %s", settings, due, missed, next)
		}
		if due, missed := s.Due(tick, tick.Add(200*time.Millisecond)); !due.Equal(tick) || missed != 0 {
			t.Fatalf("%v on time: due %s, %d missed", settings, due, missed)
		}
		if !s.On(tick) || s.On(tick.Add(30*time.Second)) {
			t.Fatalf("%v: On is wrong", settings)
		}
	}
}
