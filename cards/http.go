package cards

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// Limits of the HTTP cards.
const (
	maxResponseBytes = 10 << 20
	defaultTimeout   = 30 * time.Second
	maxTimeout       = 120 * time.Second
)

func httpOutputs() []flows.Field {
	return []flows.Field{
		{Key: "status", Label: "Status code", Type: tNumber},
		{Key: "headers", Label: "Headers", Type: tObject, Help: "Header names in lower case."},
		{Key: "body", Label: "Body", Type: tAny, Help: "Parsed JSON when the response is JSON, otherwise text."},
	}
}

func httpCards(client *http.Client) []flows.Card {
	c := flows.CategoryHTTP
	urlField := req("url", "URL", tText, "Absolute, or relative to the connector's base URL inside a connector.")
	common := []flows.Field{opt("headers", "Headers", tObject, ""), opt("query", "Query", tObject, ""), opt("timeout", "Timeout (s)", tNumber, "Default 30, at most 120.")}
	bodyField := opt("body", "Body", tAny, "Text is sent as is; anything else as JSON.")
	method := func(m string, withBody bool) flows.Card {
		fields := append([]flows.Field{urlField}, common...)
		if withBody {
			fields = append(fields, bodyField)
		}
		title := strings.ToUpper(m[:1]) + strings.ToLower(m[1:])
		return card("http."+strings.ToLower(m), title, c, "Send an HTTP "+m+"; a status outside 2xx is an error (429 and 5xx can be retried by the card's error policy).",
			fields, httpOutputs(),
			func(ctx context.Context, in flows.Input) (flows.Output, error) {
				return doRequest(ctx, client, in, m, true)
			})
	}
	return []flows.Card{
		card("http.raw", "Raw Request", c, "Send any HTTP request and get its status, headers and body, whatever the status.",
			append([]flows.Field{{Key: "method", Label: "Method", Type: tText, Required: true, Choices: []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}, Default: "GET"}, urlField, bodyField}, common...),
			httpOutputs(),
			func(ctx context.Context, in flows.Input) (flows.Output, error) {
				return doRequest(ctx, client, in, strings.ToUpper(text(in, "method")), false)
			}),
		method(http.MethodGet, false),
		method(http.MethodPost, true),
		method(http.MethodPut, true),
		method(http.MethodPatch, true),
		method(http.MethodDelete, false),
	}
}

// resolveURL applies the connector's base URL to a relative URL and the query.
func resolveURL(in flows.Input) (string, error) {
	raw := strings.TrimSpace(text(in, "url"))
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("url %q: %w", raw, err)
	}
	if !u.IsAbs() {
		if in.Connector == nil || in.Connector.BaseURL == "" {
			return "", fmt.Errorf("url %q is relative and there is no connector base URL", raw)
		}
		u, err = url.Parse(strings.TrimRight(in.Connector.BaseURL, "/") + "/" + strings.TrimLeft(raw, "/"))
		if err != nil {
			return "", fmt.Errorf("url: %w", err)
		}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("url %q: only http and https are allowed", raw)
	}
	if q := object(in, "query"); len(q) > 0 {
		vals := u.Query()
		for k, v := range q {
			s, err := flows.ToText(v)
			if err != nil {
				return "", fmt.Errorf("query %q: %w", k, err)
			}
			vals.Set(k, s)
		}
		u.RawQuery = vals.Encode()
	}
	return u.String(), nil
}

func doRequest(ctx context.Context, client *http.Client, in flows.Input, method string, strict bool) (flows.Output, error) {
	target, err := resolveURL(in)
	if err != nil {
		return nil, err
	}
	timeout := defaultTimeout
	if t := num(in, "timeout"); t > 0 {
		timeout = min(time.Duration(t*float64(time.Second)), maxTimeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ctx = withCredentialHeaders(ctx, in.Connector.CredentialHeaders())

	var body io.Reader
	contentType := ""
	switch b := in.Values["body"].(type) {
	case nil:
	case string:
		body, contentType = strings.NewReader(b), "text/plain; charset=utf-8"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
		body, contentType = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", "Hookflow")
	for k, v := range object(in, "headers") {
		s, err := flows.ToText(v)
		if err != nil {
			return nil, fmt.Errorf("header %q: %w", k, err)
		}
		req.Header.Set(k, s)
	}
	// The connection's credentials go only to the connector's own origins,
	// and a redirect elsewhere drops them.
	if err := in.Connector.Apply(req); err != nil {
		return nil, err
	}
	var raw []byte
	var readErr error
	res, err := client.Do(req)
	if err == nil {
		raw, readErr = io.ReadAll(io.LimitReader(res.Body, maxResponseBytes+1))
		res.Body.Close()
	}
	if err != nil {
		return nil, callError(ctx, req, timeout, err)
	}
	if readErr != nil {
		return nil, fmt.Errorf("read response: %w", readErr)
	}
	if len(raw) > maxResponseBytes {
		return nil, fmt.Errorf("the response is larger than %d MiB", maxResponseBytes>>20)
	}
	headers := make(map[string]any, len(res.Header))
	for k, v := range res.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	var respBody any = string(raw)
	if strings.Contains(res.Header.Get("Content-Type"), "json") && len(bytes.TrimSpace(raw)) > 0 {
		var v any
		if err := json.Unmarshal(raw, &v); err == nil {
			respBody = v
		}
	}
	if strict && (res.StatusCode < 200 || res.StatusCode > 299) {
		he := &flows.HTTPError{Status: res.StatusCode, Body: string(raw), Method: req.Method, URL: flows.CallURL(req.URL)}
		if ra := res.Header.Get("Retry-After"); ra != "" {
			if secs, err := strconv.Atoi(ra); err == nil {
				he.RetryAfter = time.Duration(secs) * time.Second
			} else if t, err := http.ParseTime(ra); err == nil {
				he.RetryAfter = time.Until(t)
			}
		}
		if note := in.Connector.WithheldNote(req.URL); note != "" && (he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden) {
			return nil, fmt.Errorf("%w (%s)", he, note)
		}
		return nil, he
	}
	return flows.Output{"status": float64(res.StatusCode), "headers": headers, "body": respBody}, nil
}

// callError says why a request got no response, in words that name the
// service and the call (*flows.CallError): the outbound policy refused
// it, the card's deadline passed, or the transport failed. Only a
// transport failure stays a network error, which a delivery retries.
func callError(ctx context.Context, req *http.Request, timeout time.Duration, err error) error {
	ce := &flows.CallError{Method: req.Method, URL: req.URL, Err: err}
	var refused *flows.OutboundError
	switch {
	case errors.As(err, &refused):
		ce.Err = refused
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		ce.Timeout, ce.Err = timeout, errors.New(err.Error())
	}
	return ce
}
