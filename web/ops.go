package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// healthz answers 200 while the process is up; it asks nothing of the
// database, so that it stays cheap however often it is called.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// notReady is /readyz's answer while the server should get no traffic.
type notReady struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// readyz answers 200 only while the job runner runs and the database
// answers; 503 with the reason otherwise (shutting down, database
// unreachable). While migrations run, Starting answers it.
func (s *Server) readyz(c echo.Context) error {
	if q := s.store.Queue(); q != nil && q.Halted() {
		return c.JSON(http.StatusServiceUnavailable, notReady{Status: "not ready", Reason: "shutting down: the job runner is stopped"})
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", "error", err)
		return c.JSON(http.StatusServiceUnavailable, notReady{Status: "not ready", Reason: "database unreachable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// Starting is the handler of a server whose database is being opened and
// migrated: /healthz answers 200, /readyz 503 with the reason, and every
// other path 503 with Retry-After, until the real handler takes over.
func Starting() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/healthz":
			w.WriteHeader(http.StatusOK)
			json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
		case "/readyz":
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(notReady{Status: "not ready", Reason: "starting: migrating the database"})
		default:
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"status": http.StatusServiceUnavailable,
				"message": "Hookflow is starting: it is migrating the database. Try again in a moment."}})
		}
	})
}

// metrics are the web layer's Prometheus collectors.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// hooks counts requests at Event URLs by outcome: accepted, duplicate,
	// or the reason they were refused.
	hooks *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookflow_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hookflow_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"route", "method"}),
	}
	m.hooks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookflow_event_requests_total", Help: "Requests at Event URLs by outcome (accepted, duplicate, or why they were refused).",
	}, []string{"outcome"})
	reg.MustRegister(m.requests, m.latency, m.hooks)
	return m
}

func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		status := c.Response().Status
		if err != nil {
			status, _ = statusOf(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(route, c.Request().Method, strconv.Itoa(status)).Inc()
		m.latency.WithLabelValues(route, c.Request().Method).Observe(time.Since(start).Seconds())
		return err
	}
}
