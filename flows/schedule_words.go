package flows

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Describe says the schedule in words: "Every 15 minutes", "At 09:00 on
// Monday through Friday (Europe/Paris)". Cron expressions of the common
// shapes are put in words; any other reads "Cron 5 4 1-7 * 0 (UTC)".
func (s *Schedule) Describe() string {
	if s.cron == nil {
		return "Every " + durationWords(s.every)
	}
	return describeCron(s.Spec.Expression) + " (" + s.Spec.Timezone + ")"
}

// durationWords says an interval in words: "15 minutes", "hour", "1 hour and 30 minutes".
func durationWords(d time.Duration) string {
	units := []struct {
		size time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}}
	var parts []string
	for _, u := range units {
		if n := d / u.size; n > 0 {
			d -= n * u.size
			parts = append(parts, plural(int(n), u.name))
		}
	}
	if len(parts) == 1 && strings.HasPrefix(parts[0], "1 ") {
		return parts[0][2:]
	}
	if len(parts) > 1 {
		return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
	return strings.Join(parts, "")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

var cronDescriptors = map[string]string{
	"@yearly": "At 00:00 on 1 January", "@annually": "At 00:00 on 1 January", "@monthly": "At 00:00 on day 1 of the month",
	"@weekly": "At 00:00 on Sunday", "@daily": "At 00:00 every day", "@midnight": "At 00:00 every day", "@hourly": "Every hour, on the hour",
}

var weekdayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
var monthNames = []string{"", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

// describeCron puts a cron expression of a common shape in words.
func describeCron(expr string) string {
	if d, ok := cronDescriptors[strings.ToLower(expr)]; ok {
		return d
	}
	f := strings.Fields(expr)
	if len(f) == 5 {
		f = append([]string{"0"}, f...)
	}
	fallback := "Cron " + expr
	if len(f) != 6 {
		return fallback
	}
	sec, min, hour, dom, mon, dow := f[0], f[1], f[2], f[3], f[4], f[5]
	var when string
	switch {
	case sec == "*" && min == "*" && hour == "*":
		when = "Every second"
	case strings.HasPrefix(sec, "*/") && min == "*" && hour == "*":
		when = "Every " + stepWords(sec[2:], "second")
	case sec != "0":
		if !number(sec) || !number(min) || !number(hour) {
			return fallback
		}
		when = "At " + clock(hour, min) + ":" + pad(sec)
	case min == "*" && hour == "*":
		when = "Every minute"
	case strings.HasPrefix(min, "*/") && hour == "*":
		when = "Every " + stepWords(min[2:], "minute")
	case number(min) && hour == "*":
		when = "At minute " + min + " of every hour"
	case number(min) && strings.HasPrefix(hour, "*/"):
		when = "At minute " + min + " of every " + stepWords(hour[2:], "hour")
	case number(min) && numberList(hour):
		var times []string
		for _, h := range strings.Split(hour, ",") {
			times = append(times, clock(h, min))
		}
		when = "At " + joinWords(times)
	default:
		return fallback
	}
	days, ok := dayWords(dom, dow)
	if !ok {
		return fallback
	}
	months, ok := fieldWords(mon, monthNames, 1)
	if !ok {
		return fallback
	}
	if months != "" {
		months = " in " + months
	}
	if days == "" && months == "" && strings.HasPrefix(when, "At ") && !strings.HasPrefix(when, "At minute") {
		days = " every day"
	}
	return when + days + months
}

// dayWords says the days of the month or week: "" for every day.
func dayWords(dom, dow string) (string, bool) {
	switch {
	case dom == "*" && (dow == "*" || dow == "?"):
		return "", true
	case (dom == "*" || dom == "?") && dow != "*":
		w, ok := fieldWords(dow, weekdayNames, 0)
		return " on " + w, ok
	case dow == "*" || dow == "?":
		var parts []string
		for _, item := range strings.Split(dom, ",") {
			lo, hi, isRange := strings.Cut(item, "-")
			switch {
			case !number(lo) || isRange && !number(hi):
				return "", false
			case isRange:
				parts = append(parts, lo+" through "+hi)
			default:
				parts = append(parts, lo)
			}
		}
		word := "day "
		if strings.ContainsAny(dom, ",-") {
			word = "days "
		}
		return " on " + word + joinWords(parts) + " of the month", true
	}
	return "", false
}

// fieldWords says a list or range of weekdays or months by name: "Monday
// through Friday", "January and July".
func fieldWords(field string, names []string, first int) (string, bool) {
	if field == "*" || field == "?" {
		return "", true
	}
	var parts []string
	for _, item := range strings.Split(field, ",") {
		lo, hi, isRange := strings.Cut(item, "-")
		a, ok := nameOf(lo, names, first)
		if !ok {
			return "", false
		}
		if !isRange {
			parts = append(parts, a)
			continue
		}
		b, ok := nameOf(hi, names, first)
		if !ok {
			return "", false
		}
		parts = append(parts, a+" through "+b)
	}
	return joinWords(parts), true
}

func nameOf(s string, names []string, first int) (string, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		if n == 7 && len(names) == 7 {
			n = 0 // Sunday, both 0 and 7
		}
		if n >= first && n < len(names) {
			return names[n], true
		}
		return "", false
	}
	for _, name := range names {
		if name != "" && strings.EqualFold(s, name[:3]) {
			return name, true
		}
	}
	return "", false
}

func stepWords(step, unit string) string {
	n, err := strconv.Atoi(step)
	if err != nil {
		return step + " " + unit + "s"
	}
	return durationWords(time.Duration(n) * map[string]time.Duration{"second": time.Second, "minute": time.Minute, "hour": time.Hour}[unit])
}

func number(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

func numberList(s string) bool {
	for _, p := range strings.Split(s, ",") {
		if !number(p) {
			return false
		}
	}
	return true
}

func pad(s string) string {
	n, _ := strconv.Atoi(s)
	return fmt.Sprintf("%02d", n)
}

func clock(hour, min string) string { return pad(hour) + ":" + pad(min) }

// joinWords joins "a", "a and b", "a, b and c".
func joinWords(parts []string) string {
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
