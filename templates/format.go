package templates

import (
	"strconv"

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
