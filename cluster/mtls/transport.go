package mtls

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Mode says what the remote accepts and dials (--cluster-tls).
type Mode string

const (
	// On: mutual TLS only (the default).
	On Mode = "on"
	// Permit: accepts plaintext and TLS peers and dials TLS to peers that announce it; for
	// the one release that upgrades a plaintext cluster.
	Permit Mode = "permit"
)

// ParseMode reads --cluster-tls ("" is On).
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "", On:
		return On, nil
	case Permit:
		return Permit, nil
	}
	return "", fmt.Errorf("--cluster-tls %q: want on or permit", s)
}

// Config configures a Transport: either Seeds (derived CA) or the three files.
type Config struct {
	// Cluster is the name every leaf carries and every peer's leaf must carry (the cluster
	// name). A DNS name: letters, digits, '-' and '.'.
	Cluster string
	// Mode is On or Permit. Default On.
	Mode Mode
	// Seeds are the derived CA seeds, the current secret's first, then the previous one's
	// (keyring.Ring.DeriveAll(keyring.LabelClusterCA)).
	Seeds [][]byte
	// CAFile, CertFile and KeyFile are operator-supplied PEM files, instead of Seeds: the
	// trusted CA bundle, this node's leaf (its chain may follow it) and the leaf's key. They
	// are read again when they change (checked at most every ReloadInterval, on a handshake).
	CAFile, CertFile, KeyFile string
	// LeafTTL is the life of a self-issued leaf; it is renewed at half its life. Default 24 h.
	LeafTTL time.Duration
	// ReloadInterval bounds how often the files are checked for changes. Default 5 s.
	ReloadInterval time.Duration
	// Now is the clock (tests). Default time.Now.
	Now func() time.Time
	// Logger receives refused handshakes (at Warn, at most one per peer address a minute)
	// and reloads. Default: discard.
	Logger *slog.Logger
}

// DefaultLeafTTL is the default Config.LeafTTL.
const DefaultLeafTTL = 24 * time.Hour

var clusterNameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)

// Validate lists every problem of c.
func (c Config) Validate() error {
	var errs []error
	if !clusterNameRE.MatchString(c.Cluster) || strings.Contains(c.Cluster, "..") {
		errs = append(errs, fmt.Errorf("cluster name %q: want a DNS name (letters, digits, '-', '.')", c.Cluster))
	}
	if _, err := ParseMode(string(c.Mode)); err != nil {
		errs = append(errs, err)
	}
	files := c.CAFile != "" || c.CertFile != "" || c.KeyFile != ""
	switch {
	case files && (c.CAFile == "" || c.CertFile == "" || c.KeyFile == ""):
		errs = append(errs, errors.New("--cluster-tls-ca, --cluster-tls-cert and --cluster-tls-key go together"))
	case !files && len(c.Seeds) == 0:
		errs = append(errs, errors.New("no cluster CA: derive one from TTR_SECRET_KEY or give --cluster-tls-ca/-cert/-key"))
	}
	if c.LeafTTL < 0 || (c.LeafTTL > 0 && c.LeafTTL < time.Minute) {
		errs = append(errs, fmt.Errorf("leaf life %v: want at least a minute", c.LeafTTL))
	}
	return errors.Join(errs...)
}

// Transport holds this node's TLS identity and trust, and makes the gRPC credentials of the
// actor remote from them. It is safe for concurrent use.
type Transport struct {
	cfg  Config
	log  *slog.Logger
	auth []*authority // derived mode: current CA first; nil with files
	// files mode: what was loaded last
	files *fileSource

	mu     sync.Mutex
	leaves map[*authority]*tls.Certificate // derived mode: the current leaf per CA
	roots  *x509.CertPool                  // derived mode: fixed
	warned map[string]time.Time            // refused peer → when last logged
}

// New returns the Transport of cfg, loading the files or deriving the CAs.
func New(cfg Config) (*Transport, error) {
	if cfg.Mode == "" {
		cfg.Mode = On
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.LeafTTL == 0 {
		cfg.LeafTTL = DefaultLeafTTL
	}
	if cfg.ReloadInterval <= 0 {
		cfg.ReloadInterval = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	t := &Transport{cfg: cfg, log: cfg.Logger, leaves: map[*authority]*tls.Certificate{}, warned: map[string]time.Time{}}
	if cfg.CAFile != "" {
		fs, err := newFileSource(cfg.CAFile, cfg.CertFile, cfg.KeyFile, cfg.ReloadInterval, cfg.Now, cfg.Logger)
		if err != nil {
			return nil, err
		}
		t.files = fs
		return t, nil
	}
	t.roots = x509.NewCertPool()
	seen := map[string]bool{}
	for _, seed := range cfg.Seeds {
		a, err := deriveAuthority(seed)
		if err != nil {
			return nil, err
		}
		if seen[a.hint] {
			continue
		}
		seen[a.hint] = true
		t.auth = append(t.auth, a)
		t.roots.AddCert(a.cert)
	}
	if _, err := t.leaf(t.auth[0]); err != nil {
		return nil, err
	}
	return t, nil
}

// Mode returns the configured mode.
func (t *Transport) Mode() Mode { return t.cfg.Mode }

// Cluster returns the cluster name leaves carry.
func (t *Transport) Cluster() string { return t.cfg.Cluster }

// leaf returns the current leaf issued by a, issuing a new one when there is none or the
// one held is past half its life.
func (t *Transport) leaf(a *authority) (*tls.Certificate, error) {
	now := t.cfg.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if c := t.leaves[a]; c != nil {
		renewAt := c.Leaf.NotBefore.Add(clockSkew).Add(c.Leaf.NotAfter.Sub(c.Leaf.NotBefore.Add(clockSkew)) / 2)
		if now.Before(renewAt) {
			return c, nil
		}
	}
	c, err := a.issue(t.cfg.Cluster, now, t.cfg.LeafTTL)
	if err != nil {
		return nil, err
	}
	t.leaves[a] = c
	return c, nil
}

// trust returns the pool of trusted CAs.
func (t *Transport) trust() (*x509.CertPool, error) {
	if t.files != nil {
		s, err := t.files.get()
		if err != nil {
			return nil, err
		}
		return s.roots, nil
	}
	return t.roots, nil
}

// serverLeaf picks the leaf a server presents: in derived mode, the one of the CA the
// client's hint names (the client's current CA, which it surely trusts), else the current.
func (t *Transport) serverLeaf(serverName string) (*tls.Certificate, error) {
	if t.files != nil {
		s, err := t.files.get()
		if err != nil {
			return nil, err
		}
		return s.leaf, nil
	}
	hint, _, _ := strings.Cut(serverName, ".")
	for _, a := range t.auth {
		if a.hint == hint {
			return t.leaf(a)
		}
	}
	return t.leaf(t.auth[0])
}

// clientLeaf picks the leaf a client presents: one issued by a CA the server accepts.
func (t *Transport) clientLeaf(acceptable [][]byte) (*tls.Certificate, error) {
	if t.files != nil {
		s, err := t.files.get()
		if err != nil {
			return nil, err
		}
		return s.leaf, nil
	}
	for _, a := range t.auth {
		for _, subj := range acceptable {
			if bytes.Equal(subj, a.cert.RawSubject) {
				return t.leaf(a)
			}
		}
	}
	return t.leaf(t.auth[0])
}

// serverName is what a client sends as SNI: the cluster name, led by the hint of its current
// CA in derived mode.
func (t *Transport) serverName() string {
	if t.files != nil {
		return t.cfg.Cluster
	}
	return t.auth[0].hint + "." + t.cfg.Cluster
}

// verify checks a peer's chain against the trusted CAs and the cluster name, for usage
// (server or client authentication).
func (t *Transport) verify(cs tls.ConnectionState, usage x509.ExtKeyUsage) error {
	if len(cs.PeerCertificates) == 0 {
		return errNoCert
	}
	roots, err := t.trust()
	if err != nil {
		return err
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err = cs.PeerCertificates[0].Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, DNSName: t.cfg.Cluster,
		CurrentTime: t.cfg.Now(), KeyUsages: []x509.ExtKeyUsage{usage},
	})
	if err != nil {
		return fmt.Errorf("peer certificate refused: %w", err)
	}
	return nil
}

// ServerConfig is the TLS configuration of the remote's server side: TLS 1.3, a client
// certificate required and verified.
func (t *Transport) ServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			roots, err := t.trust()
			if err != nil {
				return nil, err
			}
			leaf, err := t.serverLeaf(hello.ServerName)
			if err != nil {
				return nil, err
			}
			remote := hello.Conn.RemoteAddr().String()
			return &tls.Config{
				MinVersion:   tls.VersionTLS13,
				Certificates: []tls.Certificate{*leaf},
				// The acceptable CAs are sent in the certificate request (the client picks its
				// leaf by them); the chain and the name are checked in VerifyConnection.
				ClientCAs:  roots,
				ClientAuth: tls.RequireAnyClientCert,
				NextProtos: []string{"h2"},
				VerifyConnection: func(cs tls.ConnectionState) error {
					return t.refused(remote, t.verify(cs, x509.ExtKeyUsageClientAuth))
				},
			}, nil
		},
	}
}

// ClientConfig is the TLS configuration of the remote's dial side: the server's chain and
// cluster name are checked in VerifyConnection (the server name sent carries a hint, not a
// host name to match).
func (t *Transport) ClientConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		ServerName:         t.serverName(),
		InsecureSkipVerify: true, // replaced by VerifyConnection below, never skipped
		GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return t.clientLeaf(cri.AcceptableCAs)
		},
		VerifyConnection: func(cs tls.ConnectionState) error {
			return t.verify(cs, x509.ExtKeyUsageServerAuth)
		},
		NextProtos: []string{"h2"},
	}
}

// refused logs a refused peer (rate-limited per address) and returns err.
func (t *Transport) refused(remote string, err error) error {
	if err == nil {
		return nil
	}
	host := remote
	if i := strings.LastIndexByte(remote, ':'); i > 0 {
		host = remote[:i]
	}
	now := t.cfg.Now()
	t.mu.Lock()
	last, seen := t.warned[host]
	if !seen || now.Sub(last) > time.Minute {
		t.warned[host] = now
		if len(t.warned) > 1024 {
			clear(t.warned)
		}
	}
	t.mu.Unlock()
	if !seen || now.Sub(last) > time.Minute {
		t.log.Warn("cluster TLS: refused a peer (another cluster, another TTR_SECRET_KEY, or no client certificate)",
			slog.String("peer", remote), slog.Any("err", err))
	}
	return err
}
