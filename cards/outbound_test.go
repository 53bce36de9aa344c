package cards_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/cards"
	"github.com/hookflow/hookflow/flows"
)

func TestPolicyCheck(t *testing.T) {
	const allowIt = "allow them with HOOKFLOW_OUTBOUND_ALLOW"
	tests := []struct {
		name         string
		allow, deny  string
		host, addr   string
		want         string // the whole message, or "" when the call may go
		wantSetting  string
		wantContains string // instead of want: a part of the message
	}{
		{name: "public address", addr: "93.184.216.34:443"},
		{name: "loopback", addr: "127.0.0.1:8080", want: "outbound call to 127.0.0.1:8080 refused: loopback addresses are closed; " + allowIt, wantSetting: cards.SettingOutboundAllow},
		{name: "loopback elsewhere in 127/8", addr: "127.5.6.7:80", wantContains: "loopback addresses are closed"},
		{name: "IPv6 loopback", addr: "[::1]:80", want: "outbound call to [::1]:80 refused: loopback addresses are closed; " + allowIt},
		{name: "IPv4-mapped loopback", addr: "[::ffff:127.0.0.1]:80", want: "outbound call to 127.0.0.1:80 refused: loopback addresses are closed; " + allowIt},
		{name: "loopback behind NAT64", addr: "[64:ff9b::7f00:1]:80", wantContains: "loopback addresses are closed"},
		{name: "a name that resolves to loopback", host: "localhost", addr: "127.0.0.1:8080",
			want: "outbound call to localhost (127.0.0.1:8080) refused: loopback addresses are closed; " + allowIt},
		{name: "private 10/8", addr: "10.0.0.1:80", want: "outbound call to 10.0.0.1:80 refused: private addresses are closed; " + allowIt},
		{name: "private 172.16/12", addr: "172.31.255.1:80", wantContains: "private addresses are closed"},
		{name: "private 192.168/16", addr: "192.168.1.1:80", wantContains: "private addresses are closed"},
		{name: "unique local IPv6", addr: "[fd00::1]:80", wantContains: "private addresses are closed"},
		{name: "AWS IPv6 metadata", addr: "[fd00:ec2::254]:80", wantContains: "private addresses are closed"},
		{name: "shared address space (Alibaba metadata)", addr: "100.100.100.200:80", wantContains: "private addresses are closed"},
		{name: "cloud metadata", addr: "169.254.169.254:80", want: "outbound call to 169.254.169.254:80 refused: link-local addresses are closed; " + allowIt},
		{name: "IPv6 link-local with a zone", addr: "[fe80::1%eth0]:80", wantContains: "link-local addresses are closed"},
		{name: "unspecified", addr: "0.0.0.0:80", want: "outbound call to 0.0.0.0:80 refused: unspecified addresses are closed; " + allowIt},
		{name: "this network", addr: "0.1.2.3:80", wantContains: "unspecified addresses are closed"},
		{name: "IPv6 unspecified", addr: "[::]:80", wantContains: "unspecified addresses are closed"},
		{name: "multicast", addr: "224.0.0.1:80", want: "outbound call to 224.0.0.1:80 refused: multicast addresses are closed; " + allowIt},
		{name: "IPv6 multicast", addr: "[ff02::1]:80", wantContains: "multicast addresses are closed"},
		{name: "broadcast", addr: "255.255.255.255:80", wantContains: "broadcast addresses are closed"},
		{name: "allow a CIDR", allow: "127.0.0.0/8, ::1", addr: "127.0.0.1:8080"},
		{name: "allow an IPv6 address", allow: "127.0.0.0/8, ::1", addr: "[::1]:8080"},
		{name: "allow one address only", allow: "10.1.2.3", addr: "10.1.2.4:80", wantContains: "private addresses are closed"},
		{name: "allowed address", allow: "10.1.2.3", addr: "10.1.2.3:80"},
		{name: "allow a host name", allow: "api.internal", host: "API.internal", addr: "10.0.0.5:443"},
		{name: "the host name allowed is another", allow: "api.internal", host: "db.internal", addr: "10.0.0.5:443", wantContains: "db.internal (10.0.0.5:443) refused: private"},
		{name: "allow below a domain", allow: "*.corp.example", host: "a.b.corp.example", addr: "10.0.0.5:443"},
		{name: "a wildcard is not the domain itself", allow: "*.corp.example", host: "corp.example", addr: "10.0.0.5:443", wantContains: "private addresses are closed"},
		{name: "deny closes a public range", deny: "93.184.216.0/24", addr: "93.184.216.34:443",
			want: "outbound call to 93.184.216.34:443 refused: the address is closed by HOOKFLOW_OUTBOUND_DENY", wantSetting: cards.SettingOutboundDeny},
		{name: "deny wins over allow", allow: "127.0.0.0/8", deny: "127.0.0.1", addr: "127.0.0.1:8080", wantContains: "the address is closed by HOOKFLOW_OUTBOUND_DENY"},
		{name: "deny a host name", deny: "evil.example", host: "EVIL.example.", addr: "93.184.216.34:443",
			want: "outbound call to EVIL.example. (93.184.216.34:443) refused: the host is closed by HOOKFLOW_OUTBOUND_DENY"},
		{name: "deny wins over an allowed host", allow: "api.internal", deny: "10.0.0.0/8", host: "api.internal", addr: "10.0.0.5:443", wantContains: "closed by HOOKFLOW_OUTBOUND_DENY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := cards.ParsePolicy(tt.allow, tt.deny)
			if err != nil {
				t.Fatal(err)
			}
			err = p.Check(tt.host, netip.MustParseAddrPort(tt.addr))
			if tt.want == "" && tt.wantContains == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var oe *flows.OutboundError
			if !errors.As(err, &oe) {
				t.Fatalf("err = %v, want an outbound refusal", err)
			}
			if tt.want != "" && err.Error() != tt.want {
				t.Fatalf("err = %q\nwant  %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantContains) {
				t.Fatalf("err = %q, want it to say %q", err, tt.wantContains)
			}
			if tt.wantSetting != "" && oe.Setting != tt.wantSetting {
				t.Fatalf("setting = %q, want %q", oe.Setting, tt.wantSetting)
			}
		})
	}
}

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name, allow, deny, wantErr string
	}{
		{name: "empty"},
		{name: "CIDRs, addresses and names with spaces", allow: " 10.0.0.0/8 , ::1,api.internal, *.corp.example ,", deny: "169.254.169.254"},
		{name: "bad CIDR", allow: "10.0.0.0/33", wantErr: `HOOKFLOW_OUTBOUND_ALLOW: "10.0.0.0/33" is not a CIDR`},
		{name: "a URL is not a host", allow: "http://api.internal", wantErr: "HOOKFLOW_OUTBOUND_ALLOW"},
		{name: "bad deny entry", deny: "not a host", wantErr: `HOOKFLOW_OUTBOUND_DENY: "not a host" is not a CIDR, an address or a host name`},
		{name: "a port is not a host", deny: "api.internal:443", wantErr: "HOOKFLOW_OUTBOUND_DENY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cards.ParsePolicy(tt.allow, tt.deny)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// counter is a fake service that counts the requests it gets.
func counter(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Write([]byte("reached"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// get runs an HTTP Get card with the client on url, with a deadline.
func get(t *testing.T, c *http.Client, url string) (flows.Output, error) {
	t.Helper()
	card, _ := cards.Builtin(cards.Options{HTTPClient: c}).Lookup("http.get")
	return card.Run(context.Background(), flows.Input{Values: map[string]any{"url": url, "timeout": 5.0}, Node: &flows.Node{ID: "get", Type: "http.get"}})
}

// TestOutboundLoopbackRefusedByDefault calls a real loopback server: the
// default policy refuses it without sending anything, by its address and
// by a name that resolves to it; the allow setting opens it.
func TestOutboundLoopbackRefusedByDefault(t *testing.T) {
	srv, reached := counter(t)
	addr := srv.Listener.Addr().String()
	port := addr[strings.LastIndex(addr, ":")+1:]
	tests := []struct {
		name, allow, deny, url string
		want                   string // a part of the error; empty for success
	}{
		{name: "by address", url: srv.URL + "/metrics",
			want: "outbound call to " + addr + " refused: loopback addresses are closed; allow them with HOOKFLOW_OUTBOUND_ALLOW (GET /metrics)"},
		{name: "by a name that resolves to loopback", url: "http://localhost:" + port + "/",
			want: "outbound call to localhost ("},
		{name: "allowed by CIDR", allow: loopbackAllow, url: srv.URL + "/metrics"},
		{name: "a name allowed by its resolved address", allow: loopbackAllow, url: "http://localhost:" + port + "/"},
		{name: "allowed by host name", allow: "localhost", url: "http://localhost:" + port + "/"},
		{name: "a host name allowed is not its address", allow: "localhost", url: srv.URL + "/",
			want: "outbound call to " + addr + " refused: loopback addresses are closed"},
		{name: "deny closes what allow opens", allow: loopbackAllow, deny: "127.0.0.1", url: srv.URL + "/",
			want: "refused: the address is closed by HOOKFLOW_OUTBOUND_DENY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := reached.Load()
			out, err := get(t, client(t, tt.allow, tt.deny), tt.url)
			if tt.want == "" {
				if err != nil || out["body"] != "reached" {
					t.Fatalf("out %v, err %v", out, err)
				}
				return
			}
			var oe *flows.OutboundError
			if !errors.As(err, &oe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want an outbound refusal saying %q", err, tt.want)
			}
			if reached.Load() != before {
				t.Fatal("the refused request reached the server")
			}
		})
	}
}

// TestOutboundRefusesClosedAddresses dials addresses the default policy
// closes: each call is refused before a connection is tried, naming the
// address. 0.0.0.0 and [::] would reach this machine's own server.
func TestOutboundRefusesClosedAddresses(t *testing.T) {
	srv, reached := counter(t)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	c := client(t, "", "")
	for _, tt := range []struct{ url, target, kind string }{
		{"http://169.254.169.254/latest/meta-data/", "169.254.169.254:80", "link-local"},
		{"http://100.100.100.200/latest/meta-data/", "100.100.100.200:80", "private"},
		{"http://10.0.0.1:9/", "10.0.0.1:9", "private"},
		{"http://192.168.0.1/", "192.168.0.1:80", "private"},
		{"http://0.0.0.0:" + port + "/", "0.0.0.0:" + port, "unspecified"},
		{"http://[::]:" + port + "/", "[::]:" + port, "unspecified"},
		{"http://224.0.0.1:9/", "224.0.0.1:9", "multicast"},
	} {
		t.Run(tt.url, func(t *testing.T) {
			start := time.Now()
			_, err := get(t, c, tt.url)
			var oe *flows.OutboundError
			if !errors.As(err, &oe) || !strings.Contains(err.Error(), tt.target+" refused: "+tt.kind+" addresses are closed; allow them with HOOKFLOW_OUTBOUND_ALLOW") {
				t.Fatalf("err = %v, want %s refused as %s", err, tt.target, tt.kind)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("the refusal took %v: a connection was tried", d)
			}
		})
	}
	if reached.Load() != 0 {
		t.Fatalf("%d refused requests reached the server", reached.Load())
	}
}

// redirector is a fake service whose /hops/<n> redirects n times before
// it answers, and whose /to?url=U redirects to U.
func redirector(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/hops/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			w.Write([]byte("arrived"))
			return
		}
		http.Redirect(w, r, "/hops/"+strconv.Itoa(n-1), http.StatusFound)
	})
	mux.HandleFunc("/to", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("url"), http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestOutboundRedirects(t *testing.T) {
	srv := redirector(t)
	// A server on a second loopback address, which the policy below
	// leaves closed.
	var otherReached atomic.Int32
	var other *httptest.Server
	if l, err := net.Listen("tcp", "127.0.0.2:0"); err == nil {
		other = httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { otherReached.Add(1) }))
		other.Listener.Close()
		other.Listener = l
		other.Start()
		t.Cleanup(other.Close)
	} else {
		t.Logf("no second loopback address: %v", err)
	}
	tests := []struct {
		name, url string
		want      string // a part of the error; empty for success
	}{
		{name: "five redirects are followed", url: srv.URL + "/hops/5"},
		{name: "a sixth is refused", url: srv.URL + "/hops/6", want: "/hops/0 refused: the service redirected more than 5 times"},
		{name: "to a file", url: srv.URL + "/to?url=file:///etc/passwd", want: "outbound call to file:///etc/passwd refused: a redirect may lead only to an http or https URL"},
		{name: "to ftp", url: srv.URL + "/to?url=ftp://ftp.example.com/x", want: "outbound call to ftp://ftp.example.com/x refused: a redirect may lead only to an http or https URL"},
		{name: "from an allowed host to cloud metadata", url: srv.URL + "/to?url=http://169.254.169.254/latest/meta-data/",
			want: "outbound call to 169.254.169.254:80 refused: link-local addresses are closed"},
	}
	if other != nil {
		tests = append(tests, struct{ name, url, want string }{name: "from an allowed host to a closed one", url: srv.URL + "/to?url=" + other.URL + "/",
			want: "outbound call to " + other.Listener.Addr().String() + " refused: loopback addresses are closed"})
	}
	c := client(t, "127.0.0.1", "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := get(t, c, tt.url)
			if tt.want == "" {
				if err != nil || out["body"] != "arrived" {
					t.Fatalf("out %v, err %v", out, err)
				}
				return
			}
			var oe *flows.OutboundError
			if !errors.As(err, &oe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a refusal saying %q", err, tt.want)
			}
		})
	}
	if otherReached.Load() != 0 {
		t.Fatal("the redirect reached the closed host")
	}
}
