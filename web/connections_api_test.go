package web_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestAPIConnections lists connections (paged, by connector, by name),
// reads one and changes it through the API, on SQLite and Postgres: a
// secret is never in an answer, only masked; a new secret replaces the old
// one and a masked one sent back keeps it.
func TestAPIConnections(t *testing.T) {
	for _, db := range storetest.DBs {
		t.Run(db.Name, func(t *testing.T) {
			srv := webtest.StartWith(t, webtest.Options{DatabaseURL: db.URL(t)})
			c, token := srv.NewClient(), srv.Token(t)
			ctx := context.Background()
			basic := int64(webtest.APICall(t, c, token, "POST", "/api/v1/connectors", `{"name":"Acme","auth":{"kind":"basic"}}`, 201)["id"].(float64))
			bearer := int64(webtest.APICall(t, c, token, "POST", "/api/v1/connectors", `{"name":"Box","auth":{"kind":"bearer"}}`, 201)["id"].(float64))
			const secret = "s3cret-Pa55word"
			var ids []int64
			for i, name := range []string{"Acme prod", "Acme staging", "Acme test"} {
				conn := webtest.APICall(t, c, token, "POST", "/api/v1/connections",
					fmt.Sprintf(`{"connectorId":%d,"name":%q,"values":{"username":"ada%d","password":%q}}`, basic, name, i, secret), 201)
				ids = append(ids, int64(conn["id"].(float64)))
			}
			webtest.APICall(t, c, token, "POST", "/api/v1/connections", fmt.Sprintf(`{"connectorId":%d,"name":"Box prod","values":{"token":%q}}`, bearer, secret), 201)

			if got := listNames(t, c, token, "/api/v1/connections?limit=1"); !slices.Equal(got, []string{"Box prod", "Acme test", "Acme staging", "Acme prod"}) {
				t.Errorf("pages of 1 list %v", got)
			}
			if got := listNames(t, c, token, fmt.Sprintf("/api/v1/connections?connector=%d&limit=2", basic)); !slices.Equal(got, []string{"Acme test", "Acme staging", "Acme prod"}) {
				t.Errorf("Acme's list %v", got)
			}
			if got := listNames(t, c, token, "/api/v1/connections?q=PROD&offset=1"); !slices.Equal(got, []string{"Acme prod"}) {
				t.Errorf("q=PROD from offset 1 lists %v", got)
			}
			webtest.APICall(t, c, token, "GET", "/api/v1/connections?connector=acme", "", 422)
			status, body := c.API(t, token, "GET", "/api/v1/connections", "")
			if status != 200 || strings.Contains(body, secret) || !strings.Contains(body, `"password":"[masked]"`) || !strings.Contains(body, `"connectorName":"Box"`) {
				t.Fatalf("list: %d %s", status, body)
			}

			path := fmt.Sprintf("/api/v1/connections/%d", ids[0])
			status, body = c.API(t, token, "GET", path, "")
			if status != 200 || strings.Contains(body, secret) || !strings.Contains(body, `"values":{"password":"[masked]","username":"ada0"}`) {
				t.Fatalf("get: %d %s", status, body)
			}
			// Renamed, the masked secret sent back as it was read: the secret stays.
			got := webtest.APICall(t, c, token, "PATCH", path, `{"name":"Acme live","values":{"username":"grace","password":"[masked]"}}`, 200)
			if got["name"] != "Acme live" || got["values"].(map[string]any)["password"] != flows.Masked {
				t.Fatalf("renamed: %v", got)
			}
			if conn, _ := srv.Store.Connection(ctx, ids[0]); conn.Values["password"] != secret || conn.Values["username"] != "grace" || conn.Name != "Acme live" {
				t.Fatalf("stored %+v", conn)
			}
			// A new secret replaces the old one, and is not answered.
			status, body = c.API(t, token, "PATCH", path, `{"values":{"password":"n3w-Pa55word"}}`)
			if status != 200 || strings.Contains(body, "n3w-Pa55word") {
				t.Fatalf("new secret: %d %s", status, body)
			}
			if conn, _ := srv.Store.Connection(ctx, ids[0]); conn.Values["password"] != "n3w-Pa55word" || conn.Name != "Acme live" {
				t.Fatalf("stored %+v", conn)
			}

			refusals := []struct {
				name, body string
				status     int
				want       string
			}{
				{"empty name", `{"name":" "}`, 422, `"field":"name"`},
				{"empty secret", `{"values":{"password":""}}`, 422, `"field":"values.password"`},
				{"unknown field", `{"values":{"token":"x"}}`, 422, `has no field \"token\"`},
				{"unknown property", `{"label":"x"}`, 422, `"status":422`},
			}
			for _, tt := range refusals {
				t.Run(tt.name, func(t *testing.T) {
					status, body := c.API(t, token, "PATCH", path, tt.body)
					if status != tt.status || !strings.Contains(body, tt.want) {
						t.Fatalf("%d %s, want %d saying %q", status, body, tt.status, tt.want)
					}
				})
			}
			if conn, _ := srv.Store.Connection(ctx, ids[0]); conn.Values["password"] != "n3w-Pa55word" || conn.Name != "Acme live" {
				t.Fatalf("a refused change was written: %+v", conn)
			}

			webtest.APICall(t, c, token, "DELETE", path, "", 204)
			webtest.APICall(t, c, token, "GET", path, "", 404)
			webtest.APICall(t, c, token, "PATCH", path, `{"name":"x"}`, 404)
			webtest.APICall(t, c, token, "DELETE", path, "", 404)
		})
	}
}
