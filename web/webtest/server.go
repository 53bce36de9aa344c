// Package webtest runs real Hookflow servers for tests: a migrated store on a
// temp database, the real web handler on a loopback port, a signed-in HTTP
// client, (browser.go) headless chromium driven by chromedp, and the fake
// outside services and fixtures that web's tests and the browser tests of
// web/browser share (acme.go, okta.go, receivers.go and the like).
package webtest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/cards"
	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web"
)

// AdminEmail and AdminPassword sign in to every test server.
const (
	AdminEmail    = "admin@example.com"
	AdminPassword = "correct horse battery staple"
)

// Server is a running Hookflow on a loopback port.
type Server struct {
	URL    string
	Store  *store.Store
	Web    *web.Server
	Engine *flows.Engine
	Admin  flows.User
	// Addr is the loopback address it listens on; DataDir holds its SQLite file.
	Addr    string
	DataDir string

	stop  sync.Once
	ts    *httptest.Server
	opts  Options
	calls apiCalls
}

// Options adjust a test server.
type Options struct {
	// DatabaseURL selects Postgres; empty means a fresh SQLite file.
	DatabaseURL string
	// StartQueue starts the River queue (stopped when the test ends).
	StartQueue bool
	// DurableWait is the shortest Wait For or Wait Until that stores the
	// run (0: an hour, so that the tests' waits hold their runs running).
	DurableWait time.Duration
	// BaseURL is the server's public URL; empty means its loopback URL.
	BaseURL string
	// MaxHookBytes bounds Event URL bodies (0: the default, 1 MiB).
	MaxHookBytes int64
	// EndpointTimeout and EndpointRateLimit are the server's settings for
	// API Endpoint flows (0: the defaults, 60 s and 10 per second).
	EndpointTimeout   time.Duration
	EndpointRateLimit int
	// DataDir and Addr restart a server on the data and address of an
	// earlier one (Server.Restart); empty means fresh ones.
	DataDir string
	Addr    string
	// Log receives the server's log (text, from info up); nil discards it.
	Log io.Writer
	// OutboundAllow and OutboundDeny are the server's HOOKFLOW_OUTBOUND_ALLOW
	// and HOOKFLOW_OUTBOUND_DENY. An empty OutboundAllow means LoopbackAllow:
	// the tests' fake services listen on loopback, which a deployment refuses
	// unless it is allowed.
	OutboundAllow, OutboundDeny string
	// NoOutboundAllow runs the server without HOOKFLOW_OUTBOUND_ALLOW, as a
	// deployment runs by default: loopback, private and link-local
	// addresses are refused.
	NoOutboundAllow bool
	// MinPollInterval is the shortest interval flows on a Polling Event
	// poll at (0: one second, so that tests poll quickly).
	MinPollInterval time.Duration
	// HookTiming paces event hooks' deliveries (zero: the defaults).
	HookTiming flows.HookTiming
}

// LoopbackAllow opens loopback to the flows of a test server.
const LoopbackAllow = "127.0.0.0/8, ::1"

// Start runs a server on a fresh SQLite database with one super admin.
func Start(t testing.TB) *Server { return StartWith(t, Options{}) }

// StartWith runs a server as the options say.
func StartWith(t testing.TB, o Options) *Server {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	st := storetest.Open(t, o.DatabaseURL, o.DataDir)
	ctx := context.Background()
	admin, err := st.UserByEmail(ctx, AdminEmail)
	if errors.Is(err, flows.ErrNotFound) {
		admin, err = st.CreateUser(ctx, AdminEmail, AdminPassword)
	}
	if err != nil {
		t.Fatal(err)
	}
	var logOut io.Writer = io.Discard
	if os.Getenv("HOOKFLOW_TEST_LOG") != "" {
		logOut = os.Stderr
	}
	if o.Log != nil {
		logOut = o.Log
	}
	ts := httptest.NewUnstartedServer(nil)
	if o.Addr != "" {
		ts.Listener.Close()
		if ts.Listener, err = net.Listen("tcp", o.Addr); err != nil {
			t.Fatalf("listen on %s again: %v", o.Addr, err)
		}
	}
	allow := cmpOr(o.OutboundAllow, LoopbackAllow)
	if o.NoOutboundAllow {
		allow = ""
	}
	policy, err := cards.ParsePolicy(allow, o.OutboundDeny)
	if err != nil {
		t.Fatal(err)
	}
	client := cards.NewClient(policy)
	registry := cards.Builtin(cards.Options{HTTPClient: client})
	tokens := &cards.Tokens{Client: client}
	base := cmpOr(o.BaseURL, "http://"+ts.Listener.Addr().String())
	engine := flows.NewEngine(registry, flows.Options{Recorder: st, Flows: st, Actions: &flows.Actions{Store: st, Tokens: tokens}, Tables: st,
		Waits: st, DurableAfter: cmp.Or(o.DurableWait, time.Hour), ResumeURL: func(token string) string { return base + "/resume/" + token }})
	log := slog.New(slog.NewTextHandler(logOut, nil))
	lc := &flows.Lifecycle{Store: st, Engine: engine, Tokens: tokens, BaseURL: base, MinPollInterval: cmp.Or(o.MinPollInterval, time.Second)}
	st.Queue().Handle(lc)
	st.Queue().HandleResumes(engine)
	st.HandleCancels(engine.Cancel)
	hooks := &flows.EventHooks{Store: st, Client: client, BaseURL: base, PlainHTTP: policy.Opens, Timing: o.HookTiming}
	st.HandleEventHooks(hooks)
	srv, err := web.New(web.Deps{
		Engine: engine, Registry: registry, Lifecycle: lc, EventHooks: hooks,
		Config: web.Config{BaseURL: base, SessionKeys: [][]byte{[]byte(strings.Repeat("k", 64)), []byte(strings.Repeat("b", 32))}, MaxHookBytes: o.MaxHookBytes,
			EndpointTimeout: o.EndpointTimeout, EndpointRateLimit: o.EndpointRateLimit},
		Store:  st,
		Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()
	if o.StartQueue {
		if err := st.Queue().Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{URL: ts.URL, Store: st, Web: srv, Engine: engine, Admin: admin, Addr: ts.Listener.Addr().String(), DataDir: o.DataDir, ts: ts, opts: o}
	t.Cleanup(s.Stop)
	return s
}

// Stop stops the server as a shutdown does: no new requests, the queue's
// running jobs finished (canceled after 10 s), the flows started with Call
// Flow Async ended, the store closed.
func (s *Server) Stop() {
	s.stop.Do(func() {
		s.ts.Close()
		drain, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hard, cancelHard := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancelHard()
		if s.opts.StartQueue {
			if s.Store.Queue().Stop(drain) != nil {
				s.Store.Queue().StopAndCancel(hard)
			}
		}
		s.Engine.Shutdown(drain, hard)
		s.Store.Close()
	})
}

// Restart stops the server and starts another on the same database and
// address, so that Event URLs stay the same.
func (s *Server) Restart(t testing.TB) *Server {
	t.Helper()
	s.Stop()
	o := s.opts
	o.DataDir, o.Addr = s.DataDir, s.Addr
	return StartWith(t, o)
}

// Client is an HTTP client with a cookie jar that does not follow redirects.
type Client struct {
	*http.Client
	base  string
	calls *apiCalls
}

// NewClient returns an anonymous client for s.
func (s *Server) NewClient() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{base: s.URL, calls: &s.calls, Client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// SignedIn returns a client signed in as the admin through the real form.
func (s *Server) SignedIn(t testing.TB) *Client {
	t.Helper()
	c := s.NewClient()
	res := c.PostForm(t, "/login", url.Values{"email": {AdminEmail}, "password": {AdminPassword}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: status %d", res.StatusCode)
	}
	return c
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// CSRF fetches a page and returns the CSRF token its forms carry.
func (c *Client) CSRF(t testing.TB, path string) string {
	t.Helper()
	res, body := c.Get(t, path)
	m := csrfInput.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("GET %s (%d): no CSRF token in the page", path, res.StatusCode)
	}
	return m[1]
}

// Get fetches path and returns the response and its body.
func (c *Client) Get(t testing.TB, path string) (*http.Response, string) {
	t.Helper()
	return c.Do(t, http.MethodGet, path, nil, nil)
}

// PostForm posts a form to path with the CSRF token of the login page added
// (unless the form already has one) and returns the response.
func (c *Client) PostForm(t testing.TB, path string, form url.Values) *http.Response {
	t.Helper()
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.CSRF(t, "/login"))
	}
	res, _ := c.Do(t, http.MethodPost, path, strings.NewReader(form.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	return res
}

// Do sends a request and returns the response with its body read. A
// request to the JSON API (under /api/v1/) and its response are checked
// against the OpenAPI document (CheckAPI): a mismatch fails the test.
func (c *Client) Do(t testing.TB, method, path string, body io.Reader, h http.Header) (*http.Response, string) {
	t.Helper()
	var sent []byte
	if body != nil {
		var err error
		if sent, err = io.ReadAll(body); err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(sent)
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "text/html")
	}
	res, err := c.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(req.URL.Path, APIPrefix) {
		if op := CheckAPI(t, req, sent, res, b); op != "" && c.calls != nil {
			c.calls.add(op, res.StatusCode)
		}
	}
	return res, string(b)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Token makes a personal API token for the admin.
func (s *Server) Token(t testing.TB) string {
	t.Helper()
	_, secret, err := s.Store.CreateAPIToken(context.Background(), s.Admin.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// API sends a JSON request with a bearer token and returns the status and body.
func (c *Client) API(t testing.TB, token, method, path, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	res, b := c.Do(t, method, path, r, http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"application/json"}, "Accept": {"application/json"}})
	return res.StatusCode, b
}
