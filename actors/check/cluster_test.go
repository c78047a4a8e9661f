package check_test

import (
	"context"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/actors/batcher"
	"github.com/ttr-rip/ttr/actors/check"
	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
	"github.com/ttr-rip/ttr/persistence/sqlite/sqlitetest"
)

// world is a store shared by in-process nodes, each with its own batcher and check host.
type world struct {
	store persistence.Store
	user  messages.User
}

func newWorld(t *testing.T) *world {
	t.Helper()
	st := sqlitetest.Open(t)
	u := messages.User{Slug: "u1", AuthKeyHash: []byte("h"), PingKeyIndex: []byte("i"), SlugPings: true, CreatedAt: time.Now()}
	if err := st.CreateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	return &world{store: st, user: u}
}

func (w *world) newCheck(t *testing.T, slug string) messages.Check {
	t.Helper()
	c := messages.Check{UserID: w.user.ID, UUID: uuid.NewString(), CreatedAt: time.Now(), Version: 1,
		CheckConfig: messages.CheckConfig{Slug: slug, ScheduleType: messages.ScheduleInterval, IntervalSeconds: 3600, GraceSeconds: 60,
			NotifyAfterFailures: 1, NotifyOnUp: true, TZ: "UTC"},
		CheckState: checklogic.Initial()}
	if err := w.store.CreateCheck(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (w *world) nPings(t *testing.T, id int64) int64 {
	t.Helper()
	c, err := w.store.GetCheck(context.Background(), w.user.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return c.NPings
}

type noWheel struct{}

func (noWheel) Set(int64, time.Time) {}
func (noWheel) Remove(int64)         {}

type noPoker struct{}

func (noPoker) PokeRows(string, int) {}

// serve spawns a check host on node over the shared store, with its own batcher.
func (w *world) serve(t *testing.T, node *cluster.Node, m cluster.Membership, opts ...func(*check.Deps)) {
	t.Helper()
	ring, err := keyring.Parse("k1:"+keyring.NewKey(), "0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	b, err := batcher.New(batcher.Config{}, batcher.Deps{Store: w.store})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	deps := check.Deps{Store: w.store, Batcher: b, Wheel: noWheel{}, Ring: ring, Poker: noPoker{},
		Passivate: cluster.RequestPassivation}
	for _, o := range opts {
		o(&deps)
	}
	if _, err := cluster.SpawnHost(node, messages.KindCheck, m, check.NewProducer(deps), cluster.HostOptions{}); err != nil {
		t.Fatal(err)
	}
}

func ping(ref string) *messages.Ping {
	return &messages.Ping{Kind: messages.PingKind_PING_KIND_SUCCESS, ExitStatus: -1, Method: "GET",
		LookupKind: messages.LookupKind_LOOKUP_KIND_UUID, LookupRef: ref}
}

// TestPingThroughTheOwner runs two actor systems connected through remote with a static
// two-member membership: a ping sent through the non-owner is answered by the owner, and a
// retried request is not counted twice.
func TestPingThroughTheOwner(t *testing.T) {
	w := newWorld(t)
	cl := clustertest.Start(t, 2, clustertest.Options{})
	for i := range cl.Nodes {
		w.serve(t, cl.Nodes[i], cl.Memberships[i])
	}
	// A check that node 1 owns, pinged through node 0's router.
	var c messages.Check
	for i := 0; ; i++ {
		c = w.newCheck(t, "c"+uuid.NewString()[:8])
		if o, _ := cl.Memberships[0].Owner(check.Identity(c.ID)); o.ID == cl.Members[1].ID {
			break
		}
	}
	router := cluster.NewRouter(cl.Nodes[0], cl.Memberships[0], cluster.RouterOptions{})
	client := check.NewClient(router)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := client.Ping(ctx, c.ID, ping(c.UUID)); err != nil {
		t.Fatalf("ping through the non-owner: %v", err)
	}
	if n := w.nPings(t, c.ID); n != 1 {
		t.Fatalf("n_pings = %d after one ping", n)
	}
	on1, _ := cluster.QueryHost(ctx, cl.Nodes[1], messages.KindCheck)
	on0, _ := cluster.QueryHost(ctx, cl.Nodes[0], messages.KindCheck)
	if on1.Active != 1 || on0.Active != 0 {
		t.Fatalf("activations: node0 %d, node1 %d; want the owner (node1) only", on0.Active, on1.Active)
	}

	// The same request id twice (a router retry after a lost reply): counted once.
	for i := 0; i < 2; i++ {
		rep, err := router.Request(ctx, check.Identity(c.ID), messages.TypePing, 1, ping(c.UUID), "retried-request-1")
		if err != nil || rep.Code != messages.Code_CODE_OK {
			t.Fatalf("attempt %d: %v %v", i, rep, err)
		}
	}
	if n := w.nPings(t, c.ID); n != 2 {
		t.Fatalf("n_pings = %d after a ping and its retry, want 2", n)
	}

	// Sent straight to the non-owner's host: refused with the owner as hint, nothing activated.
	rep := requestHost(t, cl.Nodes[0], check.Identity(c.ID), ping(c.UUID), "direct-1")
	if rep.Code != messages.Code_CODE_NOT_OWNER || rep.Hint != cl.Members[1].ID {
		t.Fatalf("non-owner answered %v, want NOT_OWNER hinting %s", rep, cl.Members[1].ID)
	}
	// A ping whose lookup no longer matches (a stale cache entry) is answered Stale.
	stale := ping("00000000-0000-4000-8000-000000000000")
	if rep := requestHost(t, cl.Nodes[1], check.Identity(c.ID), stale, "stale-1"); rep.Code != messages.Code_CODE_STALE {
		t.Fatalf("stale lookup answered %v", rep)
	}
	if n := w.nPings(t, c.ID); n != 2 {
		t.Fatalf("refused pings were counted: n_pings = %d", n)
	}
}

// TestFencedWriteIsNeverAcknowledged gives two nodes memberships that both claim a check (a
// split brain), so two activations exist. The one whose state is stale has its write fenced:
// the ping is answered NotOwner, not stored, and a retry of it is stored once after reload.
func TestFencedWriteIsNeverAcknowledged(t *testing.T) {
	w := newWorld(t)
	cl := clustertest.Start(t, 2, clustertest.Options{})
	for i := range cl.Nodes {
		alone := clustertest.MustStatic(t, cl.Members[i], []cluster.Member{cl.Members[i]})
		w.serve(t, cl.Nodes[i], alone)
	}
	c := w.newCheck(t, "split")
	id := check.Identity(c.ID)
	if rep := requestHost(t, cl.Nodes[1], id, ping(c.UUID), "r1"); rep.Code != messages.Code_CODE_OK {
		t.Fatalf("first ping on node1: %v", rep)
	}
	if rep := requestHost(t, cl.Nodes[0], id, ping(c.UUID), "r2"); rep.Code != messages.Code_CODE_OK {
		t.Fatalf("ping on node0: %v", rep)
	}
	// node1's activation still holds the version before node0's write.
	rep := requestHost(t, cl.Nodes[1], id, ping(c.UUID), "r3")
	if rep.Code != messages.Code_CODE_NOT_OWNER {
		t.Fatalf("stale activation answered %v, want NOT_OWNER (fenced)", rep)
	}
	if n := w.nPings(t, c.ID); n != 2 {
		t.Fatalf("n_pings = %d: the fenced ping was written", n)
	}
	// The router's retry of the same request reaches the activation again; it reloads and
	// stores the ping once.
	if rep := requestHost(t, cl.Nodes[1], id, ping(c.UUID), "r3"); rep.Code != messages.Code_CODE_OK {
		t.Fatalf("retry after the fence: %v", rep)
	}
	if n := w.nPings(t, c.ID); n != 3 {
		t.Fatalf("n_pings = %d after the retry, want 3", n)
	}
}

// requestHost sends one envelope straight to node's check host (no router, no retries).
func requestHost(t *testing.T, node *cluster.Node, identity string, p *messages.Ping, requestID string) *messages.Reply {
	t.Helper()
	body, err := proto.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	env := &messages.Envelope{Type: messages.TypePing, Version: 1, Body: body, Identity: identity, RequestId: requestID}
	pid := actor.NewPID(node.Address(), cluster.HostName(messages.KindCheck))
	res, err := node.System().Root.RequestFuture(pid, env, 5*time.Second).Result()
	if err != nil {
		t.Fatalf("request %s: %v", identity, err)
	}
	rep, ok := res.(*messages.Reply)
	if !ok {
		t.Fatalf("unexpected answer %T", res)
	}
	return rep
}

// serveOneCheck is a world served by a one-node cluster, with one check (slug c1), a router
// to its actor and a context that bounds the test's requests.
func serveOneCheck(t *testing.T) (*world, messages.Check, *cluster.Router, context.Context) {
	t.Helper()
	w := newWorld(t)
	cl := clustertest.Start(t, 1, clustertest.Options{})
	w.serve(t, cl.Nodes[0], cl.Memberships[0])
	c := w.newCheck(t, "c1")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return w, c, cluster.NewRouter(cl.Nodes[0], cl.Memberships[0], cluster.RouterOptions{}), ctx
}
