package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/web/webtest"
)

// TestAPITokens: an admin makes a token through the API and sees its
// secret in that answer only; the list names the tokens with when they
// were made and last used, never a secret; a revoked token answers 401;
// another admin's token is not the admin's to revoke.
func TestAPITokens(t *testing.T) {
	srv := webtest.Start(t)
	c, token := srv.NewClient(), srv.Token(t)

	made := webtest.APIJSON(t, c, token, "POST", "/api/v1/tokens", `{"name":"deploy bot"}`, http.StatusCreated)
	secret, _ := made["token"].(string)
	if !strings.HasPrefix(secret, "hf_") || made["name"] != "deploy bot" || made["lastUsedAt"] != nil || !strings.HasPrefix(secret, made["prefix"].(string)) {
		t.Fatalf("made: %v", made)
	}
	id := int64(made["id"].(float64))
	if me := webtest.APIJSON(t, c, secret, "GET", "/api/v1/me", nil, http.StatusOK); me["email"] != webtest.AdminEmail {
		t.Fatalf("the new token's owner: %v", me)
	}

	code, body := c.API(t, token, "GET", "/api/v1/tokens", "")
	var list struct {
		Tokens []struct {
			ID         int64
			Name       string
			CreatedAt  string
			LastUsedAt *string
		}
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil || len(list.Tokens) != 2 {
		t.Fatalf("list: %d %s", code, body)
	}
	if strings.Contains(body, secret) || strings.Contains(body, token) || strings.Contains(body, `"token"`) {
		t.Fatalf("the list shows a secret: %s", body)
	}
	if got := list.Tokens[0]; got.ID != id || got.Name != "deploy bot" || got.CreatedAt == "" || got.LastUsedAt == nil {
		t.Fatalf("the new token, newest first and used once: %+v", got)
	}

	other, err := srv.Store.CreateUser(context.Background(), "other@example.com", "another long password")
	if err != nil {
		t.Fatal(err)
	}
	_, otherSecret, err := srv.Store.CreateAPIToken(context.Background(), other.ID, "theirs")
	if err != nil {
		t.Fatal(err)
	}
	theirs, _ := srv.Store.APITokens(context.Background(), other.ID)
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"no name", "POST", "/api/v1/tokens", `{"name":"  "}`, 422, "Token name must be 1 to 100 characters"},
		{"a name too long", "POST", "/api/v1/tokens", `{"name":"` + strings.Repeat("n", 101) + `"}`, 422, "1 to 100 characters"},
		{"not JSON", "POST", "/api/v1/tokens", `name=x`, 422, "JSON object"},
		{"unknown token", "DELETE", "/api/v1/tokens/999", "", 404, "Not found"},
		{"another admin's token", "DELETE", fmt.Sprintf("/api/v1/tokens/%d", theirs[0].ID), "", 404, "Not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := c.API(t, token, tt.method, tt.path, tt.body)
			if code != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("%d %s; want %d with %s", code, body, tt.status, tt.want)
			}
		})
	}
	webtest.APIJSON(t, c, otherSecret, "GET", "/api/v1/me", nil, http.StatusOK)

	webtest.APIJSON(t, c, token, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", id), nil, http.StatusNoContent)
	code, body = c.API(t, secret, "GET", "/api/v1/me", "")
	if code != http.StatusUnauthorized || !strings.Contains(body, "not valid or has been revoked") {
		t.Fatalf("the revoked token: %d %s", code, body)
	}
	if got := webtest.APIJSON(t, c, token, "GET", "/api/v1/tokens", nil, http.StatusOK)["tokens"].([]any); len(got) != 1 {
		t.Fatalf("after the revoke: %v", got)
	}
	// A token can revoke itself; then it is refused too.
	webtest.APIJSON(t, c, token, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", int64(list.Tokens[1].ID)), nil, http.StatusNoContent)
	if code, _ := c.API(t, token, "GET", "/api/v1/tokens", ""); code != http.StatusUnauthorized {
		t.Fatalf("a token that revoked itself: %d", code)
	}
}
