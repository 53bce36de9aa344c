package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"
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
	keySessionID    = "sid"
	ctxUser         = "hookflow.user"
)

// session returns the request's session (serverStore), loaded once per
// request; when the database fails it is an empty one.
func (s *Server) session(c echo.Context) *sessions.Session {
	sess, _ := s.sessions.Get(c.Request(), sessionName)
	return sess
}

// sessionID is the id of the request's session's row, or 0.
func (s *Server) sessionID(c echo.Context) int64 {
	id, _ := s.session(c).Values[keySessionID].(int64)
	return id
}

// signIn starts a fresh session for u, with a new token: the request's
// earlier session, if any, is ended, and the CSRF token is renewed.
func (s *Server) signIn(c echo.Context, u flows.User) error {
	if old := s.session(c); !old.IsNew {
		if err := s.signOut(c); err != nil {
			return err
		}
	}
	sess := s.sessions.empty(sessionName)
	sess.Values[keyUserID] = u.ID
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	http.SetCookie(c.Response(), &http.Cookie{Name: "hookflow_csrf", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	return nil
}

// signOut ends the request's session on the server and removes its cookie.
func (s *Server) signOut(c echo.Context) error {
	sess := s.session(c)
	sess.Options.MaxAge = -1
	return sess.Save(c.Request(), c.Response())
}

// sessionUser loads the signed-in admin, or flows.ErrUnauthorized when the
// request's session is missing, ended or expired.
func (s *Server) sessionUser(c echo.Context) (flows.User, error) {
	sess, err := s.sessions.Get(c.Request(), sessionName)
	if err != nil {
		return flows.User{}, err
	}
	id, ok := sess.Values[keyUserID].(int64)
	if !ok {
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
	// Placed flashes: "flash_<kind>@<place>", in a stable order.
	var placed []string
	for k := range sess.Values {
		if key, ok := k.(string); ok && strings.HasPrefix(key, "flash_") && strings.Contains(key, "@") {
			placed = append(placed, key)
		}
	}
	slices.Sort(placed)
	for _, key := range placed {
		kind, place, _ := strings.Cut(strings.TrimPrefix(key, "flash_"), "@")
		for _, f := range sess.Flashes(key) {
			if text, ok := f.(string); ok {
				p.Placed = append(p.Placed, templates.Flash{Kind: kind, Text: text, Place: place})
			}
		}
		taken = true
	}
	if taken {
		_ = sess.Save(c.Request(), c.Response())
	}
	return p
}

// flashAt queues a message for the next page that shows beside what it
// reports on (templates.Page.FlashesAt(place)) rather than at the top.
func (s *Server) flashAt(c echo.Context, place, kind, text string) {
	sess := s.session(c)
	sess.AddFlash(text, "flash_"+kind+"@"+place)
	_ = sess.Save(c.Request(), c.Response())
}
