package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
)

// tokenJSON is a personal API token as the API shows it: never its secret,
// but in the answer that made it (Token).
type tokenJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Prefix is the token's first characters, to recognise it by.
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	Token      string     `json:"token,omitempty"`
}

func toTokenJSON(t flows.APIToken) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt}
}

// apiTokens lists the signed-in admin's API tokens, newest first.
func (s *Server) apiTokens(c echo.Context) error {
	ts, err := s.store.APITokens(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	out := make([]tokenJSON, len(ts))
	for i, t := range ts {
		out[i] = toTokenJSON(t)
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": out})
}

// apiCreateToken makes an API token for the signed-in admin; its secret is
// in this answer only.
func (s *Server) apiCreateToken(c echo.Context) error {
	var req struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(c, &req, `{"name": "…"}`); err != nil {
		return err
	}
	ctx := c.Request().Context()
	u := currentUser(c)
	t, secret, err := s.store.CreateAPIToken(ctx, u.ID, req.Name)
	if err != nil {
		return err
	}
	if err := s.store.Audit(ctx, u.Email, "create_api_token", t.Name, "made through the API"); err != nil {
		return err
	}
	out := toTokenJSON(t)
	out.Token = secret
	return c.JSON(http.StatusCreated, out)
}

// apiRevokeToken revokes one of the signed-in admin's API tokens: it
// answers 401 from then on.
func (s *Server) apiRevokeToken(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return flows.ErrNotFound
	}
	ctx := c.Request().Context()
	u := currentUser(c)
	if err := s.store.RevokeAPIToken(ctx, u.ID, id); err != nil {
		return err
	}
	if err := s.store.Audit(ctx, u.Email, "revoke_api_token", "token "+c.Param("id"), "revoked through the API"); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
