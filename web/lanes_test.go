package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

func TestEditorIfElseIfLanes(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	ctx := context.Background()
	con, _ := srv.Store.CreateConnector(ctx, flows.ConnectorInfo{Name: "Acme", Auth: flows.AuthDefinition{Kind: flows.AuthNone}})
	def, _ := flows.NewDefinition(flows.KindHelper, "Size")
	def.Event.Outputs = []flows.Field{{Key: "n", Type: flows.TypeNumber}}
	f, _ := srv.Store.CreateFlow(ctx, flows.Flow{ConnectorID: con.ID, Definition: def})
	editURL := fmt.Sprintf("/connectors/%d/flows/%d/edit", con.ID, f.ID)
	rev := 1
	edit := func(pairs ...string) (int, string) {
		t.Helper()
		form := url.Values{"_csrf": {c.CSRF(t, "/connectors")}, "revision": {fmt.Sprint(rev)}}
		for i := 0; i < len(pairs); i += 2 {
			form.Set(pairs[i], pairs[i+1])
		}
		res, body := c.Do(t, http.MethodPost, editURL, strings.NewReader(form.Encode()), http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"}, "HX-Request": {"true"}})
		if res.StatusCode == http.StatusOK && form.Get("op") != "test" {
			rev++
		}
		return res.StatusCode, body
	}
	must := func(pairs ...string) string {
		t.Helper()
		status, body := edit(pairs...)
		if status != http.StatusOK {
			t.Fatalf("%v: %d %s", pairs, status, body)
		}
		return body
	}
	must("op", "add", "type", flows.ControlIfElseIf, "lane", "", "index", "0")
	must("op", "add_field", "card", "ifelseif1", "output", "true", "key", "size", "type", "text")
	body := must("op", "add_lane", "card", "ifelseif1")
	if !strings.Contains(body, `data-testid="lane-ifelseif1-if1"`) {
		t.Fatal("added lane not drawn")
	}
	for lane, limit := range map[string]string{"if": "10", "if1": "100"} {
		must("op", "bind", "card", "ifelseif1", "lane", lane, "laneOutput", "false", "field", "a", "refCard", "event", "refField", "n")
		must("op", "bind", "card", "ifelseif1", "lane", lane, "laneOutput", "false", "field", "operator", "value", "less")
		must("op", "bind", "card", "ifelseif1", "lane", lane, "laneOutput", "false", "field", "b", "value", limit)
	}
	for lane, size := range map[string]string{"if": "small", "if1": "medium", "else": "large"} {
		must("op", "bind", "card", "ifelseif1", "lane", lane, "laneOutput", "true", "field", "size", "value", size)
	}
	if status, body := edit("op", "bind", "card", "ifelseif1", "lane", "if", "laneOutput", "false", "field", "operator", "value", "roughly"); status != 422 || !strings.Contains(body, "is one of") {
		t.Fatalf("an operator outside the choices: %d", status)
	}
	body = must("op", "test", "in.n", "50")
	if got := parse(t, body).Find(`[data-testid="step-out-ifelseif1"]`).Text(); !strings.Contains(got, `"size": "medium"`) {
		t.Fatalf("test run of n=50 did not pick the medium lane: %q", got)
	}
	got, _ := srv.Store.Flow(ctx, f.ID)
	if err := flows.Validate(got.Definition, srv.Web.Registry()); err != nil {
		t.Fatalf("built flow: %v", err)
	}
	// Removing a lane output's value is an unbind.
	must("op", "unbind", "card", "ifelseif1", "lane", "else", "laneOutput", "true", "field", "size")
	got, _ = srv.Store.Flow(ctx, f.ID)
	n, _ := got.Definition.Card("ifelseif1")
	if _, ok := n.Lanes[2].Outputs["size"]; ok || n.Lanes[2].Name != "else" {
		t.Fatalf("else lane = %+v", n.Lanes[2])
	}
}
