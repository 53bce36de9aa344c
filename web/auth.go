package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/templates"
)

func (s *Server) loginForm(c echo.Context) error {
	if _, err := s.sessionUser(c); err == nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	return render(c, http.StatusOK, templates.LoginPage(s.page(c, "Sign in", ""), templates.LoginForm{Next: c.QueryParam("next")}))
}

func (s *Server) login(c echo.Context) error {
	ctx := c.Request().Context()
	email := strings.ToLower(strings.TrimSpace(c.FormValue("email")))
	password := c.FormValue("password")
	form := templates.LoginForm{Email: email, Next: c.FormValue("next")}
	addr := c.RealIP()

	wait, err := s.store.LoginThrottled(ctx, email, addr)
	if err != nil {
		return err
	}
	if wait > 0 {
		s.log.WarnContext(ctx, "sign-in throttled", "email", email, "remote_ip", addr)
		form.Error = fmt.Sprintf("Too many failed sign-ins. Try again in %s.", wait)
		return render(c, http.StatusTooManyRequests, templates.LoginPage(s.page(c, "Sign in", ""), form))
	}
	u, err := s.store.Authenticate(ctx, email, password)
	if errors.Is(err, store.ErrBadCredentials) {
		if err := s.store.RecordLoginFailure(ctx, email, addr); err != nil {
			return err
		}
		s.log.WarnContext(ctx, "sign-in failed", "email", email, "remote_ip", addr)
		form.Error = "Wrong email or password."
		return render(c, http.StatusUnauthorized, templates.LoginPage(s.page(c, "Sign in", ""), form))
	}
	if err != nil {
		return err
	}
	if err := s.store.ClearLoginFailures(ctx, email); err != nil {
		return err
	}
	if err := s.signIn(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(form.Next))
}

func (s *Server) logout(c echo.Context) error {
	if err := s.signOut(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, s.URL("auth.login.form"))
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
