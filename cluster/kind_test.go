package cluster_test

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
	"github.com/ttr-rip/ttr/cluster/mtls"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/waittest"
)

// testKind is the kind every test host serves.
const testKind = "test"

// world is the test kind's shared, observable state on all nodes.
type world struct {
	mu          sync.Mutex
	seqs        map[string][]int64 // identity → sequence numbers in the order children saw them
	activations atomic.Int64
	counted     atomic.Int64 // distinct request ids counted, all children together
	late        atomic.Int64 // answers still to be sent later
}

func (w *world) seq(identity string) []int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]int64(nil), w.seqs[identity]...)
}

// counter is the test kind's child. It counts requests by request id and answers a repeat
// with its first answer without counting again. Replies carry the node's name in Detail.
//
// Types: "count" (body Int64Value: delay the first answer by that many ms), "seq" (body
// Int64Value n: log n; passivate after it when n%passivateEvery == passivateEvery-1),
// "passivate", "stop" (stops itself), "panic".
type counter struct {
	node           string
	identity       string
	w              *world
	passivateEvery int64
	answers        map[string]*messages.Reply
	count          int64
}

func (c *counter) Receive(ctx actor.Context) {
	env, ok := ctx.Message().(*messages.Envelope)
	if !ok {
		return
	}
	if env.GetType() == "echo" {
		ctx.Respond(cluster.OK())
		return
	}
	var n wrapperspb.Int64Value
	if err := cluster.Unmarshal(env, &n); err != nil {
		ctx.Respond(cluster.ReplyOf(err))
		return
	}
	switch env.GetType() {
	case "count":
		if r, ok := c.answers[env.GetRequestId()]; ok {
			ctx.Respond(r)
			return
		}
		c.count++
		c.w.counted.Add(1)
		r, _ := cluster.OKWith("count", wrapperspb.Int64(c.count))
		r.Detail = c.node
		c.answers[env.GetRequestId()] = r
		if n.GetValue() > 0 {
			// Answer later, as a child waiting for a commit does.
			sender, root := ctx.Sender(), ctx.ActorSystem().Root
			c.w.late.Add(1)
			time.AfterFunc(time.Duration(n.GetValue())*time.Millisecond, func() {
				root.Send(sender, r)
				c.w.late.Add(-1)
			})
			return
		}
		ctx.Respond(r)
	case "seq":
		c.w.mu.Lock()
		c.w.seqs[c.identity] = append(c.w.seqs[c.identity], n.GetValue())
		c.w.mu.Unlock()
		passivate := c.passivateEvery > 0 && n.GetValue()%c.passivateEvery == c.passivateEvery-1
		if passivate {
			cluster.RequestPassivation(ctx)
		}
		if ctx.Sender() != nil {
			ctx.Respond(cluster.OK())
		}
		if passivate {
			// Linger, so that the next messages reach the host while this child is stopping.
			time.Sleep(2 * time.Millisecond)
		}
	case "passivate":
		cluster.RequestPassivation(ctx)
		ctx.Respond(cluster.OK())
	case "stop":
		ctx.Respond(cluster.OK())
		ctx.Stop(ctx.Self())
	case "panic":
		panic("test panic")
	default:
		ctx.Respond(cluster.Invalid("unknown type " + env.GetType()))
	}
}

// fixture is a cluster of nodes serving the test kind, with a router and a registry per node.
type fixture struct {
	*clustertest.Cluster
	w       *world
	routers []*cluster.Router
	regs    []*prometheus.Registry
	hosts   []*actor.PID
	used    map[int]int // identities handed out per node
}

type fixtureOptions struct {
	nodes          int
	passivateEvery int64
	router         cluster.RouterOptions
	// routerMembership, when set, gives node i's router its own view of the cluster.
	routerMembership func(i int, c *clustertest.Cluster) cluster.Membership
	// tls, when set, gives node i this mutual-TLS transport.
	tls func(i int) *mtls.Transport
}

func testLogger() *slog.Logger {
	if os.Getenv("TTR_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

func newFixture(t testing.TB, o fixtureOptions) *fixture {
	t.Helper()
	if o.nodes == 0 {
		o.nodes = 1
	}
	f := &fixture{Cluster: clustertest.Start(t, o.nodes, clustertest.Options{Logger: testLogger(), TLS: o.tls}),
		w: &world{seqs: map[string][]int64{}}, used: map[int]int{}}
	// Before the nodes stop (cleanups run last first): a node must not send after Stop.
	t.Cleanup(func() {
		waittest.Until(t, 10*time.Second, "the condition", func() bool { return f.w.late.Load() == 0 })
	})
	for i, node := range f.Nodes {
		name := f.Members[i].Name
		produce := func(identity string) actor.Producer {
			return func() actor.Actor {
				return &counter{node: name, identity: identity, w: f.w, passivateEvery: o.passivateEvery,
					answers: map[string]*messages.Reply{}}
			}
		}
		reg := prometheus.NewRegistry()
		pid, err := cluster.SpawnHost(node, testKind, f.Memberships[i], produce, cluster.HostOptions{
			OnActivate: func(string) { f.w.activations.Add(1) },
			Registerer: reg,
		})
		if err != nil {
			t.Fatal(err)
		}
		var m cluster.Membership = f.Memberships[i]
		if o.routerMembership != nil {
			m = o.routerMembership(i, f.Cluster)
		}
		ro := o.router
		ro.Registerer = reg
		f.routers = append(f.routers, cluster.NewRouter(node, m, ro))
		f.regs = append(f.regs, reg)
		f.hosts = append(f.hosts, pid)
	}
	return f
}

// ownedBy returns an identity of the test kind that node i owns, a new one at every call.
func (f *fixture) ownedBy(t testing.TB, i int) string {
	t.Helper()
	f.used[i]++
	return clustertest.OwnedBy(t, f.Memberships[0], testKind, f.Members[i].ID, f.used[i])[f.used[i]-1]
}

func (f *fixture) stats(t testing.TB, i int) cluster.HostStats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := cluster.QueryHost(ctx, f.Nodes[i], testKind)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ask sends env straight to a host (no router) and returns the answer.
func ask(t testing.TB, node *cluster.Node, host *actor.PID, msg any) any {
	t.Helper()
	res, err := node.System().Root.RequestFuture(host, msg, 5*time.Second).Result()
	if err != nil {
		t.Fatalf("ask %v: %v", host, err)
	}
	return res
}

func request(t testing.TB, r *cluster.Router, identity, typ string, n int64, requestID string) *messages.Reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := r.Request(ctx, identity, typ, 1, wrapperspb.Int64(n), requestID)
	if err != nil {
		t.Fatalf("request %s %s: %v", typ, identity, err)
	}
	return reply
}

func countOf(t testing.TB, r *messages.Reply) int64 {
	t.Helper()
	if r.GetCode() != messages.Code_CODE_OK {
		t.Fatalf("reply %v, want OK", r)
	}
	var n wrapperspb.Int64Value
	if err := cluster.UnmarshalReply(r, &n); err != nil {
		t.Fatal(err)
	}
	return n.GetValue()
}

func envelope(identity, typ string, n int64, requestID string) *messages.Envelope {
	b, err := proto.Marshal(wrapperspb.Int64(n))
	if err != nil {
		panic(err)
	}
	return &messages.Envelope{Type: typ, Version: 1, Identity: identity, Body: b, RequestId: requestID}
}

func hostPIDOn(f *fixture, i int) *actor.PID {
	return actor.NewPID(f.Nodes[i].Address(), cluster.HostName(testKind))
}
