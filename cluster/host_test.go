package cluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/waittest"
)

// TestPassivationLosesNothing sends 1,000 messages to one identity, a few in flight at any
// time, while its child passivates itself after every 7th message and is told to after every
// 13th: each message must reach a child exactly once, in order, across many activations, and
// the messages that arrive while a child is stopping wait in the host.
func TestPassivationLosesNothing(t *testing.T) {
	tests := []struct {
		name string
		from int // the node whose root sends; the identity lives on node 0
	}{
		{"local", 0},
		{"remote", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{nodes: 2, passivateEvery: 7})
			id := f.ownedBy(t, 0)
			host := hostPIDOn(f, 0)
			root := f.Nodes[tt.from].System().Root
			const n, window = 1000, 8
			var futures []*actor.Future
			check := func(i int) {
				res, err := futures[i].Result()
				if err != nil {
					t.Fatalf("answer %d: %v", i, err)
				}
				if r, ok := res.(*messages.Reply); !ok || r.GetCode() != messages.Code_CODE_OK {
					t.Fatalf("answer %d: %v", i, res)
				}
			}
			for i := range n {
				futures = append(futures, root.RequestFuture(host, envelope(id, "seq", int64(i), fmt.Sprint(i)), 20*time.Second))
				if i%13 == 0 {
					futures = append(futures, root.RequestFuture(host, envelope(id, "passivate", 0, ""), 20*time.Second))
				}
				if len(futures) > window {
					check(len(futures) - window - 1)
				}
			}
			for i := max(len(futures)-window-1, 0); i < len(futures); i++ {
				check(i)
			}
			seq := f.w.seq(id)
			if len(seq) != n {
				t.Fatalf("children saw %d messages, want %d", len(seq), n)
			}
			for i, v := range seq {
				if v != int64(i) {
					t.Fatalf("message %d was %d: order lost", i, v)
				}
			}
			if a := f.w.activations.Load(); a < n/20 {
				t.Errorf("%d activations: passivation did not happen as often as asked", a)
			} else {
				t.Logf("%d activations", a)
			}
			if got := metric(t, f.regs[0], "ttr_host_parked_messages_total", map[string]string{"kind": testKind}); got == 0 {
				t.Error("no message arrived while a child was stopping: the test did not exercise the buffer")
			} else {
				t.Logf("%v messages parked", got)
			}
			waittest.Until(t, 5*time.Second, "the condition", func() bool {
				s := f.stats(t, 0)
				return s.Stopping == 0 && s.Buffered == 0
			})
		})
	}
}

func TestHostRebalance(t *testing.T) {
	f := newFixture(t, fixtureOptions{nodes: 2})
	ids := clustertest.OwnedBy(t, f.Memberships[0], testKind, f.Members[0].ID, 30)
	for _, id := range ids {
		request(t, f.routers[0], id, "count", 0, "")
	}
	if s := f.stats(t, 0); s.Active != len(ids) {
		t.Fatalf("%d active, want %d", s.Active, len(ids))
	}

	// A third member joins node A's view: the identities it takes must go, the rest stay.
	ghost := cluster.Member{ID: "ghost", RemoteAddr: "127.0.0.1:1"}
	if err := f.Memberships[0].SetMembers(append(f.Cluster.Members[:2:2], ghost)); err != nil {
		t.Fatal(err)
	}
	keep := 0
	var moved string
	for _, id := range ids {
		if o, _ := f.Memberships[0].Owner(id); o.ID == f.Members[0].ID {
			keep++
		} else {
			moved = id
		}
	}
	if keep == len(ids) || moved == "" {
		t.Fatal("the ghost took nothing; pick more identities")
	}
	f.Nodes[0].Rebalance()
	waittest.Until(t, 5*time.Second, "the condition", func() bool {
		s := f.stats(t, 0)
		return s.Active == keep && s.Stopping == 0
	})
	res := ask(t, f.Nodes[0], f.hosts[0], envelope(moved, "count", 0, "after"))
	if r := res.(*messages.Reply); r.GetCode() != messages.Code_CODE_NOT_OWNER || r.GetHint() != "ghost" {
		t.Fatalf("moved identity answered %v, want NOT_OWNER hint ghost", r)
	}

	// Draining passivates everything; a new message activates again.
	f.Nodes[0].System().Root.Send(f.hosts[0], &cluster.PassivateAll{})
	waittest.Until(t, 5*time.Second, "the condition", func() bool { s := f.stats(t, 0); return s.Active == 0 && s.Stopping == 0 })
	if got := metric(t, f.regs[0], "ttr_host_active_actors", map[string]string{"kind": testKind}); got != 0 {
		t.Errorf("active gauge %v after draining", got)
	}
	if got := metric(t, f.regs[0], "ttr_host_deactivations_total", map[string]string{"kind": testKind}); got != float64(len(ids)) {
		t.Errorf("deactivations %v, want %d", got, len(ids))
	}
	for _, id := range ids {
		if o, _ := f.Memberships[0].Owner(id); o.ID == f.Members[0].ID {
			request(t, f.routers[0], id, "count", 0, "")
			break
		}
	}
	if s := f.stats(t, 0); s.Active != 1 {
		t.Fatalf("%d active after a new message, want 1", s.Active)
	}
}

func TestHostRemovesChildrenThatStop(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	id := f.ownedBy(t, 0)

	t.Run("stops by itself", func(t *testing.T) {
		request(t, f.routers[0], id, "stop", 0, "")
		waittest.Until(t, 5*time.Second, "the condition", func() bool { return f.stats(t, 0).Active == 0 })
		before := f.w.activations.Load()
		if got := countOf(t, request(t, f.routers[0], id, "count", 0, "")); got != 1 {
			t.Fatalf("count %d from a fresh activation, want 1", got)
		}
		if f.w.activations.Load() != before+1 {
			t.Fatal("no new activation")
		}
	})
	t.Run("crashes", func(t *testing.T) {
		before := f.w.activations.Load()
		// Restarted in place three times (a fresh actor, no new activation)...
		for range 3 {
			if err := f.routers[0].Send(id, "panic", 1, wrapperspb.Int64(0)); err != nil {
				t.Fatal(err)
			}
		}
		if got := countOf(t, request(t, f.routers[0], id, "count", 0, "")); got != 1 {
			t.Fatalf("count %d after restarts, want 1 (fresh state)", got)
		}
		if f.w.activations.Load() != before || f.stats(t, 0).Active != 1 {
			t.Fatal("a restarted child was replaced")
		}
		// ...then stopped and removed.
		if err := f.routers[0].Send(id, "panic", 1, wrapperspb.Int64(0)); err != nil {
			t.Fatal(err)
		}
		waittest.Until(t, 5*time.Second, "the condition", func() bool { return f.stats(t, 0).Active == 0 })
		request(t, f.routers[0], id, "count", 0, "")
		if f.w.activations.Load() != before+1 {
			t.Fatal("no new activation after the child gave up")
		}
	})
}

func TestHostAnswersGarbageWithInvalid(t *testing.T) {
	f := newFixture(t, fixtureOptions{nodes: 2})
	id := f.ownedBy(t, 0)
	good := envelope(id, "count", 0, "r")
	tests := []struct {
		name string
		msg  any
	}{
		{"no identity", &messages.Envelope{Type: "count"}},
		{"identity without key", envelope("test/", "count", 0, "")},
		{"identity without kind", envelope("/1", "count", 0, "")},
		{"identity without slash", envelope("test", "count", 0, "")},
		{"identity of another kind", envelope("check/1", "count", 0, "")},
		{"undecodable body", &messages.Envelope{Type: "count", Identity: id, Body: []byte{0xff, 0xff, 0xff}}},
		{"unknown inner type", envelope(id, "no-such-type", 0, "")},
		{"a reply instead of an envelope", &messages.Reply{Code: messages.Code_CODE_OK}},
		{"another known proto", &messages.Tick{WakeUnixMs: 1}},
		{"a Go value", "hello"},
		{"nil pointer", (*messages.Envelope)(nil)},
	}
	for _, tt := range tests {
		for _, from := range []int{0, 1} {
			if _, isProto := tt.msg.(proto.Message); from == 1 && !isProto {
				continue // only protobuf messages cross nodes
			}
			t.Run(fmt.Sprintf("%s from node %d", tt.name, from), func(t *testing.T) {
				switch tt.msg.(type) {
				case *messages.Envelope, *messages.Reply:
				default:
					if from == 1 {
						// Not a wire type: the remote drops it before any actor (filterPeerMessages).
						dropped := f.Nodes[0].DroppedPeerMessages()
						f.Nodes[1].System().Root.Send(hostPIDOn(f, 0), tt.msg)
						waittest.Until(t, 5*time.Second, "the condition", func() bool { return f.Nodes[0].DroppedPeerMessages() > dropped })
						return
					}
				}
				res := ask(t, f.Nodes[from], hostPIDOn(f, 0), tt.msg)
				if r, ok := res.(*messages.Reply); !ok || r.GetCode() != messages.Code_CODE_INVALID {
					t.Fatalf("answer %v, want INVALID", res)
				}
			})
		}
	}
	t.Run("without sender", func(t *testing.T) {
		for _, tt := range tests {
			f.Nodes[0].System().Root.Send(hostPIDOn(f, 0), tt.msg)
		}
		if got := countOf(t, ask(t, f.Nodes[0], hostPIDOn(f, 0), good).(*messages.Reply)); got != 1 {
			t.Fatalf("count %d", got)
		}
	})
}

// unknownMessage is a protobuf message no binary of ours has: a receiving protoactor
// dereferences nil when it looks its type up.
func unknownMessage(t *testing.T) proto.Message {
	t.Helper()
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name:    proto.String("ttrtest/unknown.proto"),
		Package: proto.String("ttrtest"),
		Syntax:  proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("Unknown"),
			Field: []*descriptorpb.FieldDescriptorProto{{
				Name: proto.String("x"), JsonName: proto.String("x"), Number: proto.Int32(1),
				Type:  descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(),
				Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
			}},
		}},
	}, new(protoregistry.Files))
	if err != nil {
		t.Fatal(err)
	}
	md := fd.Messages().ByName("Unknown")
	m := dynamicpb.NewMessage(md)
	m.Set(md.Fields().ByName("x"), protoreflect.ValueOfString("boom"))
	return m
}

func TestUnknownProtoTypeDoesNotCrashTheNode(t *testing.T) {
	f := newFixture(t, fixtureOptions{nodes: 2})
	id := f.ownedBy(t, 1)
	request(t, f.routers[0], id, "count", 0, "") // connected

	// Node A sends node B's host a type B cannot resolve; B must survive it.
	res, err := f.Nodes[0].System().Root.RequestFuture(hostPIDOn(f, 1), unknownMessage(t), 300*time.Millisecond).Result()
	t.Logf("unknown type: answer %v, err %v", res, err)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := f.routers[0].Request(ctx, id, "count", 1, wrapperspb.Int64(0), "")
	if err != nil {
		t.Fatalf("node B unreachable after an unknown type: %v", err)
	}
	if got := countOf(t, r); got != 2 || r.GetDetail() != f.Members[1].Name {
		t.Fatalf("count %d from %q, want 2 from node B", got, r.GetDetail())
	}
}

func TestSpawnHostRejects(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	produce := func(string) actor.Producer { return func() actor.Actor { return &counter{} } }
	tests := []struct {
		name string
		kind string
	}{
		{"empty kind", ""},
		{"kind with slash", "a/b"},
		{"kind already hosted", testKind},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := cluster.SpawnHost(f.Nodes[0], tt.kind, f.Memberships[0], produce, cluster.HostOptions{}); err == nil {
				t.Fatal("no error")
			}
		})
	}
	t.Run("metrics already registered", func(t *testing.T) {
		if _, err := cluster.SpawnHost(f.Nodes[0], "other", f.Memberships[0], produce, cluster.HostOptions{Registerer: f.regs[0]}); err != nil {
			t.Fatal(err)
		}
		if _, err := cluster.SpawnHost(f.Nodes[0], "other", f.Memberships[0], produce, cluster.HostOptions{Registerer: f.regs[0]}); err == nil {
			t.Fatal("no error")
		}
	})
}
