package limit

import (
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns the client of a request that reached the server from remoteAddr (the
// socket's "ip:port") with the X-Forwarded-For header values xff. The socket's address is
// the client unless it is one of the trusted proxies: then the client is the right-most
// X-Forwarded-For entry that is not a trusted proxy (entries left of it were written by the
// client and prove nothing). via reports whether the answer came from the header.
//
// When every entry is a trusted proxy, the left-most is the client; an entry that does not
// parse ends the walk at the last trusted hop, which is then the client. An invalid address
// is returned only for an unparseable remoteAddr.
func ClientIP(remoteAddr string, xff []string, trusted []netip.Prefix) (ip netip.Addr, via bool) {
	ip = parseHost(remoteAddr)
	if !ip.IsValid() || !isTrusted(ip, trusted) {
		return ip, false
	}
	for i := len(xff) - 1; i >= 0; i-- {
		entries := strings.Split(xff[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			e := strings.TrimSpace(entries[j])
			if e == "" {
				continue
			}
			a := parseHost(e)
			if !a.IsValid() {
				return ip, via
			}
			ip, via = a, true
			if !isTrusted(a, trusted) {
				return ip, true
			}
		}
	}
	return ip, via
}

// Key is the address an allowance counts by: an IPv4 address itself, an IPv6 address by its
// /64 (one subscriber's network: counting single IPv6 addresses would give one client
// billions of allowances).
func Key(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// parseHost parses "ip", "ip:port", "[ipv6]:port" or "[ipv6]", dropping any zone.
func parseHost(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().WithZone("").Unmap()
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if a, err := netip.ParseAddr(s); err == nil {
		return a.WithZone("").Unmap()
	}
	return netip.Addr{}
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// forwardedProto is the X-Forwarded-Proto a trusted proxy set ("http" or "https"; anything
// else is dropped).
func forwardedProto(r *http.Request) string {
	v := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")))
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = strings.TrimSpace(v[i+1:]) // the nearest proxy's view
	}
	if v == "http" || v == "https" {
		return v
	}
	return ""
}
