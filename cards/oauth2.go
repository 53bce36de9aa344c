package cards

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/hookflow/hookflow/flows"
)

// Tokens fetches and caches OAuth2 client-credentials access tokens, one
// token source per connection and credentials.
type Tokens struct {
	mu      sync.Mutex
	sources map[string]oauth2.TokenSource
}

// ConnectorContext resolves what HTTP cards need to call the connector's
// service with connection c (nil: the base URL only). For OAuth2 client
// credentials it fetches an access token from the token URL, reusing it
// until it expires.
func (t *Tokens) ConnectorContext(ctx context.Context, info flows.ConnectorInfo, c *flows.Connection) (*flows.ConnectorContext, error) {
	cc := &flows.ConnectorContext{BaseURL: info.BaseURL, Auth: info.Auth.Kind, Header: info.Auth.Header, Values: map[string]string{}}
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
	key := fmt.Sprintf("%d\x00%s\x00%s\x00%s", c.ID, info.Auth.TokenURL, c.Values["client_id"], c.Values["client_secret"])
	t.mu.Lock()
	if t.sources == nil {
		t.sources = map[string]oauth2.TokenSource{}
	}
	src, ok := t.sources[key]
	if !ok {
		cfg := clientcredentials.Config{ClientID: c.Values["client_id"], ClientSecret: c.Values["client_secret"], TokenURL: info.Auth.TokenURL}
		if info.Auth.Scopes != "" {
			cfg.Scopes = strings.Fields(info.Auth.Scopes)
		}
		src = oauth2.ReuseTokenSource(nil, cfg.TokenSource(context.WithoutCancel(ctx)))
		t.sources[key] = src
	}
	t.mu.Unlock()
	tok, err := src.Token() // may call the token URL
	if err != nil {
		return nil, fmt.Errorf("oauth2 token from %s: %w", info.Auth.TokenURL, err)
	}
	cc.Values["access_token"] = tok.AccessToken
	return cc, nil
}
