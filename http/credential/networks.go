package credential

import (
	"fmt"
	"net/netip"
	"strings"
)

// MaxNetworks bounds a credential's allowed networks.
const MaxNetworks = 32

// ParseNetworks reads CIDRs (or single addresses, which become /32 or /128) and returns the
// stored form: masked, in the order given, comma-separated ("" for none = any client).
func ParseNetworks(list []string) (string, error) {
	if len(list) > MaxNetworks {
		return "", fmt.Errorf("allowed_networks: at most %d networks", MaxNetworks)
	}
	out := make([]string, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		var p netip.Prefix
		if strings.Contains(s, "/") {
			var err error
			if p, err = netip.ParsePrefix(s); err != nil {
				return "", fmt.Errorf("allowed_networks: %q is not a CIDR network", s)
			}
		} else {
			a, err := netip.ParseAddr(s)
			if err != nil || a.Zone() != "" {
				return "", fmt.Errorf("allowed_networks: %q is not a CIDR network", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked().String())
	}
	return strings.Join(out, ","), nil
}

// Networks lists the stored form's networks (nil for "").
func Networks(stored string) []string {
	if stored == "" {
		return []string{}
	}
	return strings.Split(stored, ",")
}

// Allowed reports whether a client at ip may use a credential whose stored networks are
// stored: any client when there are none, otherwise one inside a network. An IPv4 client
// seen as an IPv4-mapped IPv6 address counts as its IPv4 address. A stored network that no
// longer parses allows nobody (it fails closed).
func Allowed(stored string, ip netip.Addr) bool {
	if stored == "" {
		return true
	}
	ip = ip.Unmap()
	for _, s := range strings.Split(stored, ",") {
		if p, err := netip.ParsePrefix(s); err == nil && p.Contains(ip) {
			return true
		}
	}
	return false
}
