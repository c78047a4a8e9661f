package main

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// secureCookies reports whether the web UI's cookies are Secure (and __Host- prefixed): when
// the public URL is https.
func secureCookies(publicURL string) bool {
	u, err := url.Parse(publicURL)
	return err == nil && u.Scheme == "https"
}

// cookieStartupProblem is the start-up check of the web UI's cookies (docs/operations.md
// "Plain HTTP refuses to start"): sessions over plain HTTP are allowed only on a loopback
// address (a browser on the same machine), unless the operator accepts the risk with
// --insecure-cookies or runs in development (TTR_DEV=1).
// It returns nil when the set-up is fine. It is an item of the start-up checks (preflight)
// that lenient set-ups do not turn into a warning.
func cookieStartupProblem(c Config) error {
	u, err := url.Parse(c.HTTP.PublicURL)
	if err != nil || u.Scheme == "https" || c.Web.InsecureCookies || c.Log.Dev {
		return nil // a malformed URL is Validate's to report
	}
	if isLoopbackHost(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("%s is plain http on a non-loopback address: web sessions would travel unencrypted "+
		"and their cookies could not be Secure; serve ttr over https (set --public-url https://…), "+
		"or accept the risk with --insecure-cookies (TTR_INSECURE_COOKIES=1)", c.HTTP.PublicURL)
}

// isLoopbackHost reports whether host is "localhost" (or a name under it) or a loopback IP.
func isLoopbackHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip.Unmap().IsLoopback()
	}
	return net.ParseIP(h) != nil && net.ParseIP(h).IsLoopback()
}
