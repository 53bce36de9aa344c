package cards_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/cards"
	"github.com/hookflow/hookflow/flows"
)

// tokenService is an OAuth2 token URL whose first hang requests never
// answer (until the test ends) and whose others answer after delay.
func tokenService(t *testing.T, hang int32, delay time.Duration) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if n <= hang {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		time.Sleep(delay)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"bearer","expires_in":3600}`, n)
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv, &calls
}

func oauthConnector(tokenURL string) (flows.ConnectorInfo, *flows.Connection) {
	return flows.ConnectorInfo{Name: "Acme", BaseURL: "https://api.acme.test", Auth: flows.AuthDefinition{Kind: flows.AuthOAuth2Client, TokenURL: tokenURL}},
		&flows.Connection{ID: 7, Values: map[string]string{"client_id": "cid", "client_secret": "cs"}}
}

// result is what one ConnectorContext call gave, and when.
type result struct {
	cc    *flows.ConnectorContext
	err   error
	after time.Duration
}

// resolve calls ConnectorContext in the background.
func resolve(tokens *cards.Tokens, ctx context.Context, info flows.ConnectorInfo, c *flows.Connection) <-chan result {
	ch := make(chan result, 1)
	start := time.Now()
	go func() {
		cc, err := tokens.ConnectorContext(ctx, info, c)
		ch <- result{cc, err, time.Since(start)}
	}()
	return ch
}

// await fails the test unless r answers within limit.
func await(t *testing.T, what string, r <-chan result, limit time.Duration) result {
	t.Helper()
	select {
	case res := <-r:
		return res
	case <-time.After(limit):
		t.Fatalf("%s: still waiting after %v", what, limit)
		return result{}
	}
}

// TestOAuth2TokenURLThatNeverAnswers: the fetch has a deadline of its
// own, and the run's deadline and cancellation stop its wait sooner.
func TestOAuth2TokenURLThatNeverAnswers(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		ctx     func(t *testing.T) context.Context
		want    string
		is      error
	}{
		{name: "the fetch's deadline", timeout: 300 * time.Millisecond, ctx: func(*testing.T) context.Context { return context.Background() },
			want: "no answer within 300ms"},
		{name: "the run is canceled", timeout: time.Minute, ctx: func(t *testing.T) context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			t.Cleanup(cancel)
			return ctx
		}, want: "stopped waiting", is: context.Canceled},
		{name: "the run's deadline", timeout: time.Minute, ctx: func(t *testing.T) context.Context {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			t.Cleanup(cancel)
			return ctx
		}, want: "stopped waiting", is: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := tokenService(t, 1000, 0)
			info, conn := oauthConnector(srv.URL)
			tokens := &cards.Tokens{Client: client(t, loopbackAllow, ""), Timeout: tt.timeout}
			res := await(t, "the token", resolve(tokens, tt.ctx(t), info, conn), 5*time.Second)
			if res.err == nil || !strings.Contains(res.err.Error(), "oauth2 token from "+srv.URL+": "+tt.want) {
				t.Fatalf("err = %v, want %q", res.err, tt.want)
			}
			if tt.is != nil && !errors.Is(res.err, tt.is) {
				t.Fatalf("err = %v, want %v", res.err, tt.is)
			}
			if res.after > 2*time.Second {
				t.Fatalf("it took %v", res.after)
			}
		})
	}
}

// TestOAuth2RunsDoNotQueueBehindAHungFetch: while the token URL hangs on
// a fetch, a canceled run leaves at once and another run waits no longer
// than that fetch's deadline; the next run fetches anew and gets a token.
func TestOAuth2RunsDoNotQueueBehindAHungFetch(t *testing.T) {
	srv, calls := tokenService(t, 1, 0)
	info, conn := oauthConnector(srv.URL)
	tokens := &cards.Tokens{Client: client(t, loopbackAllow, ""), Timeout: 500 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := resolve(tokens, ctx, info, conn)
	time.Sleep(50 * time.Millisecond)
	second := resolve(tokens, context.Background(), info, conn)
	cancel()
	if res := await(t, "the canceled run", first, time.Second); !errors.Is(res.err, context.Canceled) || res.after > 500*time.Millisecond {
		t.Fatalf("the canceled run: %v after %v", res.err, res.after)
	}
	if res := await(t, "the second run", second, 3*time.Second); res.err == nil || !strings.Contains(res.err.Error(), "no answer within 500ms") {
		t.Fatalf("the second run: %v after %v", res.err, res.after)
	}
	res := await(t, "the third run", resolve(tokens, context.Background(), info, conn), 3*time.Second)
	if res.err != nil || res.cc.Values["access_token"] != "tok-2" {
		t.Fatalf("the third run: %+v", res)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d fetches, want 2", calls.Load())
	}
}

// TestOAuth2ConcurrentRunsShareOneFetch: runs that need a token at once
// wait for one fetch between them, and later runs reuse its token.
func TestOAuth2ConcurrentRunsShareOneFetch(t *testing.T) {
	srv, calls := tokenService(t, 0, 200*time.Millisecond)
	info, conn := oauthConnector(srv.URL)
	tokens := &cards.Tokens{Client: client(t, loopbackAllow, "")}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if cc, err := tokens.ConnectorContext(context.Background(), info, conn); err != nil || cc.Values["access_token"] != "tok-1" {
				t.Errorf("a run: %+v, %v", cc, err)
			}
		})
	}
	wg.Wait()
	if cc, err := tokens.ConnectorContext(context.Background(), info, conn); err != nil || cc.Values["access_token"] != "tok-1" {
		t.Fatalf("later: %+v, %v", cc, err)
	}
	if calls.Load() != 1 {
		t.Fatalf("%d fetches, want 1", calls.Load())
	}
}
