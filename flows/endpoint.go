package flows

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// An API Endpoint flow (event card EventAPIEndpoint) runs for each request
// at its invoke URL, BaseURL + "/api/flo/<alias>/invoke", while it is ON,
// and its caller waits for the answer: what an HTTP Close card sends, else
// how the run ends (answer.go). The alias is unguessable and can be made
// anew, which ends the old URL at once. Turning the flow ON and OFF uses
// its subscription as a webhook flow does, with nothing to register.

// EndpointSecurity is how the caller of an API Endpoint flow shows it may
// invoke it. Persisted; the tokens never change.
type EndpointSecurity string

// The security modes.
const (
	// SecurityClientToken: the flow's client token, in the clientToken
	// query parameter or the x-api-client-token header.
	SecurityClientToken EndpointSecurity = "client_token"
	// SecurityAPIToken: a Hookflow API token, as Authorization: Bearer.
	SecurityAPIToken EndpointSecurity = "api_token"
	// SecurityPublic: anyone who knows the invoke URL.
	SecurityPublic EndpointSecurity = "public"
)

// EndpointSecurities lists the modes, the default first.
var EndpointSecurities = []EndpointSecurity{SecurityClientToken, SecurityAPIToken, SecurityPublic}

// Where a caller sends the client token.
const (
	ClientTokenHeader = "x-api-client-token"
	ClientTokenQuery  = "clientToken"
)

// MaxEndpointRate bounds a flow's own rate limit (invocations per second).
const MaxEndpointRate = 100_000

// Endpoint is an API Endpoint flow's invoke settings.
type Endpoint struct {
	FlowID   int64
	Alias    string
	Security EndpointSecurity
	// ClientTokenHash is the SHA-256 (hex) of the client token, which is
	// shown once and never stored; "" until one is made.
	ClientTokenHash string
	ClientTokenAt   time.Time
	// RateLimit is the invocations per second the flow takes; 0 means the
	// server's default.
	RateLimit int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// EndpointStore keeps the endpoints' settings; store implements it.
type EndpointStore interface {
	// Endpoint is a flow's settings, or ErrNotFound.
	Endpoint(ctx context.Context, flowID int64) (Endpoint, error)
	// EndpointByAlias finds the settings of an alias, or ErrNotFound.
	EndpointByAlias(ctx context.Context, alias string) (Endpoint, error)
	// CreateEndpoint saves a flow's first settings; ErrConflict when it
	// has them already.
	CreateEndpoint(ctx context.Context, e Endpoint) error
	// SaveEndpoint saves a flow's alias, security, client token hash and
	// rate limit.
	SaveEndpoint(ctx context.Context, e Endpoint) error
}

// InvokeURL is the URL that invokes the endpoint of an alias.
func (l *Lifecycle) InvokeURL(alias string) string {
	return l.BaseURL + "/api/flo/" + alias + "/invoke"
}

// newSecret returns n random bytes, URL-safe.
func newSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newAlias returns an unguessable alias (192 bits).
func newAlias() string { return newSecret(24) }

// clientTokenPrefix marks Hookflow's client tokens, for secret scanners.
const clientTokenPrefix = "hfc_"

func hashClientToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// endpointFlow loads a workspace flow that starts with an API Endpoint
// card, or fails with ErrInvalid.
func (l *Lifecycle) endpointFlow(ctx context.Context, flowID int64) (Flow, error) {
	f, err := l.Store.Flow(ctx, flowID)
	if err != nil {
		return f, err
	}
	if f.ConnectorID != 0 || f.Definition.Event.Type != EventAPIEndpoint {
		return f, fmt.Errorf("%w: flow %q does not start with an API Endpoint card", ErrInvalid, f.Definition.Name)
	}
	return f, nil
}

// EnsureEndpoint returns an API Endpoint flow's settings, making them the
// first time: a fresh alias, client token security, no client token yet.
func (l *Lifecycle) EnsureEndpoint(ctx context.Context, flowID int64) (Endpoint, error) {
	ep, err := l.Store.Endpoint(ctx, flowID)
	if !errors.Is(err, ErrNotFound) {
		return ep, err
	}
	if _, err := l.endpointFlow(ctx, flowID); err != nil {
		return Endpoint{}, err
	}
	ep = Endpoint{FlowID: flowID, Alias: newAlias(), Security: SecurityClientToken}
	if err := l.Store.CreateEndpoint(ctx, ep); err != nil && !errors.Is(err, ErrConflict) {
		return Endpoint{}, err
	}
	return l.Store.Endpoint(ctx, flowID)
}

// RotateClientToken makes the flow a new client token and returns it: it
// is shown this once. The old one stops working at once.
func (l *Lifecycle) RotateClientToken(ctx context.Context, flowID int64) (string, Endpoint, error) {
	ep, err := l.EnsureEndpoint(ctx, flowID)
	if err != nil {
		return "", ep, err
	}
	token := clientTokenPrefix + newSecret(32)
	ep.ClientTokenHash, ep.ClientTokenAt = hashClientToken(token), time.Now().UTC()
	if err := l.saveEndpoint(ctx, ep); err != nil {
		return "", ep, err
	}
	return token, ep, nil
}

// RegenerateAlias gives the flow a new invoke URL; the old one answers
// 404 at once.
func (l *Lifecycle) RegenerateAlias(ctx context.Context, flowID int64) (Endpoint, error) {
	ep, err := l.EnsureEndpoint(ctx, flowID)
	if err != nil {
		return ep, err
	}
	ep.Alias = newAlias()
	return ep, l.saveEndpoint(ctx, ep)
}

// ConfigureEndpoint sets the flow's security mode and rate limit
// (invocations per second, 0 for the server's default).
func (l *Lifecycle) ConfigureEndpoint(ctx context.Context, flowID int64, sec EndpointSecurity, rateLimit int) (Endpoint, error) {
	if !slices.Contains(EndpointSecurities, sec) {
		return Endpoint{}, fmt.Errorf("%w: the security is client_token, api_token or public, not %q", ErrInvalid, sec)
	}
	if rateLimit < 0 || rateLimit > MaxEndpointRate {
		return Endpoint{}, fmt.Errorf("%w: the rate limit is 1 to %d invocations per second, or 0 for the server's default", ErrInvalid, MaxEndpointRate)
	}
	ep, err := l.EnsureEndpoint(ctx, flowID)
	if err != nil {
		return ep, err
	}
	ep.Security, ep.RateLimit = sec, rateLimit
	return ep, l.saveEndpoint(ctx, ep)
}

func (l *Lifecycle) saveEndpoint(ctx context.Context, ep Endpoint) error {
	l.forgetEndpoint(ep.FlowID)
	err := l.Store.SaveEndpoint(ctx, ep)
	l.forgetEndpoint(ep.FlowID)
	return err
}

// endpointOn turns an API Endpoint flow ON: nothing to register.
func (l *Lifecycle) endpointOn(ctx context.Context, f Flow) (Subscription, error) {
	if _, err := l.EnsureEndpoint(ctx, f.ID); err != nil {
		return Subscription{}, err
	}
	sub, err := l.Store.StartSubscription(ctx, Subscription{FlowID: f.ID, Token: NewEventToken(), State: SubscriptionActive, Options: map[string]any{}})
	l.forgetEndpoint(f.ID)
	return sub, err
}

// endpointOff turns an API Endpoint flow OFF: its invoke URL answers 404
// at once.
func (l *Lifecycle) endpointOff(ctx context.Context, sub Subscription) (Subscription, error) {
	sub.State, sub.LastError = SubscriptionOff, ""
	l.forgetEndpoint(sub.FlowID)
	err := l.Store.SaveSubscription(ctx, sub)
	l.forgetEndpoint(sub.FlowID)
	return sub, err
}

// EndpointTarget is an invoke URL's flow, ON, with its settings.
type EndpointTarget struct {
	Endpoint Endpoint
	Flow     Flow
	expires  time.Time
}

// CheckClientToken reports whether token is the flow's client token,
// comparing in constant time.
func (t *EndpointTarget) CheckClientToken(token string) bool {
	if t.Endpoint.ClientTokenHash == "" || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashClientToken(token)), []byte(t.Endpoint.ClientTokenHash)) == 1
}

// endpointTTL is how long an invoke URL's lookup is trusted without the
// database: a flow saved meanwhile runs as saved from the next lookup.
// Turning the flow OFF, a new alias and new settings take effect at once
// on this server, and within endpointTTL on the others sharing its
// database.
const endpointTTL = time.Second

// Endpoint looks up an invoke URL's alias: ErrNotFound when no flow has
// it or its flow is OFF (the caller cannot tell which).
func (l *Lifecycle) Endpoint(ctx context.Context, alias string) (*EndpointTarget, error) {
	if c, ok := l.endpoints.Load(alias); ok && time.Now().Before(c.(*EndpointTarget).expires) {
		return c.(*EndpointTarget), nil
	}
	gen := l.endpointGen.Load()
	t, err := l.lookupEndpoint(ctx, alias)
	if err == nil && l.endpointGen.Load() == gen {
		l.endpoints.Store(alias, t)
	} else {
		l.endpoints.Delete(alias)
	}
	return t, err
}

func (l *Lifecycle) lookupEndpoint(ctx context.Context, alias string) (*EndpointTarget, error) {
	ep, err := l.Store.EndpointByAlias(ctx, alias)
	if err != nil {
		return nil, err
	}
	f, err := l.endpointFlow(ctx, ep.FlowID)
	if errors.Is(err, ErrInvalid) {
		return nil, fmt.Errorf("%w: flow %d is no longer an API Endpoint flow", ErrNotFound, ep.FlowID)
	}
	if err != nil {
		return nil, err
	}
	sub, err := l.Store.LiveSubscription(ctx, f.ID)
	if err != nil {
		return nil, err
	}
	if sub.State != SubscriptionActive {
		return nil, fmt.Errorf("%w: flow %d is not ON", ErrNotFound, f.ID)
	}
	return &EndpointTarget{Endpoint: ep, Flow: f, expires: time.Now().Add(endpointTTL)}, nil
}

// forgetEndpoint drops a flow's cached invoke URL lookups.
func (l *Lifecycle) forgetEndpoint(flowID int64) {
	l.endpointGen.Add(1)
	l.endpoints.Range(func(k, v any) bool {
		if v.(*EndpointTarget).Endpoint.FlowID == flowID {
			l.endpoints.Delete(k)
		}
		return true
	})
}

// ForgetEndpoint drops what this server remembers of a flow's invoke
// URL: its next request runs the flow as saved now.
func (l *Lifecycle) ForgetEndpoint(flowID int64) { l.forgetEndpoint(flowID) }

// Invoke runs an API Endpoint flow on a request and returns its answer.
// The run goes on by itself, whatever happens to ctx (its values are
// kept): the caller who gives up, or who has not had an answer within
// wait (a 504 answer), leaves it running, bounded by the run time limit.
// The credentials that invoke it (and Authorization, cookies) are masked
// in the flow's input; other credentials in the request, as at an Event
// URL, in the run's record.
func (l *Lifecycle) Invoke(ctx context.Context, t *EndpointTarget, d Delivery, wait time.Duration) Answer {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	// The caller has its answer before its run is recorded; when
	// recording falls behind, new invocations wait for it here.
	l.invokingOnce.Do(func() { l.invoking = make(chan struct{}, maxInvoking) })
	select {
	case l.invoking <- struct{}{}:
	case <-timer.C:
		return ErrorAnswer(http.StatusServiceUnavailable, "the server is busy: try again in a moment")
	case <-ctx.Done():
		return ErrorAnswer(http.StatusServiceUnavailable, "the request ended before its flow could start")
	}
	maskCredentials(&d)
	e := l.Engine
	id := NewExecutionID(e.opts.Now())
	in := RawRequest(d)
	in[FieldExecutionID] = id
	answers := make(chan Answer, 1)
	// A body that the flow reads into is JSON, whatever its content type
	// said; one that is not fails the run at once (a 400).
	req := RunRequest{FlowID: t.Flow.ID, Definition: t.Flow.Definition, Input: in, Trigger: TriggerAPI, Revision: t.Flow.Revision,
		ExecutionID: id, InputError: readBody(&t.Flow.Definition, in), Respond: func(a Answer) { answers <- a },
		Secrets: requestSecrets(d)} // other credentials the request carries, as at an Event URL
	// Like a Call Flow Async child, the run outlives its request: the
	// engine's Shutdown waits for it, then cancels it.
	e.async.Add(1)
	go func() {
		defer e.async.Done()
		defer func() { <-l.invoking }()
		e.Run(context.WithoutCancel(ctx), req)
	}()
	select {
	case a := <-answers:
		return a
	case <-timer.C:
	case <-ctx.Done():
	}
	a := ErrorAnswer(http.StatusGatewayTimeout, fmt.Sprintf("the flow has not answered within %s; it goes on running", wait))
	a.ExecutionID = id
	return a
}

// maxInvoking bounds the invoked runs going on or waiting to be recorded.
const maxInvoking = 2048

// maskCredentials masks what proves the caller may invoke: they never
// reach the flow or its history.
func maskCredentials(d *Delivery) {
	for _, name := range []string{"authorization", "proxy-authorization", "cookie", ClientTokenHeader} {
		if _, ok := d.Headers[name]; ok {
			d.Headers[name] = Masked
		}
	}
	if _, ok := d.Query[ClientTokenQuery]; ok {
		d.Query[ClientTokenQuery] = Masked
	}
}
