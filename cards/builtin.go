package cards

import (
	"net/http"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// Options configure the built-in cards.
type Options struct {
	// HTTPClient makes the HTTP cards' requests; nil means a client with a
	// 30 s timeout.
	HTTPClient *http.Client
}

// Builtin returns the registry of every built-in function card. The list is
// explicit: a card exists when it is named here.
func Builtin(o Options) *Registry {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	var all []flows.Card
	for _, family := range [][]flows.Card{
		textCards(),
		numberCards(),
		boolCards(),
		dateCards(),
		listCards(),
		objectCards(),
		jsonCards(),
		httpCards(o.HTTPClient),
		cryptoCards(),
	} {
		all = append(all, family...)
	}
	return New(all...)
}
