package remotesync

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/credentials"
)

// Probe makes the start of a remote return only once its gRPC server accepts connections,
// and does so through a happens-before edge the race detector can see: the accept loop has
// done its start-up logging (a read of grpc's global logger) and waits in Accept, so the next
// remote's Start is ordered after it.
//
// The probe is a plain TCP connection from the starting code to the remote's own port. Its server side
// is recognised in the transport handshake (the only code of ours gRPC runs for a new
// connection, before it logs anything about it) and dispatched away from gRPC, so gRPC
// neither logs nor tracks it. Every other connection gets the inner handshake: mutual TLS,
// or the insecure pass-through of remote's server without credentials (tests).
type Probe struct {
	credentials.TransportCredentials
	addr chan string // the probe's local address, handed over once it is known
	seen chan struct{}
	done atomic.Bool
}

// NewProbe returns a probe whose server handshake is inner's for every other connection. Give
// it to the remote's gRPC server (grpc.Creds) before Start, and call Run after.
func NewProbe(inner credentials.TransportCredentials) *Probe {
	return &Probe{TransportCredentials: inner,
		addr: make(chan string, 1), seen: make(chan struct{})}
}

// ServerHandshake implements credentials.TransportCredentials.
func (p *Probe) ServerHandshake(raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	if !p.done.Load() {
		select {
		case a := <-p.addr:
			if a == raw.RemoteAddr().String() {
				p.done.Store(true)
				close(p.seen)
				raw.Close()
				return nil, nil, credentials.ErrConnDispatched
			}
			p.addr <- a // another connection: leave the address for the probe's handshake
		case <-time.After(time.Second):
		}
	}
	return p.TransportCredentials.ServerHandshake(raw)
}

// Clone implements credentials.TransportCredentials.
func (p *Probe) Clone() credentials.TransportCredentials { return p }

// Run dials the server listening on listenHost (a wildcard: 127.0.0.1) at the port of addr
// and waits for the handshake to see it.
func (p *Probe) Run(listenHost, addr string) error {
	defer p.done.Store(true)
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("start probe: %w", err)
	}
	if isWildcard(listenHost) {
		listenHost = "127.0.0.1"
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(listenHost, port), 5*time.Second)
	if err != nil {
		return fmt.Errorf("start probe: %w", err)
	}
	defer conn.Close()
	p.addr <- conn.LocalAddr().String()
	select {
	case <-p.seen:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("start probe: the remote endpoint accepted no connection within 5s")
	}
}

func isWildcard(host string) bool {
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}
