package cluster_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
	"github.com/ttr-rip/ttr/cluster/mtls"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/waittest"
)

var (
	seedA = bytes.Repeat([]byte{0xA}, 32)
	seedB = bytes.Repeat([]byte{0xB}, 32)
)

func selfSignedCreds(t *testing.T) credentials.TransportCredentials {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ttr"}, DNSNames: []string{"ttr"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	return credentials.NewTLS(&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13, NextProtos: []string{"h2"},
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: priv}}})
}

// TestOutsidersReachNoActor: a peer without a certificate, with a self-signed one, with one of
// another secret's CA, or in plaintext, cannot get a message to an actor of a TLS node, while
// a node of the same secret can.
func TestOutsidersReachNoActor(t *testing.T) {
	outsiders := []struct {
		name   string
		system *actor.ActorSystem
	}{
		{"plaintext", clustertest.Outsider(t, insecure.NewCredentials())},
		{"no certificate", clustertest.Outsider(t, credentials.NewTLS(&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}))},
		{"self-signed", clustertest.Outsider(t, selfSignedCreds(t))},
		{"another secret", clustertest.Outsider(t, clustertest.TLS(t, seedB).ClientCredentials(nil))},
	}
	f := newFixture(t, fixtureOptions{nodes: 2, tls: func(int) *mtls.Transport { return clustertest.TLS(t, seedA) }})
	id := f.ownedBy(t, 0)
	// A PID caches the process it resolved to, in whichever actor system: each sender needs
	// its own, or one system's connection would carry another's messages.
	for _, o := range outsiders {
		t.Run(o.name, func(t *testing.T) {
			res, err := o.system.Root.RequestFuture(hostPIDOn(f, 0), envelope(id, "seq", 99, "x-"+o.name), time.Second).Result()
			if err == nil {
				t.Fatalf("an outsider got an answer: %v", res)
			}
			if seq := f.w.seq(id); len(seq) != 0 {
				t.Fatalf("the actor received the outsider's message: %v", seq)
			}
		})
	}
	t.Run("same secret", func(t *testing.T) {
		if r, ok := ask(t, f.Nodes[1], hostPIDOn(f, 0), envelope(id, "seq", 1, "peer")).(*messages.Reply); !ok || r.GetCode() != messages.Code_CODE_OK {
			t.Fatalf("a peer of the same secret got %v", r)
		}
	})
}

// TestPlaintextHTTP2GetsNoAnswer: an HTTP/2 client without TLS gets not one HTTP/2 frame
// back from a TLS node's remote port.
func TestPlaintextHTTP2GetsNoAnswer(t *testing.T) {
	node := clustertest.StartNodeConfig(t, cluster.NodeConfig{}, cluster.NodeDeps{TLS: clustertest.TLS(t, seedA)})
	c, err := net.Dial("tcp", node.Address())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The connection preface, then an empty SETTINGS frame.
	_, _ = c.Write([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"))
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	got, _ := io.ReadAll(c)
	// An HTTP/2 server answers with its own SETTINGS frame: type 0x4 in the 4th byte.
	if len(got) >= 9 && got[3] == 0x4 {
		t.Fatalf("the remote port answered plaintext HTTP/2: % x", got)
	}
}

// TestPeersCannotStopHosts: a PoisonPill or a Stop sent by an authenticated peer to a host is
// dropped before it reaches the host, which goes on serving.
func TestPeersCannotStopHosts(t *testing.T) {
	f := newFixture(t, fixtureOptions{nodes: 2, tls: func(int) *mtls.Transport { return clustertest.TLS(t, seedA) }})
	host := hostPIDOn(f, 0)
	root := f.Nodes[1].System().Root
	root.Send(host, &actor.PoisonPill{})
	root.Send(host, &actor.Stop{})
	root.Send(host, &actor.Watch{Watcher: actor.NewPID(f.Nodes[1].Address(), "x")})
	waittest.Until(t, 5*time.Second, "the condition", func() bool { return f.Nodes[0].DroppedPeerMessages() >= 3 })
	if down := f.Nodes[0].HostsRunning(); len(down) != 0 {
		t.Fatalf("hosts not running after a peer's stop: %v", down)
	}
	id := f.ownedBy(t, 0)
	if r, ok := ask(t, f.Nodes[1], host, envelope(id, "seq", 1, "after")).(*messages.Reply); !ok || r.GetCode() != messages.Code_CODE_OK {
		t.Fatalf("the host does not answer after a peer's stop: %v", r)
	}
	// HostsRunning does notice a host that really stopped (a local stop).
	if err := f.Nodes[0].System().Root.StopFuture(actor.NewPID(f.Nodes[0].Address(), cluster.HostName(testKind))).Wait(); err != nil {
		t.Fatal(err)
	}
	if down := f.Nodes[0].HostsRunning(); len(down) != 1 || down[0] != testKind {
		t.Fatalf("HostsRunning after a local stop = %v, want [%s]", down, testKind)
	}
}

// TestLocalNodeListensNowhere: a node outside a cluster opens no port, and still delivers.
func TestLocalNodeListensNowhere(t *testing.T) {
	node := clustertest.StartNodeConfig(t, cluster.NodeConfig{Local: true}, cluster.NodeDeps{})
	if _, _, err := net.SplitHostPort(node.Address()); err == nil {
		t.Fatalf("a local node has a network address: %s", node.Address())
	}
	self := cluster.Member{ID: "solo", RemoteAddr: "127.0.0.1:1"}
	m := clustertest.MustStatic(t, self, []cluster.Member{self})
	if _, err := cluster.SpawnHost(node, testKind, m, func(string) actor.Producer {
		return func() actor.Actor {
			return actor.ReceiveFunc(func(c actor.Context) {
				if _, ok := c.Message().(*messages.Envelope); ok {
					c.Respond(cluster.OK())
				}
			})
		}
	}, cluster.HostOptions{}); err != nil {
		t.Fatal(err)
	}
	r := cluster.NewRouter(node, m, cluster.RouterOptions{})
	rep, err := r.Request(t.Context(), testKind+"/1", "seq", 1, nil, "r1")
	if err != nil || rep.GetCode() != messages.Code_CODE_OK {
		t.Fatalf("local request: %v %v", rep, err)
	}
}
