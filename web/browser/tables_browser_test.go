package browser_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/web/webtest"
)

// rowCount counts the rows the table's page shows.
const rowCount = `document.querySelectorAll('[data-testid="row"]').length`

// TestBrowserTables: a super admin creates a table with typed columns
// from the Tables area, adds a row inline (seeing a wrong number by its
// field), edits and deletes it, searches and pages through rows, imports
// a CSV file whose preview shows a bad row (nothing is written) and then
// a good one, and exports the table as CSV.
func TestBrowserTables(t *testing.T) {
	srv := webtest.Start(t)
	b := webtest.NewBrowser(t, srv)
	b.SignIn()
	id := webtest.TestID
	accept := &atomic.Bool{}
	accept.Store(true)
	asked := dialogs(b, accept)
	b.Run(chromedp.EmulateViewport(1440, 900))

	// Create a table with columns.
	b.Run(chromedp.Click(id("nav-tables")), chromedp.WaitVisible(id("tables-empty")))
	b.Run(
		chromedp.SendKeys(id("table-name"), "Customers"),
		chromedp.SendKeys(id("table-description"), "Who buys from us"),
		chromedp.SendKeys(id("columns.0.name"), "email"),
		chromedp.Click(id("columns.0.unique")),
		chromedp.SendKeys(id("columns.1.name"), "age"),
		chromedp.SetValue(id("columns.1.type"), "number"),
		chromedp.SendKeys(id("columns.2.name"), "vip"),
		chromedp.SetValue(id("columns.2.type"), "boolean"),
		chromedp.SendKeys(id("columns.2.default"), "false"),
		chromedp.Click(id("table-create")),
		chromedp.WaitVisible(id("table-title")),
	)
	if got := b.Text("flash-success"); got != "Table Customers created." {
		t.Fatalf("after create: %q", got)
	}

	// Add a row inline: a wrong number is shown by its field, then fixed.
	b.Run(
		chromedp.SendKeys(`[data-testid="row-new"] [data-testid="input-email"]`, "ada@example.com"),
		chromedp.SendKeys(`[data-testid="row-new"] [data-testid="input-age"]`, "thirty-six"),
		chromedp.Click(id("row-add")),
		chromedp.WaitVisible(`[data-testid="row-new"] [data-testid="error-age"]`),
	)
	if got := b.Text("error-age"); got != `Column "age" takes a number, not "thirty-six".` {
		t.Fatalf("the age's error = %q", got)
	}
	b.Run(
		chromedp.SetValue(`[data-testid="row-new"] [data-testid="input-age"]`, "36"),
		chromedp.Click(id("row-add")),
		chromedp.WaitVisible(id("row")),
	)
	if got := b.Text("cell-vip"); got != "false" {
		t.Fatalf("the new row's vip = %q (its default is false)", got)
	}
	if got := webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="row-new"] [data-testid="input-email"]').value`)); got != "" {
		t.Fatalf("the add line keeps %q", got)
	}

	// Edit it inline: a wrong number again, then saved.
	b.Run(chromedp.Click(id("row-edit")), chromedp.WaitVisible(id("row-editing")))
	b.Run(
		chromedp.SetValue(`[data-testid="row-editing"] [data-testid="input-age"]`, "old"),
		chromedp.Click(id("row-save")),
		chromedp.WaitVisible(`[data-testid="row-editing"] [data-testid="error-age"]`),
	)
	b.Run(
		chromedp.SetValue(`[data-testid="row-editing"] [data-testid="input-age"]`, "37"),
		chromedp.SetValue(`[data-testid="row-editing"] [data-testid="input-vip"]`, "true"),
		chromedp.Click(id("row-save")),
		chromedp.WaitNotPresent(id("row-editing")),
	)
	if age, vip := b.Text("cell-age"), b.Text("cell-vip"); age != "37" || vip != "true" {
		t.Fatalf("after saving: age %q vip %q", age, vip)
	}
	b.Open(fmt.Sprintf("/tables/%d", 1))
	if got := b.Text("cell-age"); got != "37" {
		t.Fatalf("after a reload the age is %q", got)
	}
	b.Run(chromedp.Click(id("row-delete")), chromedp.WaitNotPresent(id("row")))
	if got := asked(); len(got) != 1 || got[0] != "Delete this row?" {
		t.Fatalf("asked %q", got)
	}

	// Import: a file with a bad row shows its problem and writes nothing.
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("email,age,vip\nalan@example.com,41,yes\ngrace@example.com,lots,no\n"), 0o644)
	b.Run(chromedp.Click(id("table-import")), chromedp.WaitVisible(id("import-form")))
	b.Run(chromedp.SetUploadFiles(id("import-file"), []string{bad}), chromedp.Click(id("import-preview-go")), chromedp.WaitVisible(id("import-preview")))
	if got := b.Text("import-problem"); got != `Line 3: column "age" takes a number, not "lots".` {
		t.Fatalf("the problem = %q", got)
	}
	if n := webtest.Value(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="import-line"]').length`)); n != 2 {
		t.Fatalf("the preview shows %d lines", n)
	}
	if n := webtest.Value(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="import-confirm"]').length`)); n != 0 {
		t.Fatal("a file with problems can be imported")
	}
	shoot(b, "tables-import-problems")

	var good strings.Builder
	good.WriteString("email,age\n")
	for i := range 30 {
		fmt.Fprintf(&good, "user%02d@example.org,%d\n", i, 20+i)
	}
	goodPath := filepath.Join(dir, "good.csv")
	os.WriteFile(goodPath, []byte(good.String()), 0o644)
	b.Run(chromedp.SetUploadFiles(id("import-file"), []string{goodPath}), chromedp.Click(id("import-preview-go")), chromedp.WaitVisible(id("import-confirm")))
	if got := b.Text("import-confirm"); got != "Import 30 rows" {
		t.Fatalf("the button reads %q", got)
	}
	shoot(b, "tables-import-preview")
	b.Run(chromedp.EmulateViewport(1440, 900), chromedp.Click(id("import-confirm")), chromedp.WaitVisible(id("table-title")))
	if got := b.Text("flash-success"); got != "Imported 30 rows." {
		t.Fatalf("after the import: %q", got)
	}
	if got := b.Text("table-count"); got != "30 rows in all" {
		t.Fatalf("count = %q", got)
	}
	shoot(b, "tables-table")

	// Pages, then a search.
	b.Run(chromedp.EmulateViewport(1440, 900))
	if n := webtest.Value(b, chromedp.Evaluate[int](rowCount)); n != 25 {
		t.Fatalf("the first page has %d rows", n)
	}
	b.Run(chromedp.Click(id("page-next")), chromedp.WaitVisible(id("page-first")))
	b.Run(chromedp.WaitVisible(id("table-title")))
	if n := webtest.Value(b, chromedp.Evaluate[int](rowCount)); n != 5 {
		t.Fatalf("the second page has %d rows", n)
	}
	b.Run(chromedp.Click(id("page-prev")))
	webtest.WaitFor(t, "the first page again", func() bool {
		return webtest.Value(b, chromedp.Evaluate[int](rowCount)) == 25
	})
	if got, n := b.Text("cell-email"), webtest.Value(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="page-prev"]').length`)); got != "user00@example.org" || n != 0 {
		t.Fatalf("back on the first page: %q first, %d previous links", got, n)
	}
	// Pages both ways, ten rows at a time by age, oldest first.
	b.Open(fmt.Sprintf("/tables/%d?sort=age&desc=true&limit=10", 1))
	b.Run(chromedp.Click(id("page-next")), chromedp.WaitVisible(id("page-prev")), chromedp.WaitVisible(id("page-next")))
	if got := b.Text("cell-email"); got != "user19@example.org" {
		t.Fatalf("the second page by age starts with %q", got)
	}
	shoot(b, "tables-paging")
	b.Run(chromedp.EmulateViewport(1440, 900), chromedp.Click(id("page-prev")), chromedp.WaitNotPresent(id("page-prev")))
	if got := b.Text("cell-email"); got != "user29@example.org" {
		t.Fatalf("back by age starts with %q", got)
	}

	// The unique flag: email is unique; vip holds false twice, so it
	// cannot be, and the page says so by its name.
	if on := webtest.Value(b, chromedp.Evaluate[bool](`document.querySelector('[data-testid="columns.0.unique"]').checked`)); !on {
		t.Fatal("the settings do not show email as unique")
	}
	b.Run(chromedp.Click(id("columns.2.unique")), chromedp.Click(id("settings-save")), chromedp.WaitVisible(id("settings-problem")))
	if got := b.Text("settings-problem"); got != `Column "vip" has the same value in more than one row: it can be unique once they differ.` {
		t.Fatalf("unique vip = %q", got)
	}
	shoot(b, "tables-settings-unique")
	b.Run(chromedp.EmulateViewport(1440, 900))
	b.Open(fmt.Sprintf("/tables/%d", 1))
	if on := webtest.Value(b, chromedp.Evaluate[bool](`document.querySelector('[data-testid="columns.2.unique"]').checked`)); on {
		t.Fatal("vip became unique")
	}
	at := func(part string) {
		t.Helper()
		webtest.WaitFor(t, "the page "+part, func() bool {
			return strings.Contains(webtest.Value(b, chromedp.Evaluate[string](`location.href`)), part)
		})
		b.Run(chromedp.WaitVisible(id("table-title")))
	}
	b.Run(chromedp.SendKeys(id("table-q"), "user1"), chromedp.Click(id("table-search-go")))
	at("q=user1")
	if n := webtest.Value(b, chromedp.Evaluate[int](rowCount)); n != 10 {
		t.Fatalf("the search found %d rows", n)
	}
	b.Run(chromedp.SendKeys(id("filter-age"), "31"), chromedp.Click(id("table-search-go")))
	at("where.age=31")
	if n, got := webtest.Value(b, chromedp.Evaluate[int](rowCount)), b.Text("cell-email"); n != 1 || got != "user11@example.org" {
		t.Fatalf("user1 and age 31 found %d rows (%q)", n, got)
	}

	// Export: the file the link gives.
	href := webtest.Value(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="table-export"]').getAttribute("href")`))
	web := srv.SignedIn(t)
	res, body := web.Get(t, href)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if len(lines) != 31 || lines[0] != "id,email,age,vip,createdAt,updatedAt" || !strings.HasPrefix(lines[1], "2,user00@example.org,20,false,") {
		t.Fatalf("export has %d lines: %q %q", len(lines), lines[0], lines[1])
	}

	b.Open("/tables")
	if got := b.Text("table-rows"); got != "30" {
		t.Fatalf("the list counts %q rows", got)
	}
	shoot(b, "tables-list")
}
