package cards

import (
	"net/http"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// Options configure the built-in cards.
type Options struct {
	// HTTPClient makes the HTTP cards' requests; nil means DefaultClient().
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
	} {
		all = append(all, family...)
	}
	return New(all...)
}

// DefaultClient is the HTTP cards' client unless Options name one. Each
// request has the deadline its card gives it (30 s unless set, at most
// 120 s). It keeps connections to a host open for the next request: flows
// call the same few services again and again, and a connection made anew
// for each call costs more than the call.
func DefaultClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 1024
	t.MaxIdleConnsPerHost = 256
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: t}
}
