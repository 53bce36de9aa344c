package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/templates"
)

func (s *Server) settings(c echo.Context) error {
	return s.renderSettings(c, http.StatusOK, templates.SettingsData{})
}

func (s *Server) renderSettings(c echo.Context, status int, d templates.SettingsData) error {
	tokens, err := s.store.APITokens(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	d.Tokens = tokens
	if d.Audit, err = s.store.AuditLog(c.Request().Context(), 50); err != nil {
		return err
	}
	return render(c, status, templates.SettingsPage(s.page(c, "Settings", "settings"), d))
}

func (s *Server) changePassword(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	current, next, confirm := c.FormValue("current"), c.FormValue("new"), c.FormValue("confirm")
	errs := templates.FormErrors{}
	if _, err := s.store.Authenticate(ctx, u.Email, current); errors.Is(err, store.ErrBadCredentials) {
		errs["current"] = "This is not your current password."
	} else if err != nil {
		return err
	}
	switch {
	case len(next) < store.MinPasswordLength:
		errs["new"] = "Use at least " + strconv.Itoa(store.MinPasswordLength) + " characters."
	case len(next) > 72:
		errs["new"] = "Use at most 72 bytes."
	case next != confirm:
		errs["confirm"] = "The two new passwords differ."
	}
	if len(errs) > 0 {
		return s.renderSettings(c, http.StatusUnprocessableEntity, templates.SettingsData{PasswordErrors: errs})
	}
	if err := s.store.SetPassword(ctx, u.ID, next, 0); err != nil {
		return err
	}
	s.flash(c, "success", "Your password has been changed.")
	return c.Redirect(http.StatusSeeOther, s.URL("settings.show"))
}

func (s *Server) createToken(c echo.Context) error {
	name := c.FormValue("name")
	_, secret, err := s.store.CreateAPIToken(c.Request().Context(), currentUser(c).ID, name)
	if errors.Is(err, flows.ErrInvalid) {
		return s.renderSettings(c, http.StatusUnprocessableEntity, templates.SettingsData{
			TokenName: name, TokenErrors: templates.FormErrors{"name": "Give the token a name of 1 to 100 characters."},
		})
	}
	if err != nil {
		return err
	}
	// The secret is rendered into this response only; it is never stored.
	return s.renderSettings(c, http.StatusCreated, templates.SettingsData{NewToken: secret})
}

func (s *Server) revokeToken(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return flows.ErrNotFound
	}
	if err := s.store.RevokeAPIToken(c.Request().Context(), currentUser(c).ID, id); err != nil {
		return err
	}
	s.flash(c, "success", "The token has been revoked.")
	return c.Redirect(http.StatusSeeOther, s.URL("settings.show"))
}
