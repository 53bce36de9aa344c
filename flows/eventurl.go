package flows

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Hook is what an Event URL's handler needs to check and accept a request.
type Hook struct {
	Subscription Subscription
	Settings     WebhookSettings
	// Secret is the resolved secret of the secret-header or signature check.
	Secret string
}

// ErrGone is returned for the Event URL of a flow that is OFF.
var ErrGone = errors.New("this Event URL is turned off")

// Hook looks up an Event URL token: ErrNotFound for an unknown token,
// ErrGone when its flow is not ON.
func (l *Lifecycle) Hook(ctx context.Context, token string) (Hook, error) {
	if c, ok := l.hooks.Load(token); ok && time.Now().Before(c.(cachedHook).expires) {
		return c.(cachedHook).hook, nil
	}
	gen := l.hookGen.Load()
	h, err := l.lookupHook(ctx, token)
	if err == nil && l.hookGen.Load() == gen {
		l.hooks.Store(token, cachedHook{hook: h, expires: time.Now().Add(hookTTL)})
	} else {
		l.hooks.Delete(token)
	}
	return h, err
}

func (l *Lifecycle) lookupHook(ctx context.Context, token string) (Hook, error) {
	sub, err := l.Store.SubscriptionByToken(ctx, token)
	if err != nil {
		return Hook{}, err
	}
	if sub.State != SubscriptionActive {
		return Hook{}, ErrGone
	}
	v, err := l.Store.Version(ctx, sub.Source.Connector, sub.Source.Version)
	if err != nil {
		return Hook{}, err
	}
	def, ok := v.Export.Flow(sub.Source.Flow)
	if !ok || def.Webhook == nil {
		return Hook{}, fmt.Errorf("%w: the webhook event is missing from version %d", ErrNotFound, sub.Source.Version)
	}
	h := Hook{Subscription: sub, Settings: *def.Webhook}
	if src := h.Settings.Security.Secret; src != "" {
		if h.Secret, err = l.secret(ctx, sub, src); err != nil {
			return Hook{}, err
		}
	}
	return h, nil
}

// secret resolves "connection.<field>" or "registration.<path>".
func (l *Lifecycle) secret(ctx context.Context, sub Subscription, src string) (string, error) {
	if key, ok := strings.CutPrefix(src, "connection."); ok {
		if sub.Source.Connection == 0 {
			return "", fmt.Errorf("%w: the flow has no connection for the secret %s", ErrInvalid, src)
		}
		c, err := l.Store.Connection(ctx, sub.Source.Connection)
		if err != nil {
			return "", err
		}
		return c.Values[key], nil
	}
	if path, ok := strings.CutPrefix(src, "registration"); ok {
		v := sub.Registration
		if path = strings.TrimPrefix(path, "."); path != "" {
			var err error
			if v, err = Lookup(v, path); err != nil {
				return "", fmt.Errorf("%w: the secret %s: %v", ErrInvalid, src, err)
			}
		}
		s, _ := Convert(v, TypeText)
		t, _ := s.(string)
		return t, nil
	}
	return "", fmt.Errorf("%w: unknown secret source %q", ErrInvalid, src)
}

// Rejection is why a request at an Event URL was refused.
type Rejection struct {
	Status int    // 401 or 403
	Reason string // for the log and the metric label
}

func (r *Rejection) Error() string { return r.Reason }

// Check applies the Event URL's secret header or HMAC-SHA256 signature
// rule to a request, comparing in constant time. headers have lower-case
// names.
func (h Hook) Check(headers map[string]string, body []byte) error {
	sec := h.Settings.Security
	if sec.SecretHeader != "" {
		got, ok := headers[strings.ToLower(sec.SecretHeader)]
		if !ok {
			return &Rejection{Status: 401, Reason: "missing_secret"}
		}
		if h.Secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(h.Secret)) != 1 {
			return &Rejection{Status: 403, Reason: "bad_secret"}
		}
	}
	if sec.SignatureHeader != "" {
		got, ok := headers[strings.ToLower(sec.SignatureHeader)]
		if !ok {
			return &Rejection{Status: 401, Reason: "missing_signature"}
		}
		mac := hmac.New(sha256.New, []byte(h.Secret))
		mac.Write(body)
		sum := mac.Sum(nil)
		got = strings.TrimPrefix(strings.TrimSpace(got), "sha256=")
		want := []byte(hex.EncodeToString(sum))
		if b64 := base64.StdEncoding.EncodeToString(sum); len(got) == len(b64) {
			want = []byte(b64)
		}
		if h.Secret == "" || !hmac.Equal([]byte(strings.ToLower(got)), want) && !hmac.Equal([]byte(got), want) {
			return &Rejection{Status: 403, Reason: "bad_signature"}
		}
	}
	return nil
}

// DedupeKey is the request's dedupe key by the Event URL's rule, or "".
func (h Hook) DedupeKey(headers map[string]string, body []byte) string {
	sec := h.Settings.Security
	if sec.DedupeHeader != "" {
		return headers[strings.ToLower(sec.DedupeHeader)]
	}
	if sec.DedupePath != "" {
		var v any
		if json.Unmarshal(body, &v) != nil {
			return ""
		}
		x, err := Lookup(v, sec.DedupePath)
		if err != nil || x == nil {
			return ""
		}
		s, _ := Convert(x, TypeText)
		t, _ := s.(string)
		return t
	}
	return ""
}

// AckStatus is the status that acknowledges an accepted request.
func (h Hook) AckStatus() int {
	if h.Settings.AckStatus == 0 {
		return 202
	}
	return h.Settings.AckStatus
}

// Allows reports whether the Event URL accepts the method.
func (h Hook) Allows(method string) bool {
	if len(h.Settings.Methods) == 0 {
		return method == "POST"
	}
	for _, m := range h.Settings.Methods {
		if strings.EqualFold(m, method) {
			return true
		}
	}
	return false
}

// Accept stores a checked request with its job; it is then safe to
// acknowledge. duplicate reports a repeated delivery that will not run.
// Credentials in the request (Authorization, cookies, the secret header)
// are masked before it is stored: they never reach the history.
func (l *Lifecycle) Accept(ctx context.Context, h Hook, d Delivery) (duplicate bool, err error) {
	d.SubscriptionID = h.Subscription.ID
	d.DedupeKey = h.DedupeKey(d.Headers, d.Body)
	for _, name := range []string{"authorization", "proxy-authorization", "cookie", strings.ToLower(h.Settings.Security.SecretHeader)} {
		if _, ok := d.Headers[name]; ok && name != "" {
			d.Headers[name] = Masked
		}
	}
	return l.Store.AcceptDelivery(ctx, d)
}
