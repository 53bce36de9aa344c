package flows

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// EventHook is an outside endpoint that receives Hookflow's events (Okta's
// event hook): it gets deliveries only while it is both Active and
// Verified. Its authentication secret and signing secret are never part
// of it: they are sealed at rest and read only to send (HookSecrets).
type EventHook struct {
	ID          int64           `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	URL         string          `json:"url"`
	AuthField   string          `json:"authField,omitempty"`
	HasSecret   bool            `json:"hasAuthSecret"`
	Headers     []HookHeader    `json:"headers"`
	Events      []HookEventType `json:"events"`
	Active      bool            `json:"active"`
	Verified    bool            `json:"verified"`
	// Revision starts at 1 and counts every change people make: of its
	// settings, and activating, deactivating or verifying it.
	Revision int `json:"revision"`
	// FailingSince is when deliveries started failing, while they do.
	FailingSince *time.Time `json:"failingSince,omitempty"`
	// Deactivated says why Hookflow turned the hook off itself, and when:
	// its deliveries failed for the whole give-up period.
	DeactivatedReason string     `json:"deactivatedReason,omitempty"`
	DeactivatedAt     *time.Time `json:"deactivatedAt,omitempty"`
	CreatedAt         time.Time  `json:"createdAt"`
	UpdatedAt         time.Time  `json:"updatedAt"`
}

// HookHeader is a custom header a hook's deliveries carry.
type HookHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// HookSecrets are a hook's secrets in the clear: the authentication
// field's value and the signing secret.
type HookSecrets struct {
	Auth    string
	Signing string
}

// Wants reports whether the hook receives events of type t.
func (h EventHook) Wants(t HookEventType) bool { return slices.Contains(h.Events, t) }

// Receiving reports whether the hook gets deliveries now.
func (h EventHook) Receiving() bool { return h.Active && h.Verified }

// HookAttempt is one attempt to deliver to a hook: a batch of events
// (Delivery, the envelope's eventId) POSTed once.
type HookAttempt struct {
	ID       int64     `json:"id"`
	HookID   int64     `json:"hookId"`
	Delivery string    `json:"delivery"`
	At       time.Time `json:"at"`
	Events   int       `json:"events"`
	Attempt  int       `json:"attempt"`
	// Status is the HTTP status answered, 0 when none was.
	Status       int           `json:"status"`
	Latency      time.Duration `json:"latencyNs"`
	Error        string        `json:"error,omitempty"`
	RequestBody  string        `json:"requestBody"`
	ResponseBody string        `json:"responseBody"`
	// OK: delivered. Retry: failed for a reason that may pass (5xx, 429,
	// a timeout or a network error).
	OK    bool `json:"ok"`
	Retry bool `json:"retry"`
}

// Limits of event hooks.
const (
	MaxEventHooks        = 25
	MaxHookBatch         = 50
	MaxHookResponseBytes = 4 << 10
	maxHookURL           = 1024
	maxHookName          = 255
	maxHookHeaders       = 20
)

// HookAttemptsKept is how long delivery attempts are kept.
const HookAttemptsKept = 7 * 24 * time.Hour

// HookTiming paces deliveries. The zero value means the defaults.
type HookTiming struct {
	// BatchWait is how long the first event of a batch waits for others
	// (default 1 s): up to MaxHookBatch go in one POST.
	BatchWait time.Duration
	// Timeout bounds each request (default 3 s).
	Timeout time.Duration
	// RetryBase is the first retry's delay, doubled on each next one up to
	// an hour (default 5 s).
	RetryBase time.Duration
	// GiveUp is how long a hook may fail before it is deactivated (default 24 h).
	GiveUp time.Duration
}

// WithDefaults fills the zero fields.
func (t HookTiming) WithDefaults() HookTiming {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.BatchWait, time.Second)
	def(&t.Timeout, 3*time.Second)
	def(&t.RetryBase, 5*time.Second)
	def(&t.GiveUp, 24*time.Hour)
	return t
}

// EventHookStore keeps event hooks (store implements it). Create and
// Update fail with a *UniqueError on a name in use; Update's secret is
// left as it is when nil, and it saves over h.Revision when that is not 0
// (a *StaleError when the hook was saved since).
type EventHookStore interface {
	EventHooks(ctx context.Context) ([]EventHook, error)
	EventHook(ctx context.Context, id int64) (EventHook, error)
	CreateEventHook(ctx context.Context, h EventHook, s HookSecrets) (EventHook, error)
	UpdateEventHook(ctx context.Context, h EventHook, authSecret *string) (EventHook, error)
	DeleteEventHook(ctx context.Context, id int64) error
	// SetEventHookState sets Active and Verified, as the hook's next
	// revision; turning a hook off drops the events waiting for it.
	SetEventHookState(ctx context.Context, id int64, active, verified bool) (EventHook, error)
	EventHookSecrets(ctx context.Context, id int64) (HookSecrets, error)
	// EventHookAttempts lists a hook's latest delivery attempts, newest first.
	EventHookAttempts(ctx context.Context, id int64, limit int) ([]HookAttempt, error)
	// EventHookDeliveries lists a page of a hook's deliveries, newest
	// first, and how many it has in all.
	EventHookDeliveries(ctx context.Context, id int64, offset, limit int) ([]HookDelivery, int, error)
	// EventHookDelivery lists the attempts of one delivery, oldest first;
	// ErrNotFound when it has none.
	EventHookDelivery(ctx context.Context, id int64, delivery string) ([]HookAttempt, error)
	// RecordEventHookAttempt records an attempt made outside the relay (a
	// re-delivery) and returns it with its id.
	RecordEventHookAttempt(ctx context.Context, a HookAttempt) (HookAttempt, error)
}

// EventHooks is the service behind the Event Hooks API and pages, and the
// sender of deliveries (the store's delivery jobs call Send). Client is
// the outbound client; PlainHTTP, when set, says whether an http:// URL's
// host is one the outbound policy opens explicitly (https is always
// accepted).
type EventHooks struct {
	Store     EventHookStore
	Client    *http.Client
	BaseURL   string
	PlainHTTP func(host string) bool
	Timing    HookTiming
}

// HookInput is what an admin writes to create or change a hook.
// AuthSecret nil on update keeps the secret. Revision, on update and when
// not 0, is the revision the change was made to: a stale one is refused.
type HookInput struct {
	Revision    int             `json:"revision,omitempty"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	URL         string          `json:"url"`
	AuthField   string          `json:"authField"`
	AuthSecret  *string         `json:"authSecret"`
	Headers     []HookHeader    `json:"headers"`
	Events      []HookEventType `json:"events"`
}

// reservedHookHeaders are the headers a delivery sets itself.
var reservedHookHeaders = []string{"accept", "content-type", "content-length", "host", "user-agent",
	strings.ToLower(HeaderHookSignature), strings.ToLower(HeaderHookEventID), HeaderVerification}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// HookFieldError is what is wrong with one field of a hook's form: Field
// is the HookInput field's JSON name ("name", "url", "authField",
// "authSecret", "headers", "events"). It wraps ErrInvalid, or ErrConflict
// for a name another hook has.
type HookFieldError struct {
	Field string
	Err   error
}

func (e *HookFieldError) Error() string { return e.Err.Error() }

// Unwrap is the error's kind and words.
func (e *HookFieldError) Unwrap() error { return e.Err }

// fieldf is an invalid value of one field.
func fieldf(field, format string, args ...any) error {
	return &HookFieldError{Field: field, Err: invalidf(format, args...)}
}

// check validates in and returns the hook it describes.
func (s *EventHooks) check(in HookInput) (EventHook, error) {
	h := EventHook{Name: strings.TrimSpace(in.Name), Description: strings.TrimSpace(in.Description),
		URL: strings.TrimSpace(in.URL), AuthField: strings.TrimSpace(in.AuthField), Headers: in.Headers, Events: in.Events}
	switch n := utf8.RuneCountInString(h.Name); {
	case n == 0:
		return h, fieldf("name", "the name is required")
	case n > maxHookName:
		return h, fieldf("name", "the name is longer than %d characters", maxHookName)
	}
	if err := s.checkURL(h.URL); err != nil {
		return h, err
	}
	if h.AuthField != "" && !validHeaderName(h.AuthField) {
		return h, fieldf("authField", "the authentication field %q is not a header name", h.AuthField)
	}
	if h.AuthField != "" && slices.Contains(reservedHookHeaders, strings.ToLower(h.AuthField)) {
		return h, fieldf("authField", "the authentication field %q is a header Hookflow sets itself", h.AuthField)
	}
	if len(h.Headers) > maxHookHeaders {
		return h, fieldf("headers", "a hook has at most %d custom headers", maxHookHeaders)
	}
	seen := map[string]bool{}
	for i, hd := range h.Headers {
		name := strings.TrimSpace(hd.Name)
		h.Headers[i].Name = name
		switch key := strings.ToLower(name); {
		case !validHeaderName(name):
			return h, fieldf("headers", "custom header %d: %q is not a header name", i+1, name)
		case slices.Contains(reservedHookHeaders, key) || key == strings.ToLower(h.AuthField):
			return h, fieldf("headers", "custom header %q is a header Hookflow sets itself", name)
		case seen[key]:
			return h, fieldf("headers", "custom header %q is listed twice", name)
		case strings.ContainsAny(hd.Value, "\r\n"):
			return h, fieldf("headers", "custom header %q: the value may not span lines", name)
		}
		seen[strings.ToLower(name)] = true
	}
	if h.Headers == nil {
		h.Headers = []HookHeader{}
	}
	if len(h.Events) == 0 {
		h.Events = DefaultHookEventTypes()
	}
	for _, t := range h.Events {
		if !t.Known() {
			return h, fieldf("events", "%q is not a Hookflow event type", t)
		}
	}
	slices.Sort(h.Events)
	h.Events = slices.Compact(h.Events)
	return h, nil
}

// checkURL accepts https URLs, and http ones whose host the outbound
// policy opens.
func (s *EventHooks) checkURL(raw string) error {
	if raw == "" {
		return fieldf("url", "the endpoint URL is required")
	}
	if len(raw) > maxHookURL || strings.ContainsAny(raw, " \t\r\n") {
		return fieldf("url", "the endpoint URL must be at most %d characters, without spaces", maxHookURL)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return fieldf("url", "the endpoint URL %q is not a URL like https://example.com/hooks", raw)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && s.PlainHTTP != nil && s.PlainHTTP(u.Hostname()):
		return nil
	}
	return fieldf("url", "the endpoint URL must start with https:// (http:// only for a host HOOKFLOW_OUTBOUND_ALLOW opens)")
}

// NewSigningSecret is a fresh signing secret: 32 random bytes in hex,
// prefixed "whsec_".
func NewSigningSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "whsec_" + hex.EncodeToString(b[:])
}

// Create saves a new hook, Active and unverified (as Okta does): it gets
// nothing until it is verified. It returns the hook and its signing
// secret, which is shown this once.
func (s *EventHooks) Create(ctx context.Context, in HookInput) (EventHook, string, error) {
	h, err := s.check(in)
	if err != nil {
		return EventHook{}, "", err
	}
	hooks, err := s.Store.EventHooks(ctx)
	if err != nil {
		return EventHook{}, "", err
	}
	if len(hooks) >= MaxEventHooks {
		return EventHook{}, "", fmt.Errorf("%w: there are %d event hooks already, the most there may be; delete one first", ErrConflict, MaxEventHooks)
	}
	h.Active = true
	sec := HookSecrets{Signing: NewSigningSecret()}
	if in.AuthSecret != nil {
		sec.Auth = *in.AuthSecret
	}
	if h.AuthField == "" && sec.Auth != "" {
		return EventHook{}, "", fieldf("authField", "name the authentication field the secret goes in (e.g. Authorization)")
	}
	h, err = s.Store.CreateEventHook(ctx, h, sec)
	if err != nil {
		return EventHook{}, "", err
	}
	return h, sec.Signing, nil
}

// Update changes a hook. A new URL, new custom headers, a new
// authentication field or secret make it unverified again.
func (s *EventHooks) Update(ctx context.Context, id int64, in HookInput) (EventHook, error) {
	old, err := s.Store.EventHook(ctx, id)
	if err != nil {
		return EventHook{}, err
	}
	h, err := s.check(in)
	if err != nil {
		return EventHook{}, err
	}
	if err := checkRevision("event hook", in.Revision, old.Revision); err != nil {
		return EventHook{}, err
	}
	h.ID, h.Active, h.Verified, h.Revision = id, old.Active, old.Verified, in.Revision
	if h.URL != old.URL || h.AuthField != old.AuthField || !slices.Equal(h.Headers, old.Headers) || in.AuthSecret != nil {
		h.Verified = false
	}
	if h.AuthField == "" && in.AuthSecret != nil && *in.AuthSecret != "" {
		return EventHook{}, fieldf("authField", "name the authentication field the secret goes in (e.g. Authorization)")
	}
	return s.Store.UpdateEventHook(ctx, h, in.AuthSecret)
}

// Delete deletes an inactive hook.
func (s *EventHooks) Delete(ctx context.Context, id int64) error {
	h, err := s.Store.EventHook(ctx, id)
	if err != nil {
		return err
	}
	if h.Active {
		return fmt.Errorf("%w: deactivate the event hook %q before deleting it", ErrConflict, h.Name)
	}
	return s.Store.DeleteEventHook(ctx, id)
}

// Activate turns a hook on; it receives events once it is verified too.
func (s *EventHooks) Activate(ctx context.Context, id int64) (EventHook, error) {
	h, err := s.Store.EventHook(ctx, id)
	if err != nil {
		return EventHook{}, err
	}
	return s.Store.SetEventHookState(ctx, id, true, h.Verified)
}

// Deactivate turns a hook off: it receives nothing, and the events
// waiting for it are dropped.
func (s *EventHooks) Deactivate(ctx context.Context, id int64) (EventHook, error) {
	h, err := s.Store.EventHook(ctx, id)
	if err != nil {
		return EventHook{}, err
	}
	return s.Store.SetEventHookState(ctx, id, false, h.Verified)
}

// VerifyError is why a hook's endpoint failed its verification, in plain
// words.
type VerifyError struct{ Reason string }

func (e *VerifyError) Error() string { return "the endpoint was not verified: " + e.Reason }

// Unwrap makes a failed verification invalid input.
func (e *VerifyError) Unwrap() error { return ErrInvalid }

// Verify sends Okta's one-time verification: a GET with a random
// x-okta-verification-challenge, answered with {"verification": <it>}
// within the timeout; it tries once more on failure. On success the hook
// is verified; on failure it is unverified and the error (a *VerifyError)
// says why.
func (s *EventHooks) Verify(ctx context.Context, id int64) (EventHook, error) {
	h, err := s.Store.EventHook(ctx, id)
	if err != nil {
		return EventHook{}, err
	}
	sec, err := s.Store.EventHookSecrets(ctx, id)
	if err != nil {
		return EventHook{}, err
	}
	var why error
	for try := 0; try < 2; try++ {
		if why = s.challenge(ctx, h, sec); why == nil {
			break
		}
		if ctx.Err() != nil {
			return EventHook{}, ctx.Err()
		}
	}
	h, err = s.Store.SetEventHookState(ctx, id, h.Active, why == nil)
	if err != nil {
		return EventHook{}, err
	}
	return h, why
}

// challenge sends one verification request.
func (s *EventHooks) challenge(ctx context.Context, h EventHook, sec HookSecrets) error {
	t := s.Timing.WithDefaults()
	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	value := NewUUID()
	if s.Client == nil {
		return &VerifyError{Reason: "Hookflow has no outbound client to call it with"}
	}
	req, err := newHookRequest(ctx, "GET", h, sec, nil)
	if err != nil {
		return &VerifyError{Reason: err.Error()}
	}
	req.Header.Set(HeaderVerification, value)
	res, err := s.Client.Do(req)
	if err != nil {
		return &VerifyError{Reason: hookCallError(ctx, t.Timeout, err)}
	}
	defer res.Body.Close()
	body, _ := readLimited(res.Body, MaxHookResponseBytes)
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return &VerifyError{Reason: fmt.Sprintf("the endpoint answered HTTP %d", res.StatusCode)}
	}
	var answer struct {
		Verification *string `json:"verification"`
	}
	if json.Unmarshal(body, &answer) != nil || answer.Verification == nil {
		return &VerifyError{Reason: `the endpoint did not answer with JSON {"verification": "<the challenge>"}`}
	}
	if *answer.Verification != value {
		return &VerifyError{Reason: "the endpoint answered with a verification value that is not the challenge sent"}
	}
	return nil
}

// Send POSTs one delivery of events to h and reports the attempt: the
// envelope with eventId id, the authentication and custom headers, the
// signature and the event id headers. A 2xx is success; a 5xx, a 429, a
// timeout or a network error may be retried; another status is final.
func (s *EventHooks) Send(ctx context.Context, h EventHook, id string, events []json.RawMessage) HookAttempt {
	at := time.Now()
	body, err := EncodeHookEnvelope(s.BaseURL, h.ID, id, at, events)
	if err != nil {
		return HookAttempt{HookID: h.ID, Delivery: id, At: at.UTC(), Events: len(events),
			Error: "the events could not be encoded: " + err.Error()}
	}
	return s.post(ctx, h, id, at, body, len(events))
}

// post POSTs body, a delivery of n events begun at at, to h, signed and
// with its headers, and reports the attempt.
func (s *EventHooks) post(ctx context.Context, h EventHook, id string, at time.Time, body []byte, n int) HookAttempt {
	t := s.Timing.WithDefaults()
	a := HookAttempt{HookID: h.ID, Delivery: id, At: at.UTC(), Events: n, RequestBody: string(body)}
	sec, err := s.Store.EventHookSecrets(ctx, h.ID)
	if err != nil {
		a.Error, a.Retry = "the hook's secrets could not be read", true
		return a
	}
	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	req, err := newHookRequest(ctx, "POST", h, sec, body)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	if s.Client == nil {
		a.Error = "Hookflow has no outbound client to call it with"
		return a
	}
	req.Header.Set(HeaderHookSignature, SignHookBody(sec.Signing, body))
	req.Header.Set(HeaderHookEventID, id)
	res, err := s.Client.Do(req)
	a.Latency = time.Since(at)
	if err != nil {
		a.Error = hookCallError(ctx, t.Timeout, err)
		var oe *OutboundError
		a.Retry = !asOutbound(err, &oe)
		return a
	}
	defer res.Body.Close()
	resp, _ := readLimited(res.Body, MaxHookResponseBytes)
	a.Latency = time.Since(at)
	a.Status, a.ResponseBody = res.StatusCode, storableText(resp)
	switch {
	case res.StatusCode >= 200 && res.StatusCode <= 299:
		a.OK = true
	case res.StatusCode >= 500 || res.StatusCode == 429:
		a.Retry = true
		a.Error = fmt.Sprintf("the endpoint answered HTTP %d", res.StatusCode)
	default:
		a.Error = fmt.Sprintf("the endpoint answered HTTP %d; it is not retried", res.StatusCode)
	}
	return a
}

// Timings are the service's delivery timings, defaults filled.
func (s *EventHooks) Timings() HookTiming { return s.Timing.WithDefaults() }
