package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
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
