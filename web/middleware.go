package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/hookflow/hookflow/flows"
)

// requestLogger logs one structured line per request, with its request id.
func (s *Server) requestLogger() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod: true, LogURIPath: true, LogStatus: true, LogLatency: true,
		LogRequestID: true, LogRemoteIP: true, LogError: true, HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			switch {
			case v.Status >= 500:
				level = slog.LevelError
			case v.Status >= 400:
				level = slog.LevelWarn
			}
			if !s.log.Enabled(c.Request().Context(), level) {
				return nil
			}
			path := v.URIPath
			if isHook(c) {
				// An Event URL's token is its secret: the log keeps it out.
				path = "/hooks/" + flows.Masked
			} else if isInvoke(c) {
				path = "/api/flo/" + flows.Masked + "/invoke" // so is an invoke URL's alias
			} else if isResume(c) {
				path = "/resume/" + flows.Masked // and a resume URL's token
			}
			attrs := []slog.Attr{
				slog.String("request_id", v.RequestID),
				slog.String("method", v.Method),
				slog.String("path", path),
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency),
				slog.String("remote_ip", v.RemoteIP),
			}
			if v.Error != nil {
				attrs = append(attrs, slog.String("error", v.Error.Error()))
			}
			s.log.LogAttrs(context.Background(), level, "request", attrs...)
			return nil
		},
	})
}

// requireAdmin lets a signed-in super admin through; anyone else is sent to
// the sign-in page (or gets 401 for htmx and non-GET requests).
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u, err := s.sessionUser(c)
		if errors.Is(err, flows.ErrUnauthorized) {
			r := c.Request()
			if r.Method != http.MethodGet || r.Header.Get("HX-Request") != "" {
				return echo.NewHTTPError(http.StatusUnauthorized, "Sign in first.")
			}
			return c.Redirect(http.StatusSeeOther, s.URL("auth.login.form")+"?next="+url.QueryEscape(r.URL.RequestURI()))
		}
		if err != nil {
			return err
		}
		c.Set(ctxUser, &u)
		return next(c)
	}
}

// requireToken lets a personal API token holder through.
func (s *Server) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || token == "" {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="hookflow"`)
			return echo.NewHTTPError(http.StatusUnauthorized, "send a personal API token as Authorization: Bearer <token>")
		}
		u, err := s.store.UserByAPIToken(c.Request().Context(), strings.TrimSpace(token))
		if errors.Is(err, flows.ErrUnauthorized) {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="hookflow", error="invalid_token"`)
			return echo.NewHTTPError(http.StatusUnauthorized, "the API token is not valid or has been revoked")
		}
		if err != nil {
			return err
		}
		c.Set(ctxUser, &u)
		return next(c)
	}
}
