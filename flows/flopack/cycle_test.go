package flopack

import "testing"

// An expand card fed by its own output (a broken file) ends: the input it
// feeds is left unbound.
func TestExpandCycleEnds(t *testing.T) {
	b := []byte(`{"type":"flopack","data":{"flos":{"a":{"name":"A","data":{"methods":[
	{"uuid":"r","address":"root:kernel:control:0.0.1:noop"},
	{"uuid":"x","address":"root:kernel:object:0.0.1:expand","node":{"model":{"inputs":{"data":{"i":{"id":"i","key":"object"}}},"outputs":{"data":{"o":{"id":"o","key":"k"}}}}},
	 "pins":{"o":{"x":[{"input":"i"}],"y":[{"input":"j"}]}}},
	{"uuid":"y","address":"root:kernel:string:0.0.1:trim","node":{"model":{"inputs":{"data":{"j":{"id":"j","key":"string"}}}}}}],
	"orderings":{"e1":["r","y"]}}}}}}`)
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Translate(p, targets(p))
	if err != nil {
		t.Fatal(err)
	}
	if cards := res.Flows[0].Definition.Cards; len(cards) != 1 || len(cards[0].Bindings) != 0 {
		t.Errorf("cards %+v, want the Trim card without bindings", cards)
	}
}
