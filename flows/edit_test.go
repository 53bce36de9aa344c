package flows_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/hookflow/hookflow/flows"
	. "github.com/hookflow/hookflow/flows/flowstest"
)

func ids(cards []flows.Node) []string {
	out := make([]string, len(cards))
	for i, c := range cards {
		out[i] = c.ID
	}
	return out
}

func editFlow() flows.Definition {
	return Flow(Manual(F("name", text)),
		Card("up", "fake.upper", In("text", Ref("event", "name"))),
		Card("if", flows.ControlIfElse, In("a", Ref("up", "output")), In("b", Static("X")), Outputs(F("r", text)),
			Lane("then", Cards(Card("t", "fake.concat", In("a", Ref("up", "output")))), Sets("r", Ref("t", "output"))),
			Lane("else", Cards())),
		Card("as", flows.ControlAssign, Inputs(F("v", text)), In("v", Text("<", Ref("up", "output"), ">"))),
		Card("last", "fake.upper", In("text", Ref("as", "v"))))
}

func TestAddAndMoveCards(t *testing.T) {
	d := editFlow()
	spec := flows.ControlSpecs()[3] // If/Else
	if err := d.AddCard(flows.Place{Index: 1}, flows.Node{Type: "fake.upper"}, flows.CardSpec{}); err != nil {
		t.Fatal(err)
	}
	if err := d.AddCard(flows.Place{Lane: "if/else", Index: 9}, flows.Node{Type: flows.ControlIfElse}, spec); err != nil {
		t.Fatal(err)
	}
	if got := ids(d.Cards); !reflect.DeepEqual(got, []string{"up", "upper1", "if", "as", "last"}) {
		t.Fatalf("top level = %v", got)
	}
	inner, _ := d.Card("ifelse1")
	if len(inner.Lanes) != 2 || inner.Lanes[0].Name != "then" {
		t.Fatalf("a new If/Else has lanes %+v", inner.Lanes)
	}
	if err := d.AddCard(flows.Place{Lane: "nope/then"}, flows.Node{Type: "fake.upper"}, flows.CardSpec{}); !errors.Is(err, flows.ErrNotFound) {
		t.Fatalf("unknown lane: %v", err)
	}
	if err := d.AddCard(flows.Place{}, flows.Node{ID: "up", Type: "fake.upper"}, flows.CardSpec{}); !errors.Is(err, flows.ErrConflict) {
		t.Fatalf("taken id: %v", err)
	}

	// Move within the top level, into a lane and out again.
	if err := d.MoveCard("last", flows.Place{Index: 0}); err != nil {
		t.Fatal(err)
	}
	if got := ids(d.Cards); got[0] != "last" {
		t.Fatalf("after move = %v", got)
	}
	if err := d.MoveCard("upper1", flows.Place{Lane: "if/then", Index: 0}); err != nil {
		t.Fatal(err)
	}
	if c, _ := d.Card("if"); !reflect.DeepEqual(ids(c.Lanes[0].Cards), []string{"upper1", "t"}) {
		t.Fatalf("then lane = %v", ids(c.Lanes[0].Cards))
	}
	if err := d.MoveCard("if", flows.Place{Lane: "ifelse1/then"}); !errors.Is(err, flows.ErrInvalid) {
		t.Fatalf("moving a card into its own lane: %v", err)
	}
	// A reference that now points forward is what Validate reports.
	err := flows.Validate(d, Registry())
	var ve *flows.ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Card != "last" || ve.Problems[0].Code != "bad_ref" {
		t.Fatalf("after moving last first: %v", err)
	}
}

func TestRemoveCardRemovesItsMappings(t *testing.T) {
	d := editFlow()
	lost, err := d.RemoveCard("up")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"as.v", "if.a", "t.a"}
	if !reflect.DeepEqual(lost, want) {
		t.Fatalf("lost = %v, want %v", lost, want)
	}
	if _, ok := d.Card("up"); ok {
		t.Fatal("card still there")
	}
	// A card whose required input lost its mapping now shows what is missing.
	if _, err := d.RemoveCard("as"); err != nil {
		t.Fatal(err)
	}
	err = flows.Validate(d, Registry())
	var ve *flows.ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Card != "last" || ve.Problems[0].Field != "text" || ve.Problems[0].Code != "missing_input" {
		t.Fatalf("validate = %v", err)
	}
	// Deleting a container deletes its lanes' cards and the mappings from them.
	d = editFlow()
	if lost, _ := d.RemoveCard("if"); !reflect.DeepEqual(lost, []string(nil)) {
		t.Fatalf("lost = %v", lost)
	}
	if _, ok := d.Card("t"); ok {
		t.Fatal("the lane's card survived its container")
	}
	if _, err := d.RemoveCard("event"); !errors.Is(err, flows.ErrInvalid) {
		t.Fatalf("removing the event card: %v", err)
	}
	if _, err := d.RemoveCard("ghost"); !errors.Is(err, flows.ErrNotFound) {
		t.Fatalf("removing a missing card: %v", err)
	}
	reg, _ := flows.NewDefinition(flows.KindWebhookRegistration, "r")
	if _, err := reg.RemoveCard("return"); !errors.Is(err, flows.ErrInvalid) {
		t.Fatalf("removing the registration Return card: %v", err)
	}
}

func TestBindAndFields(t *testing.T) {
	d := editFlow()
	// One output feeds many inputs; an input takes one source.
	if err := d.Bind("last", "text", Ref("up", "output")); err != nil {
		t.Fatal(err)
	}
	if err := d.Bind("last", "text", Static("fixed")); err != nil {
		t.Fatal(err)
	}
	if c, _ := d.Card("last"); c.Bindings["text"].Value != "fixed" || c.Bindings["text"].Ref != nil {
		t.Fatalf("binding = %+v", c.Bindings["text"])
	}
	if err := d.Unbind("last", "text"); err != nil {
		t.Fatal(err)
	}
	if c, _ := d.Card("last"); len(c.Bindings) != 0 {
		t.Fatal("not unbound")
	}
	if err := d.Bind("ghost", "x", Static(1)); !errors.Is(err, flows.ErrNotFound) {
		t.Fatalf("bind on a missing card: %v", err)
	}

	// Renaming an Assign field moves its mapping and the mappings from it.
	d = editFlow()
	if err := d.UpdateField("as", false, "v", F("value", text)); err != nil {
		t.Fatal(err)
	}
	as, _ := d.Card("as")
	last, _ := d.Card("last")
	if _, ok := as.Bindings["value"]; !ok || last.Bindings["text"].Ref.Field != "value" {
		t.Fatalf("rename: as %+v, last %+v", as.Bindings, last.Bindings)
	}
	if err := flows.Validate(d, Registry()); err != nil {
		t.Fatalf("after rename: %v", err)
	}
	if err := d.AddField("as", false, F("value", text)); !errors.Is(err, flows.ErrConflict) {
		t.Fatalf("adding a taken key: %v", err)
	}
	if err := d.AddField("as", false, F("w", flows.TypeNumber)); err != nil {
		t.Fatal(err)
	}
	lost, err := d.RemoveField("as", false, "value")
	if err != nil || !reflect.DeepEqual(lost, []string{"last.text"}) {
		t.Fatalf("remove field = %v, %v", lost, err)
	}
	// Renaming an If/Else output moves the lane outputs' … and the mappings from it.
	if err := d.Bind("last", "text", Ref("if", "r")); err != nil {
		t.Fatal(err)
	}
	if err := d.UpdateField("if", true, "r", F("result", text)); err != nil {
		t.Fatal(err)
	}
	if last, _ := d.Card("last"); last.Bindings["text"].Ref.Field != "result" {
		t.Fatalf("mapping from the renamed output = %+v", last.Bindings["text"].Ref)
	}

	reg, _ := flows.NewDefinition(flows.KindWebhookRegistration, "r")
	if _, err := reg.RemoveField("return", false, flows.FieldRegistrationData); !errors.Is(err, flows.ErrInvalid) {
		t.Fatalf("removing Registration Data: %v", err)
	}
	if err := reg.UpdateField("return", false, flows.FieldRegistrationData, F("data", flows.TypeObject)); !errors.Is(err, flows.ErrInvalid) {
		t.Fatalf("renaming Registration Data: %v", err)
	}
}

func TestNewCardID(t *testing.T) {
	d := editFlow()
	if got := d.NewCardID("text.upper"); got != "upper1" {
		t.Fatalf("NewCardID = %q", got)
	}
	d.AddCard(flows.Place{}, flows.Node{Type: "text.upper"}, flows.CardSpec{})
	if got := d.NewCardID("text.upper"); got != "upper2" {
		t.Fatalf("second NewCardID = %q", got)
	}
	if got := d.NewCardID(flows.ControlIfElse); got != "ifelse1" {
		t.Fatalf("NewCardID(if_else) = %q", got)
	}
}

func TestLaneEdits(t *testing.T) {
	d := Flow(Manual(F("n", flows.TypeNumber)))
	spec := flows.ControlSpecs()[4] // If/ElseIf
	if spec.Type != flows.ControlIfElseIf {
		t.Fatalf("spec %s", spec.Type)
	}
	if err := d.AddCard(flows.Place{}, flows.Node{Type: flows.ControlIfElseIf, Outputs: []flows.Field{F("size", text)}}, spec); err != nil {
		t.Fatal(err)
	}
	name, err := d.AddLane("ifelseif1")
	if err != nil || name != "if1" {
		t.Fatalf("AddLane = %q, %v", name, err)
	}
	n, _ := d.Card("ifelseif1")
	if got := []string{n.Lanes[0].Name, n.Lanes[1].Name, n.Lanes[2].Name}; !reflect.DeepEqual(got, []string{"if", "if1", "else"}) {
		t.Fatalf("lanes = %v", got)
	}
	for lane, limit := range map[string]float64{"if": 10, "if1": 100} {
		d.BindLane("ifelseif1", lane, "a", false, Ref("event", "n"))
		d.BindLane("ifelseif1", lane, "operator", false, Static("less"))
		d.BindLane("ifelseif1", lane, "b", false, Static(limit))
	}
	d.BindLane("ifelseif1", "if", "size", true, Static("small"))
	d.BindLane("ifelseif1", "if1", "size", true, Static("medium"))
	d.BindLane("ifelseif1", "else", "size", true, Static("large"))
	if err := flows.Validate(d, Registry()); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[float64]string{5: "small", 50: "medium", 500: "large"} {
		e := Run(t, d, map[string]any{"n": in})
		if got := Step(t, e, "ifelseif1").Outputs["size"]; got != want {
			t.Errorf("n=%v: size %v, want %s", in, got, want)
		}
	}
	// A zero binding removes it; unknown lanes and cards are errors.
	d.BindLane("ifelseif1", "else", "size", true, flows.Binding{})
	if n, _ := d.Card("ifelseif1"); len(n.Lanes[2].Outputs) != 0 {
		t.Fatal("lane output not removed")
	}
	if err := d.BindLane("ifelseif1", "maybe", "a", false, Static(1)); !errors.Is(err, flows.ErrNotFound) {
		t.Fatalf("unknown lane: %v", err)
	}
	d.AddCard(flows.Place{}, flows.Node{Type: "fake.upper"}, flows.CardSpec{})
	if _, err := d.AddLane("upper1"); !errors.Is(err, flows.ErrInvalid) {
		t.Fatalf("lane on a plain card: %v", err)
	}
}
