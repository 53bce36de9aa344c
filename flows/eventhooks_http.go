package flows

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// newHookRequest is a request to h's endpoint with its authentication
// and custom headers.
func newHookRequest(ctx context.Context, method string, h EventHook, sec HookSecrets, body []byte) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.URL, r)
	if err != nil {
		return nil, fmt.Errorf("the endpoint URL %q cannot be called", h.URL)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "Hookflow-Event-Hooks/1.0")
	for _, hd := range h.Headers {
		req.Header.Set(hd.Name, hd.Value)
	}
	if h.AuthField != "" && sec.Auth != "" {
		req.Header.Set(h.AuthField, sec.Auth)
	}
	return req, nil
}

// hookCallError says in plain words why a call to a hook's endpoint got
// no answer.
func hookCallError(ctx context.Context, timeout time.Duration, err error) string {
	var oe *OutboundError
	switch {
	case asOutbound(err, &oe):
		return oe.Error()
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("the endpoint did not answer within %s", timeout)
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		return "the endpoint could not be reached: " + ue.Unwrap().Error()
	}
	return "the endpoint could not be reached: " + err.Error()
}

func asOutbound(err error, oe **OutboundError) bool { return errors.As(err, oe) }

// storableText is b as text any database stores: valid UTF-8 (a body cut
// at 4 KB may end inside a character), without NUL bytes.
func storableText(b []byte) string {
	return strings.ReplaceAll(strings.ToValidUTF8(string(b), "\uFFFD"), "\x00", "")
}

// readLimited reads at most n bytes of r, and drains a little more so the
// connection can be kept.
func readLimited(r io.Reader, n int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, n))
	_, _ = io.CopyN(io.Discard, r, 64<<10)
	return b, err
}
