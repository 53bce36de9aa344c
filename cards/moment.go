package cards

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Date formats are patterns of moment-style tokens, as Okta Workflows and
// many JavaScript tools write them: M/D/YYYY, dddd, MMMM D, h:mm a, z, x,
// literal text in [brackets]. Writing a date goes through momentFormat, a
// small formatter (Go layouts cannot express H, d, Do, x, X or escaped
// text); reading one goes through momentLayout, the Go layout of a pattern,
// with x and X read as numbers.

// momentTokens are the tokens a pattern is cut into, longest first.
var momentTokens = []string{
	"YYYY", "MMMM", "dddd", "DDDD", "SSSSSSSSS", "SSSSSS",
	"MMM", "ddd", "DDD", "SSS",
	"YY", "MM", "DD", "Do", "dd", "HH", "hh", "kk", "mm", "ss", "ZZ", "SS",
	"Q", "M", "D", "d", "H", "h", "k", "m", "s", "S", "A", "a", "Z", "z", "x", "X",
}

// momentToken is a piece of a pattern: a token, or literal text.
type momentToken struct {
	tok, lit string
}

// momentTokenize cuts a pattern into tokens and literal text.
func momentTokenize(pattern string) ([]momentToken, error) {
	var out []momentToken
	lit := func(s string) {
		if n := len(out); n > 0 && out[n-1].tok == "" {
			out[n-1].lit += s
			return
		}
		out = append(out, momentToken{lit: s})
	}
next:
	for i := 0; i < len(pattern); {
		if pattern[i] == '[' {
			end := strings.IndexByte(pattern[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("the format %q opens a [ that it does not close", pattern)
			}
			lit(pattern[i+1 : i+end])
			i += end + 1
			continue
		}
		for _, t := range momentTokens {
			if strings.HasPrefix(pattern[i:], t) {
				out = append(out, momentToken{tok: t})
				i += len(t)
				continue next
			}
		}
		lit(pattern[i : i+1])
		i++
	}
	return out, nil
}

// momentFormat writes t by a moment-style pattern.
func momentFormat(t time.Time, pattern string) (string, error) {
	toks, err := momentTokenize(pattern)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	pad := func(n, w int) { fmt.Fprintf(&b, "%0*d", w, n) }
	for _, k := range toks {
		switch k.tok {
		case "":
			b.WriteString(k.lit)
		case "YYYY":
			pad(t.Year(), 4)
		case "YY":
			pad(t.Year()%100, 2)
		case "Q":
			pad((int(t.Month())-1)/3+1, 1)
		case "MMMM":
			b.WriteString(t.Month().String())
		case "MMM":
			b.WriteString(t.Month().String()[:3])
		case "MM":
			pad(int(t.Month()), 2)
		case "M":
			pad(int(t.Month()), 1)
		case "DDDD":
			pad(t.YearDay(), 3)
		case "DDD":
			pad(t.YearDay(), 1)
		case "DD":
			pad(t.Day(), 2)
		case "D":
			pad(t.Day(), 1)
		case "Do":
			b.WriteString(ordinal(t.Day()))
		case "dddd":
			b.WriteString(t.Weekday().String())
		case "ddd":
			b.WriteString(t.Weekday().String()[:3])
		case "dd":
			b.WriteString(t.Weekday().String()[:2])
		case "d":
			pad(int(t.Weekday()), 1)
		case "HH":
			pad(t.Hour(), 2)
		case "H":
			pad(t.Hour(), 1)
		case "kk":
			pad((t.Hour()+23)%24+1, 2)
		case "k":
			pad((t.Hour()+23)%24+1, 1)
		case "hh":
			pad((t.Hour()+11)%12+1, 2)
		case "h":
			pad((t.Hour()+11)%12+1, 1)
		case "mm":
			pad(t.Minute(), 2)
		case "m":
			pad(t.Minute(), 1)
		case "ss":
			pad(t.Second(), 2)
		case "s":
			pad(t.Second(), 1)
		case "S", "SS", "SSS", "SSSSSS", "SSSSSSSSS":
			b.WriteString(fmt.Sprintf("%09d", t.Nanosecond())[:len(k.tok)])
		case "A", "a":
			ap := "AM"
			if t.Hour() >= 12 {
				ap = "PM"
			}
			if k.tok == "a" {
				ap = strings.ToLower(ap)
			}
			b.WriteString(ap)
		case "Z":
			b.WriteString(t.Format("-07:00"))
		case "ZZ":
			b.WriteString(t.Format("-0700"))
		case "z":
			b.WriteString(t.Format("MST"))
		case "x":
			b.WriteString(strconv.FormatInt(t.UnixMilli(), 10))
		case "X":
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		}
	}
	return b.String(), nil
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

// goLayouts are the Go layout of each token a date can be read by.
var goLayouts = map[string]string{
	"YYYY": "2006", "YY": "06", "MMMM": "January", "MMM": "Jan", "MM": "01", "M": "1",
	"DDDD": "002", "DD": "02", "D": "2", "dddd": "Monday", "ddd": "Mon",
	"HH": "15", "H": "15", "hh": "03", "h": "3", "mm": "04", "m": "4", "ss": "05", "s": "5",
	"A": "PM", "a": "pm", "Z": "Z07:00", "ZZ": "Z0700", "z": "MST",
}

// errNotReadable says a pattern has a token a date cannot be read by.
var errNotReadable = errors.New("a date cannot be read by this token")

// momentLayout is the Go layout that reads dates written by a moment-style
// pattern.
func momentLayout(pattern string) (string, error) {
	toks, err := momentTokenize(pattern)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, k := range toks {
		switch {
		case k.tok == "":
			if strings.ContainsAny(k.lit, "0123456789") || goWord(k.lit) {
				return "", fmt.Errorf("the literal text %q in the format cannot be read back", k.lit)
			}
			b.WriteString(k.lit)
		case strings.HasPrefix(k.tok, "S"):
			// Fractional seconds follow a "." or "," in Go layouts.
			if i == 0 || toks[i-1].tok != "" || !strings.HasSuffix(toks[i-1].lit, ".") && !strings.HasSuffix(toks[i-1].lit, ",") {
				return "", fmt.Errorf("%w: %s must follow a . or ,", errNotReadable, k.tok)
			}
			b.WriteString(strings.Repeat("0", len(k.tok)))
		default:
			l, ok := goLayouts[k.tok]
			if !ok {
				return "", fmt.Errorf("%w: %s", errNotReadable, k.tok)
			}
			b.WriteString(l)
		}
	}
	return b.String(), nil
}

// goWord reports whether literal text holds a word Go layouts read as a
// date part.
func goWord(s string) bool {
	for _, w := range []string{"Jan", "Mon", "MST", "PM", "pm", "Z07", "_2"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// momentParse reads text written by a moment-style pattern; a time with no
// zone in it is in loc. The patterns x and X read epoch milliseconds and
// UNIX seconds.
func momentParse(s, pattern string, loc *time.Location) (time.Time, error) {
	switch pattern {
	case "x", "X":
		n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a number", s)
		}
		if pattern == "x" {
			return time.UnixMilli(int64(n)).UTC(), nil
		}
		return time.UnixMilli(int64(n * 1000)).UTC(), nil
	}
	layout, err := momentLayout(pattern)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q does not match the format %q", s, pattern)
	}
	return t, nil
}
