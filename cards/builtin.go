package cards

import (
	"net/http"

	"github.com/hookflow/hookflow/flows"
)

// Options configure the built-in cards.
type Options struct {
	// HTTPClient makes the HTTP cards' requests: NewClient's, with the
	// deployment's outbound policy. Nil means DefaultClient().
	HTTPClient *http.Client
}

// Builtin returns the registry of every built-in function card. The list is
// explicit: a card exists when it is named here.
func Builtin(o Options) *Registry {
	if o.HTTPClient == nil {
		o.HTTPClient = DefaultClient()
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
		urlCards(),
		jwtCards(),
	} {
		all = append(all, family...)
	}
	return New(all...)
}

// DefaultClient is NewClient with the default policy: loopback, private
// and link-local addresses closed.
func DefaultClient() *http.Client { return NewClient(Policy{}) }
