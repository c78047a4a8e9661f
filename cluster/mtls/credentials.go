package mtls

import (
	"bufio"
	"context"
	"net"
	"time"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// ServerCredentials are the gRPC server credentials of the remote: mutual TLS, and in
// Permit mode plaintext as well.
func (t *Transport) ServerCredentials() credentials.TransportCredentials {
	tlsCreds := credentials.NewTLS(t.ServerConfig())
	if t.cfg.Mode != Permit {
		return tlsCreds
	}
	return &sniffing{TransportCredentials: tlsCreds, plain: insecure.NewCredentials()}
}

// ClientCredentials are the gRPC dial credentials of the remote: mutual TLS; in Permit mode
// only to the addresses speaksTLS accepts (peers that announce TLS), plaintext to the others.
func (t *Transport) ClientCredentials(speaksTLS func(addr string) bool) credentials.TransportCredentials {
	tlsCreds := credentials.NewTLS(t.ClientConfig())
	if t.cfg.Mode != Permit || speaksTLS == nil {
		return tlsCreds
	}
	return &choosing{TransportCredentials: tlsCreds, plain: insecure.NewCredentials(), speaksTLS: speaksTLS}
}

// sniffing tells TLS from plaintext by the first byte a client sends: a TLS record of type
// handshake (0x16) starts every ClientHello, and an HTTP/2 connection preface starts with 'P'.
type sniffing struct {
	credentials.TransportCredentials // TLS
	plain                            credentials.TransportCredentials
}

// tlsHandshakeRecord is the content type of a TLS handshake record.
const tlsHandshakeRecord = 0x16

// ServerHandshake implements credentials.TransportCredentials.
func (s *sniffing) ServerHandshake(raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	// gRPC bounds the handshake with its connection timeout; a client that sends nothing is
	// dropped here as well.
	_ = raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(raw)
	first, err := br.Peek(1)
	_ = raw.SetReadDeadline(time.Time{})
	if err != nil {
		raw.Close()
		return nil, nil, err
	}
	conn := &peekedConn{Conn: raw, r: br}
	if first[0] == tlsHandshakeRecord {
		return s.TransportCredentials.ServerHandshake(conn)
	}
	return s.plain.ServerHandshake(conn)
}

// Clone implements credentials.TransportCredentials.
func (s *sniffing) Clone() credentials.TransportCredentials {
	return &sniffing{TransportCredentials: s.TransportCredentials.Clone(), plain: s.plain}
}

// peekedConn is a connection whose first bytes were read ahead into r.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// choosing dials TLS or plaintext per peer address.
type choosing struct {
	credentials.TransportCredentials // TLS
	plain                            credentials.TransportCredentials
	speaksTLS                        func(addr string) bool
}

// ClientHandshake implements credentials.TransportCredentials.
func (c *choosing) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	if c.speaksTLS(authority) {
		return c.TransportCredentials.ClientHandshake(ctx, authority, raw)
	}
	return c.plain.ClientHandshake(ctx, authority, raw)
}

// Clone implements credentials.TransportCredentials.
func (c *choosing) Clone() credentials.TransportCredentials {
	return &choosing{TransportCredentials: c.TransportCredentials.Clone(), plain: c.plain, speaksTLS: c.speaksTLS}
}
