package flows

import (
	"net"
	"net/url"
	"slices"
	"strings"
)

// OutboundError is why Hookflow refused an outbound call made on a flow's
// behalf: the address it connects to is closed by the outbound policy
// (HOOKFLOW_OUTBOUND_ALLOW, HOOKFLOW_OUTBOUND_DENY), or a redirect went
// too far or to another scheme. Nothing was sent to Target.
type OutboundError struct {
	// Target is what was refused: "127.0.0.1:8080", "localhost
	// (127.0.0.1:8080)" or a redirect's URL.
	Target string
	// Reason says why in plain words, naming the setting that changes it.
	Reason string
	// Setting is the configuration that opens or closed the address, if one does.
	Setting string
}

func (e *OutboundError) Error() string {
	return "outbound call to " + e.Target + " refused: " + e.Reason
}

// MaxCredentialHosts bounds a connector's list of extra credential hosts.
const MaxCredentialHosts = 20

// Origin is u's scheme, host and port in lower case with the default port
// written out ("https://api.acme.test:443"): two URLs with the same origin
// reach the same service.
func Origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// Owns reports whether a request to u may carry the connection's
// credentials: u's origin is the connector's base URL's, or one of the
// connector's extra credential hosts. A connector without a base URL owns
// only its extra hosts.
func (c *ConnectorContext) Owns(u *url.URL) bool {
	if c == nil || u == nil || u.Host == "" {
		return false
	}
	o := Origin(u)
	if b, err := url.Parse(c.BaseURL); err == nil && b.Host != "" && Origin(b) == o {
		return true
	}
	return slices.ContainsFunc(c.Hosts, func(h string) bool {
		hu, err := url.Parse(h)
		return err == nil && hu.Host != "" && Origin(hu) == o
	})
}

// CredentialHeaders names the request headers Apply sets, so that they can
// be taken off a request that is redirected to another origin.
func (c *ConnectorContext) CredentialHeaders() []string {
	if c == nil {
		return nil
	}
	switch c.Auth {
	case AuthAPIKeyHeader:
		if c.Header != "" {
			return []string{c.Header}
		}
	case AuthBasic, AuthBearer, AuthOAuth2Client:
		return []string{"Authorization"}
	}
	return nil
}

// validCredentialHost reports whether h is an origin: an http(s) URL with a
// host and an optional port, and nothing else.
func validCredentialHost(h string) bool {
	u, err := url.Parse(h)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil &&
		(u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.Fragment == "" && !u.ForceQuery
}

// validateHosts checks a connector's extra credential hosts.
func validateHosts(hosts []string, add func(field, format string, args ...any)) {
	if len(hosts) > MaxCredentialHosts {
		add("auth.hosts", "List at most %d hosts.", MaxCredentialHosts)
	}
	for _, h := range hosts {
		if !validCredentialHost(h) {
			add("auth.hosts", "%q is not an origin: write scheme, host and optional port, e.g. https://uploads.example.com.", h)
			return
		}
	}
}

// WithheldNote explains a 401 or 403 from a request to u that went
// without the connection's credentials because u is not the connector's;
// empty when the credentials were sent or there are none.
func (c *ConnectorContext) WithheldNote(u *url.URL) string {
	if c == nil || len(c.CredentialHeaders()) == 0 || c.Owns(u) {
		return ""
	}
	var where []string
	if b, err := url.Parse(c.BaseURL); err == nil && b.Host != "" {
		where = append(where, b.Scheme+"://"+b.Host)
	}
	where = append(where, c.Hosts...)
	if len(where) == 0 {
		return "the connection's credentials were not sent: the connector has no base URL or extra hosts to send them to"
	}
	return "the connection's credentials were not sent: they go only to " + strings.Join(where, ", ")
}
