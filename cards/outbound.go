package cards

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// The settings that open and close outbound addresses, as refusals name them.
const (
	SettingOutboundAllow = "HOOKFLOW_OUTBOUND_ALLOW"
	SettingOutboundDeny  = "HOOKFLOW_OUTBOUND_DENY"
)

// MaxRedirects is how many redirects an outbound call follows.
const MaxRedirects = 5

// Policy decides which addresses outbound calls made on a flow's behalf
// may connect to. The zero Policy is Hookflow's default: public addresses
// are open; loopback, private, link-local (cloud metadata services
// included), unspecified, multicast and broadcast addresses are closed.
// Allow entries open addresses and host names; deny entries close them and
// win over everything else.
type Policy struct {
	allow, deny           []netip.Prefix
	allowHosts, denyHosts []string // lower case; "*.example.com" matches below example.com
}

// ParsePolicy reads HOOKFLOW_OUTBOUND_ALLOW and HOOKFLOW_OUTBOUND_DENY:
// comma-separated CIDRs (10.0.0.0/8, fd00::/8), single addresses
// (127.0.0.1, ::1) and host names (api.internal, *.corp.example). A bad
// entry is an error that names its setting.
func ParsePolicy(allow, deny string) (Policy, error) {
	var p Policy
	var err error
	if p.allow, p.allowHosts, err = parseEntries(SettingOutboundAllow, allow); err != nil {
		return Policy{}, err
	}
	if p.deny, p.denyHosts, err = parseEntries(SettingOutboundDeny, deny); err != nil {
		return Policy{}, err
	}
	return p, nil
}

func parseEntries(setting, s string) ([]netip.Prefix, []string, error) {
	var prefixes []netip.Prefix
	var hosts []string
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		switch p, perr := netip.ParsePrefix(e); {
		case e == "":
		case perr == nil:
			prefixes = append(prefixes, p.Masked())
		case strings.Contains(e, "/"):
			return nil, nil, fmt.Errorf("%s: %q is not a CIDR such as 10.0.0.0/8", setting, e)
		default:
			if a, err := netip.ParseAddr(e); err == nil {
				a = a.Unmap().WithZone("")
				prefixes = append(prefixes, netip.PrefixFrom(a, a.BitLen()))
			} else if validHostPattern(e) {
				hosts = append(hosts, strings.ToLower(strings.TrimSuffix(e, ".")))
			} else {
				return nil, nil, fmt.Errorf("%s: %q is not a CIDR, an address or a host name", setting, e)
			}
		}
	}
	return prefixes, hosts, nil
}

// validHostPattern accepts host names, with an optional leading "*.".
func validHostPattern(h string) bool {
	h = strings.TrimSuffix(strings.TrimPrefix(h, "*."), ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

func matchHost(patterns []string, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" {
		return false
	}
	return slices.ContainsFunc(patterns, func(p string) bool {
		if sub, ok := strings.CutPrefix(p, "*."); ok {
			return strings.HasSuffix(host, "."+sub)
		}
		return host == p
	})
}

func containsAddr(prefixes []netip.Prefix, ip netip.Addr) bool {
	return slices.ContainsFunc(prefixes, func(p netip.Prefix) bool { return p.Contains(ip) })
}

var (
	sharedSpace = netip.MustParsePrefix("100.64.0.0/10") // carrier-grade NAT; some clouds' metadata
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	siteLocal   = netip.MustParsePrefix("fec0::/10")
	nat64       = netip.MustParsePrefix("64:ff9b::/96")
	broadcast   = netip.MustParseAddr("255.255.255.255")
)

// closedKind names the class of address ip belongs to when the default
// policy closes it, or returns "".
func closedKind(ip netip.Addr) string {
	if nat64.Contains(ip) { // an IPv4 address behind the NAT64 prefix
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:]))
	}
	switch {
	case ip.IsUnspecified() || thisNetwork.Contains(ip):
		return "unspecified"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate() || sharedSpace.Contains(ip) || siteLocal.Contains(ip):
		return "private"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.IsMulticast():
		return "multicast"
	case ip == broadcast:
		return "broadcast"
	}
	return ""
}

// Check decides a call to host (the request's host name; empty or an
// address for a literal) that connects to addr: nil when it may go, a
// *flows.OutboundError naming the address and the setting otherwise.
func (p Policy) Check(host string, addr netip.AddrPort) error {
	ip := addr.Addr().Unmap().WithZone("")
	target := netip.AddrPortFrom(ip, addr.Port()).String()
	if h := strings.Trim(host, "[]"); h != "" && h != ip.String() && h != addr.Addr().String() {
		target = host + " (" + target + ")"
	}
	refuse := func(setting, reason string) error {
		return &flows.OutboundError{Target: target, Reason: reason, Setting: setting}
	}
	switch {
	case matchHost(p.denyHosts, host):
		return refuse(SettingOutboundDeny, "the host is closed by "+SettingOutboundDeny)
	case containsAddr(p.deny, ip):
		return refuse(SettingOutboundDeny, "the address is closed by "+SettingOutboundDeny)
	case matchHost(p.allowHosts, host) || containsAddr(p.allow, ip):
		return nil
	}
	if kind := closedKind(ip); kind != "" {
		return refuse(SettingOutboundAllow, kind+" addresses are closed; allow them with "+SettingOutboundAllow)
	}
	return nil
}

// Opens reports whether the allow list opens host explicitly, by name or
// as a literal address, and the deny list does not close it: an event
// hook may then use plain http.
func (p Policy) Opens(host string) bool {
	host = strings.Trim(host, "[]")
	if matchHost(p.denyHosts, host) {
		return false
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return !containsAddr(p.deny, ip) && containsAddr(p.allow, ip)
	}
	return matchHost(p.allowHosts, host)
}

// dialHost carries the request's host name to the dialer's check.
type dialHost struct{}

// control checks the address a connection is about to be made to: the
// resolved one, so that a name that resolves differently later (DNS
// rebinding) is checked again at its own connection.
func (p Policy) control(ctx context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &flows.OutboundError{Target: address, Reason: "the address cannot be read"}
	}
	host, _ := ctx.Value(dialHost{}).(string)
	return p.Check(host, ap)
}

// NewClient returns the client that makes every outbound call on a flow's
// behalf (HTTP cards, connector requests, OAuth2 token URLs): its dialer
// checks each connection's resolved address against p, and it follows at
// most MaxRedirects redirects, only to http and https, taking credentials
// off a request redirected to another origin. It uses no proxy from the
// environment: the policy checks the address each call really connects to.
// Each request brings its own deadline. It keeps connections to a host
// open for the next request: flows call the same few services again and
// again, and a connection made anew for each call costs more than the call.
func NewClient(p Policy) *http.Client {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, ControlContext: p.control}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		return d.DialContext(context.WithValue(ctx, dialHost{}, host), network, addr)
	}
	t.MaxIdleConns = 1024
	t.MaxIdleConnsPerHost = 256
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: t, CheckRedirect: checkRedirect}
}

// credentialHeaders carries the names of the headers that hold a
// connection's credentials on a request, for checkRedirect.
type credentialHeaders struct{}

// withCredentialHeaders marks names as credentials on the requests made
// with ctx: a redirect to another origin drops them.
func withCredentialHeaders(ctx context.Context, names []string) context.Context {
	if len(names) == 0 {
		return ctx
	}
	return context.WithValue(ctx, credentialHeaders{}, names)
}

// checkRedirect follows at most MaxRedirects redirects, only to http and
// https URLs. Once a redirect has left the first request's origin, the
// requests go without Authorization, cookies and the connection's
// credential headers, even if a later hop comes back.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > MaxRedirects {
		return &flows.OutboundError{Target: req.URL.Redacted(), Reason: fmt.Sprintf("the service redirected more than %d times", MaxRedirects)}
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return &flows.OutboundError{Target: req.URL.Redacted(), Reason: "a redirect may lead only to an http or https URL"}
	}
	origin := flows.Origin(via[0].URL)
	left := flows.Origin(req.URL) != origin
	for _, r := range via[1:] {
		left = left || flows.Origin(r.URL) != origin
	}
	if left {
		for _, h := range []string{"Authorization", "Proxy-Authorization", "Cookie", "Cookie2"} {
			req.Header.Del(h)
		}
		names, _ := req.Context().Value(credentialHeaders{}).([]string)
		for _, h := range names {
			req.Header.Del(h)
		}
	}
	return nil
}
