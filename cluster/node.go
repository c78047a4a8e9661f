package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/ttr-rip/ttr/cluster/internal/remotesync"
	"github.com/ttr-rip/ttr/cluster/mtls"
	"github.com/ttr-rip/ttr/messages"
)

// NodeConfig configures a Node. The zero value listens on a free loopback port.
type NodeConfig struct {
	// ListenAddr is the host:port the remote endpoint listens on; port 0 picks a free port
	// (Node.Address reports it). Default "127.0.0.1:0".
	ListenAddr string
	// AdvertiseHost is the host peers dial, when it differs from ListenAddr's host. Required
	// when ListenAddr's host is a wildcard ("", "0.0.0.0", "::").
	AdvertiseHost string
	// Logger receives the node's logs and protoactor's. Default: discard.
	Logger *slog.Logger
	// ActorLogLevel is the lowest level of protoactor's own records passed on to Logger.
	// protoactor logs every connection and dead letter at Info. Default slog.LevelWarn.
	ActorLogLevel slog.Leveler
	// EndpointWriterQueueSize is the initial size of the per-peer send queue. protoactor's
	// default (1e6 slots, ~16 MB per peer) is allocated up front. Default 10 000.
	EndpointWriterQueueSize int
	// Local starts no remote endpoint at all: a node that is not in a cluster has no peer, so
	// it opens no listener (ListenAddr is ignored). Routers then deliver locally only.
	Local bool
	// TLS secures the remote endpoint with mutual TLS (server and dial credentials). nil
	// runs it in plaintext, which only in-process tests on loopback do; ttrd always sets it.
	TLS *mtls.Transport
	// SpeaksTLS tells, in mtls.Permit mode, whether the peer at a remote address accepts TLS
	// (it announces so in its metadata); the others are dialled in plaintext. Default: none.
	SpeaksTLS func(addr string) bool
}

// DefaultEndpointWriterQueueSize is the default NodeConfig.EndpointWriterQueueSize.
const DefaultEndpointWriterQueueSize = 10_000

// Validate reports a configuration NewNode cannot start.
func (c NodeConfig) Validate() error {
	if c.EndpointWriterQueueSize < 0 {
		return errors.New("negative endpoint writer queue size")
	}
	if c.ListenAddr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(c.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", c.ListenAddr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("listen address %q: bad port", c.ListenAddr)
	}
	if isWildcard(host) && c.AdvertiseHost == "" {
		return fmt.Errorf("listen address %q is a wildcard: set an advertise host peers can dial", c.ListenAddr)
	}
	return nil
}

func isWildcard(host string) bool {
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// Node is one actor system with its remote endpoint: the process's presence in the cluster.
// Hosts are spawned on it (SpawnHost) and routers send from it (NewRouter).
type Node struct {
	system *actor.ActorSystem
	remote *remote.Remote // nil for a Local node
	conns  *remotesync.ConnTracker
	logger *slog.Logger
	// dropped counts peers' messages refused by filterPeerMessages.
	dropped atomic.Int64

	// sendMu is held shared by the router while it hands a message to protoactor and
	// exclusively by Stop, so nothing of ours sends while the endpoints are torn down.
	sendMu  sync.RWMutex
	stopped bool // under sendMu

	mu    sync.Mutex
	hosts map[string]*actor.PID // kind → host

	// dispatcher runs the mailboxes of hosts and their children (see workerDispatcher).
	dispatcher *workerDispatcher
}

// NewNode starts an actor system and its remote endpoint, and returns once the endpoint
// accepts connections.
//
// Several nodes in one process (tests): start them all before they exchange messages.
// protoactor's remote rewrites a gRPC process global at every start, which the gRPC
// goroutines of running connections read; NewNode orders that write after everything a
// freshly started or a stopped node did, but not after the traffic of running ones, so the
// race detector would report it.
func NewNode(cfg NodeConfig) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("node config: %w", err)
	}
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ActorLogLevel == nil {
		cfg.ActorLogLevel = slog.LevelWarn
	}
	if cfg.EndpointWriterQueueSize == 0 {
		cfg.EndpointWriterQueueSize = DefaultEndpointWriterQueueSize
	}
	if err := checkWireTypes(); err != nil {
		return nil, err
	}
	host, portStr, _ := net.SplitHostPort(cfg.ListenAddr)
	port, _ := strconv.Atoi(portStr)
	if port == 0 && cfg.AdvertiseHost != "" {
		// remote takes the advertised address as a whole host:port, so the port must be known
		// before it listens.
		p, err := freePort(cfg.ListenAddr)
		if err != nil {
			return nil, err
		}
		port = p
	}

	logger := cfg.Logger
	system := actor.NewActorSystem(
		actor.WithLoggerFactory(func(s *actor.ActorSystem) *slog.Logger {
			return slog.New(&levelHandler{min: cfg.ActorLogLevel, next: logger.Handler()}).
				With("component", "protoactor")
		}),
		// A request whose target is gone gets a DeadLetterResponse (the router retries);
		// logging each of them as well is noise.
		actor.WithDeadLetterRequestLogging(false),
	)

	n := &Node{system: system, conns: remotesync.NewConnTracker(), logger: logger, hosts: make(map[string]*actor.PID),
		dispatcher: newWorkerDispatcher(4*runtime.GOMAXPROCS(0), 300)}
	if cfg.Local {
		n.logger.Info("cluster node started without a remote endpoint (not in a cluster)")
		return n, nil
	}
	serverCreds, dialCreds := credentials.TransportCredentials(insecure.NewCredentials()), credentials.TransportCredentials(insecure.NewCredentials())
	if cfg.TLS != nil {
		serverCreds, dialCreds = cfg.TLS.ServerCredentials(), cfg.TLS.ClientCredentials(cfg.SpeaksTLS)
	}
	probe := remotesync.NewProbe(serverCreds)
	conns := n.conns
	opts := []remote.ConfigOption{
		remote.WithDialOptions(
			grpc.WithTransportCredentials(dialCreds),
			grpc.WithStatsHandler(conns),
		),
		remote.WithEndpointWriterQueueSize(cfg.EndpointWriterQueueSize),
		// A peer's message of a type this binary does not know makes protoactor's
		// deserializer dereference nil on the gRPC stream goroutine, and its unimplemented
		// diagnostics RPCs panic: either would take the whole process down.
		remote.WithServerOptions(
			grpc.ChainStreamInterceptor(recoverStream(logger), filterPeerMessages(logger, &n.dropped)),
			grpc.ChainUnaryInterceptor(recoverUnary(logger)),
			grpc.Creds(probe),
			grpc.WaitForHandlers(true), // Stop returns after the endpoint readers
		),
	}
	if cfg.AdvertiseHost != "" {
		opts = append(opts, remote.WithAdvertisedHost(net.JoinHostPort(cfg.AdvertiseHost, strconv.Itoa(port))))
	}
	rcfg := remote.Configure(host, port, opts...)
	// With the default (5), every message to a dead peer parks a writer for 5 × 2 s and the
	// spike leaked a goroutine per dead peer.
	rcfg.MaxRetryCount = 1
	r := remote.NewRemote(system, rcfg)
	if err := startRemote(r); err != nil {
		system.Shutdown()
		n.dispatcher.close()
		return nil, fmt.Errorf("start remote on %s: %w", cfg.ListenAddr, err)
	}
	n.remote = r
	if err := probe.Run(host, system.Address()); err != nil {
		n.Stop()
		return nil, fmt.Errorf("start remote on %s: %w", cfg.ListenAddr, err)
	}
	n.logger.Info("cluster node started", slog.String("addr", n.Address()), slog.Bool("tls", cfg.TLS != nil))
	return n, nil
}

// startRemote turns remote's panics (a port in use, an endpoint manager that does not start)
// into an error.
func startRemote(r *remote.Remote) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	r.Start()
	return nil
}

func freePort(addr string) (int, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return 0, fmt.Errorf("pick a port on %s: %w", addr, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// checkWireTypes makes sure the only two types that cross nodes are in the global protobuf
// registry remote resolves received type names in (importing messages registers
// messages.File_ttr_proto).
func checkWireTypes() error {
	for _, m := range []protoreflect.ProtoMessage{(*messages.Envelope)(nil), (*messages.Reply)(nil)} {
		name := m.ProtoReflect().Descriptor().FullName()
		if _, err := protoregistry.GlobalTypes.FindMessageByName(name); err != nil {
			return fmt.Errorf("wire type %s (%s) not registered: %w", name, messages.File_ttr_proto.Path(), err)
		}
	}
	return nil
}

// System returns the node's actor system.
func (n *Node) System() *actor.ActorSystem { return n.system }

// Address returns the host:port peers reach this node's remote endpoint at (a local node's
// is protoactor's "nonhost").
func (n *Node) Address() string { return n.system.Address() }

// DroppedPeerMessages returns how many messages peers sent that were not wire types (see
// filterPeerMessages).
func (n *Node) DroppedPeerMessages() int64 { return n.dropped.Load() }

// HostsRunning reports the kinds whose host actor is not running (stopped or crashed for
// good); nil when every host spawned on the node runs. /readyz turns 503 on any.
func (n *Node) HostsRunning() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var down []string
	for kind, pid := range n.hosts {
		if _, ok := n.system.ProcessRegistry.GetLocal(pid.GetId()); !ok {
			down = append(down, kind)
		}
	}
	return down
}

// Logger returns the node's logger.
func (n *Node) Logger() *slog.Logger { return n.logger }

// Rebalance asks every host on the node to passivate the children it no longer owns (after
// they have processed what they already hold). The topology handler calls it after the
// membership changed.
func (n *Node) Rebalance() {
	for _, pid := range n.hostPIDs() {
		n.system.Root.Send(pid, &Rebalance{})
	}
}

func (n *Node) hostPIDs() []*actor.PID {
	n.mu.Lock()
	defer n.mu.Unlock()
	pids := make([]*actor.PID, 0, len(n.hosts))
	for _, pid := range n.hosts {
		pids = append(pids, pid)
	}
	return pids
}

func (n *Node) addHost(kind string, pid *actor.PID) error {
	if !n.beginSend() {
		return errors.New("node stopped")
	}
	defer n.endSend()
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.hosts[kind]; ok {
		return fmt.Errorf("a host for kind %q already runs", kind)
	}
	n.hosts[kind] = pid
	return nil
}

// errStopped is returned by routers of a stopped node.
var errStopped = errors.New("cluster node stopped")

// beginSend reports whether the node still sends; if so the caller must call endSend once
// it has handed its message to protoactor.
func (n *Node) beginSend() bool {
	n.sendMu.RLock()
	if n.stopped {
		n.sendMu.RUnlock()
		return false
	}
	return true
}

func (n *Node) endSend() { n.sendMu.RUnlock() }

// Stop shuts the node down: the hosts with their children first (messages still queued in
// children are dropped, and their requesters retry elsewhere: draining is the caller's job
// before Stop), then the remote endpoint's server (peers see the connections close), then its
// outbound connections, then the actor system. Stop is idempotent. Routers of a stopped node
// return an error; nothing else may send to a remote PID from it afterwards.
//
// remote's own graceful shutdown is not used: it nils the endpoint map that peer-disconnect
// events read and signals endpoint readers over channels they may have closed, so a peer
// disconnecting at the same moment crashes the process (a nil dereference, a send on a closed
// channel) or hangs it. Instead the gRPC server is stopped (waiting for its handlers), then
// the endpoint supervisor, which stops every writer (closing its client connection) and
// watcher and waits for them, and Stop waits for the last outbound transport to finish. A
// placeholder then holds the supervisor's name: a late send to a new address would otherwise
// make remote panic on the supervisor's dead letter; it now waits forever instead.
func (n *Node) Stop() {
	n.sendMu.Lock()
	if n.stopped {
		n.sendMu.Unlock()
		return
	}
	n.stopped = true
	n.sendMu.Unlock()
	n.mu.Lock()
	hosts := make([]*actor.PID, 0, len(n.hosts))
	for _, pid := range n.hosts {
		hosts = append(hosts, pid)
	}
	n.mu.Unlock()

	start := time.Now()
	root := n.system.Root
	for _, pid := range hosts {
		_ = root.StopFuture(pid).Wait() // gives up after 10 s by itself
	}
	if n.remote == nil { // a local node: no endpoints
		n.system.Shutdown()
		n.dispatcher.close()
		return
	}
	if err := remotesync.Stop(n.system, n.remote, n.conns, 5*time.Second); err != nil {
		n.logger.Warn("cluster node: stop remote", slog.Any("err", err))
	}
	n.system.Shutdown()
	n.dispatcher.close()
	n.logger.Info("cluster node stopped", slog.String("addr", n.Address()), slog.Duration("took", time.Since(start)))
}

func recoverStream(logger *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		defer func() {
			if p := recover(); p != nil {
				logger.Error("remote stream panicked; connection dropped", slog.String("method", info.FullMethod),
					slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
				err = fmt.Errorf("remote stream: panic: %v", p)
			}
		}()
		return handler(srv, ss)
	}
}

func recoverUnary(logger *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if p := recover(); p != nil {
				logger.Warn("remote call panicked", slog.String("method", info.FullMethod), slog.Any("panic", p))
				err = fmt.Errorf("remote call: panic: %v", p)
			}
		}()
		return handler(ctx, req)
	}
}

// levelHandler passes on the records of at least min: protoactor has no level setting of
// its own, only a logger factory.
type levelHandler struct {
	min  slog.Leveler
	next slog.Handler
}

func (h *levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min.Level() && h.next.Enabled(ctx, l)
}

func (h *levelHandler) Handle(ctx context.Context, r slog.Record) error { return h.next.Handle(ctx, r) }

func (h *levelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &levelHandler{min: h.min, next: h.next.WithAttrs(as)}
}

func (h *levelHandler) WithGroup(name string) slog.Handler {
	return &levelHandler{min: h.min, next: h.next.WithGroup(name)}
}
