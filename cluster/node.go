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

// NodeConfig is the settings of a Node. The zero value listens on a free loopback port.
type NodeConfig struct {
	// ListenAddr is the host:port the remote endpoint listens on; port 0 picks a free port
	// (Node.Address reports it). Default "127.0.0.1:0".
	ListenAddr string
	// AdvertiseHost is the host peers dial, when it differs from ListenAddr's host. Required
	// when ListenAddr's host is a wildcard ("", "0.0.0.0", "::").
	AdvertiseHost string
	// ActorLogLevel is the lowest level of protoactor's own records passed on to the logger.
	// protoactor logs every connection and dead letter at Info. Default slog.LevelWarn.
	ActorLogLevel slog.Leveler
	// EndpointWriterQueueSize is the initial size of the per-peer send queue. protoactor's
	// default (1e6 slots, ~16 MB per peer) is allocated up front. Default 10 000.
	EndpointWriterQueueSize int
	// Local starts no remote endpoint at all: a node that is not in a cluster has no peer, so
	// it opens no listener (ListenAddr is ignored). Routers then deliver locally only.
	Local bool
}

// NodeDeps are a Node's collaborators; all are optional.
type NodeDeps struct {
	// Logger receives the node's logs and protoactor's. Default: discard.
	Logger *slog.Logger
	// TLS secures the remote endpoint with mutual TLS (server and dial credentials). nil
	// runs it in plaintext, which only in-process tests on loopback do; ttrd always sets it.
	TLS *mtls.Transport
	// SpeaksTLS tells, in mtls.Permit mode, whether the peer at a remote address accepts TLS
	// (it announces so in its metadata); the others are dialled in plaintext. Default: none.
	SpeaksTLS func(addr string) bool
}

// DefaultEndpointWriterQueueSize is the default NodeConfig.EndpointWriterQueueSize.
const DefaultEndpointWriterQueueSize = 10_000

// Validate reports a configuration NewNode refuses.
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
// Hosts are spawned on it (SpawnHost) and routers send from it (NewRouter), once Start has
// started it.
type Node struct {
	cfg    NodeConfig // defaults applied
	deps   NodeDeps
	logger *slog.Logger
	// dropped counts peers' messages refused by filterPeerMessages.
	dropped atomic.Int64

	// lifeMu serialises Start and Stop.
	lifeMu sync.Mutex

	// sendMu is held shared by the router while it hands a message to protoactor and
	// exclusively by Start, which sets the fields below, and by Stop, so nothing of ours
	// sends before the node runs or while the endpoints are torn down.
	sendMu  sync.RWMutex
	started bool
	stopped bool
	// system is also read without sendMu (Address), hence atomic: a router holding sendMu
	// shared must not take it again, or a waiting Stop would deadlock them both.
	system atomic.Pointer[actor.ActorSystem]
	remote *remote.Remote // nil for a Local node
	conns  *remotesync.ConnTracker
	// dispatcher runs the mailboxes of hosts and their children (see workerDispatcher).
	dispatcher *workerDispatcher

	mu    sync.Mutex
	hosts map[string]*actor.PID // kind → host
}

// NewNode validates cfg and returns a node that Start starts.
func NewNode(cfg NodeConfig, deps NodeDeps) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("node config: %w", err)
	}
	if err := checkWireTypes(); err != nil {
		return nil, err
	}
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	if cfg.ActorLogLevel == nil {
		cfg.ActorLogLevel = slog.LevelWarn
	}
	if cfg.EndpointWriterQueueSize == 0 {
		cfg.EndpointWriterQueueSize = DefaultEndpointWriterQueueSize
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	return &Node{cfg: cfg, deps: deps, logger: deps.Logger, hosts: make(map[string]*actor.PID)}, nil
}

// Start starts the actor system and its remote endpoint, and returns once the endpoint
// accepts connections. A node starts once: Start on a started or stopped node is an error;
// after a failed Start nothing of it runs, and Start may be called again. ctx only guards
// the start.
//
// Several nodes in one process (tests): start them all before they exchange messages.
// protoactor's remote rewrites a gRPC process global at every start, which the gRPC
// goroutines of running connections read; Start orders that write after everything a
// freshly started or a stopped node did, but not after the traffic of running ones, so the
// race detector would report it.
func (n *Node) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n.lifeMu.Lock()
	defer n.lifeMu.Unlock()
	n.sendMu.RLock()
	started, stopped := n.started, n.stopped
	n.sendMu.RUnlock()
	if err := startOnce("cluster node", started, stopped, errStopped); err != nil {
		return err
	}
	cfg, logger := n.cfg, n.logger
	system := actor.NewActorSystem(
		actor.WithLoggerFactory(func(s *actor.ActorSystem) *slog.Logger {
			return slog.New(&levelHandler{min: cfg.ActorLogLevel, next: logger.Handler()}).
				With("component", "protoactor")
		}),
		// A request whose target is gone gets a DeadLetterResponse (the router retries);
		// logging each of them as well is noise.
		actor.WithDeadLetterRequestLogging(false),
	)
	dispatcher := newWorkerDispatcher(4*runtime.GOMAXPROCS(0), 300)
	conns := remotesync.NewConnTracker()
	var r *remote.Remote
	if !cfg.Local {
		var err error
		if r, err = n.startRemote(system, conns); err != nil {
			system.Shutdown()
			dispatcher.close()
			return err
		}
	}
	n.sendMu.Lock()
	n.system.Store(system)
	n.remote, n.conns, n.dispatcher = r, conns, dispatcher
	n.started = true
	n.sendMu.Unlock()
	if cfg.Local {
		n.logger.Info("cluster node started without a remote endpoint (not in a cluster)")
	} else {
		n.logger.Info("cluster node started", slog.String("addr", system.Address()), slog.Bool("tls", n.deps.TLS != nil))
	}
	return nil
}

// startRemote starts the remote endpoint of system and waits until it accepts connections.
// On an error nothing of it runs.
func (n *Node) startRemote(system *actor.ActorSystem, conns *remotesync.ConnTracker) (*remote.Remote, error) {
	cfg, logger := n.cfg, n.logger
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
	serverCreds, dialCreds := credentials.TransportCredentials(insecure.NewCredentials()), credentials.TransportCredentials(insecure.NewCredentials())
	if n.deps.TLS != nil {
		serverCreds, dialCreds = n.deps.TLS.ServerCredentials(), n.deps.TLS.ClientCredentials(n.deps.SpeaksTLS)
	}
	probe := remotesync.NewProbe(serverCreds)
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
	if err := runRemote(r); err != nil {
		return nil, fmt.Errorf("start remote on %s: %w", cfg.ListenAddr, err)
	}
	if err := probe.Run(host, system.Address()); err != nil {
		n.stopRemote(system, r, conns)
		return nil, fmt.Errorf("start remote on %s: %w", cfg.ListenAddr, err)
	}
	return r, nil
}

// runRemote turns remote's panics (a port in use, an endpoint manager that does not start)
// into an error.
func runRemote(r *remote.Remote) (err error) {
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

// System returns the node's actor system; nil before Start.
func (n *Node) System() *actor.ActorSystem { return n.system.Load() }

// Address returns the host:port peers reach this node's remote endpoint at (a local node's
// is protoactor's "nonhost"); "" before Start.
func (n *Node) Address() string {
	if s := n.System(); s != nil {
		return s.Address()
	}
	return ""
}

// DroppedPeerMessages returns how many messages peers sent that were not wire types (see
// filterPeerMessages).
func (n *Node) DroppedPeerMessages() int64 { return n.dropped.Load() }

// HostsRunning reports the kinds whose host actor is not running (stopped or crashed for
// good); nil when every host spawned on the node runs. /readyz turns 503 on any.
func (n *Node) HostsRunning() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var down []string
	for kind, pid := range n.hosts { // none before Start
		if _, ok := n.system.Load().ProcessRegistry.GetLocal(pid.GetId()); !ok {
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
	for _, pid := range n.hostPIDs() { // none before Start
		n.system.Load().Root.Send(pid, &Rebalance{})
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
	if _, err := n.beginSend(); err != nil {
		return err
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

// errStopped and errNotStarted are returned by the routers and hosts of a node that does not
// run.
var (
	errStopped    = errors.New("cluster node stopped")
	errNotStarted = errors.New("cluster node not started")
)

// beginSend returns the actor system of a running node, or errNotStarted or errStopped; on
// success the caller must call endSend once it has handed its message to protoactor.
func (n *Node) beginSend() (*actor.ActorSystem, error) {
	n.sendMu.RLock()
	switch {
	case n.stopped:
		n.sendMu.RUnlock()
		return nil, errStopped
	case !n.started:
		n.sendMu.RUnlock()
		return nil, errNotStarted
	}
	return n.system.Load(), nil
}

// running returns the actor system of a running node, or errNotStarted or errStopped.
func (n *Node) running() (*actor.ActorSystem, error) {
	s, err := n.beginSend()
	if err == nil {
		n.endSend()
	}
	return s, err
}

func (n *Node) endSend() { n.sendMu.RUnlock() }

// Stop shuts the node down: the hosts with their children first (messages still queued in
// children are dropped, and their requesters retry elsewhere: draining is the caller's job
// before Stop), then the remote endpoint's server (peers see the connections close), then its
// outbound connections, then the actor system. Stop is idempotent, and a node stopped before
// Start never starts. Routers of a stopped node return an error; nothing else may send to a
// remote PID from it afterwards.
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
	n.lifeMu.Lock()
	defer n.lifeMu.Unlock()
	n.sendMu.Lock()
	wasStopped, started := n.stopped, n.started
	n.stopped = true
	n.sendMu.Unlock()
	if wasStopped || !started {
		return
	}
	n.mu.Lock()
	hosts := make([]*actor.PID, 0, len(n.hosts))
	for _, pid := range n.hosts {
		hosts = append(hosts, pid)
	}
	n.mu.Unlock()

	start := time.Now()
	system := n.system.Load()
	root := system.Root
	for _, pid := range hosts {
		_ = root.StopFuture(pid).Wait() // gives up after 10 s by itself
	}
	if n.remote == nil { // a local node: no endpoints
		system.Shutdown()
		n.dispatcher.close()
		return
	}
	n.stopRemote(system, n.remote, n.conns)
	system.Shutdown()
	n.dispatcher.close()
	n.logger.Info("cluster node stopped", slog.String("addr", system.Address()), slog.Duration("took", time.Since(start)))
}

// stopRemote stops a started remote endpoint (see Stop).
func (n *Node) stopRemote(system *actor.ActorSystem, r *remote.Remote, conns *remotesync.ConnTracker) {
	if err := remotesync.Stop(system, r, conns, 5*time.Second); err != nil {
		n.logger.Warn("cluster node: stop remote", slog.Any("err", err))
	}
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
