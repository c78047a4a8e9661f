package limit_test

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/ttr-rip/ttr/http/limit"
)

func TestClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
		wantVia bool
	}{
		{name: "socket", remote: "192.0.2.1:5000", want: "192.0.2.1"},
		{name: "header ignored without trusted proxies", remote: "192.0.2.1:5000", xff: []string{"203.0.113.9"}, want: "192.0.2.1"},
		{name: "header ignored from an untrusted socket", remote: "192.0.2.1:5000", xff: []string{"203.0.113.9"}, trusted: proxies, want: "192.0.2.1"},
		{name: "trusted proxy forwards", remote: "10.1.1.1:5000", xff: []string{"203.0.113.9"}, trusted: proxies, want: "203.0.113.9", wantVia: true},
		{name: "right-most untrusted wins over a spoofed left", remote: "10.1.1.1:5000", xff: []string{"1.2.3.4, 203.0.113.9, 10.2.2.2"}, trusted: proxies, want: "203.0.113.9", wantVia: true},
		{name: "several header lines read right to left", remote: "10.1.1.1:5000", xff: []string{"1.2.3.4", "203.0.113.9", "10.2.2.2"}, trusted: proxies, want: "203.0.113.9", wantVia: true},
		{name: "all trusted: the left-most", remote: "10.1.1.1:5000", xff: []string{"10.3.3.3, 10.2.2.2"}, trusted: proxies, want: "10.3.3.3", wantVia: true},
		{name: "garbage stops at the last trusted hop", remote: "10.1.1.1:5000", xff: []string{"203.0.113.9, nonsense, 10.2.2.2"}, trusted: proxies, want: "10.2.2.2", wantVia: true},
		{name: "empty header", remote: "10.1.1.1:5000", xff: []string{""}, trusted: proxies, want: "10.1.1.1"},
		{name: "ipv6 socket", remote: "[2001:db8::1]:443", want: "2001:db8::1"},
		{name: "ipv6 through a proxy with port", remote: "[fd00::1]:443", xff: []string{"[2001:db8::7]:1234"}, trusted: proxies, want: "2001:db8::7", wantVia: true},
		{name: "v4-mapped is v4", remote: "[::ffff:192.0.2.1]:80", want: "192.0.2.1"},
		{name: "zone dropped", remote: "[fe80::1%eth0]:80", want: "fe80::1"},
		{name: "unparseable socket", remote: "pipe", want: "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ip, via := limit.ClientIP(tt.remote, tt.xff, tt.trusted)
			if ip.String() != tt.want || via != tt.wantVia {
				t.Errorf("ClientIP() = (%v, %v), want (%s, %v)", ip, via, tt.want, tt.wantVia)
			}
		})
	}
}

func TestKey(t *testing.T) {
	tests := map[string]string{
		"192.0.2.1":                 "192.0.2.1",
		"::ffff:192.0.2.1":          "192.0.2.1",
		"2001:db8:1:2:3:4:5:6":      "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":      "2001:db8:1:2::/64",
		"2001:db8:1:3::1":           "2001:db8:1:3::/64",
		"fe80::1":                   "fe80::/64",
		"2001:db8:0:0:1:0:0:1":      "2001:db8::/64",
		"2001:0db8:0000:0000:0::01": "2001:db8::/64",
	}
	for in, want := range tests {
		if got := limit.Key(netip.MustParseAddr(in)); got != want {
			t.Errorf("Key(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestForwardedProto(t *testing.T) {
	l, err := limit.New(limit.Config{TrustProxy: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, limit.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ remote, proto, want string }{
		{"10.1.1.1:1", "https", "https"},
		{"10.1.1.1:1", "HTTPS", "https"},
		{"10.1.1.1:1", "http, https", "https"},
		{"10.1.1.1:1", "gopher", ""},
		{"192.0.2.1:1", "https", ""}, // not from a trusted proxy
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/p/x/y", nil)
		r.RemoteAddr = tt.remote
		r.Header.Set("X-Forwarded-Proto", tt.proto)
		if got := l.ForwardedProto(r); got != tt.want {
			t.Errorf("ForwardedProto(%s, %q) = %q, want %q", tt.remote, tt.proto, got, tt.want)
		}
	}
	var none *limit.Limits
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Forwarded-Proto", "https")
	if got := none.ForwardedProto(r); got != "" {
		t.Errorf("nil Limits: ForwardedProto = %q", got)
	}
}
