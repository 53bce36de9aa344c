// Package templates holds Hookflow's templ components: the layout, pages and
// partials. It renders flows values and asset URLs, and knows nothing of HTTP.
package templates

import "github.com/hookflow/hookflow/flows"

// Page is what every page's layout needs; web fills it per request.
type Page struct {
	Title string
	// Nav is the active navigation section: "dashboard", "connectors", "flows", "executions", "tables" or "settings".
	Nav     string
	CSRF    string
	User    *flows.User
	Flashes []Flash
	// Placed are one-time messages that belong beside what they report on
	// (a Deploy button), not at the top; see FlashesAt.
	Placed []Flash
	// URL builds a path from a route name and its parameters.
	URL func(name string, params ...any) string
}

// Flash is a one-time message shown at the top of the next page, or
// beside the control it reports on when it has a Place.
type Flash struct {
	Kind string // success, error or info
	Text string
	// Place names where the page shows it ("deploy"); empty is the top.
	Place string
}

// FlashesAt returns the page's one-time messages for a place.
func (p Page) FlashesAt(place string) []Flash {
	var out []Flash
	for _, f := range p.Placed {
		if f.Place == place {
			out = append(out, f)
		}
	}
	return out
}

// FormErrors maps a form field's name to what is wrong with it.
type FormErrors map[string]string

// navItem is one entry of the main navigation.
type navItem struct {
	Key, Label, Route string
}

var navItems = []navItem{
	{"connectors", "Connectors", "connectors.list"},
	{"flows", "Flows", "flows.list"},
	{"connections", "Connections", "connections.list"},
	{"executions", "Executions", "executions.list"},
	{"tables", "Tables", "tables.list"},
	{"settings", "Settings", "settings.show"},
}
