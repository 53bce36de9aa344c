package templates

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookflow/hookflow/static"
)

func itoa(n int) string { return strconv.Itoa(n) }

// count writes "1 connector", "3 connectors".
func count(n int64, noun string) string {
	s := strconv.FormatInt(n, 10) + " " + noun
	if n != 1 {
		s += "s"
	}
	return s
}

// staticURL is an asset's cache-busted URL.
func staticURL(name string) string { return static.URL(name) }

// browserOf names a user agent's browser and system in a few words
// ("Firefox on Linux"); one it does not know is shown as sent, cut short.
func browserOf(ua string) string {
	find := func(names [][2]string) string {
		for _, n := range names {
			if strings.Contains(ua, n[0]) {
				return n[1]
			}
		}
		return ""
	}
	browser := find([][2]string{{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"HeadlessChrome/", "Headless Chrome"},
		{"Chromium/", "Chromium"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"}})
	system := find([][2]string{{"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"}})
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case ua == "":
		return "Unknown browser"
	case utf8.RuneCountInString(ua) > 40:
		return string([]rune(ua)[:40]) + "…"
	}
	return ua
}

// duration writes how long something took in the unit that reads best:
// "18 µs", "8.0 ms", "1.2 s", "2 min 5 s", "1 h 4 min". The list and the
// detail pages of the history both write durations with it.
func duration(d time.Duration) string {
	oneDecimal := func(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64) }
	switch {
	case d < 0:
		return "0 µs"
	case d < time.Millisecond:
		return strconv.FormatInt(d.Microseconds(), 10) + " µs"
	case d < time.Second-50*time.Microsecond: // below 999.95 ms, which rounds to 1000.0
		return oneDecimal(float64(d)/float64(time.Millisecond)) + " ms"
	case d < time.Minute-50*time.Millisecond:
		return oneDecimal(d.Seconds()) + " s"
	case d < time.Hour:
		d = d.Round(time.Second)
		return strconv.Itoa(int(d/time.Minute)) + " min " + strconv.Itoa(int(d%time.Minute/time.Second)) + " s"
	}
	d = d.Round(time.Minute)
	return strconv.Itoa(int(d/time.Hour)) + " h " + strconv.Itoa(int(d%time.Hour/time.Minute)) + " min"
}

// durationUS is duration of a number of microseconds (a step's).
func durationUS(us int64) string { return duration(time.Duration(us) * time.Microsecond) }

// The layouts of the times the pages show; static/js/time.js writes them
// again in the browser's time zone.
const (
	layoutSeconds = "2006-01-02 15:04:05"
	layoutMillis  = "2006-01-02 15:04:05.000"
)

// utcTime writes t in UTC, saying so: what a page shows until the
// browser rewrites it in its own time zone.
func utcTime(t time.Time, layout string) string { return t.UTC().Format(layout) + " UTC" }

// isoTime is t as a <time datetime> attribute holds it.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
