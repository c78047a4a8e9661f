// Package ssrf owns which network addresses alerts may be delivered to (server-side request
// forgery protection): public unicast addresses, and the ranges an operator allows
// (--webhook-allow-nets). The notifiers apply it to every address they connect to, after DNS
// resolution; the edge applies it when a URL is saved, to a host written as an address or as
// localhost, so such a mistake is refused at once instead of failing every alert.
//
// It is pure: it imports only the standard library and resolves no names.
package ssrf

import (
	"net/netip"
	"strings"
)

// Allowed reports whether a delivery may connect to ip: an address inside one of allow,
// or a public unicast address. Refused: loopback, private (RFC 1918, ULA fc00::/7), link-local
// (169.254/16 with the cloud metadata address, fe80::/10), CGNAT 100.64/10, multicast,
// unspecified, 0.0.0.0/8, broadcast and the other reserved ranges below, and IPv6 forms that
// embed a refused IPv4 address (mapped, NAT64, 6to4).
func Allowed(ip netip.Addr, allow []netip.Prefix) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.WithZone("").Unmap()
	for _, p := range allow {
		if p.Contains(ip) {
			return true
		}
	}
	return !forbidden(ip)
}

// forbiddenNets are the ranges netip's predicates do not cover, or that are listed for clarity.
var forbiddenNets = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),          // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),      // CGNAT (also Alibaba's metadata 100.100.100.200)
	netip.MustParsePrefix("169.254.169.254/32"), // cloud metadata (inside link-local anyway)
	netip.MustParsePrefix("192.0.0.0/24"),       // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),      // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),        // reserved, with 255.255.255.255 (broadcast)
	netip.MustParsePrefix("::/96"),              // unspecified, loopback, IPv4-compatible
	netip.MustParsePrefix("64:ff9b:1::/48"),     // local-use NAT64
	netip.MustParsePrefix("100::/64"),           // discard-only
	netip.MustParsePrefix("fec0::/10"),          // deprecated site-local
	netip.MustParsePrefix("fd00:ec2::254/128"),  // AWS metadata over IPv6 (inside ULA anyway)
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

func forbidden(ip netip.Addr) bool {
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range forbiddenNets {
		if p.Contains(ip) {
			return true
		}
	}
	// IPv6 addresses that a gateway translates to an embedded IPv4 address.
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			return forbidden(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		case sixToFour.Contains(ip):
			return forbidden(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		}
	}
	return false
}

// loopbacks are the addresses localhost names (RFC 6761: every name under localhost. is
// loopback, whatever a resolver says).
var loopbacks = []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}

// LiteralHost returns the addresses a URL host stands for without DNS: the address itself
// for an IP literal (brackets and zone allowed), loopback for localhost and names under it.
// ok is false for any other name: only delivery, after resolving it, can tell.
func LiteralHost(host string) (addrs []netip.Addr, ok bool) {
	h := strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if a, err := netip.ParseAddr(h); err == nil {
		return []netip.Addr{a}, true
	}
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return loopbacks, true
	}
	return nil, false
}

// HostAllowed reports whether a URL host written as an address or as localhost may be
// delivered to; a name that needs DNS is allowed here (the delivery checks what it resolves
// to). localhost passes when one of its loopback addresses is allowed, as a delivery would
// connect through that one. refused is the (first) address that is not allowed.
func HostAllowed(host string, allow []netip.Prefix) (refused netip.Addr, ok bool) {
	addrs, literal := LiteralHost(host)
	if !literal {
		return netip.Addr{}, true
	}
	for _, a := range addrs {
		if Allowed(a, allow) {
			return netip.Addr{}, true
		}
	}
	return addrs[0], false
}
