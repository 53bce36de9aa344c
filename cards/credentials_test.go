package cards_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hookflow/hookflow/cards"
	"github.com/hookflow/hookflow/flows"
)

// seen is what a fake service got: each request's credentials.
type seen struct {
	mu  sync.Mutex
	got []string // "key=<X-Api-Key> auth=<Authorization>"
}

func (s *seen) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = nil
}

func (s *seen) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

// keyService is a fake service that records the credentials of each
// request; /to?url=U redirects to U, /deny answers 401.
func keyService(t *testing.T) (*httptest.Server, *seen) {
	t.Helper()
	s := &seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.got = append(s.got, "key="+r.Header.Get("X-Api-Key")+" auth="+r.Header.Get("Authorization"))
		s.mu.Unlock()
		switch r.URL.Path {
		case "/to":
			http.Redirect(w, r, r.URL.Query().Get("url"), http.StatusFound)
		case "/deny":
			http.Error(w, "who are you", http.StatusUnauthorized)
		default:
			w.Write([]byte("ok"))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, s
}

// TestCredentialsGoOnlyToTheConnector runs HTTP cards inside a connector
// whose base URL is service a: b, on another port, is another origin.
func TestCredentialsGoOnlyToTheConnector(t *testing.T) {
	a, atA := keyService(t)
	b, atB := keyService(t)
	apiKey := func(hosts ...string) *flows.ConnectorContext {
		return &flows.ConnectorContext{BaseURL: a.URL + "/v1", Auth: flows.AuthAPIKeyHeader, Header: "X-Api-Key", Hosts: hosts, Values: map[string]string{"api_key": "k1"}}
	}
	bearer := &flows.ConnectorContext{BaseURL: a.URL, Auth: flows.AuthBearer, Values: map[string]string{"token": "t0k"}}
	to := func(from, target string) string { return from + "/to?url=" + url.QueryEscape(target) }
	tests := []struct {
		name         string
		conn         *flows.ConnectorContext
		url          string
		wantA, wantB []string
	}{
		{name: "the base URL's host gets the API key", conn: apiKey(), url: "items",
			wantA: []string{"key=k1 auth="}},
		{name: "another origin does not", conn: apiKey(), url: b.URL + "/items",
			wantB: []string{"key= auth="}},
		{name: "nor the bearer token", conn: bearer, url: b.URL + "/items",
			wantB: []string{"key= auth="}},
		{name: "a redirect to another origin drops the API key", conn: apiKey(), url: to(a.URL, b.URL+"/items"),
			wantA: []string{"key=k1 auth="}, wantB: []string{"key= auth="}},
		{name: "and the bearer token", conn: bearer, url: to(a.URL, b.URL+"/items"),
			wantA: []string{"key= auth=Bearer t0k"}, wantB: []string{"key= auth="}},
		{name: "a redirect within the origin keeps it", conn: apiKey(), url: to(a.URL, a.URL+"/items"),
			wantA: []string{"key=k1 auth=", "key=k1 auth="}},
		{name: "coming back from another origin does not get it back", conn: apiKey(), url: to(a.URL, to(b.URL, a.URL+"/items")),
			wantA: []string{"key=k1 auth=", "key= auth="}, wantB: []string{"key= auth="}},
		{name: "an extra host listed gets it", conn: apiKey(strings.ToUpper(b.URL[:4]) + b.URL[4:]), url: b.URL + "/items",
			wantB: []string{"key=k1 auth="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			atA.reset()
			atB.reset()
			if _, err := runHTTP(t, "http.get", map[string]any{"url": tt.url}, tt.conn); err != nil {
				t.Fatal(err)
			}
			if got := atA.all(); strings.Join(got, "|") != strings.Join(tt.wantA, "|") {
				t.Errorf("the connector's service got %q, want %q", got, tt.wantA)
			}
			if got := atB.all(); strings.Join(got, "|") != strings.Join(tt.wantB, "|") {
				t.Errorf("the other service got %q, want %q", got, tt.wantB)
			}
		})
	}
}

// TestPayloadChosenURLGetsNoCredentials runs a connector flow whose HTTP
// Post sends to a URL the payload names: another host gets the request
// without the connection's API key, and a refusal says why.
func TestPayloadChosenURLGetsNoCredentials(t *testing.T) {
	a, atA := keyService(t)
	b, atB := keyService(t)
	def := flows.Definition{Schema: flows.SchemaVersion, Kind: flows.KindWorkspace, Name: "forward",
		Event: flows.Node{ID: "event", Type: flows.EventManual, Outputs: []flows.Field{{Key: "callback", Type: flows.TypeText}}},
		Cards: []flows.Node{{ID: "post", Type: "http.post", Bindings: map[string]flows.Binding{
			"url": {Ref: &flows.Ref{Card: "event", Field: "callback"}}, "body": {Value: "hello"}}}}}
	conn := &flows.ConnectorContext{BaseURL: a.URL, Auth: flows.AuthAPIKeyHeader, Header: "X-Api-Key", Values: map[string]string{"api_key": "k1"}}
	eng := flows.NewEngine(loopbackCards(t), flows.Options{})
	for _, tt := range []struct{ callback, wantErr string }{
		{callback: b.URL + "/hook"},
		{callback: b.URL + "/deny", wantErr: "(the connection's credentials were not sent: they go only to " + a.URL + ")"},
	} {
		e, err := eng.Run(context.Background(), flows.RunRequest{Definition: def, Input: map[string]any{"callback": tt.callback}, Connector: conn})
		if err != nil {
			t.Fatal(err)
		}
		if tt.wantErr == "" && e.Status != flows.StatusSucceeded || tt.wantErr != "" && !strings.Contains(e.Error, tt.wantErr) {
			t.Fatalf("%s: status %s, error %q; want %q", tt.callback, e.Status, e.Error, tt.wantErr)
		}
	}
	if got := atB.all(); len(got) != 2 || got[0] != "key= auth=" || got[1] != "key= auth=" {
		t.Fatalf("the payload's URL got %q", got)
	}
	if len(atA.all()) != 0 {
		t.Fatal("the connector's service was called")
	}
}

// TestOAuth2TokenURLIsAnOutboundCall: the token URL goes through the
// outbound policy like any other call.
func TestOAuth2TokenURLIsAnOutboundCall(t *testing.T) {
	srv, reached := counter(t)
	info := flows.ConnectorInfo{Name: "Acme", BaseURL: "https://api.acme.test", Auth: flows.AuthDefinition{Kind: flows.AuthOAuth2Client, TokenURL: srv.URL + "/token"}}
	conn := &flows.Connection{ID: 1, Values: map[string]string{"client_id": "cid", "client_secret": "cs"}}
	_, err := (&cards.Tokens{}).ConnectorContext(context.Background(), info, conn)
	var oe *flows.OutboundError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "oauth2 token from "+srv.URL+"/token: outbound call to "+srv.Listener.Addr().String()+" refused: loopback") {
		t.Fatalf("err = %v", err)
	}
	if reached.Load() != 0 {
		t.Fatal("the token URL was called")
	}
}
