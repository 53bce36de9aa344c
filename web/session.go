package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/templates"
)

const (
	sessionName     = "hookflow_session"
	sessionLifetime = 7 * 24 * time.Hour
	keyUserID       = "uid"
	keyIssuedAt     = "iat"
	ctxUser         = "hookflow.user"
)

func newSessionStore(keys [][]byte, secure bool) *sessions.CookieStore {
	cs := sessions.NewCookieStore(keys...)
	cs.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(sessionLifetime.Seconds()),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
	cs.MaxAge(cs.Options.MaxAge)
	return cs
}

// session returns the request's session. A cookie that cannot be decoded
// (tampered, expired, signed with an old key) gives an empty session: the
// visitor is signed out, never shown an error.
func (s *Server) session(c echo.Context) *sessions.Session {
	sess, err := s.sessions.Get(c.Request(), sessionName)
	if err != nil {
		sess, _ = s.sessions.New(c.Request(), sessionName)
	}
	return sess
}

// signIn starts a fresh session for u: nothing from the previous session
// survives, and the CSRF token is renewed.
func (s *Server) signIn(c echo.Context, u flows.User) error {
	sess := sessions.NewSession(s.sessions, sessionName)
	opts := *s.sessions.Options
	sess.Options = &opts
	sess.IsNew = true
	sess.Values[keyUserID] = u.ID
	sess.Values[keyIssuedAt] = time.Now().Unix()
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	http.SetCookie(c.Response(), &http.Cookie{Name: "hookflow_csrf", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	return nil
}

// signOut ends the session.
func (s *Server) signOut(c echo.Context) error {
	sess := s.session(c)
	sess.Values = map[any]any{}
	sess.Options.MaxAge = -1
	return sess.Save(c.Request(), c.Response())
}

// sessionUser loads the signed-in admin, or flows.ErrUnauthorized.
func (s *Server) sessionUser(c echo.Context) (flows.User, error) {
	sess := s.session(c)
	id, ok := sess.Values[keyUserID].(int64)
	iat, _ := sess.Values[keyIssuedAt].(int64)
	if !ok || time.Since(time.Unix(iat, 0)) > sessionLifetime {
		return flows.User{}, flows.ErrUnauthorized
	}
	u, err := s.store.User(c.Request().Context(), id)
	if errors.Is(err, flows.ErrNotFound) {
		return flows.User{}, flows.ErrUnauthorized
	}
	return u, err
}

// currentUser is the admin that requireAdmin or requireToken let through.
func currentUser(c echo.Context) *flows.User {
	u, _ := c.Get(ctxUser).(*flows.User)
	return u
}

// flash queues a message for the next page.
func (s *Server) flash(c echo.Context, kind, text string) {
	sess := s.session(c)
	sess.AddFlash(text, "flash_"+kind)
	_ = sess.Save(c.Request(), c.Response())
}

// page fills what every page's layout needs and takes the pending flashes.
func (s *Server) page(c echo.Context, title, nav string) templates.Page {
	p := templates.Page{Title: title, Nav: nav, User: currentUser(c), URL: s.URL}
	p.CSRF, _ = c.Get("csrf").(string)
	sess := s.session(c)
	taken := false
	for _, kind := range []string{"success", "error", "info"} {
		for _, f := range sess.Flashes("flash_" + kind) {
			if text, ok := f.(string); ok {
				p.Flashes = append(p.Flashes, templates.Flash{Kind: kind, Text: text})
			}
			taken = true
		}
	}
	if taken {
		_ = sess.Save(c.Request(), c.Response())
	}
	return p
}
