package flows_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/flows/flowstest"
)

func TestCallErrorReadsInWords(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:18911/subscriptions?key=s3cret")
	transport := func(err error) error { return &url.Error{Op: "Post", URL: u.String(), Err: err} }
	dial := func(errno syscall.Errno) error {
		return transport(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)})
	}
	for _, tt := range []struct {
		name    string
		err     error
		timeout time.Duration
		want    string
		detail  bool
	}{
		{"refused connection", dial(syscall.ECONNREFUSED), 0, "the service at 127.0.0.1:18911 refused the connection (POST /subscriptions)", true},
		{"reset connection", dial(syscall.ECONNRESET), 0, "the service at 127.0.0.1:18911 closed the connection without answering (POST /subscriptions)", true},
		{"no answer", transport(io.EOF), 0, "the service at 127.0.0.1:18911 closed the connection without answering (POST /subscriptions)", true},
		{"unreachable", dial(syscall.EHOSTUNREACH), 0, "the service at 127.0.0.1:18911 cannot be reached from here (POST /subscriptions)", true},
		{"unknown host", transport(&net.DNSError{Err: "no such host", Name: "api.acme.test", IsNotFound: true}), 0,
			"the host api.acme.test could not be found (POST /subscriptions)", true},
		{"the card's time limit", errors.New("context deadline exceeded"), 30 * time.Second,
			"the service at 127.0.0.1:18911 did not answer within 30s (POST /subscriptions)", true},
		{"refused by the outbound policy", &flows.OutboundError{Target: "127.0.0.1:18911", Reason: "loopback addresses are closed"}, 0,
			"outbound call to 127.0.0.1:18911 refused: loopback addresses are closed (POST /subscriptions)", false},
		{"anything else", transport(errors.New("malformed HTTP response")), 0, "the call to the service at 127.0.0.1:18911 failed (POST /subscriptions)", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", &flows.CallError{Method: "POST", URL: u, Timeout: tt.timeout, Err: tt.err})
			var ce *flows.CallError
			errors.As(err, &ce)
			msg, detail := flows.ErrorText(ce)
			if msg != tt.want {
				t.Fatalf("message %q, want %q", msg, tt.want)
			}
			if (detail == tt.err.Error()) != tt.detail || tt.detail && detail == "" {
				t.Fatalf("details %q", detail)
			}
		})
	}
}

func TestHTTPErrorReadsInWords(t *testing.T) {
	for _, tt := range []struct {
		name       string
		err        flows.HTTPError
		want, body string
	}{
		{"with the request", flows.HTTPError{Status: 404, Body: `{"error":"no user"}`, Method: "POST", URL: "https://api.acme.test/users"},
			"HTTP 404 Not Found from POST https://api.acme.test/users", "The response's body:\n" + `{"error":"no user"}`},
		{"a status without a name", flows.HTTPError{Status: 599, Method: "GET", URL: "https://api.acme.test/"}, "HTTP 599 from GET https://api.acme.test/", ""},
		{"without the request", flows.HTTPError{Status: 503, Body: "down"}, "HTTP 503 Service Unavailable", "The response's body:\ndown"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msg, detail := flows.ErrorText(fmt.Errorf("%w (credentials withheld)", &tt.err))
			if msg != tt.want+" (credentials withheld)" || detail != tt.body {
				t.Fatalf("%q, details %q", msg, detail)
			}
		})
	}
	if msg, detail := flows.ErrorText(errors.New("plain")); msg != "plain" || detail != "" {
		t.Fatalf("a plain error: %q %q", msg, detail)
	}
}

func TestCallURLLeavesOutQueryAndUser(t *testing.T) {
	u, _ := url.Parse("https://user:pass@api.acme.test/a%2Fb/c?token=s3cret#frag")
	if got := flows.CallURL(u); got != "https://api.acme.test/a%2Fb/c" {
		t.Fatalf("CallURL = %q", got)
	}
}

// TestStepsKeepErrorDetailsMasked: a card's error in words is the step's
// error, its raw text the step's details, the run's ErrorDetail; the
// record masks secrets in both.
func TestStepsKeepErrorDetailsMasked(t *testing.T) {
	const token = "tok_abcdefghijklmnopqrstuvwxyz"
	rec := flowstest.NewRecorder()
	def := flowstest.Flow(flowstest.Manual(flowstest.F("url", flows.TypeText)),
		flowstest.Card("call", "fake.call", flowstest.In("url", flowstest.Ref("event", "url"))))
	x, err := flowstest.Engine(rec, nil, flows.Limits{}).Run(context.Background(), flows.RunRequest{Definition: def, Trigger: flows.TriggerTest,
		Input: map[string]any{"url": "http://127.0.0.1:9/hooks/" + token}, Secrets: []string{token}})
	if err != nil {
		t.Fatal(err)
	}
	st := flowstest.Step(t, x, "call")
	if x.Error != "the call to the service at 127.0.0.1:9 failed (GET /hooks/"+token+")" || st.Error != x.Error ||
		st.ErrorDetail != `Get "http://127.0.0.1:9/hooks/`+token+`": connection refused` || x.ErrorDetail() != st.ErrorDetail {
		t.Fatalf("the run: error %q, step %q, details %q", x.Error, st.Error, st.ErrorDetail)
	}
	stored := flowstest.Step(t, rec.Get(x.ID), "call")
	if strings.Contains(stored.Error+stored.ErrorDetail, token) || !strings.Contains(stored.ErrorDetail, flows.Masked) {
		t.Fatalf("the record: error %q, details %q", stored.Error, stored.ErrorDetail)
	}
}
