package cards

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hookflow/hookflow/flows"
)

var units = []string{"milliseconds", "seconds", "minutes", "hours", "days", "weeks", "months", "years"}

// dateFormatHelp documents the patterns Date to Text and Text to Date read.
const dateFormatHelp = "Empty for ISO 8601, or a pattern of YYYY, MM, DD, HH, mm, ss, SSS and Z, e.g. YYYY-MM-DD HH:mm."

var patternTokens = strings.NewReplacer("YYYY", "2006", "MM", "01", "DD", "02", "HH", "15", "mm", "04", "ss", "05", "SSS", "000", "Z", "Z07:00")

func layout(pattern string) string {
	if pattern == "" {
		return time.RFC3339
	}
	return patternTokens.Replace(pattern)
}

func zone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q (use an IANA name such as Europe/Paris)", name)
	}
	return loc, nil
}

func shift(t time.Time, amount float64, unit string) (time.Time, error) {
	n := int(amount)
	switch unit {
	case "milliseconds":
		return t.Add(time.Duration(amount * float64(time.Millisecond))), nil
	case "seconds":
		return t.Add(time.Duration(amount * float64(time.Second))), nil
	case "minutes":
		return t.Add(time.Duration(amount * float64(time.Minute))), nil
	case "hours":
		return t.Add(time.Duration(amount * float64(time.Hour))), nil
	case "days":
		return t.AddDate(0, 0, n), nil
	case "weeks":
		return t.AddDate(0, 0, 7*n), nil
	case "months":
		return t.AddDate(0, n, 0), nil
	case "years":
		return t.AddDate(n, 0, 0), nil
	}
	return t, fmt.Errorf("unknown unit %q", unit)
}

func dateCards() []flows.Card {
	c := flows.CategoryDate
	unitField := flows.Field{Key: "unit", Label: "Unit", Type: tText, Required: true, Choices: units}
	move := func(typ, title string, sign float64) flows.Card {
		return card(typ, title, c, title+" an amount of time.",
			[]flows.Field{req("date", "Date", tDate, ""), req("amount", "Amount", tNumber, ""), unitField}, out("output", "Output", tDate),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				t, _ := in.Values["date"].(time.Time)
				r, err := shift(t, sign*num(in, "amount"), text(in, "unit"))
				if err != nil {
					return nil, err
				}
				return single("output", r)
			})
	}
	return []flows.Card{
		card("date.now", "Now", c, "The current date and time (UTC).", nil, out("output", "Now", tDate),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				now := time.Now
				if in.Now != nil {
					now = in.Now
				}
				return single("output", now().UTC())
			}),
		move("date.add", "Add", 1),
		move("date.subtract", "Subtract", -1),
		card("date.difference", "Difference", c, "end − start in the unit, as a number (months and years by calendar).",
			[]flows.Field{req("start", "Start", tDate, ""), req("end", "End", tDate, ""), unitField}, out("difference", "Difference", tNumber),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				a, _ := in.Values["start"].(time.Time)
				b, _ := in.Values["end"].(time.Time)
				d := b.Sub(a)
				var v float64
				switch text(in, "unit") {
				case "milliseconds":
					v = float64(d.Milliseconds())
				case "seconds":
					v = d.Seconds()
				case "minutes":
					v = d.Minutes()
				case "hours":
					v = d.Hours()
				case "days":
					v = d.Hours() / 24
				case "weeks":
					v = d.Hours() / 24 / 7
				case "months", "years":
					m := (b.Year()-a.Year())*12 + int(b.Month()-a.Month())
					if b.Before(a.AddDate(0, m, 0)) && m > 0 {
						m--
					}
					v = float64(m)
					if text(in, "unit") == "years" {
						v = float64(m / 12)
					}
				default:
					return nil, fmt.Errorf("unknown unit %q", text(in, "unit"))
				}
				return single("difference", v)
			}),
		card("date.to_text", "Date to Text", c, "Write a date as text in a time zone. "+dateFormatHelp,
			[]flows.Field{req("date", "Date", tDate, ""), opt("format", "Format", tText, dateFormatHelp), opt("timezone", "Time zone", tText, "IANA name; default UTC")},
			out("output", "Output", tText),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				loc, err := zone(text(in, "timezone"))
				if err != nil {
					return nil, err
				}
				t, _ := in.Values["date"].(time.Time)
				return single("output", t.In(loc).Format(layout(text(in, "format"))))
			}),
		card("date.from_text", "Text to Date", c, "Read a date from text. "+dateFormatHelp,
			[]flows.Field{req("text", "Text", tText, ""), opt("format", "Format", tText, dateFormatHelp), opt("timezone", "Time zone", tText, "for text without an offset; default UTC")},
			out("output", "Output", tDate),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				loc, err := zone(text(in, "timezone"))
				if err != nil {
					return nil, err
				}
				if text(in, "format") == "" {
					v, err := flows.Convert(text(in, "text"), tDate)
					if err != nil {
						return nil, err
					}
					return single("output", v)
				}
				t, err := time.ParseInLocation(layout(text(in, "format")), text(in, "text"), loc)
				if err != nil {
					return nil, fmt.Errorf("%q does not match the format %q", text(in, "text"), text(in, "format"))
				}
				return single("output", t)
			}),
		card("date.convert", "Convert", c, "The same instant as local time in another time zone, as ISO 8601 text with its offset.",
			[]flows.Field{req("date", "Date", tDate, ""), req("timezone", "Time zone", tText, "IANA name, e.g. America/New_York")}, out("output", "Output", tText),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				loc, err := zone(text(in, "timezone"))
				if err != nil {
					return nil, err
				}
				t, _ := in.Values["date"].(time.Time)
				return single("output", t.In(loc).Format(time.RFC3339))
			}),
	}
}
