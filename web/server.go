// Package web is Hookflow's HTTP layer: the echo server, its one route table,
// handlers per resource, middleware, sessions, and the mapping of domain errors
// to HTTP statuses. Nothing below web knows about HTTP.
package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
)

// Config is what the web layer needs from Hookflow's configuration.
type Config struct {
	// BaseURL is the public URL of this server; its scheme decides whether
	// cookies are Secure.
	BaseURL string
	// SessionKeys are the gorilla/sessions key pairs: a 64-byte hash key and
	// a 32-byte block key, newest first (older pairs still decode).
	SessionKeys [][]byte
	// TrustProxy takes the client address from X-Forwarded-For / X-Real-IP.
	TrustProxy bool
	// MaxFormBytes bounds request bodies of admin pages and the API.
	MaxFormBytes int64
	// MaxHookBytes bounds the bodies arriving at Event URLs and invoke
	// URLs (default 1 MiB).
	MaxHookBytes int64
	// EndpointTimeout is how long the caller of an API Endpoint flow waits
	// for its answer before a 504 (default 60 s); the run goes on.
	EndpointTimeout time.Duration
	// EndpointRateLimit is the invocations per second an API Endpoint flow
	// takes unless its own setting says otherwise: 0 means 10, less than
	// 0 no limit.
	EndpointRateLimit int
}

// Deps are what the server runs on, built in main.
type Deps struct {
	Config Config
	Store  *store.Store
	Logger *slog.Logger
	// Engine runs flows; Registry is the function cards it knows.
	Engine   *flows.Engine
	Registry flows.Registry
	// Metrics is where /metrics reads from. New registers Hookflow's
	// metrics there, and makes them the observer of Store and Lifecycle
	// (flows.Observer).
	Metrics *prometheus.Registry
	// Lifecycle turns flows ON and OFF and accepts what arrives at Event URLs.
	Lifecycle *flows.Lifecycle
	// EventHooks manages event hooks (nil: one without an outbound
	// client, which cannot verify).
	EventHooks *flows.EventHooks
}

// Server is Hookflow's HTTP handler.
type Server struct {
	echo     *echo.Echo
	store    *store.Store
	engine   *flows.Engine
	registry flows.Registry
	log      *slog.Logger
	sessions *serverStore
	secure   bool
	metrics  *metrics

	lifecycle     *flows.Lifecycle
	hookBodyBytes int64
	eventHooks    *flows.EventHooks

	// API Endpoint flows: how long callers wait, the default rate limit,
	// and each flow's token bucket.
	endpointTimeout time.Duration
	endpointRate    int
	limiters        limiters
}

// New builds the server: middleware in order, the route table, the error handler.
func New(d Deps) (*Server, error) {
	u, err := url.Parse(d.Config.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("web: base URL %q is not an http(s) URL", d.Config.BaseURL)
	}
	if d.Engine == nil || d.Registry == nil || d.Lifecycle == nil {
		return nil, fmt.Errorf("web: no engine, card registry or lifecycle")
	}
	if d.EventHooks == nil {
		d.EventHooks = &flows.EventHooks{Store: d.Store, BaseURL: d.Config.BaseURL}
	}
	if d.Config.MaxHookBytes <= 0 {
		d.Config.MaxHookBytes = 1 << 20
	}
	if len(d.Config.SessionKeys) == 0 {
		return nil, fmt.Errorf("web: no session keys")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Metrics == nil {
		d.Metrics = prometheus.NewRegistry()
	}
	if _, err := openAPIJSON(); err != nil {
		return nil, err
	}
	if d.Config.MaxFormBytes <= 0 {
		d.Config.MaxFormBytes = 1 << 20
	}
	if d.Config.EndpointTimeout <= 0 {
		d.Config.EndpointTimeout = defaultEndpointTimeout
	}
	if d.Config.EndpointRateLimit == 0 {
		d.Config.EndpointRateLimit = 10
	}
	s := &Server{
		echo:     echo.New(),
		store:    d.Store,
		engine:   d.Engine,
		registry: d.Registry,
		log:      d.Logger,
		secure:   u.Scheme == "https",
		metrics:  newMetrics(d.Metrics),

		lifecycle:     d.Lifecycle,
		hookBodyBytes: d.Config.MaxHookBytes,
		eventHooks:    d.EventHooks,

		endpointTimeout: d.Config.EndpointTimeout,
		endpointRate:    d.Config.EndpointRateLimit,
	}
	d.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	obs := newObserver(d.Metrics)
	d.Lifecycle.Observe(obs)
	if d.Store != nil {
		d.Store.Observe(obs)
		d.Metrics.MustRegister(newStoreStats(d.Store, d.Logger))
	}

	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	if d.Config.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	} else {
		e.IPExtractor = echo.ExtractIPDirect()
	}
	s.sessions = newServerStore(d.Store, d.Config.SessionKeys, s.secure, e.IPExtractor)
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(middleware.RequestID())
	e.Use(s.requestLogger())
	e.Use(middleware.Recover())
	e.Use(s.metrics.middleware)
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ReferrerPolicy:        "same-origin",
		ContentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
		HSTSMaxAge:            hstsMaxAge(s.secure),
	}))
	// Event URLs, invoke URLs and resume URLs have their own body limit (in the
	// handler) and no CSRF: the outside service posts to them.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: fmt.Sprint(d.Config.MaxFormBytes),
		Skipper: func(c echo.Context) bool { return isHook(c) || isInvoke(c) || isResume(c) }}))
	e.Use(requireCSRFToken)
	e.Use(middleware.CSRFWithConfig(middleware.CSRFConfig{
		Skipper:        func(c echo.Context) bool { return strings.HasPrefix(c.Path(), "/api/") || isHook(c) || isResume(c) },
		TokenLookup:    "form:_csrf,header:X-CSRF-Token",
		CookieName:     "hookflow_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   s.secure,
		CookieSameSite: http.SameSiteLaxMode,
		CookieMaxAge:   int((12 * time.Hour).Seconds()),
	}))
	s.routes()
	return s, nil
}

func isHook(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/hooks/") }

func hstsMaxAge(secure bool) int {
	if secure {
		return 31536000
	}
	return 0
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// URL builds the path of a named route.
func (s *Server) URL(name string, params ...any) string { return s.echo.Reverse(name, params...) }

// Registry is the card registry the server validates flows with.
func (s *Server) Registry() flows.Registry { return s.registry }

// Lifecycle is the lifecycle the server turns flows ON and OFF with.
func (s *Server) Lifecycle() *flows.Lifecycle { return s.lifecycle }

// Routes lists the route table: method, path and name of each route.
func (s *Server) Routes() []*echo.Route { return s.echo.Routes() }

// requireCSRFToken makes the CSRF middleware check the token on every
// state-changing request. echo's middleware otherwise lets a browser's
// "Sec-Fetch-Site: same-origin" stand in for the token; Hookflow wants the
// token on every form, so the header is dropped before that check.
func requireCSRFToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Request().Header.Del(echo.HeaderSecFetchSite)
		return next(c)
	}
}
