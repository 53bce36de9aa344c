package cards_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/cards"
	"github.com/hookflow/hookflow/flows"
)

// service is a real HTTP server standing in for an outside API.
func service(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/echo":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Trace", "t1")
			json.NewEncoder(w).Encode(map[string]any{
				"method": r.Method, "query": r.URL.RawQuery, "body": string(body), "contentType": r.Header.Get("Content-Type"),
				"auth": r.Header.Get("Authorization"), "apiKey": r.Header.Get("X-Api-Key"), "custom": r.Header.Get("X-Custom"),
			})
		case "/text":
			w.Write([]byte("plain words"))
		case "/busy":
			w.Header().Set("Retry-After", "7")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		case "/broken":
			http.Error(w, "oops", http.StatusBadGateway)
		case "/missing":
			http.Error(w, "no such thing", http.StatusNotFound)
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case "/huge":
			w.Write([]byte(strings.Repeat("x", 11<<20)))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// loopbackAllow opens loopback, where the tests' fake services listen, as
// HOOKFLOW_OUTBOUND_ALLOW does for a deployment.
const loopbackAllow = "127.0.0.0/8, ::1"

// client is the outbound client with the policy the settings give.
func client(t testing.TB, allow, deny string) *http.Client {
	t.Helper()
	p, err := cards.ParsePolicy(allow, deny)
	if err != nil {
		t.Fatal(err)
	}
	return cards.NewClient(p)
}

// loopbackCards is the registry with loopback allowed.
func loopbackCards(t testing.TB) *cards.Registry {
	return cards.Builtin(cards.Options{HTTPClient: client(t, loopbackAllow, "")})
}

func runHTTP(t *testing.T, card string, in map[string]any, conn *flows.ConnectorContext) (flows.Output, error) {
	t.Helper()
	c, _ := loopbackCards(t).Lookup(card)
	return c.Run(context.Background(), flows.Input{Values: in, Node: &flows.Node{ID: "h", Type: card}, Connector: conn})
}

func TestHTTPCards(t *testing.T) {
	srv := service(t)
	tests := []struct {
		name    string
		card    string
		in      map[string]any
		conn    *flows.ConnectorContext
		check   func(t *testing.T, out flows.Output)
		wantErr string
		status  int // for *flows.HTTPError
	}{
		{name: "post JSON with query and headers", card: "http.post",
			in: map[string]any{"url": srv.URL + "/echo", "query": map[string]any{"page": 2.0}, "headers": map[string]any{"X-Custom": "yes"}, "body": map[string]any{"url": "https://hooks.test/h/1"}},
			check: func(t *testing.T, o flows.Output) {
				b := o["body"].(map[string]any)
				if o["status"] != 200.0 || b["method"] != "POST" || b["query"] != "page=2" || b["body"] != `{"url":"https://hooks.test/h/1"}` ||
					b["contentType"] != "application/json" || b["custom"] != "yes" {
					t.Fatalf("out = %v", o)
				}
				if o["headers"].(map[string]any)["x-trace"] != "t1" {
					t.Fatalf("headers not lower-cased: %v", o["headers"])
				}
			}},
		{name: "text body stays text", card: "http.get", in: map[string]any{"url": srv.URL + "/text"},
			check: func(t *testing.T, o flows.Output) {
				if o["body"] != "plain words" {
					t.Fatalf("body = %#v", o["body"])
				}
			}},
		{name: "relative URL on the connector base URL with bearer auth", card: "http.delete", in: map[string]any{"url": "echo"},
			conn: &flows.ConnectorContext{BaseURL: srv.URL + "/", Auth: flows.AuthBearer, Values: map[string]string{"token": "t0k"}},
			check: func(t *testing.T, o flows.Output) {
				if b := o["body"].(map[string]any); b["method"] != "DELETE" || b["auth"] != "Bearer t0k" {
					t.Fatalf("out = %v", o)
				}
			}},
		{name: "API key header", card: "http.put", in: map[string]any{"url": "/echo", "body": "raw"},
			conn: &flows.ConnectorContext{BaseURL: srv.URL, Auth: flows.AuthAPIKeyHeader, Header: "X-Api-Key", Values: map[string]string{"api_key": "k1"}},
			check: func(t *testing.T, o flows.Output) {
				if b := o["body"].(map[string]any); b["apiKey"] != "k1" || b["body"] != "raw" || !strings.HasPrefix(b["contentType"].(string), "text/plain") {
					t.Fatalf("out = %v", o)
				}
			}},
		{name: "basic auth", card: "http.patch", in: map[string]any{"url": "/echo"},
			conn: &flows.ConnectorContext{BaseURL: srv.URL, Auth: flows.AuthBasic, Values: map[string]string{"username": "u", "password": "p"}},
			check: func(t *testing.T, o flows.Output) {
				if b := o["body"].(map[string]any); b["auth"] != "Basic dTpw" {
					t.Fatalf("out = %v", o)
				}
			}},
		{name: "raw request returns any status", card: "http.raw", in: map[string]any{"method": "GET", "url": srv.URL + "/missing"},
			check: func(t *testing.T, o flows.Output) {
				if o["status"] != 404.0 || !strings.Contains(o["body"].(string), "no such thing") {
					t.Fatalf("out = %v", o)
				}
			}},
		{name: "429 with Retry-After", card: "http.get", in: map[string]any{"url": srv.URL + "/busy"}, status: 429},
		{name: "502", card: "http.get", in: map[string]any{"url": srv.URL + "/broken"}, status: 502},
		{name: "404 is not retryable", card: "http.get", in: map[string]any{"url": srv.URL + "/missing"}, status: 404},
		{name: "timeout", card: "http.get", in: map[string]any{"url": srv.URL + "/slow", "timeout": 0.1}, wantErr: "the service at " + strings.TrimPrefix(srv.URL, "http://") + " did not answer within 100ms (GET /slow)"},
		{name: "response cap", card: "http.get", in: map[string]any{"url": srv.URL + "/huge"}, wantErr: "larger than 10 MiB"},
		{name: "relative URL without connector", card: "http.get", in: map[string]any{"url": "/echo"}, wantErr: "no connector base URL"},
		{name: "other schemes refused", card: "http.get", in: map[string]any{"url": "file:///etc/passwd"}, wantErr: "only http and https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runHTTP(t, tt.card, tt.in, tt.conn)
			switch {
			case tt.status != 0:
				var he *flows.HTTPError
				if !errors.As(err, &he) || he.Status != tt.status {
					t.Fatalf("err = %v, want HTTPError %d", err, tt.status)
				}
				if he.Retryable() != (tt.status == 429 || tt.status >= 500) {
					t.Errorf("retryable = %v", he.Retryable())
				}
				if tt.status == 429 && he.RetryAfter != 7*time.Second {
					t.Errorf("retry after = %v", he.RetryAfter)
				}
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, out)
			}
		})
	}
}

func TestHTTPCardHonoursCancellation(t *testing.T) {
	srv := service(t)
	c, _ := loopbackCards(t).Lookup("http.get")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	start := time.Now()
	_, err := c.Run(ctx, flows.Input{Values: map[string]any{"url": srv.URL + "/slow"}, Node: &flows.Node{}})
	if err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

// TestRetryOn429ThroughTheEngine runs an HTTP card under an error policy
// against a service that answers 429 twice.
func TestRetryOn429ThroughTheEngine(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls < 3 {
			http.Error(w, "busy", http.StatusTooManyRequests)
			return
		}
		w.Write([]byte("done"))
	}))
	defer srv.Close()
	eng := flows.NewEngine(loopbackCards(t), flows.Options{})
	def := flows.Definition{Schema: 1, Kind: flows.KindWorkspace, Name: "retry", Event: flows.Node{ID: "e", Type: flows.EventManual},
		Cards: []flows.Node{{ID: "get", Type: "http.get", Bindings: map[string]flows.Binding{"url": {Value: srv.URL}},
			OnError: &flows.ErrorPolicy{Retries: 3, DelayMS: 5, Then: flows.ErrorHalt}}}}
	e, err := eng.Run(context.Background(), flows.RunRequest{Definition: def})
	if err != nil || e.Status != flows.StatusSucceeded || e.Steps[1].Attempts != 3 || calls != 3 {
		t.Fatalf("status %s error %q attempts %d calls %d", e.Status, e.Error, e.Steps[1].Attempts, calls)
	}
}

func TestOAuth2ClientCredentialsTokens(t *testing.T) {
	var issued atomic.Int32
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if r.ParseForm() != nil || r.Form.Get("grant_type") != "client_credentials" || !ok || id != "cid" || secret != "csecret" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		issued.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"bearer","expires_in":3600}`, issued.Load())
	}))
	defer tokenSrv.Close()
	info := flows.ConnectorInfo{Name: "Acme", BaseURL: "https://api.acme.test", Auth: flows.AuthDefinition{Kind: flows.AuthOAuth2Client, TokenURL: tokenSrv.URL}}
	tokens := &cards.Tokens{Client: client(t, loopbackAllow, "")}
	conn := &flows.Connection{ID: 1, Values: map[string]string{"client_id": "cid", "client_secret": "csecret"}}
	for range 3 {
		cc, err := tokens.ConnectorContext(context.Background(), info, conn)
		if err != nil || cc.Values["access_token"] != "tok-1" || cc.BaseURL != info.BaseURL {
			t.Fatalf("connector context %+v, %v", cc, err)
		}
	}
	if issued.Load() != 1 {
		t.Fatalf("%d tokens fetched, want 1 reused until it expires", issued.Load())
	}
	bad := &flows.Connection{ID: 2, Values: map[string]string{"client_id": "cid", "client_secret": "wrong"}}
	if _, err := tokens.ConnectorContext(context.Background(), info, bad); err == nil {
		t.Fatal("bad client credentials gave a token")
	}
	// Without a connection: the base URL, no credentials.
	if cc, err := tokens.ConnectorContext(context.Background(), info, nil); err != nil || cc.Auth != flows.AuthNone {
		t.Fatalf("no connection: %+v, %v", cc, err)
	}
}

// TestHTTPCardErrorsReadWell: a failed call reads in words that name the
// service and the call, with the raw text kept as its details; the URL's
// query, which may hold credentials, is left out of the words.
func TestHTTPCardErrorsReadWell(t *testing.T) {
	srv := service(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	for _, tt := range []struct {
		name, card, url     string
		message, detailPart string
	}{
		{"a status outside 2xx", "http.get", srv.URL + "/missing?api_key=s3cret",
			"HTTP 404 Not Found from GET " + srv.URL + "/missing", "no such thing"},
		{"a refused connection", "http.post", "http://" + closed + "/subscriptions?api_key=s3cret",
			"the service at " + closed + " refused the connection (POST /subscriptions)", "connection refused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runHTTP(t, tt.card, map[string]any{"url": tt.url}, nil)
			message, detail := flows.ErrorText(err)
			if message != tt.message {
				t.Fatalf("message %q, want %q", message, tt.message)
			}
			if !strings.Contains(detail, tt.detailPart) {
				t.Fatalf("details %q, want them to hold %q", detail, tt.detailPart)
			}
		})
	}
}
