package cluster

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/credentials"
)

// startProbe makes NewNode return only once the remote endpoint's gRPC server accepts
// connections, and does so through a happens-before edge the race detector can see.
//
// Why: remote.Start replaces grpc's process-global logger (grpclog.SetLoggerV2) every time,
// and the gRPC server it starts reads that global as soon as it serves. With several nodes in
// one process (tests), the next node's Start would race with the previous node's accept
// loop. Once the probe has seen the accept loop hand over a connection, that loop has done
// its logging and waits in Accept; the next write to the global is ordered after it.
//
// The probe is a plain TCP connection from NewNode to the node's own port. Its server side
// is recognised in the transport handshake (the only code of ours gRPC runs for a new
// connection, before it logs anything about it) and dispatched away from gRPC, so gRPC
// neither logs nor tracks it. Every other connection gets the inner handshake: mutual TLS,
// or the insecure pass-through of remote's server without credentials (tests).
type startProbe struct {
	credentials.TransportCredentials
	addr chan string // the probe's local address, handed over once it is known
	seen chan struct{}
	done atomic.Bool
}

func newStartProbe(inner credentials.TransportCredentials) *startProbe {
	return &startProbe{TransportCredentials: inner,
		addr: make(chan string, 1), seen: make(chan struct{})}
}

// ServerHandshake implements credentials.TransportCredentials.
func (p *startProbe) ServerHandshake(raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
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
func (p *startProbe) Clone() credentials.TransportCredentials { return p }

// run dials the server listening on listenHost at the port of addr and waits for the
// handshake to see it.
func (p *startProbe) run(listenHost, addr string) error {
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
