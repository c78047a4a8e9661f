package mtls

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// authority is a cluster CA whose private key this node holds (the derived CA).
type authority struct {
	cert *x509.Certificate
	key  ed25519.PrivateKey
	// hint names the CA in a server name (see leafFor): the hex of the first 8 bytes of the
	// SHA-256 of its public key.
	hint string
}

// The derived CA's fixed validity: every node must produce the same certificate from the
// same seed, so nothing in it may depend on the clock. Its key is what peers trust; the leaf
// it signs is what expires.
var (
	caNotBefore = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	caNotAfter  = time.Date(2124, 1, 1, 0, 0, 0, 0, time.UTC)
)

// deriveAuthority makes the cluster CA of seed (at least 32 bytes, from the secret's HKDF).
// The same seed gives the same certificate on every node: Ed25519 signatures are
// deterministic and the template holds no random or time-dependent field.
func deriveAuthority(seed []byte) (*authority, error) {
	if len(seed) < ed25519.SeedSize {
		return nil, fmt.Errorf("CA seed of %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	key := ed25519.NewKeyFromSeed(seed[:ed25519.SeedSize])
	pub := key.Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	hint := hex.EncodeToString(sum[:8])
	tmpl := &x509.Certificate{
		SerialNumber:          new(big.Int).SetBytes(sum[:16]),
		Subject:               pkix.Name{Organization: []string{"ttr"}, CommonName: "ttr cluster CA " + hint},
		NotBefore:             caNotBefore,
		NotAfter:              caNotAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign,
		SubjectKeyId:          sum[:20],
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		return nil, fmt.Errorf("cluster CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("cluster CA: %w", err)
	}
	return &authority{cert: cert, key: key, hint: hint}, nil
}

// issue makes a fresh leaf for cluster, valid from now (less a margin for clock skew) for
// ttl, under a new random key.
func (a *authority) issue(cluster string, now time.Time, ttl time.Duration) (*tls.Certificate, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"ttr"}, CommonName: cluster},
		DNSNames:     []string{cluster},
		NotBefore:    now.Add(-clockSkew),
		NotAfter:     now.Add(ttl),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, pub, a.key)
	if err != nil {
		return nil, fmt.Errorf("issue leaf: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("issue leaf: %w", err)
	}
	return &tls.Certificate{Certificate: [][]byte{der, a.cert.Raw}, PrivateKey: priv, Leaf: leaf}, nil
}

// clockSkew is how far before its issue a leaf is already valid, so a peer whose clock is a
// little behind accepts it.
const clockSkew = 5 * time.Minute

// errNoCert is the error of a peer that presented no certificate.
var errNoCert = errors.New("peer presented no certificate")
