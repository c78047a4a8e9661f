package main

import (
	"net"
	"net/netip"
	"strings"

	"github.com/ttr-rip/ttr/cmd/ttrd/internal/preflight"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// preflight lists every problem of the configuration that ttrd refuses to start with
// (docs/operations.md "Start-up checks"). Other features add their items here.
func (c Config) preflight() *preflight.Report {
	var r preflight.Report
	if c.Store.DatabaseURL != "" && (c.Secrets.EncryptionKeys == "" || c.Secrets.SecretKey == "") {
		r.Add("TTR_ENCRYPTION_KEYS, TTR_SECRET_KEY", "a cluster (--database-url) needs both, the same on every node")
	}
	if c.Secrets.SecretKey != "" {
		r.Check("TTR_SECRET_KEY", keyring.CheckSecret(c.Secrets.SecretKey))
	}
	if c.Secrets.SecretKeyPrevious != "" {
		r.Check("TTR_SECRET_KEY_PREVIOUS", keyring.CheckSecret(c.Secrets.SecretKeyPrevious))
	}
	if strings.Contains(strings.ToUpper(c.Secrets.EncryptionKeys), "CHANGE_ME") {
		r.Add("TTR_ENCRYPTION_KEYS", "holds a placeholder (CHANGE_ME), not a key")
	}
	r.Check("--public-url", cookieStartupProblem(c))
	return &r
}

// lenient reports whether start-up problems only warn: development mode, or the embedded
// default (no database URL) serving on loopback only — unless the web UI's session cookie
// would cross a network in clear text, which only development or --insecure-cookies allows
// (docs/operations.md "Plain HTTP refuses to start").
func (c Config) lenient() bool {
	if cookieStartupProblem(c) != nil {
		return false
	}
	return c.Log.Dev || (c.Store.DatabaseURL == "" && isLoopback(c.HTTP.Addr))
}

// isLoopback reports whether addr ("host:port") listens on loopback only.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
