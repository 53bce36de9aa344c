// Package flows is Hookflow's domain: the flow document, bindings, types,
// validation, the interpreter and the ports it needs from the outside world.
//
// It imports no other package of Hookflow and nothing beyond the standard
// library; cards, store and web depend on it, never the other way round.
package flows
