package webtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/hookflow/hookflow/web"
)

// APIPrefix is where the JSON API's routes live; every request a Client
// sends under it is checked against the OpenAPI document.
const APIPrefix = "/api/v1/"

// OpenAPI is the server's OpenAPI document (web/openapi.yaml), loaded and
// validated once per test binary.
var OpenAPI = sync.OnceValues(func() (*openapi3.T, error) {
	b, err := web.OpenAPI()
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	return doc, nil
})

var apiRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := OpenAPI()
	if err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})

// CheckAPI checks one exchange with the JSON API against the OpenAPI
// document and reports what differs on t:
//   - a route the document does not describe (unless the server, too, knew
//     none: 404 or 405, or 401 from the token check that comes first);
//   - a request the document refuses that the server accepted (a 2xx or
//     3xx): the document is stricter than the server. A request both refuse
//     is a test of the refusal, and fine;
//   - a response whose status the operation does not list, or whose
//     headers or body do not match the schema of that status.
//
// It returns the operation the exchange was for ("GET /flows/{id}"), or ""
// when the document has none.
func CheckAPI(t testing.TB, req *http.Request, reqBody []byte, res *http.Response, resBody []byte) string {
	t.Helper()
	op, err := checkAPI(req, reqBody, res, resBody)
	if err != nil {
		t.Errorf("OpenAPI: %s %s → %d: %v\nresponse: %s", req.Method, req.URL.RequestURI(), res.StatusCode, err, clip(resBody))
	}
	return op
}

func checkAPI(req *http.Request, reqBody []byte, res *http.Response, resBody []byte) (string, error) {
	router, err := apiRouter()
	if err != nil {
		return "", err
	}
	// The document's server is the relative /api/v1: match on the path.
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := router.FindRoute(r)
	if err != nil {
		switch res.StatusCode {
		case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusUnauthorized:
			return "", nil // the server knew none either (the token check answers first)
		}
		return "", fmt.Errorf("the document has no operation for this request (%v)", err)
	}
	op := route.Method + " " + route.Path
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && res.StatusCode < 400 {
		return op, fmt.Errorf("the server accepted a request the document refuses: %w", describe(err))
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(resBody)), Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return op, fmt.Errorf("the response does not match the document: %w", describe(err))
	}
	return op, nil
}

// apiCalls records the API operations a server's clients called, with
// the statuses they got.
type apiCalls struct {
	mu  sync.Mutex
	ops map[string][]int
}

func (a *apiCalls) add(op string, status int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ops == nil {
		a.ops = map[string][]int{}
	}
	a.ops[op] = append(a.ops[op], status)
}

// APICalls lists the operations of the OpenAPI document ("POST
// /flows/{id}/runs") that the server's clients have called, each with the
// statuses it answered, in order.
func (s *Server) APICalls() map[string][]int {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	out := make(map[string][]int, len(s.calls.ops))
	for op, st := range s.calls.ops {
		out[op] = append([]int(nil), st...)
	}
	return out
}

// describe lists what differs, one line each: where in the body, and why
// (kin-openapi's own messages repeat the whole schema).
func describe(err error) error {
	var lines []string
	var walk func(error)
	walk = func(err error) {
		var me openapi3.MultiError
		var se *openapi3.SchemaError
		var re *openapi3filter.ResponseError
		var rq *openapi3filter.RequestError
		switch {
		case errors.As(err, &me):
			for _, e := range me {
				walk(e)
			}
		case errors.As(err, &se):
			lines = append(lines, fmt.Sprintf("at /%s: %s", strings.Join(se.JSONPointer(), "/"), se.Reason))
		case errors.As(err, &re) && re.Err != nil:
			lines = append(lines, re.Reason)
			walk(re.Err)
		case errors.As(err, &rq) && rq.Err != nil:
			lines = append(lines, strings.TrimSpace(rq.Reason+" "+paramName(rq)))
			walk(rq.Err)
		default:
			lines = append(lines, err.Error())
		}
	}
	walk(err)
	return errors.New("\n  - " + strings.Join(lines, "\n  - "))
}

func paramName(rq *openapi3filter.RequestError) string {
	if rq.Parameter != nil {
		return "(" + rq.Parameter.In + " parameter " + rq.Parameter.Name + ")"
	}
	return ""
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}
