package cards

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/hookflow/hookflow/flows"
)

var units = []string{"milliseconds", "seconds", "minutes", "hours", "days", "weeks", "months", "years"}

// dateFormatHelp documents the patterns Date to Text, Text to Date and Convert read.
const dateFormatHelp = "Empty for ISO 8601, or a pattern such as YYYY-MM-DD HH:mm, M/D/YYYY, dddd MMMM D, h:mm a z " +
	"(tokens YYYY YY M MM MMM MMMM D DD Do d ddd dddd H HH h hh m mm s ss SSS A a Z ZZ z; x epoch milliseconds, X UNIX seconds; [text] as is)."

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
				if text(in, "format") == "" {
					return single("output", t.In(loc).Format(time.RFC3339))
				}
				s, err := momentFormat(t.In(loc), text(in, "format"))
				if err != nil {
					return nil, err
				}
				return single("output", s)
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
				t, err := momentParse(text(in, "text"), text(in, "format"), loc)
				if err != nil {
					return nil, err
				}
				return single("output", t)
			}),
		convertCard(),
		epochCard("date.to_epoch", "Date to EPOCH", "epoch", "milliseconds", time.Millisecond),
		epochCard("date.to_unix", "Date to UNIX", "unix", "seconds", time.Second),
		fromEpochCard("date.from_epoch", "EPOCH to Date", "epoch", "milliseconds", time.Millisecond),
		fromEpochCard("date.from_unix", "UNIX to Date", "unix", "seconds", time.Second),
	}
}

// convertCard is Convert: one date in many forms. Its outputs follow Okta's
// Convert card: epoch is in seconds and unix in milliseconds.
func convertCard() flows.Card {
	return card("date.convert", "Convert", flows.CategoryDate,
		"A date in many forms: the date, ISO 8601 in UTC, epoch seconds, UNIX milliseconds, a human text, "+
			"ISO 8601 in a time zone (output) and a custom format in that zone (custom).",
		[]flows.Field{req("date", "Date", tDate, ""), opt("timezone", "Time zone", tText, "IANA name, e.g. America/New_York; default UTC"),
			opt("format", "Format", tText, dateFormatHelp)},
		[]flows.Field{{Key: "output", Label: "In the time zone", Type: tText}, {Key: "date", Label: "Date", Type: tDate},
			{Key: "iso", Label: "ISO (UTC)", Type: tText}, {Key: "epoch", Label: "Epoch (seconds)", Type: tNumber},
			{Key: "unix", Label: "UNIX (milliseconds)", Type: tNumber}, {Key: "human", Label: "Human", Type: tText},
			{Key: "custom", Label: "Custom", Type: tText}},
		func(_ context.Context, in flows.Input) (flows.Output, error) {
			loc, err := zone(text(in, "timezone"))
			if err != nil {
				return nil, err
			}
			t, _ := in.Values["date"].(time.Time)
			custom := ""
			if f := text(in, "format"); f != "" {
				if custom, err = momentFormat(t.In(loc), f); err != nil {
					return nil, err
				}
			}
			human, _ := momentFormat(t.UTC(), "ddd, MMMM Do [at] h:mm A")
			return flows.Output{"output": t.In(loc).Format(time.RFC3339), "date": t, "iso": t.UTC().Format("2006-01-02T15:04:05Z"),
				"epoch": float64(t.Unix()), "unix": float64(t.UnixMilli()), "human": human, "custom": custom}, nil
		})
}

// epochCard writes a date as a count of units since 1 January 1970 UTC.
func epochCard(typ, title, key, unit string, d time.Duration) flows.Card {
	return card(typ, title, flows.CategoryDate, "The date as the number of "+unit+" since 1 January 1970 UTC.",
		[]flows.Field{req("date", "Date", tDate, "")}, out(key, title[8:]+" ("+unit+")", tNumber),
		func(_ context.Context, in flows.Input) (flows.Output, error) {
			t, _ := in.Values["date"].(time.Time)
			return single(key, float64(t.UnixNano()/int64(d)))
		})
}

// fromEpochCard reads a count of units since 1 January 1970 UTC as a date.
func fromEpochCard(typ, title, key, unit string, d time.Duration) flows.Card {
	return card(typ, title, flows.CategoryDate, "The date that is a number of "+unit+" after 1 January 1970 UTC.",
		[]flows.Field{req(key, title[:len(title)-8]+" ("+unit+")", tNumber, "")}, out("date", "Date", tDate),
		func(_ context.Context, in flows.Input) (flows.Output, error) {
			n := num(in, key) * float64(d/time.Millisecond)
			if math.IsNaN(n) || math.Abs(n) > 8.64e15 {
				return nil, fmt.Errorf("%v is out of the range of dates", num(in, key))
			}
			return single("date", time.UnixMilli(int64(math.Round(n))).UTC())
		})
}
