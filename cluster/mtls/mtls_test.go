package mtls_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/cluster/mtls"
)

func seed(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func mustNew(t *testing.T, cfg mtls.Config) *mtls.Transport {
	t.Helper()
	if cfg.Cluster == "" {
		cfg.Cluster = "ttr"
	}
	tr, err := mtls.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// handshake runs a TLS handshake between client and server configs over a pipe and returns
// the client's and the server's errors.
func handshake(t *testing.T, client, server *tls.Config) (cerr, serr error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		s := tls.Server(c, server)
		err = s.Handshake()
		if err == nil {
			// TLS 1.3: the server learns of a refused client certificate only when it reads.
			_, err = s.Read(make([]byte, 1))
		}
		done <- err
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl := tls.Client(c, client)
	cerr = cl.Handshake()
	if cerr == nil {
		_, cerr = cl.Write([]byte{1})
		if cerr == nil {
			// A refusal by the server arrives as an alert on the next read.
			_ = cl.SetReadDeadline(time.Now().Add(2 * time.Second))
			_, rerr := cl.Read(make([]byte, 1))
			if rerr != nil && !strings.Contains(rerr.Error(), "timeout") && !strings.Contains(rerr.Error(), "EOF") {
				cerr = rerr
			}
		}
	}
	cl.Close()
	serr = <-done
	if serr != nil && strings.Contains(serr.Error(), "EOF") && cerr == nil {
		serr = nil // the client closed after a good handshake
	}
	return cerr, serr
}

// selfSigned returns a client config presenting a self-signed leaf that names the cluster.
func selfSigned(t *testing.T, cluster string) *tls.Config {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cluster}, DNSNames: []string{cluster},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: priv}}}
}

func TestPeersOfOneSecretConnect(t *testing.T) {
	a, b := mustNew(t, mtls.Config{Seeds: [][]byte{seed(1)}}), mustNew(t, mtls.Config{Seeds: [][]byte{seed(1)}})
	if cerr, serr := handshake(t, a.ClientConfig(), b.ServerConfig()); cerr != nil || serr != nil {
		t.Fatalf("same secret: client %v, server %v", cerr, serr)
	}
}

func TestRefused(t *testing.T) {
	server := mustNew(t, mtls.Config{Seeds: [][]byte{seed(1)}})
	tests := []struct {
		name   string
		client *tls.Config
	}{
		{"no certificate", &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}},
		{"self-signed", selfSigned(t, "ttr")},
		{"another secret's CA", mustNew(t, mtls.Config{Seeds: [][]byte{seed(2)}}).ClientConfig()},
		{"another cluster name", mustNew(t, mtls.Config{Cluster: "other", Seeds: [][]byte{seed(1)}}).ClientConfig()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, serr := handshake(t, tt.client, server.ServerConfig())
			if serr == nil {
				t.Fatal("the server accepted the client")
			}
		})
	}
	t.Run("server of another secret", func(t *testing.T) {
		other := mustNew(t, mtls.Config{Seeds: [][]byte{seed(2)}})
		if cerr, _ := handshake(t, server.ClientConfig(), other.ServerConfig()); cerr == nil {
			t.Fatal("the client accepted a server of another CA")
		}
	})
}

// TestRotation walks the rolling rotation: nodes on the old secret only, nodes with the new
// secret and the old as previous, nodes on the new secret only; every adjacent pair connects
// both ways, and the two ends do not.
func TestRotation(t *testing.T) {
	oldOnly := mustNew(t, mtls.Config{Seeds: [][]byte{seed(1)}})
	both := mustNew(t, mtls.Config{Seeds: [][]byte{seed(2), seed(1)}})
	newOnly := mustNew(t, mtls.Config{Seeds: [][]byte{seed(2)}})
	for _, p := range []struct {
		name string
		x, y *mtls.Transport
	}{{"old↔both", oldOnly, both}, {"both↔new", both, newOnly}, {"both↔both", both, both}} {
		for _, dir := range []struct {
			c, s *mtls.Transport
		}{{p.x, p.y}, {p.y, p.x}} {
			if cerr, serr := handshake(t, dir.c.ClientConfig(), dir.s.ServerConfig()); cerr != nil || serr != nil {
				t.Errorf("%s: client %v, server %v", p.name, cerr, serr)
			}
		}
	}
	if _, serr := handshake(t, oldOnly.ClientConfig(), newOnly.ServerConfig()); serr == nil {
		t.Error("a node of the new secret accepted one of the old secret only")
	}
}

func TestDerivedCAIsDeterministic(t *testing.T) {
	// Two nodes never exchange their CA: each derives it. A leaf of one must verify under
	// the other's, which TestPeersOfOneSecretConnect shows; here the certificate itself.
	a := mustNew(t, mtls.Config{Seeds: [][]byte{seed(9)}}).ClientConfig()
	b := mustNew(t, mtls.Config{Seeds: [][]byte{seed(9)}}).ClientConfig()
	if a.ServerName != b.ServerName || !strings.HasSuffix(a.ServerName, ".ttr") {
		t.Fatalf("server names %q and %q", a.ServerName, b.ServerName)
	}
}

func TestLeafRenewed(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := mustNew(t, mtls.Config{Seeds: [][]byte{seed(1)}, LeafTTL: time.Hour, Now: func() time.Time { return now }})
	leafOf := func() *x509.Certificate {
		c, err := tr.ClientConfig().GetClientCertificate(&tls.CertificateRequestInfo{})
		if err != nil {
			t.Fatal(err)
		}
		return c.Leaf
	}
	first := leafOf()
	if !first.NotAfter.Equal(now.Add(time.Hour)) {
		t.Fatalf("leaf expires %v, want %v", first.NotAfter, now.Add(time.Hour))
	}
	now = now.Add(20 * time.Minute)
	if leafOf().SerialNumber.Cmp(first.SerialNumber) != 0 {
		t.Fatal("leaf renewed before half its life")
	}
	now = now.Add(15 * time.Minute)
	if second := leafOf(); second.SerialNumber.Cmp(first.SerialNumber) == 0 || !second.NotAfter.After(first.NotAfter) {
		t.Fatal("leaf not renewed past half its life")
	}
}

// writeCA makes a CA and a leaf for cluster in dir, as an operator would.
func writeCA(t *testing.T, dir, cluster string) {
	t.Helper()
	caPub, caKey, _ := ed25519.GenerateKey(rand.Reader)
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ops CA " + dir},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caT, caT, caPub, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	lT := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cluster}, DNSNames: []string{cluster},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}}
	lDER, err := x509.CreateCertificate(rand.Reader, lT, ca, pub, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	for name, blk := range map[string]*pem.Block{
		"ca.pem": {Type: "CERTIFICATE", Bytes: caDER}, "cert.pem": {Type: "CERTIFICATE", Bytes: lDER},
		"key.pem": {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(blk), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOperatorFilesReloaded(t *testing.T) {
	dir1, dir2 := t.TempDir(), t.TempDir()
	writeCA(t, dir1, "ttr")
	writeCA(t, dir2, "ttr")
	now := time.Now()
	files := func(dir string) mtls.Config {
		return mtls.Config{Cluster: "ttr", CAFile: filepath.Join(dir, "ca.pem"), CertFile: filepath.Join(dir, "cert.pem"),
			KeyFile: filepath.Join(dir, "key.pem"), ReloadInterval: time.Second, Now: func() time.Time { return now }}
	}
	server := mustNew(t, files(dir1))
	peer1, peer2 := mustNew(t, files(dir1)), mustNew(t, files(dir2))
	if cerr, serr := handshake(t, peer1.ClientConfig(), server.ServerConfig()); cerr != nil || serr != nil {
		t.Fatalf("same CA: client %v, server %v", cerr, serr)
	}
	if _, serr := handshake(t, peer2.ClientConfig(), server.ServerConfig()); serr == nil {
		t.Fatal("a leaf of another CA was accepted")
	}
	// The operator replaces the server's files with the second CA's: new connections use them.
	for _, f := range []string{"ca.pem", "cert.pem", "key.pem"} {
		b, _ := os.ReadFile(filepath.Join(dir2, f))
		if err := os.WriteFile(filepath.Join(dir1, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
		future := time.Now().Add(time.Minute)
		_ = os.Chtimes(filepath.Join(dir1, f), future, future)
	}
	now = now.Add(2 * time.Second)
	if cerr, serr := handshake(t, peer2.ClientConfig(), server.ServerConfig()); cerr != nil || serr != nil {
		t.Fatalf("after the reload: client %v, server %v", cerr, serr)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  mtls.Config
		want string
	}{
		{"bad cluster name", mtls.Config{Cluster: "a b", Seeds: [][]byte{seed(1)}}, "DNS name"},
		{"no CA", mtls.Config{Cluster: "ttr"}, "no cluster CA"},
		{"files incomplete", mtls.Config{Cluster: "ttr", CAFile: "x"}, "go together"},
		{"bad mode", mtls.Config{Cluster: "ttr", Seeds: [][]byte{seed(1)}, Mode: "off"}, "want on or permit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
