package web

import (
	"errors"
	"fmt"
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
	if d.Sessions, err = s.store.Sessions(c.Request().Context(), currentUser(c).ID); err != nil {
		return err
	}
	d.CurrentSession = s.sessionID(c)
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
	// Whoever signed in with the old password is signed out; this session stays.
	if err := s.store.SetPassword(ctx, u.ID, next, s.sessionID(c)); err != nil {
		return err
	}
	if err := s.store.Audit(ctx, u.Email, "change_password", u.Email, "other sessions signed out"); err != nil {
		return err
	}
	s.flash(c, "success", "Your password has been changed, and your other sessions are signed out.")
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

// revokeSession signs one of the admin's sessions out. Signing out this
// very session is signing out.
func (s *Server) revokeSession(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return flows.ErrNotFound
	}
	if id == s.sessionID(c) {
		return s.logout(c)
	}
	if err := s.store.RevokeSession(ctx, u.ID, id); err != nil {
		return err
	}
	if err := s.store.Audit(ctx, u.Email, "sign_out_session", fmt.Sprintf("session %d", id), "signed out from Settings"); err != nil {
		return err
	}
	s.flash(c, "success", "That session has been signed out.")
	return c.Redirect(http.StatusSeeOther, s.URL("settings.show"))
}

// revokeOtherSessions signs out every session of the admin but this one.
func (s *Server) revokeOtherSessions(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	n, err := s.store.RevokeOtherSessions(ctx, u.ID, s.sessionID(c))
	if err != nil {
		return err
	}
	if err := s.store.Audit(ctx, u.Email, "sign_out_other_sessions", u.Email, fmt.Sprintf("%d %s signed out", n, plural(int(n), "session", "sessions"))); err != nil {
		return err
	}
	s.flash(c, "success", fmt.Sprintf("Signed out everywhere else: %d %s ended; this one stays.", n, plural(int(n), "session", "sessions")))
	return c.Redirect(http.StatusSeeOther, s.URL("settings.show"))
}
