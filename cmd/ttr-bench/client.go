package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// conn is one HTTP/1.1 keep-alive connection of the load generator. It writes pre-formatted GET
// requests and reads just enough of the response (status, Content-Length or chunked framing,
// Connection: close) to find the next one. A general client (net/http) costs several times more
// CPU per request, and on a two-core machine the generator's CPU is taken from the server under
// test; wrk is run beside it for the same reason.
type conn struct {
	addr string
	nc   net.Conn
	br   *bufio.Reader
}

// dial opens a connection to addr.
func dial(addr string, deadline time.Time) (*conn, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	if err := nc.SetDeadline(deadline); err != nil {
		nc.Close()
		return nil, err
	}
	return &conn{addr: addr, nc: nc, br: bufio.NewReaderSize(nc, 16<<10)}, nil
}

// Close closes the connection.
func (c *conn) Close() error { return c.nc.Close() }

// errClosedByServer says the response asked to close the connection: the request succeeded
// but the connection must be replaced.
var errClosedByServer = errors.New("server closed the connection")

// do sends one pre-formatted request and reads its response. It returns the status code; an
// error means the connection is unusable (a status is still returned with errClosedByServer).
func (c *conn) do(req []byte) (int, error) {
	if _, err := c.nc.Write(req); err != nil {
		return 0, err
	}
	return readResponse(c.br)
}

// readResponse reads one HTTP/1.x response from br and discards its body.
func readResponse(br *bufio.Reader) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, fmt.Errorf("malformed status line %q", line)
	}
	status, ok := atoi3(line[9:12])
	if !ok {
		return 0, fmt.Errorf("malformed status line %q", line)
	}
	length, chunked, closing := int64(-1), false, false
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, found := bytes.Cut(h, []byte(":"))
		if !found {
			return 0, fmt.Errorf("malformed header %q", h)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("bad Content-Length %q", value)
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			closing = bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case chunked:
		if err := discardChunked(br); err != nil {
			return 0, err
		}
	case length >= 0:
		if _, err := br.Discard(int(length)); err != nil {
			return 0, err
		}
	case status != 204 && status != 304 && status >= 200:
		// No framing: the body runs to the end of the connection.
		_, _ = io.Copy(io.Discard, br)
		closing = true
	}
	if closing {
		return status, errClosedByServer
	}
	return status, nil
}

// discardChunked reads a chunked body and its trailers.
func discardChunked(br *bufio.Reader) error {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if n == 0 {
			for { // trailers up to the empty line
				t, err := br.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(t, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if _, err := br.Discard(int(n) + 2); err != nil { // data and its CRLF
			return err
		}
	}
}

// atoi3 parses exactly three decimal digits.
func atoi3(b []byte) (int, bool) {
	n := 0
	for _, c := range b[:3] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// formatRequest is the bytes of a keep-alive GET of path on host.
func formatRequest(host, path string) []byte {
	return []byte("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: ttr-bench\r\n\r\n")
}
