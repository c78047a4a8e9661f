package cluster_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
)

func TestNodeConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     cluster.NodeConfig
		wantErr bool
	}{
		{"zero value", cluster.NodeConfig{}, false},
		{"loopback, free port", cluster.NodeConfig{ListenAddr: "127.0.0.1:0"}, false},
		{"fixed port", cluster.NodeConfig{ListenAddr: "127.0.0.1:7400"}, false},
		{"wildcard with advertise host", cluster.NodeConfig{ListenAddr: "0.0.0.0:0", AdvertiseHost: "10.0.0.5"}, false},
		{"no port", cluster.NodeConfig{ListenAddr: "127.0.0.1"}, true},
		{"bad port", cluster.NodeConfig{ListenAddr: "127.0.0.1:http"}, true},
		{"port out of range", cluster.NodeConfig{ListenAddr: "127.0.0.1:70000"}, true},
		{"wildcard without advertise host", cluster.NodeConfig{ListenAddr: "0.0.0.0:7400"}, true},
		{"empty host without advertise host", cluster.NodeConfig{ListenAddr: ":7400"}, true},
		{"negative queue", cluster.NodeConfig{EndpointWriterQueueSize: -1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tt.wantErr)
			}
			if _, err := cluster.NewNode(tt.cfg, cluster.NodeDeps{}); (err != nil) != tt.wantErr {
				t.Fatalf("NewNode() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

// records is a slog handler that keeps what it is given.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
	with []slog.Attr
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec = rec.Clone()
	rec.AddAttrs(r.with...)
	r.recs = append(r.recs, rec)
	return nil
}
func (r *records) WithAttrs(as []slog.Attr) slog.Handler {
	return &proxy{r: r, with: as}
}
func (r *records) WithGroup(string) slog.Handler { return r }

// proxy adds attributes to what it passes to the shared records.
type proxy struct {
	r    *records
	with []slog.Attr
}

func (p *proxy) Enabled(ctx context.Context, l slog.Level) bool { return true }
func (p *proxy) Handle(ctx context.Context, rec slog.Record) error {
	rec = rec.Clone()
	rec.AddAttrs(p.with...)
	return p.r.Handle(ctx, rec)
}
func (p *proxy) WithAttrs(as []slog.Attr) slog.Handler {
	return &proxy{r: p.r, with: append(append([]slog.Attr(nil), p.with...), as...)}
}
func (p *proxy) WithGroup(string) slog.Handler { return p }

// fromProtoactor counts the records of protoactor below level min.
func (r *records) fromProtoactor(min slog.Level) (below, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.recs {
		lib := false
		rec.Attrs(func(a slog.Attr) bool {
			lib = lib || (a.Key == "component" && a.Value.String() == "protoactor")
			return true
		})
		if lib {
			total++
			if rec.Level < min {
				below++
			}
		}
	}
	return below, total
}

// startNode makes and starts a node, or fails t.
func startNode(t *testing.T, cfg cluster.NodeConfig, deps cluster.NodeDeps) *cluster.Node {
	t.Helper()
	node, err := cluster.NewNode(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return node
}

func TestNode(t *testing.T) {
	t.Run("free port is reported and stop is idempotent", func(t *testing.T) {
		rec := &records{}
		node := startNode(t, cluster.NodeConfig{}, cluster.NodeDeps{Logger: slog.New(rec)})
		host, port, err := net.SplitHostPort(node.Address())
		if err != nil || host != "127.0.0.1" || port == "0" {
			t.Fatalf("address %q", node.Address())
		}
		node.Stop()
		node.Stop()
		if below, _ := rec.fromProtoactor(slog.LevelWarn); below != 0 {
			t.Errorf("%d protoactor records below Warn reached the logger", below)
		}
	})
	t.Run("protoactor logs at the level asked", func(t *testing.T) {
		rec := &records{}
		node := startNode(t, cluster.NodeConfig{ActorLogLevel: slog.LevelDebug}, cluster.NodeDeps{Logger: slog.New(rec)})
		node.Stop()
		if _, total := rec.fromProtoactor(slog.LevelWarn); total == 0 {
			t.Error("no protoactor record at Debug")
		}
	})
	t.Run("port in use is an error", func(t *testing.T) {
		first := clustertest.StartNode(t, nil)
		node, err := cluster.NewNode(cluster.NodeConfig{ListenAddr: first.Address()}, cluster.NodeDeps{})
		if err != nil {
			t.Fatal(err)
		}
		defer node.Stop()
		if err := node.Start(context.Background()); err == nil {
			t.Fatal("no error")
		}
		if node.Address() != "" {
			t.Errorf("a node that did not start has address %q", node.Address())
		}
	})
	t.Run("wildcard listen with advertise host", func(t *testing.T) {
		node := startNode(t, cluster.NodeConfig{ListenAddr: "0.0.0.0:0", AdvertiseHost: "127.0.0.1"}, cluster.NodeDeps{})
		defer node.Stop()
		if !strings.HasPrefix(node.Address(), "127.0.0.1:") || strings.HasSuffix(node.Address(), ":0") {
			t.Fatalf("address %q", node.Address())
		}
	})
	t.Run("stops promptly with messages parked and in flight", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{nodes: 2, passivateEvery: 1})
		id := f.ownedBy(t, 0)
		for i := range 300 {
			f.Nodes[i%2].System().Root.Request(hostPIDOn(f, 0), envelope(id, "seq", int64(i), ""))
		}
		start := time.Now()
		f.Nodes[0].Stop()
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("Stop took %v", d)
		}
	})
	t.Run("a stopped node routes nothing", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		f.Nodes[0].Stop()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := f.routers[0].Request(ctx, "test/1", "count", 1, wrapperspb.Int64(0), ""); err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v, want an immediate error", err)
		}
		if err := f.routers[0].Send("test/1", "seq", 1, wrapperspb.Int64(0)); err == nil {
			t.Fatal("Send: no error")
		}
		if _, err := cluster.QueryHost(ctx, f.Nodes[0], testKind); err == nil {
			t.Fatal("QueryHost: no error")
		}
	})
}

// TestNodeLifecycle: a node that is not running answers every method with a zero value or an
// error, and Start and Stop may come in any order and number.
func TestNodeLifecycle(t *testing.T) {
	produce := func(string) actor.Producer { return func() actor.Actor { return &counter{} } }
	self := cluster.Member{ID: "n1", RemoteAddr: "127.0.0.1:1"}
	membership := clustertest.MustStatic(t, self, []cluster.Member{self})
	notRunning := func(t *testing.T, node *cluster.Node, want string) {
		t.Helper()
		if _, err := cluster.SpawnHost(node, testKind, membership, produce, cluster.HostOptions{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("SpawnHost: %v, want an error saying %q", err, want)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := cluster.QueryHost(ctx, node, testKind); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("QueryHost: %v, want an error saying %q", err, want)
		}
		r := cluster.NewRouter(node, membership, cluster.RouterOptions{})
		if _, err := r.Request(ctx, testKind+"/1", "count", 1, wrapperspb.Int64(0), ""); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Request: %v, want an error saying %q", err, want)
		}
		if err := r.Send(testKind+"/1", "seq", 1, wrapperspb.Int64(0)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Send: %v, want an error saying %q", err, want)
		}
		node.Rebalance()
		if node.DroppedPeerMessages() != 0 || node.Logger() == nil {
			t.Error("counters or logger of a node that does not run")
		}
	}
	newNode := func(t *testing.T) *cluster.Node {
		t.Helper()
		node, err := cluster.NewNode(cluster.NodeConfig{}, cluster.NodeDeps{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(node.Stop)
		return node
	}
	t.Run("before Start", func(t *testing.T) {
		node := newNode(t)
		if node.System() != nil || node.Address() != "" || len(node.HostsRunning()) != 0 {
			t.Errorf("system %v, address %q, hosts down %v before Start", node.System(), node.Address(), node.HostsRunning())
		}
		notRunning(t, node, "not started")
	})
	t.Run("Stop before Start, twice, then Start", func(t *testing.T) {
		node := newNode(t)
		node.Stop()
		node.Stop()
		if err := node.Start(context.Background()); err == nil {
			t.Fatal("a stopped node started")
		}
		notRunning(t, node, "stopped")
	})
	t.Run("Start twice", func(t *testing.T) {
		node := newNode(t)
		if err := node.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		addr := node.Address()
		if err := node.Start(context.Background()); err == nil {
			t.Fatal("a started node started again")
		}
		if node.Address() != addr {
			t.Errorf("address %q after the second Start, was %q", node.Address(), addr)
		}
		if _, err := cluster.SpawnHost(node, testKind, membership, produce, cluster.HostOptions{}); err != nil {
			t.Fatalf("the second Start broke the node: %v", err)
		}
		node.Stop()
		node.Stop()
		notRunning(t, node, "stopped")
	})
	t.Run("a local node", func(t *testing.T) {
		node, err := cluster.NewNode(cluster.NodeConfig{Local: true}, cluster.NodeDeps{})
		if err != nil {
			t.Fatal(err)
		}
		if err := node.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		node.Stop()
		node.Stop()
	})
	t.Run("a cancelled context", func(t *testing.T) {
		node := newNode(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := node.Start(ctx); err == nil {
			t.Fatal("started with a cancelled context")
		}
	})
}
