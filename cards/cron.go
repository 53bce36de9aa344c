package cards

import (
	"errors"
	"fmt"
	"strings"

	"github.com/robfig/cron/v3"

	"github.com/hookflow/hookflow/flows"
)

// cronParser reads cron expressions with robfig/cron: 5 fields, or 6 with
// seconds first, and descriptors such as @daily. The time zone is the
// schedule's, given by the time Next is asked from (flows.Schedule).
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

var _ flows.CronParser = (*Registry)(nil)

// ParseCron reads a cron expression for Schedule cards; its error says
// what is wrong in words.
func (r *Registry) ParseCron(expr string) (flows.CronSchedule, error) { return ParseCron(expr) }

// ParseCron reads a cron expression of 5 fields (minute hour day-of-month
// month day-of-week), or 6 with seconds first, or a descriptor such as
// @hourly. CRON_TZ and TZ prefixes are refused: the card has a time zone.
func ParseCron(expr string) (flows.CronSchedule, error) {
	expr = strings.TrimSpace(expr)
	if strings.HasPrefix(expr, "CRON_TZ=") || strings.HasPrefix(expr, "TZ=") {
		return nil, errors.New("set the time zone in the Time zone field, not in the expression")
	}
	if !strings.HasPrefix(expr, "@") {
		if n := len(strings.Fields(expr)); n != 5 && n != 6 {
			return nil, fmt.Errorf("it has %d fields; a cron expression has 5 (minute hour day month weekday) or 6 (seconds first)", n)
		}
	}
	s, err := cronParser.Parse(expr)
	if err != nil {
		return nil, errors.New(cronError(err.Error()))
	}
	return s, nil
}

// cronError rewords robfig/cron's errors without Go's parsing details.
func cronError(msg string) string {
	if what, ok := strings.CutPrefix(msg, "failed to parse int from "); ok {
		what, _, _ = strings.Cut(what, ":")
		return fmt.Sprintf("%q is not a number, a name or * in its field", what)
	}
	if what, ok := strings.CutPrefix(msg, "unrecognized descriptor: "); ok {
		return fmt.Sprintf("%s is not a descriptor; use @yearly, @monthly, @weekly, @daily or @hourly", what)
	}
	return msg
}
