package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
)

// poster posts JSON bodies to one URL over one keep-alive connection, the
// way lean load generators (wrk, h2load) do: each request is written whole
// in one call and its response read with the standard parser. The load
// generator shares the machine with the server, and net/http's client
// spends about 100 µs of CPU per request on its connection goroutines;
// this spends a fraction of that, which the server gets instead.
type poster struct {
	addr string // host:port
	head []byte // the request up to its Content-Length value
	conn net.Conn
	br   *bufio.Reader
	buf  []byte
}

// newPoster returns a poster for an http:// URL; it connects on first use.
// header lines ("Name: value"), if any, go with every request.
func newPoster(rawURL string, header ...string) (*poster, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("poster: %q is not an http:// URL", rawURL)
	}
	head := "POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUser-Agent: hookflow-bench\r\nContent-Type: application/json\r\n"
	for _, h := range header {
		head += h + "\r\n"
	}
	head += "Content-Length: "
	return &poster{addr: u.Host, head: []byte(head)}, nil
}

// post sends body and returns the response's status code. On an error the
// connection is closed, and the next post opens another.
func (p *poster) post(body []byte) (int, error) {
	if p.conn == nil {
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			return 0, err
		}
		p.conn, p.br = c, bufio.NewReaderSize(c, 4096)
	}
	p.buf = append(p.buf[:0], p.head...)
	p.buf = strconv.AppendInt(p.buf, int64(len(body)), 10)
	p.buf = append(p.buf, "\r\n\r\n"...)
	p.buf = append(p.buf, body...)
	if _, err := p.conn.Write(p.buf); err != nil {
		p.close()
		return 0, err
	}
	res, err := http.ReadResponse(p.br, nil)
	if err != nil {
		p.close()
		return 0, err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil || res.Close {
		p.close()
	}
	return res.StatusCode, err
}

// close closes the connection.
func (p *poster) close() {
	if p.conn != nil {
		p.conn.Close()
		p.conn, p.br = nil, nil
	}
}
