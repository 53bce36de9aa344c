// Package flowstest is a small language for building flows in tests, a
// registry of fake cards and an in-memory recorder, so that the interpreter
// is tested without the real card library.
//
// Example:
//
//	def := flowstest.Flow(flowstest.Manual(flowstest.F("name", flows.TypeText)),
//		flowstest.Card("up", "fake.upper", flowstest.In("text", flowstest.Ref("event", "name"))))
//	exec := flowstest.Run(t, def, map[string]any{"name": "ada"})
package flowstest

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// F declares a field.
func F(key string, t flows.Type) flows.Field { return flows.Field{Key: key, Type: t} }

// Flow builds a workspace flow definition.
func Flow(event flows.Node, cards ...flows.Node) flows.Definition {
	return flows.Definition{Schema: flows.SchemaVersion, Kind: flows.KindWorkspace, Name: "Test flow", Event: event, Cards: append([]flows.Node{}, cards...)}
}

// Kind sets a definition's kind and returns it.
func Kind(def flows.Definition, k flows.Kind) flows.Definition { def.Kind = k; return def }

// Manual is a manual event card (id "event") with the given inputs.
func Manual(fields ...flows.Field) flows.Node {
	return flows.Node{ID: "event", Type: flows.EventManual, Outputs: fields}
}

// Event is an event card of a given type (id "event").
func Event(typ string, fields ...flows.Field) flows.Node {
	return flows.Node{ID: "event", Type: typ, Outputs: fields}
}

// Opt changes a card being built.
type Opt func(*flows.Node)

// Card builds a placed card.
func Card(id, typ string, opts ...Opt) flows.Node {
	n := flows.Node{ID: id, Type: typ, Bindings: map[string]flows.Binding{}}
	for _, o := range opts {
		o(&n)
	}
	return n
}

// In binds an input.
func In(key string, b flows.Binding) Opt { return func(n *flows.Node) { n.Bindings[key] = b } }

// Inputs adds user-defined inputs.
func Inputs(fs ...flows.Field) Opt { return func(n *flows.Node) { n.Inputs = append(n.Inputs, fs...) } }

// Outputs adds user-defined outputs.
func Outputs(fs ...flows.Field) Opt {
	return func(n *flows.Node) { n.Outputs = append(n.Outputs, fs...) }
}

// OnError sets the card's error policy.
func OnError(p flows.ErrorPolicy) Opt { return func(n *flows.Node) { n.OnError = &p } }

// LaneOpt changes a lane being built.
type LaneOpt func(*flows.Lane)

// Lane adds a lane of cards to a container.
func Lane(name string, cards []flows.Node, opts ...LaneOpt) Opt {
	return func(n *flows.Node) {
		l := flows.Lane{Name: name, Cards: cards, Bindings: map[string]flows.Binding{}, Outputs: map[string]flows.Binding{}}
		for _, o := range opts {
			o(&l)
		}
		n.Lanes = append(n.Lanes, l)
	}
}

// When sets a lane's condition binding (If/ElseIf).
func When(key string, b flows.Binding) LaneOpt { return func(l *flows.Lane) { l.Bindings[key] = b } }

// Sets sets a container output from the lane.
func Sets(key string, b flows.Binding) LaneOpt { return func(l *flows.Lane) { l.Outputs[key] = b } }

// Cards lists cards for a lane.
func Cards(cs ...flows.Node) []flows.Node { return cs }

// Static is a static value binding.
func Static(v any) flows.Binding { return flows.Binding{Value: v} }

// Ref refers to a card's output, with an optional path.
func Ref(card, field string, path ...string) flows.Binding {
	return flows.Binding{Ref: &flows.Ref{Card: card, Field: field, Path: strings.Join(path, ".")}}
}

// Text is a text binding of static strings and *flows.Ref parts.
func Text(parts ...any) flows.Binding {
	b := flows.Binding{}
	for _, p := range parts {
		switch x := p.(type) {
		case string:
			b.Parts = append(b.Parts, flows.Part{Text: x})
		case flows.Binding:
			b.Parts = append(b.Parts, flows.Part{Ref: x.Ref})
		}
	}
	return b
}

// Recorder keeps executions in memory.
type Recorder struct {
	mu    sync.Mutex
	execs map[string]*flows.Execution
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{execs: map[string]*flows.Execution{}} }

// RecordExecution keeps e.
func (r *Recorder) RecordExecution(_ context.Context, e *flows.Execution) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.execs[e.ID] = e
	return nil
}

// Get returns a recorded execution.
func (r *Recorder) Get(id string) *flows.Execution {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.execs[id]
}

// All returns every recorded execution.
func (r *Recorder) All() []*flows.Execution {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*flows.Execution, 0, len(r.execs))
	for _, e := range r.execs {
		out = append(out, e)
	}
	return out
}

// Flows is an in-memory flow source.
type Flows map[int64]flows.Definition

// FlowDefinition returns a flow by id.
func (f Flows) FlowDefinition(_ context.Context, id int64) (flows.Definition, error) {
	d, ok := f[id]
	if !ok {
		return flows.Definition{}, flows.ErrNotFound
	}
	return d, nil
}

// Clock is a fixed clock that moves one millisecond per reading.
type Clock struct{ n atomic.Int64 }

// Now returns the next instant.
func (c *Clock) Now() time.Time {
	return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).Add(time.Duration(c.n.Add(1)) * time.Millisecond)
}

// Engine returns an engine with the fake registry, a recorder and flows.
func Engine(rec *Recorder, fl Flows, limits flows.Limits) *flows.Engine {
	clock := &Clock{}
	return flows.NewEngine(Registry(), flows.Options{Recorder: rec, Flows: fl, Limits: limits, Now: clock.Now})
}

// Run runs def with the given input on a fresh fake engine.
func Run(t testing.TB, def flows.Definition, input map[string]any) *flows.Execution {
	t.Helper()
	exec, err := Engine(NewRecorder(), nil, flows.Limits{}).Run(context.Background(), flows.RunRequest{Definition: def, Input: input, Trigger: flows.TriggerTest})
	if err != nil {
		t.Fatal(err)
	}
	return exec
}

// Step returns the last step of a card in an execution, or fails the test.
func Step(t testing.TB, e *flows.Execution, card string) flows.Step {
	t.Helper()
	for i := len(e.Steps) - 1; i >= 0; i-- {
		if e.Steps[i].CardID == card {
			return e.Steps[i]
		}
	}
	t.Fatalf("card %q did not run; steps: %v", card, StepIDs(e))
	return flows.Step{}
}

// StepIDs lists the card ids of an execution's steps in order.
func StepIDs(e *flows.Execution) []string {
	ids := make([]string, len(e.Steps))
	for i, s := range e.Steps {
		ids[i] = s.CardID
	}
	return ids
}

// fake is a card of the fake registry.
type fake struct {
	spec flows.CardSpec
	run  func(ctx context.Context, in flows.Input) (flows.Output, error)
}

func (f fake) Spec() flows.CardSpec { return f.spec }
func (f fake) Run(ctx context.Context, in flows.Input) (flows.Output, error) {
	return f.run(ctx, in)
}

// inMemory is a fake card that reports it computes in memory.
type inMemory struct{ fake }

func (inMemory) InMemory() bool { return true }

// registry is a map of fake cards.
type registry map[string]flows.Card

func (r registry) Lookup(typ string) (flows.Card, bool) { c, ok := r[typ]; return c, ok }
func (r registry) Specs() []flows.CardSpec {
	var s []flows.CardSpec
	for _, c := range r {
		s = append(s, c.Spec())
	}
	return s
}

// Attempts counts the calls of fake.flaky per test; reset it before use.
var Attempts atomic.Int64

// Registry returns the fake cards:
//   - fake.upper: text → output, upper-cased
//   - fake.concat: a, b text → output a+b
//   - fake.fail: always fails with "boom"
//   - fake.flaky: fails with HTTP status (input) until attempt ok (input), then outputs attempts
//   - fake.slow: waits ms (input) honouring cancellation
//   - fake.big: outputs a text of size (input) bytes
//   - fake.echo: extensible inputs → output object
//   - fake.deadline, and fake.memdeadline that computes in memory: the
//     seconds left before the card's deadline (-1: none)
func Registry() flows.Registry {
	text := func(k string) flows.Field { return flows.Field{Key: k, Type: flows.TypeText} }
	num := func(k string) flows.Field { return flows.Field{Key: k, Type: flows.TypeNumber} }
	r := registry{}
	add := func(s flows.CardSpec, run func(ctx context.Context, in flows.Input) (flows.Output, error)) {
		s.Title, s.Category = s.Type, flows.CategoryText
		r[s.Type] = fake{spec: s, run: run}
	}
	add(flows.CardSpec{Type: "fake.upper", Inputs: []flows.Field{{Key: "text", Type: flows.TypeText, Required: true}}, Outputs: []flows.Field{text("output")}},
		func(_ context.Context, in flows.Input) (flows.Output, error) {
			return flows.Output{"output": strings.ToUpper(in.Values["text"].(string))}, nil
		})
	add(flows.CardSpec{Type: "fake.concat", Inputs: []flows.Field{text("a"), text("b")}, Outputs: []flows.Field{text("output")}},
		func(_ context.Context, in flows.Input) (flows.Output, error) {
			a, _ := in.Values["a"].(string)
			b, _ := in.Values["b"].(string)
			return flows.Output{"output": a + b}, nil
		})
	add(flows.CardSpec{Type: "fake.fail", Outputs: []flows.Field{text("output")}},
		func(context.Context, flows.Input) (flows.Output, error) { return nil, errors.New("boom") })
	add(flows.CardSpec{Type: "fake.flaky", Inputs: []flows.Field{num("status"), num("ok")}, Outputs: []flows.Field{num("attempts")}},
		func(_ context.Context, in flows.Input) (flows.Output, error) {
			n := Attempts.Add(1)
			if float64(n) < in.Values["ok"].(float64) {
				return nil, &flows.HTTPError{Status: int(in.Values["status"].(float64)), Body: "try later"}
			}
			return flows.Output{"attempts": float64(n)}, nil
		})
	add(flows.CardSpec{Type: "fake.call", Inputs: []flows.Field{text("url")}},
		func(_ context.Context, in flows.Input) (flows.Output, error) {
			u, err := url.Parse(in.Values["url"].(string))
			if err != nil {
				return nil, err
			}
			return nil, &flows.CallError{Method: "GET", URL: u, Err: errors.New(`Get "` + u.String() + `": connection refused`)}
		})
	add(flows.CardSpec{Type: "fake.slow", Inputs: []flows.Field{num("ms")}},
		func(ctx context.Context, in flows.Input) (flows.Output, error) {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(in.Values["ms"].(float64)) * time.Millisecond):
				return flows.Output{}, nil
			}
		})
	add(flows.CardSpec{Type: "fake.big", Inputs: []flows.Field{num("size")}, Outputs: []flows.Field{text("output")}},
		func(_ context.Context, in flows.Input) (flows.Output, error) {
			return flows.Output{"output": strings.Repeat("x", int(in.Values["size"].(float64)))}, nil
		})
	add(flows.CardSpec{Type: "fake.echo", ExtensibleInputs: true, Outputs: []flows.Field{{Key: "output", Type: flows.TypeObject}}},
		func(_ context.Context, in flows.Input) (flows.Output, error) {
			m := map[string]any{}
			for k, v := range in.Values {
				m[k] = v
			}
			return flows.Output{"output": m}, nil
		})
	deadline := func(ctx context.Context, _ flows.Input) (flows.Output, error) {
		left := -1.0
		if d, ok := ctx.Deadline(); ok {
			left = time.Until(d).Seconds()
		}
		return flows.Output{"left": left}, nil
	}
	add(flows.CardSpec{Type: "fake.deadline", Outputs: []flows.Field{num("left")}}, deadline)
	add(flows.CardSpec{Type: "fake.memdeadline", Outputs: []flows.Field{num("left")}}, deadline)
	r["fake.memdeadline"] = inMemory{r["fake.memdeadline"].(fake)}
	return r
}
