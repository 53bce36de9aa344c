package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

// revisioned is a resource whose API updates carry its revision: made
// answers its path; body is an update renaming it to name, made to
// revision rev (0: no revision given).
type revisioned struct {
	what, method string
	list, key    string
	made         func(t *testing.T, c *webtest.Client, token string) string
	body         func(name string, rev int) string
}

// withRevision is a JSON object's fields (without braces) with the
// revision rev added in front, unless rev is 0.
func withRevision(fields string, rev int) string {
	if rev == 0 {
		return "{" + fields + "}"
	}
	return fmt.Sprintf(`{"revision":%d,%s}`, rev, fields)
}

func revisionedResources(hookURL string) []revisioned {
	return []revisioned{
		{what: "connection", method: "PATCH", list: "/api/v1/connections", key: "items",
			made: func(t *testing.T, c *webtest.Client, token string) string {
				con := int64(webtest.APICall(t, c, token, "POST", "/api/v1/connectors", `{"name":"Acme","auth":{"kind":"bearer"}}`, 201)["id"].(float64))
				conn := webtest.APICall(t, c, token, "POST", "/api/v1/connections", fmt.Sprintf(`{"connectorId":%d,"name":"A","values":{"token":"t0k3n"}}`, con), 201)
				return fmt.Sprintf("/api/v1/connections/%d", int64(conn["id"].(float64)))
			},
			body: func(name string, rev int) string { return withRevision(fmt.Sprintf(`"name":%q`, name), rev) }},
		{what: "table", method: "PATCH", list: "/api/v1/tables", key: "tables",
			made: func(t *testing.T, c *webtest.Client, token string) string {
				tb := webtest.APICall(t, c, token, "POST", "/api/v1/tables", `{"name":"A","columns":[{"name":"email","type":"text"}]}`, 201)
				return fmt.Sprintf("/api/v1/tables/%d", int64(tb["id"].(float64)))
			},
			body: func(name string, rev int) string { return withRevision(fmt.Sprintf(`"name":%q`, name), rev) }},
		{what: "event hook", method: "PUT", list: "/api/v1/event-hooks", key: "hooks",
			made: func(t *testing.T, c *webtest.Client, token string) string {
				h := webtest.APICall(t, c, token, "POST", "/api/v1/event-hooks", fmt.Sprintf(`{"name":"A","url":%q,"events":["execution.failed"]}`, hookURL), 201)
				return fmt.Sprintf("/api/v1/event-hooks/%d", int64(h["id"].(float64)))
			},
			body: func(name string, rev int) string {
				return withRevision(fmt.Sprintf(`"name":%q,"url":%q,"events":["execution.failed"]`, name, hookURL), rev)
			}},
	}
}

// revisionOf is the revision in an answer (-1 when it has none).
func revisionOf(m map[string]any) int {
	if r, ok := m["revision"].(float64); ok {
		return int(r)
	}
	return -1
}

// listedRevision is the revision the list at path answers for the item
// at the end of idPath.
func listedRevision(t *testing.T, c *webtest.Client, token string, r revisioned, idPath string) int {
	t.Helper()
	items, _ := webtest.APICall(t, c, token, "GET", r.list, "", 200)[r.key].([]any)
	for _, it := range items {
		m := it.(map[string]any)
		if fmt.Sprintf("%s/%d", r.list, int64(m["id"].(float64))) == idPath {
			return revisionOf(m)
		}
	}
	t.Fatalf("%s is not in the list %s", idPath, r.list)
	return 0
}

// TestAPIRevisions changes a connection, a table and an event hook
// through the API, on SQLite and Postgres: each starts at revision 1 in
// every answer, an update made to the current revision applies and
// answers the next one, a stale revision is a 409 in plain words that
// changes nothing, an update without a revision applies, and of several
// updates sent at once to the same revision exactly one applies.
func TestAPIRevisions(t *testing.T) {
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer recv.Close()
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			srv := webtest.StartWith(t, webtest.Options{DatabaseURL: db.URL(t)})
			c, token := srv.NewClient(), srv.Token(t)
			for _, r := range revisionedResources(recv.URL + "/hook") {
				t.Run(r.what, func(t *testing.T) {
					path := r.made(t, c, token)
					if got := revisionOf(webtest.APICall(t, c, token, "GET", path, "", 200)); got != 1 {
						t.Fatalf("a new %s is at revision %d, want 1", r.what, got)
					}
					if got := listedRevision(t, c, token, r, path); got != 1 {
						t.Fatalf("the list shows revision %d, want 1", got)
					}

					if got := webtest.APICall(t, c, token, r.method, path, r.body("B", 1), 200); got["name"] != "B" || revisionOf(got) != 2 {
						t.Fatalf("an update to the current revision answered %v", got)
					}

					stale := webtest.APICall(t, c, token, r.method, path, r.body("C", 1), 409)
					want := fmt.Sprintf("The %s was changed since revision 1 (it is at revision 2 now); get it again and make your change to the newest revision", r.what)
					if msg := errorMessage(stale); msg != want {
						t.Errorf("stale revision: %q, want %q", msg, want)
					}
					if got := webtest.APICall(t, c, token, "GET", path, "", 200); got["name"] != "B" || revisionOf(got) != 2 {
						t.Fatalf("a stale update changed the %s: %v", r.what, got)
					}

					if got := webtest.APICall(t, c, token, r.method, path, r.body("D", 0), 200); got["name"] != "D" || revisionOf(got) != 3 {
						t.Fatalf("an update without a revision answered %v", got)
					}
					if got := listedRevision(t, c, token, r, path); got != 3 {
						t.Fatalf("the list shows revision %d, want 3", got)
					}

					statuses := racedUpdates(t, c, token, r, path, 3, 6)
					if statuses[http.StatusOK] != 1 || statuses[http.StatusConflict] != 5 {
						t.Errorf("6 updates to revision 3 at once answered %v, want one 200 and five 409", statuses)
					}
					if got := revisionOf(webtest.APICall(t, c, token, "GET", path, "", 200)); got != 4 {
						t.Errorf("after the race the %s is at revision %d, want 4", r.what, got)
					}
				})
			}
		})
	}
}

// racedUpdates sends n updates made to revision rev at once and counts
// their answers by status.
func racedUpdates(t *testing.T, c *webtest.Client, token string, r revisioned, path string, rev, n int) map[int]int {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	statuses := map[int]int{}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _ := c.API(t, token, r.method, path, r.body(fmt.Sprintf("Racer %d", i), rev))
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return statuses
}

// TestAPIEventHookStateRevision: activating and deactivating an event
// hook are changes too; an update made before one of them is stale.
func TestAPIEventHookStateRevision(t *testing.T) {
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer recv.Close()
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)
	r := revisionedResources(recv.URL + "/hook")[2]
	path := r.made(t, c, token)
	if got := revisionOf(webtest.APICall(t, c, token, "POST", path+"/deactivate", "", 200)); got != 2 {
		t.Fatalf("deactivated: revision %d, want 2", got)
	}
	msg := errorMessage(webtest.APICall(t, c, token, "PUT", path, r.body("B", 1), 409))
	if !strings.Contains(msg, "changed since revision 1 (it is at revision 2 now)") {
		t.Errorf("an update made before deactivating: %q", msg)
	}
}
