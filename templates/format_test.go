package templates

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		name string
		d    time.Duration
		want string
	}{
		{"microseconds", 18 * time.Microsecond, "18 µs"},
		{"zero", 0, "0 µs"},
		{"negative (a clock that stepped back)", -time.Second, "0 µs"},
		{"just under a millisecond", 999 * time.Microsecond, "999 µs"},
		{"one millisecond", time.Millisecond, "1.0 ms"},
		{"milliseconds", 8 * time.Millisecond, "8.0 ms"},
		{"milliseconds and a fraction", 12345 * time.Microsecond, "12.3 ms"},
		{"rounds up into seconds", 999960 * time.Microsecond, "1.0 s"},
		{"seconds", 1200 * time.Millisecond, "1.2 s"},
		{"rounds up into minutes", 59960 * time.Millisecond, "1 min 0 s"},
		{"minutes", 125 * time.Second, "2 min 5 s"},
		{"hours", 64 * time.Minute, "1 h 4 min"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := duration(tt.d); got != tt.want {
				t.Fatalf("duration(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
	if got := durationUS(8000); got != "8.0 ms" {
		t.Fatalf("durationUS(8000) = %q", got)
	}
}

func TestUTCTime(t *testing.T) {
	at := time.Date(2026, 11, 1, 11, 0, 5, 123e6, time.FixedZone("CET", 3600))
	if got := utcTime(at, layoutSeconds); got != "2026-11-01 10:00:05 UTC" {
		t.Fatalf("utcTime = %q", got)
	}
	if got := utcTime(at, layoutMillis); got != "2026-11-01 10:00:05.123 UTC" {
		t.Fatalf("utcTime with milliseconds = %q", got)
	}
	if got := isoTime(at); got != "2026-11-01T10:00:05.123Z" {
		t.Fatalf("isoTime = %q", got)
	}
}
