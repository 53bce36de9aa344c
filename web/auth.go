package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
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

	// The attempt is counted before the password is checked, in one step:
	// attempts made at once cannot all slip under the limit.
	wait, err := s.store.LoginAttempt(ctx, email, addr)
	if err != nil {
		return err
	}
	if wait > 0 {
		s.log.WarnContext(ctx, "sign-in throttled", "email", email, "remote_ip", addr)
		if err := s.store.Emit(ctx, flows.SigninFailedEvent(email, addr, "too many failed sign-ins")); err != nil {
			return err
		}
		form.Error = fmt.Sprintf("Too many failed sign-ins. Try again in %s.", wait)
		return render(c, http.StatusTooManyRequests, templates.LoginPage(s.page(c, "Sign in", ""), form))
	}
	u, err := s.store.Authenticate(ctx, email, password)
	if errors.Is(err, store.ErrBadCredentials) {
		s.log.WarnContext(ctx, "sign-in failed", "email", email, "remote_ip", addr)
		if err := s.store.Emit(ctx, flows.SigninFailedEvent(email, addr, "wrong email or password")); err != nil {
			return err
		}
		form.Error = "Wrong email or password."
		return render(c, http.StatusUnauthorized, templates.LoginPage(s.page(c, "Sign in", ""), form))
	}
	if err != nil {
		return err
	}
	if err := s.store.LoginSucceeded(ctx, email, addr); err != nil {
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

// safeNext keeps a post-sign-in redirect on this server. next must be
// "/" or "/" followed by anything but another "/", both as sent and once
// URL-decoded; hold no control character or backslash (browsers drop tabs
// and newlines from URLs and read a backslash as "/", so "/<tab>/evil" and
// "/\evil" lead to another host); and have no scheme or host when parsed.
// Anything else gives "/".
func safeNext(next string) string {
	decoded, err := url.PathUnescape(next)
	if err != nil {
		return "/"
	}
	for _, p := range []string{next, decoded} {
		if strings.ContainsFunc(p, func(r rune) bool { return r == '\\' || unicode.IsControl(r) }) {
			return "/"
		}
		if p != "/" && (len(p) < 2 || p[0] != '/' || p[1] == '/') {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return next
}
