package ssrf_test

import (
	"net/netip"
	"testing"

	"github.com/ttr-rip/ttr/actors/ssrf"
)

func TestHostAllowed(t *testing.T) {
	loop := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	private := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		host  string
		allow []netip.Prefix
		ok    bool
	}{
		{"example.com", nil, true},           // a name: decided after DNS, when delivering
		{"internal.example", nil, true},      // likewise, even if it resolves to 10.x
		{"93.184.215.14", nil, true},         // public address
		{"[2606:4700::1111]", nil, true},     // public IPv6 literal
		{"127.0.0.1", nil, false},            // loopback
		{"localhost", nil, false},            // loopback by name
		{"LOCALHOST.", nil, false},           // any spelling of it
		{"api.localhost", nil, false},        // every name under localhost
		{"10.1.2.3", nil, false},             // private
		{"169.254.169.254", nil, false},      // cloud metadata
		{"[::1]", nil, false},                // IPv6 loopback
		{"[::ffff:127.0.0.1]", nil, false},   // mapped loopback
		{"0.0.0.0", nil, false},              // unspecified
		{"127.0.0.1", loop, true},            // allowed by the operator
		{"localhost", loop, true},            // 127.0.0.1 allowed: a delivery connects through it
		{"[::1]", loop, false},               // ::1 is not in 127.0.0.0/8
		{"10.1.2.3", private, true},          // allowed range
		{"192.168.1.1", private, false},      // another private range
		{"[fe80::1%25eth0]", private, false}, // link-local with a zone
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			refused, ok := ssrf.HostAllowed(tt.host, tt.allow)
			if ok != tt.ok {
				t.Fatalf("HostAllowed(%q) = %v (refused %v), want %v", tt.host, ok, refused, tt.ok)
			}
			if !ok && !refused.IsValid() {
				t.Errorf("refused without naming the address")
			}
		})
	}
}
