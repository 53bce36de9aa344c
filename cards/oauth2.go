package cards

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/sync/singleflight"

	"github.com/hookflow/hookflow/flows"
)

// DefaultTokenTimeout bounds one fetch from an OAuth2 token URL.
const DefaultTokenTimeout = 15 * time.Second

// Tokens fetches and caches OAuth2 client-credentials access tokens, one
// per connection and credentials.
//
// One fetch at a time goes out for a connection; the runs that need its
// token meanwhile wait for that fetch, each only as long as its own
// deadline and cancellation allow. A fetch ends after Timeout, whoever
// waits, so a token URL that never answers holds no run past it.
type Tokens struct {
	// Client calls the token URLs: NewClient's, with the deployment's
	// outbound policy. Nil means DefaultClient().
	Client *http.Client
	// Timeout bounds one fetch; 0 means DefaultTokenTimeout.
	Timeout time.Duration

	once    sync.Once
	client  *http.Client
	mu      sync.Mutex
	tokens  map[string]*tokenEntry
	fetches singleflight.Group
}

// tokenEntry is one connection's token and how to fetch the next.
type tokenEntry struct {
	cfg *clientcredentials.Config // keeps the auth style it found
	tok *oauth2.Token             // guarded by Tokens.mu
}

// ConnectorContext resolves what HTTP cards need to call the connector's
// service with connection c (nil: the base URL only). For OAuth2 client
// credentials it fetches an access token from the token URL, reusing it
// until it expires.
func (t *Tokens) ConnectorContext(ctx context.Context, info flows.ConnectorInfo, c *flows.Connection) (*flows.ConnectorContext, error) {
	cc := &flows.ConnectorContext{BaseURL: info.BaseURL, Auth: info.Auth.Kind, Header: info.Auth.Header, Hosts: info.Auth.Hosts, Values: map[string]string{}}
	if c == nil {
		cc.Auth = flows.AuthNone
		return cc, nil
	}
	for k, v := range c.Values {
		cc.Values[k] = v
	}
	if info.Auth.Kind != flows.AuthOAuth2Client {
		return cc, nil
	}
	tok, err := t.token(ctx, info.Auth, c)
	if err != nil {
		return nil, err
	}
	cc.Values["access_token"] = tok.AccessToken
	return cc, nil
}

// token returns the connection's cached token while it is valid, and
// otherwise the result of a fetch, waiting for it until ctx ends.
func (t *Tokens) token(ctx context.Context, a flows.AuthDefinition, c *flows.Connection) (*oauth2.Token, error) {
	key := fmt.Sprintf("%d\x00%s\x00%s\x00%s\x00%s", c.ID, a.TokenURL, a.Scopes, c.Values["client_id"], c.Values["client_secret"])
	t.mu.Lock()
	if t.tokens == nil {
		t.tokens = map[string]*tokenEntry{}
	}
	e, ok := t.tokens[key]
	if !ok {
		e = &tokenEntry{cfg: &clientcredentials.Config{ClientID: c.Values["client_id"], ClientSecret: c.Values["client_secret"],
			TokenURL: a.TokenURL, Scopes: strings.Fields(a.Scopes)}}
		t.tokens[key] = e
	}
	tok := e.tok
	t.mu.Unlock()
	if tok.Valid() {
		return tok, nil
	}
	timeout := cmp.Or(t.Timeout, DefaultTokenTimeout)
	fetched := t.fetches.DoChan(key, func() (any, error) {
		// The fetch serves every run waiting for it: it keeps ctx's values
		// but not its cancellation, and has a deadline of its own.
		fctx, cancel := context.WithTimeout(context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, t.httpClient()), timeout)
		defer cancel()
		tok, err := e.cfg.Token(fctx)
		if err != nil {
			return nil, err
		}
		t.mu.Lock()
		e.tok = tok
		t.mu.Unlock()
		return tok, nil
	})
	select {
	case r := <-fetched:
		if r.Err != nil {
			return nil, tokenError(a.TokenURL, timeout, r.Err)
		}
		return r.Val.(*oauth2.Token), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("oauth2 token from %s: stopped waiting: %w", a.TokenURL, context.Cause(ctx))
	}
}

// tokenError says in plain words why a fetch failed.
func tokenError(tokenURL string, timeout time.Duration, err error) error {
	var refused *flows.OutboundError
	switch {
	case errors.As(err, &refused):
		return fmt.Errorf("oauth2 token from %s: %w", tokenURL, refused)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("oauth2 token from %s: no answer within %s", tokenURL, timeout)
	}
	return fmt.Errorf("oauth2 token from %s: %w", tokenURL, err)
}

func (t *Tokens) httpClient() *http.Client {
	t.once.Do(func() {
		t.client = t.Client
		if t.client == nil {
			t.client = DefaultClient()
		}
	})
	return t.client
}
