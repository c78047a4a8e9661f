// Package clustertest starts in-process cluster nodes on 127.0.0.1 for tests of cluster and
// of the packages that route through it.
package clustertest

import (
	"context"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"log/slog"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/internal/remotesync"
	"github.com/ttr-rip/ttr/cluster/mtls"
)

// TLS returns a mutual-TLS transport for cluster "ttr" whose CA is derived from seed (32
// bytes): nodes given the same seed trust each other, others do not.
func TLS(tb testing.TB, seed []byte) *mtls.Transport {
	tb.Helper()
	t, err := mtls.New(mtls.Config{Cluster: "ttr", Seeds: [][]byte{seed}})
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// Cluster is N nodes in one process, each with a Static membership of all of them.
type Cluster struct {
	Nodes       []*cluster.Node
	Members     []cluster.Member // Members[i] describes Nodes[i]
	Memberships []*cluster.Static
}

// Options tune Start.
type Options struct {
	// Logger receives every node's logs. Default: discard (protoactor goroutines may log after
	// a test has ended, when t.Log would panic).
	Logger *slog.Logger
	// TLS, when set, gives node i its mutual-TLS transport (nil: plaintext).
	TLS func(i int) *mtls.Transport
}

// Start starts n nodes on free loopback ports, each knowing all n as active members, and
// stops them when tb ends. Start every node a test needs before the nodes talk to each other
// (see cluster.Node.Start).
func Start(tb testing.TB, n int, opts Options) *Cluster {
	tb.Helper()
	c := &Cluster{}
	for i := range n {
		deps := cluster.NodeDeps{Logger: opts.Logger}
		if opts.TLS != nil {
			deps.TLS = opts.TLS(i)
		}
		node := StartNodeConfig(tb, cluster.NodeConfig{ListenAddr: "127.0.0.1:0"}, deps)
		c.Nodes = append(c.Nodes, node)
		c.Members = append(c.Members, cluster.Member{
			ID:         fmt.Sprintf("n%d-%s", i, cluster.NewNodeID()),
			Name:       fmt.Sprintf("node%d", i),
			RemoteAddr: node.Address(),
		})
	}
	for i := range n {
		c.Memberships = append(c.Memberships, MustStatic(tb, c.Members[i], c.Members))
	}
	return c
}

// StartNode starts one node on a free loopback port and stops it when tb ends.
func StartNode(tb testing.TB, logger *slog.Logger) *cluster.Node {
	tb.Helper()
	return StartNodeConfig(tb, cluster.NodeConfig{ListenAddr: "127.0.0.1:0"}, cluster.NodeDeps{Logger: logger})
}

// StartNodeConfig starts one node made of cfg and deps and stops it when tb ends.
func StartNodeConfig(tb testing.TB, cfg cluster.NodeConfig, deps cluster.NodeDeps) *cluster.Node {
	tb.Helper()
	node, err := cluster.NewNode(cfg, deps)
	if err != nil {
		tb.Fatalf("node: %v", err)
	}
	tb.Cleanup(node.Stop)
	if err := node.Start(context.Background()); err != nil {
		tb.Fatalf("start node: %v", err)
	}
	return node
}

// MustStatic returns a Static membership or fails tb.
func MustStatic(tb testing.TB, self cluster.Member, members []cluster.Member) *cluster.Static {
	tb.Helper()
	s, err := cluster.NewStatic(self, members)
	if err != nil {
		tb.Fatalf("static membership: %v", err)
	}
	return s
}

// OwnedBy returns the first n identities "kind/<i>" (i = 0, 1, …) that membership places on
// the member with ID owner.
func OwnedBy(tb testing.TB, m cluster.Membership, kind, owner string, n int) []string {
	tb.Helper()
	var ids []string
	for i := 0; len(ids) < n && i < 1_000_000; i++ {
		id := fmt.Sprintf("%s/%d", kind, i)
		if o, ok := m.Owner(id); ok && o.ID == owner {
			ids = append(ids, id)
		}
	}
	if len(ids) < n {
		tb.Fatalf("only %d identities of kind %s owned by %s", len(ids), kind, owner)
	}
	return ids
}

// Outsider starts a bare protoactor actor system with a remote endpoint that dials with creds
// (no TLS, a self-signed certificate, another cluster's CA, …): what someone on the network
// could run against a node. It shares no transport code with cluster.Node on purpose; only
// its start and stop are ordered with the other remotes of the process, as a node's are
// (remotesync). It stops when tb ends.
func Outsider(tb testing.TB, creds credentials.TransportCredentials) *actor.ActorSystem {
	tb.Helper()
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	// The outsider's own server is never dialled but for the probe: plaintext, as remote's
	// default.
	probe := remotesync.NewProbe(insecure.NewCredentials())
	conns := remotesync.NewConnTracker()
	cfg := remote.Configure("127.0.0.1", 0,
		remote.WithDialOptions(grpc.WithTransportCredentials(creds), grpc.WithStatsHandler(conns)),
		remote.WithServerOptions(grpc.Creds(probe)))
	cfg.MaxRetryCount = 1
	r := remote.NewRemote(system, cfg)
	r.Start()
	tb.Cleanup(func() {
		if err := remotesync.Stop(system, r, conns, 5*time.Second); err != nil {
			tb.Errorf("stop outsider: %v", err)
		}
		system.Shutdown()
	})
	if err := probe.Run("127.0.0.1", system.Address()); err != nil {
		tb.Fatalf("outsider: %v", err)
	}
	return system
}
