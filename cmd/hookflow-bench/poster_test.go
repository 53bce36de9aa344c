package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestPoster posts over keep-alive connections: bodies arrive whole with
// their headers, statuses come back, and a connection the server closes is
// replaced.
func TestPoster(t *testing.T) {
	var conns, n atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		i := n.Add(1)
		switch {
		case err != nil || r.Method != http.MethodPost || r.URL.RequestURI() != "/hooks/abc?x=1" ||
			r.Header.Get("Content-Type") != "application/json" || string(body) != string(payload(i)):
			http.Error(w, "bad request "+string(body), http.StatusBadRequest)
		case i%5 == 0:
			http.Error(w, "not now", http.StatusServiceUnavailable)
		case i%3 == 0:
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusAccepted)
		default:
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"ok":true}`)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	p, err := newPoster(srv.URL + "/hooks/abc?x=1")
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	for i := int64(1); i <= 30; i++ {
		status, err := p.post(payload(i))
		want := http.StatusAccepted
		if i%5 == 0 {
			want = http.StatusServiceUnavailable
		}
		if err != nil || status != want {
			t.Fatalf("post %d: %d, %v; want %d", i, status, err, want)
		}
	}
	// One connection, and a new one after each close the server asked
	// for (the multiples of 3 that are not of 5: 8 of them), not one per
	// request.
	if got := conns.Load(); got != 9 {
		t.Fatalf("%d connections, want 9", got)
	}
	if _, err := newPoster("https://example.com/x"); err == nil {
		t.Fatal("https URL accepted")
	}
	if _, err := newPoster("http://127.0.0.1:1/x"); err != nil {
		t.Fatal(err)
	}
	if p, _ := newPoster("http://127.0.0.1:1/x"); p != nil {
		if _, err := p.post(payload(1)); err == nil {
			t.Fatal("post to a closed port succeeded")
		}
	}
}

// TestSlowService answers each request after 100 ms, keeps the connection
// for the next, and closes what it has open when it stops.
func TestSlowService(t *testing.T) {
	s, err := startSlowService()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var dials atomic.Int64
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}}
	defer client.CloseIdleConnections()
	for i := range 2 {
		began := time.Now()
		res, err := client.Get(s.url)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" || string(body) != `{"ok":true}` {
			t.Fatalf("request %d: %d %q %q, %v", i, res.StatusCode, res.Header.Get("Content-Type"), body, err)
		}
		if took := time.Since(began); took < 100*time.Millisecond {
			t.Errorf("request %d answered after %v, want 100 ms or more", i, took)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("%d connections for two requests, want 1", n)
	}
	c, err := net.Dial("tcp", s.l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service holds %d connections, want 2", n)
		}
	}
	s.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("read after Close: %v, want EOF", err)
	}
}
