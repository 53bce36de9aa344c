package flows_test

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
)

var (
	fencedBlock = regexp.MustCompile("(?s)```.*?```")
	codeSpan    = regexp.MustCompile("`[^`\n]+`")
	word        = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)
)

// formatSection returns the words inside the inline code spans (not the
// examples) of FORMAT.md's section under heading, down to the next heading
// of its level or above.
func formatSection(t *testing.T, doc, heading string) map[string]bool {
	t.Helper()
	i := strings.Index(doc, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("FORMAT.md has no section %q", heading)
	}
	body := doc[i+len(heading)+2:]
	level := heading[:strings.Index(heading, " ")+1] // "## "
	for _, next := range []string{"\n# ", "\n" + level} {
		if j := strings.Index(body, next); j >= 0 {
			body = body[:j]
		}
	}
	words := map[string]bool{}
	for _, span := range codeSpan.FindAllString(fencedBlock.ReplaceAllString(body, ""), -1) {
		for _, w := range word.FindAllString(span, -1) {
			words[w] = true
		}
	}
	return words
}

// jsonKeys lists the JSON keys of a struct's fields.
func jsonKeys(v any) []string {
	var keys []string
	typ := reflect.TypeOf(v)
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		keys = append(keys, name)
	}
	return keys
}

// TestFormatDocumentsEveryKey fails when a JSON key of the flow document,
// the webhook settings, a connector export or a flow bundle is not
// explained (in prose or a table, not only in an example) in the section
// of flows/FORMAT.md that describes its object.
func TestFormatDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile("FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	sections := []struct {
		heading string
		structs []any
	}{
		{"## Shape", []any{flows.Definition{}}},
		{"## Placed cards", []any{flows.Node{}, flows.Field{}, flows.Lane{}, flows.ErrorPolicy{}}},
		{"## Bindings", []any{flows.Binding{}, flows.Ref{}, flows.Part{}}},
		{"## Connector cards in workspace flows", []any{flows.EventSource{}, flows.ActionRef{}}},
		{"## A Webhook Event flow", []any{flows.WebhookSettings{}, flows.FlowLink{}, flows.WebhookSecurity{}, flows.Field{}}},
		{"## A Polling Event flow", []any{flows.PollingSettings{}}},
		{"## A connector export", []any{flows.ConnectorExport{}, flows.ExportedFlow{}, flows.ConnectorInfo{}, flows.AuthDefinition{}, flows.AuthField{}}},
		{"## A flow export with its tables", []any{flows.FlowBundle{}, flows.ExportedTable{}, flows.Column{}}},
		{"## Unbound cards (imported flows)", []any{flows.Unbound{}}},
	}
	for _, s := range sections {
		words := formatSection(t, doc, s.heading)
		for _, v := range s.structs {
			for _, key := range jsonKeys(v) {
				if !words[key] {
					t.Errorf("FORMAT.md, %q: the key %q of %T is not explained", s.heading, key, v)
				}
			}
		}
	}
}
