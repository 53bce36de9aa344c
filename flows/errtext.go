package flows

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"syscall"
	"time"
)

// Detailed is an error whose message is written for people and that
// keeps the raw text of its cause, which pages show one click away.
type Detailed interface {
	error
	Detail() string
}

// ErrorText is what a page shows of err: its message, and the raw details
// of the first error in its chain that keeps them ("" when none does, or
// when they say no more than the message).
func ErrorText(err error) (message, detail string) {
	if err == nil {
		return "", ""
	}
	message = err.Error()
	var d Detailed
	if errors.As(err, &d) {
		detail = d.Detail()
	}
	if detail == message {
		detail = ""
	}
	return message, detail
}

// CallError is an outbound HTTP call that got no response: refused by the
// outbound policy, unanswered in time, or failed on the way. It reads in
// words, naming the service and the call ("the service at
// 127.0.0.1:18911 refused the connection (POST /subscriptions)"); its
// Detail is the transport's own text.
type CallError struct {
	Method string
	URL    *url.URL
	// Timeout is the call's time limit, when it passed.
	Timeout time.Duration
	Err     error
}

func (e *CallError) Error() string {
	call := " (" + e.Method + " " + callPath(e.URL) + ")"
	host := e.URL.Host
	service := "the service at " + host
	var (
		refused *OutboundError
		dns     *net.DNSError
		unknown x509.UnknownAuthorityError
		badHost x509.HostnameError
		invalid x509.CertificateInvalidError
		record  tls.RecordHeaderError
	)
	switch {
	case errors.As(e.Err, &refused):
		return refused.Error() + call
	case e.Timeout > 0:
		return service + " did not answer within " + e.Timeout.String() + call
	case errors.As(e.Err, &dns) && dns.IsNotFound:
		return "the host " + dns.Name + " could not be found" + call
	case errors.As(e.Err, &dns):
		return "the host " + dns.Name + " could not be looked up" + call
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		return service + " refused the connection" + call
	case errors.Is(e.Err, syscall.ECONNRESET), errors.Is(e.Err, io.EOF), errors.Is(e.Err, io.ErrUnexpectedEOF):
		return service + " closed the connection without answering" + call
	case errors.Is(e.Err, syscall.EHOSTUNREACH), errors.Is(e.Err, syscall.ENETUNREACH):
		return service + " cannot be reached from here" + call
	case errors.As(e.Err, &unknown), errors.As(e.Err, &badHost), errors.As(e.Err, &invalid):
		return service + " showed a TLS certificate that is not trusted" + call
	case errors.As(e.Err, &record):
		return service + " does not answer HTTPS" + call
	case errors.Is(e.Err, context.DeadlineExceeded), isTimeout(e.Err):
		return service + " did not answer in time" + call
	}
	return "the call to " + service + " failed" + call
}

// Detail is the transport's error as it came; none for a call the
// outbound policy refused, whose message says it all.
func (e *CallError) Detail() string {
	var refused *OutboundError
	if errors.As(e.Err, &refused) {
		return ""
	}
	return e.Err.Error()
}

func (e *CallError) Unwrap() error { return e.Err }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// callPath is the path a call went to, without its query (which may hold
// credentials).
func callPath(u *url.URL) string {
	if p := u.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// CallURL is u without its query and user info: how errors name a request.
func CallURL(u *url.URL) string {
	c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return c.String()
}
