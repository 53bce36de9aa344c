package web

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/hookflow/hookflow/flows"
)

// ExecutionIDHeader names the run behind every answer of an invoke URL.
const ExecutionIDHeader = "X-Hookflow-Execution-Id"

// invoke serves an API Endpoint flow's invoke URL: the caller's
// credentials as the flow's security says, the flow's rate limit, then
// the flow's answer (flows.Lifecycle.Invoke). An unknown alias and a flow
// that is OFF are both 404.
func (s *Server) invoke(c echo.Context) error {
	r := c.Request()
	t, err := s.lifecycle.Endpoint(r.Context(), c.Param("alias"))
	if errors.Is(err, flows.ErrNotFound) {
		return invokeRefusal(c, http.StatusNotFound, "no API endpoint answers at this URL: check the URL, and that its flow is ON")
	} else if err != nil {
		return err
	}
	d := requestOf(r)
	if status, msg := s.checkCaller(c, t); status != 0 {
		return invokeRefusal(c, status, msg)
	}
	if !s.limiters.allow(t.Endpoint, s.endpointRate) {
		c.Response().Header().Set("Retry-After", "1")
		return invokeRefusal(c, http.StatusTooManyRequests, "this API endpoint takes fewer invocations per second: try again in a moment")
	}
	if bad := s.readOpenBody(c, &d); bad != nil {
		return invokeRefusal(c, bad.status, bad.message)
	}
	return writeAnswer(c, s.lifecycle.Invoke(r.Context(), t, d, s.endpointTimeout))
}

// checkCaller applies the flow's security; it returns the status and
// message of a refusal, or 0.
func (s *Server) checkCaller(c echo.Context, t *flows.EndpointTarget) (int, string) {
	r := c.Request()
	switch t.Endpoint.Security {
	case flows.SecurityPublic:
		return 0, ""
	case flows.SecurityAPIToken:
		token, ok := strings.CutPrefix(r.Header.Get(echo.HeaderAuthorization), "Bearer ")
		if !ok || strings.TrimSpace(token) == "" {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="hookflow"`)
			return http.StatusUnauthorized, "send a Hookflow API token as Authorization: Bearer <token>"
		}
		if _, err := s.store.UserByAPIToken(r.Context(), strings.TrimSpace(token)); err != nil {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="hookflow", error="invalid_token"`)
			return http.StatusUnauthorized, "the API token is not valid or has been revoked"
		}
		return 0, ""
	}
	token := r.Header.Get(flows.ClientTokenHeader)
	if token == "" {
		token = r.URL.Query().Get(flows.ClientTokenQuery)
	}
	if token == "" {
		return http.StatusUnauthorized, "send the flow's client token in the x-api-client-token header or the clientToken query parameter"
	}
	if !t.CheckClientToken(token) {
		return http.StatusUnauthorized, "the client token is not valid"
	}
	return 0, ""
}

// invokeRefusal answers a refused invocation as a failed run answers:
// {"error": {"status", "message"}}.
func invokeRefusal(c echo.Context, status int, msg string) error {
	return writeAnswer(c, flows.ErrorAnswer(status, msg))
}

// writeAnswer sends a flow's answer with the header naming its execution;
// headers that only the server may set are left out.
func writeAnswer(c echo.Context, a flows.Answer) error {
	h := c.Response().Header()
	for k, v := range a.Headers {
		switch strings.ToLower(k) {
		case "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "trailer", strings.ToLower(ExecutionIDHeader):
			continue
		}
		h.Set(k, v)
	}
	if a.ExecutionID != "" {
		h.Set(ExecutionIDHeader, a.ExecutionID)
	}
	c.Response().WriteHeader(a.Status)
	_, err := c.Response().Write(a.Body)
	return err
}

// limiters hold a token bucket per API Endpoint flow, in this server's
// memory: servers sharing a database each apply the limit.
type limiters struct {
	m sync.Map // flow id → *flowLimiter
}

type flowLimiter struct {
	perSecond int
	l         *rate.Limiter
}

// allow takes one invocation from the flow's bucket: ep's own rate limit,
// or def when it has none; a rate of 0 or less is no limit. A bucket holds
// a second's worth.
func (ls *limiters) allow(ep flows.Endpoint, def int) bool {
	n := ep.RateLimit
	if n == 0 {
		n = def
	}
	if n <= 0 {
		return true
	}
	v, ok := ls.m.Load(ep.FlowID)
	if !ok {
		v, _ = ls.m.LoadOrStore(ep.FlowID, &flowLimiter{perSecond: n, l: rate.NewLimiter(rate.Limit(n), n)})
	}
	if v.(*flowLimiter).perSecond != n { // the flow's limit changed
		v = &flowLimiter{perSecond: n, l: rate.NewLimiter(rate.Limit(n), n)}
		ls.m.Store(ep.FlowID, v)
	}
	return v.(*flowLimiter).l.Allow()
}

// defaultEndpointTimeout is how long a caller waits for a flow's answer
// unless Config says otherwise.
const defaultEndpointTimeout = 60 * time.Second

// isInvoke reports whether the request is at an invoke URL.
func isInvoke(c echo.Context) bool {
	p := c.Request().URL.Path
	return strings.HasPrefix(p, "/api/flo/") && strings.HasSuffix(p, "/invoke")
}
