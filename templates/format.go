package templates

import (
	"strconv"
	"strings"
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
