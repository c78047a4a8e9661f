package chaos_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	ttrcluster "github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
	"github.com/ttr-rip/ttr/cluster/mtls"
	"github.com/ttr-rip/ttr/cmd/ttrd/releasetest"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/freeport"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// envWith returns env with name set to value (removed when value is "").
func envWith(env []string, name, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	if value != "" {
		out = append(out, name+"="+value)
	}
	return out
}

func envOf(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

func argOf(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// restart stops n (SIGTERM), lets change alter it, starts it and waits until the cluster is
// whole again.
func (c *cluster) restart(n *node, change func(n *node)) {
	c.t.Helper()
	if err := n.terminate(40 * time.Second); err != nil {
		c.t.Fatalf("%v\n%s", err, n.tail(40))
	}
	change(n)
	n.start()
	n.waitReady(60 * time.Second)
	c.waitStable(30 * time.Second)
}

// verifyNoFailedPing fails the test for every ping of the ledger that did not end in a 2xx.
func (w *world) verifyNoFailedPing(during string) {
	w.t.Helper()
	var bad []string
	for _, rec := range w.led.snapshot() {
		if !rec.acked() {
			bad = append(bad, fmt.Sprintf("%s check %d: status %d by %q after %d attempts (%s)",
				rec.Sent.Format("15:04:05.000"), rec.Check, rec.Status, rec.Node, rec.Attempts, rec.Err))
		}
	}
	if len(bad) > 0 {
		w.t.Errorf("%d pings did not end in a 2xx during %s:\n%s", len(bad), during, strings.Join(bad[:min(len(bad), 20)], "\n"))
	}
}

// rollAndVerify runs steps (each a rolling pass or a command) under load while a round of
// canaries goes due, then checks that no ping failed and every alert went out exactly once.
func rollAndVerify(t *testing.T, c *cluster, w *world, what string, steps ...func()) {
	g := w.startRound(0)
	dw := c.watchDown(g.ids())
	for i, step := range steps {
		if i == 0 {
			time.Sleep(time.Second)
		}
		if i == 1 {
			g.stop() // the canaries go due while the procedure goes on
		}
		step()
	}
	w.verifyCanaries(g, dw, 0, 30*time.Second)
	dw.close()
	w.finishLoad()
	w.verifyNoFailedPing(what)
	w.verifyLedger()
	w.verifyNoDown("hourly checks", w.hourlyIDs())
	w.verifyFlipChains()
	w.verifySinkPaths()
}

// TestSecretRotation performs docs/operations.md "Secret rotation" on three nodes under load:
// every node restarted with the new secret and the old one as previous, `ttrd secrets
// rotate`, every node restarted without the previous secret. No ping fails, no alert is lost
// or repeated, and ping-key lookups keep working.
func TestSecretRotation(t *testing.T) {
	c := startCluster(t, clusterOpts{Relaxed: true})
	sc := scaleFor()
	sc.Rounds = 1
	w := setup(t, c, sc)
	w.start()
	oldSecret, newSecret := envOf(c.nodes[0].env, "TTR_SECRET_KEY"), keyring.NewKey()
	pass := func(change func(n *node)) func() {
		return func() {
			for _, n := range c.nodes {
				c.restart(n, change)
			}
		}
	}
	rotate := func() {
		cmd := exec.Command(binPath, "secrets", "rotate", "--database-url", c.dbURL)
		cmd.Env = c.nodes[0].env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ttrd secrets rotate: %v\n%s", err, out)
		}
	}
	rollAndVerify(t, c, w, "the secret rotation",
		pass(func(n *node) {
			n.env = envWith(envWith(n.env, "TTR_SECRET_KEY", newSecret), "TTR_SECRET_KEY_PREVIOUS", oldSecret)
		}),
		rotate,
		pass(func(n *node) { n.env = envWith(n.env, "TTR_SECRET_KEY_PREVIOUS", "") }),
	)
}

// preTLSRelease is the last release without transport security, where TestUpgradeToTLS's
// cluster starts. It is pinned rather than read from testdata/upgrade/base (BuildBase): the
// procedure it follows upgrades from a release without TLS, which base stops being once it
// moves on. Built by releasetest.Build under its full hash, it shares the cache with
// BuildBase while the two name the same commit.
const preTLSRelease = "751596dbb9b52eb64e802f5a7e1b169c48de2ae5"

// TestUpgradeToTLS performs docs/operations.md "Upgrading a cluster to transport security" on
// three nodes that start on the previous release: each replaced by the new one with
// --cluster-tls=permit, then each restarted with TLS only. No ping fails, no alert is lost or
// repeated.
func TestUpgradeToTLS(t *testing.T) {
	requireCluster(t)
	base := releasetest.Build(t, preTLSRelease)
	c := startCluster(t, clusterOpts{Relaxed: true, Bin: base})
	sc := scaleFor()
	sc.Rounds = 1
	w := setup(t, c, sc)
	w.start()
	rollAndVerify(t, c, w, "the upgrade to TLS",
		func() {
			for _, n := range c.nodes {
				c.restart(n, func(n *node) {
					n.bin = ""
					for k := 0; k < len(harnessLimits); k += 2 { // the new release has them
						if hasFlag(strings.TrimPrefix(harnessLimits[k], "--")) && argOf(n.args, harnessLimits[k]) == "" {
							n.args = append(n.args, harnessLimits[k], harnessLimits[k+1])
						}
					}
					n.args = append(n.args, "--cluster-tls", "permit")
				})
			}
		},
		func() {
			for _, n := range c.nodes {
				c.restart(n, func(n *node) { n.args = n.args[:len(n.args)-2] })
			}
		},
	)
}

// TestForeignNodeCannotJoin: a node with another TTR_SECRET_KEY, pointed at the cluster
// (same cluster name, same database), never becomes a member: the members' /cluster does not
// list it, it takes no placement, pings go on being stored, and it logs why it cannot join.
func TestForeignNodeCannotJoin(t *testing.T) {
	c := startCluster(t, clusterOpts{Relaxed: true})
	sc := scaleFor()
	sc.Rounds = 0
	w := setup(t, c, sc)
	w.start()
	proto := c.nodes[0]
	var join []string
	for _, n := range c.nodes {
		join = append(join, n.gossipAddr)
	}
	httpAddr := freeport.Addr(t)
	args := append([]string(nil), proto.args...)
	for i := range args {
		switch args[i] {
		case "--http-addr":
			args[i+1] = httpAddr
		case "--internal-addr", "--remote-addr":
			args[i+1] = freeport.Addr(t)
		case "--gossip-addr":
			args[i+1] = freeport.Addr(t)
		case "--join":
			args[i+1] = strings.Join(join, ",")
		case "--node-name":
			args[i+1] = "rogue"
		}
	}
	rogue := &node{t: t, idx: 9, name: "rogue", URL: "http://" + httpAddr, InternalURL: "http://" + argOf(args, "--internal-addr"),
		args: args, env: envWith(proto.env, "TTR_SECRET_KEY", keyring.NewKey()), logPath: filepath.Join(c.logDir, "rogue.log")}
	rogue.start()
	t.Cleanup(rogue.kill)
	time.Sleep(8 * time.Second) // several join attempts and gossip rounds
	for _, n := range c.nodes {
		v, err := n.clusterView()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range v.Members {
			if m.Name == "rogue" {
				t.Errorf("%s lists the rogue node: %s", n.name, v.summary())
			}
		}
		if len(v.Members) != len(c.nodes) {
			t.Errorf("%s sees %d members, want %d: %s", n.name, len(v.Members), len(c.nodes), v.summary())
		}
	}
	if got := rogue.grepLog(5, "join failed"); len(got) == 0 {
		t.Errorf("the rogue node does not say why it cannot join:\n%s", rogue.tail(30))
	}
	w.finishLoad()
	w.verifyNoFailedPing("a rogue node's attempts to join")
	w.verifyLedger()
}

// TestOutsidersCannotTouchChecks: someone who can reach the remote ports but has no valid
// certificate (none, a self-signed one, one of another secret's CA, or clear text) sends a
// check's host a pause, a delete and a fail ping, for the right user and check: nothing
// changes, as the API shows.
func TestOutsidersCannotTouchChecks(t *testing.T) {
	otherCA, err := mtls.New(mtls.Config{Cluster: "x", Seeds: [][]byte{bytes.Repeat([]byte{7}, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	outsiders := map[string]*actor.ActorSystem{
		"clear text":     clustertest.Outsider(t, insecure.NewCredentials()),
		"no certificate": clustertest.Outsider(t, credentials.NewTLS(&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})),
		"self-signed":    clustertest.Outsider(t, selfSigned(t)),
		"another CA":     clustertest.Outsider(t, otherCA.ClientCredentials(nil)),
	}
	c := startCluster(t, clusterOpts{Relaxed: true})
	sc := scaleFor()
	sc.Checks, sc.Rounds = 3, 0
	w := setup(t, c, sc)
	target := w.hourly[0]
	var userID int64
	if err := c.db(func(ctx context.Context, conn *pgx.Conn) error {
		return conn.QueryRow(ctx, `SELECT user_id FROM checks WHERE id = $1`, target.ID).Scan(&userID)
	}); err != nil {
		t.Fatal(err)
	}
	before := checkState(t, c, w, target.ID)
	for name, sys := range outsiders {
		for _, n := range c.nodes {
			host := actor.NewPID(argOf(n.args, "--remote-addr"), ttrcluster.HostName(messages.KindCheck))
			for typ, body := range map[string]proto.Message{
				messages.TypePause:  &messages.Pause{UserId: userID},
				messages.TypeDelete: &messages.Delete{UserId: userID},
			} {
				b, _ := proto.Marshal(body)
				env := &messages.Envelope{Type: typ, Version: 1, Identity: fmt.Sprintf("%s/%d", messages.KindCheck, target.ID), Body: b, RequestId: name + typ}
				if res, err := sys.Root.RequestFuture(host, env, 2*time.Second).Result(); err == nil {
					t.Errorf("%s: %s on %s answered %v", name, typ, n.name, res)
				}
			}
		}
	}
	if after := checkState(t, c, w, target.ID); after != before {
		t.Fatalf("the check changed: %s → %s", before, after)
	}
}

// checkState is what the API says of a check: status and ping count.
func checkState(t *testing.T, c *cluster, w *world, id int64) string {
	t.Helper()
	var out struct {
		Status string `json:"status"`
		NPings int    `json:"n_pings"`
	}
	code, err := c.call("GET", fmt.Sprintf("/api/v1/checks/%d", id), w.userKey, nil, &out)
	if err != nil || code != 200 {
		t.Fatalf("get check %d: %d %v", id, code, err)
	}
	return fmt.Sprintf("%s/%d", out.Status, out.NPings)
}

func selfSigned(t *testing.T) credentials.TransportCredentials {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ttr"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	return credentials.NewTLS(&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: priv}}})
}
