package notify_test

import (
	"net/netip"
	"testing"

	"github.com/ttr-rip/ttr/actors/notify"
)

func TestAddressAllowed(t *testing.T) {
	tests := []struct {
		addr  string
		allow []netip.Prefix
		want  bool
	}{
		{"93.184.215.14", nil, true},
		{"2606:2800:21f:cb07:6820:80da:af6b:8b2c", nil, true},
		{"8.8.8.8", nil, true},
		{"127.0.0.1", nil, false},
		{"127.8.9.10", nil, false},
		{"::1", nil, false},
		{"::ffff:127.0.0.1", nil, false},
		{"10.1.2.3", nil, false},
		{"172.16.0.1", nil, false},
		{"172.31.255.255", nil, false},
		{"172.32.0.1", nil, true},
		{"192.168.1.1", nil, false},
		{"fc00::1", nil, false},
		{"fd12:3456::1", nil, false},
		{"169.254.169.254", nil, false},
		{"169.254.1.1", nil, false},
		{"fe80::1", nil, false},
		{"fe80::1%eth0", nil, false},
		{"fd00:ec2::254", nil, false},
		{"100.64.0.1", nil, false},
		{"100.100.100.200", nil, false},
		{"100.128.0.1", nil, true},
		{"224.0.0.1", nil, false},
		{"ff02::1", nil, false},
		{"0.0.0.0", nil, false},
		{"0.1.2.3", nil, false},
		{"::", nil, false},
		{"255.255.255.255", nil, false},
		{"240.0.0.1", nil, false},
		{"64:ff9b::7f00:1", nil, false}, // NAT64 of 127.0.0.1
		{"64:ff9b::808:808", nil, true}, // NAT64 of 8.8.8.8
		{"2002:a00:1::1", nil, false},   // 6to4 of 10.0.0.1
		{"2002:808:808::1", nil, true},  // 6to4 of 8.8.8.8
		{"::127.0.0.1", nil, false},     // IPv4-compatible
		{"127.0.0.1", loopback, true},   // allowed by configuration
		{"::ffff:127.0.0.1", loopback, true},
		{"::1", loopback, false}, // the allow-list names IPv4 loopback only
		{"10.0.0.5", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}, true},
		{"10.0.1.5", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := notify.AddressAllowed(netip.MustParseAddr(tt.addr), tt.allow); got != tt.want {
				t.Errorf("AddressAllowed(%s, %v) = %v, want %v", tt.addr, tt.allow, got, tt.want)
			}
		})
	}
	if notify.AddressAllowed(netip.Addr{}, nil) {
		t.Error("the zero address is allowed")
	}
}

func TestHTTPConfigValidate(t *testing.T) {
	if err := notify.DefaultHTTPConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	bad := notify.DefaultHTTPConfig()
	bad.AllowNets = []netip.Prefix{{}}
	if bad.Validate() == nil {
		t.Error("an invalid allowed network passes")
	}
}
