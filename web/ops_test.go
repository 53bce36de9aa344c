package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/web"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestReadyzWhileShuttingDown: /readyz answers 200 while the job runner
// runs and 503 with its reason once it is stopped, as at a shutdown;
// /healthz stays 200 throughout.
func TestReadyzWhileShuttingDown(t *testing.T) {
	srv := webtest.StartWith(t, webtest.Options{StartQueue: true})
	c := srv.NewClient()
	if res, body := c.Get(t, "/readyz"); res.StatusCode != http.StatusOK {
		t.Fatalf("/readyz with the queue running = %d %s", res.StatusCode, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Store.Queue().Stop(ctx); err != nil {
		t.Fatal(err)
	}
	res, body := c.Get(t, "/readyz")
	var got struct{ Status, Reason string }
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("/readyz body %q: %v", body, err)
	}
	if res.StatusCode != http.StatusServiceUnavailable || got.Status != "not ready" || got.Reason != "shutting down: the job runner is stopped" {
		t.Fatalf("/readyz with the queue stopped = %d %+v, want 503 naming the shutdown", res.StatusCode, got)
	}
	if res, body := c.Get(t, "/healthz"); res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz while shutting down = %d %s", res.StatusCode, body)
	}
}

// TestHealthzAsksNoDatabase: /healthz answers 200 with the database
// closed, where /readyz answers 503.
func TestHealthzAsksNoDatabase(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.NewClient()
	srv.Store.Close()
	if res, body := c.Get(t, "/healthz"); res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz with the database closed = %d %s", res.StatusCode, body)
	}
	if res, _ := c.Get(t, "/readyz"); res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with the database closed = %d, want 503", res.StatusCode)
	}
}

// TestReadyzWhileStarting: the handler that serves while migrations run
// answers /healthz 200, /readyz 503 naming the migrations, and anything
// else 503 with Retry-After.
func TestReadyzWhileStarting(t *testing.T) {
	h := web.Starting()
	tests := []struct {
		name, path string
		status     int
		want       string
	}{
		{"healthz", "/healthz", http.StatusOK, `"status":"ok"`},
		{"readyz", "/readyz", http.StatusServiceUnavailable, `"reason":"starting: migrating the database"`},
		{"a page", "/flows", http.StatusServiceUnavailable, `migrating the database`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
				t.Fatalf("%s = %d %s, want %d with %s", tt.path, rec.Code, rec.Body.String(), tt.status, tt.want)
			}
			if tt.path == "/flows" && rec.Header().Get("Retry-After") == "" {
				t.Error("no Retry-After")
			}
		})
	}
}
