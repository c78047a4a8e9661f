package mtls

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// fileSource is the operator-supplied identity: a CA bundle and a leaf with its key, read
// again when a file changes (checked at most every interval, when a handshake needs them).
// A change that does not load (half-written files, a key that does not match) keeps the
// last good identity and is logged.
type fileSource struct {
	ca, cert, key string
	interval      time.Duration
	now           func() time.Time
	log           *slog.Logger

	mu      sync.Mutex
	cur     *fileIdentity
	stamp   string // modification times and sizes of the three files when cur was loaded
	checked time.Time
}

type fileIdentity struct {
	roots *x509.CertPool
	leaf  *tls.Certificate
}

func newFileSource(ca, cert, key string, interval time.Duration, now func() time.Time, log *slog.Logger) (*fileSource, error) {
	s := &fileSource{ca: ca, cert: cert, key: key, interval: interval, now: now, log: log}
	stamp, err := s.stat()
	if err != nil {
		return nil, err
	}
	id, err := s.load()
	if err != nil {
		return nil, err
	}
	s.cur, s.stamp, s.checked = id, stamp, now()
	return s, nil
}

// get returns the current identity, reloading it first when a file changed.
func (s *fileSource) get() (*fileIdentity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if now.Sub(s.checked) < s.interval {
		return s.cur, nil
	}
	s.checked = now
	stamp, err := s.stat()
	if err != nil || stamp == s.stamp {
		if err != nil {
			s.log.Warn("cluster TLS: cannot read the certificate files; keeping the last ones", slog.Any("err", err))
		}
		return s.cur, nil
	}
	id, err := s.load()
	if err != nil {
		s.log.Warn("cluster TLS: changed certificate files do not load; keeping the last ones", slog.Any("err", err))
		return s.cur, nil
	}
	s.cur, s.stamp = id, stamp
	s.log.Info("cluster TLS: certificate files reloaded", slog.String("cert", s.cert),
		slog.Time("not_after", id.leaf.Leaf.NotAfter))
	return s.cur, nil
}

func (s *fileSource) stat() (string, error) {
	var b bytes.Buffer
	for _, p := range []string{s.ca, s.cert, s.key} {
		fi, err := os.Stat(p)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%d/%d;", fi.ModTime().UnixNano(), fi.Size())
	}
	return b.String(), nil
}

func (s *fileSource) load() (*fileIdentity, error) {
	caPEM, err := os.ReadFile(s.ca)
	if err != nil {
		return nil, fmt.Errorf("--cluster-tls-ca: %w", err)
	}
	roots := x509.NewCertPool()
	n := 0
	for rest := caPEM; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("--cluster-tls-ca %s: %w", s.ca, err)
		}
		roots.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("--cluster-tls-ca %s: no certificate", s.ca)
	}
	pair, err := tls.LoadX509KeyPair(s.cert, s.key)
	if err != nil {
		return nil, fmt.Errorf("--cluster-tls-cert/--cluster-tls-key: %w", err)
	}
	if pair.Leaf == nil {
		if pair.Leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, fmt.Errorf("--cluster-tls-cert: %w", err)
		}
	}
	if s.now().After(pair.Leaf.NotAfter) {
		return nil, errors.New("--cluster-tls-cert: the certificate has expired")
	}
	return &fileIdentity{roots: roots, leaf: &pair}, nil
}
