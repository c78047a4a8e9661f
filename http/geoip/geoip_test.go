package geoip_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/ttr-rip/ttr/http/geoip"
	"github.com/ttr-rip/ttr/http/geoip/geoiptest"
)

func TestCountry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "country.mmdb")
	if err := os.WriteFile(path, geoiptest.Database(netip.MustParsePrefix("192.0.2.0/24"), "NL"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := geoip.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for ip, want := range map[string]string{
		"192.0.2.7":          "NL",
		"::ffff:192.0.2.200": "NL",
		"192.0.3.1":          "",
		"198.51.100.1":       "",
	} {
		if got := r.Country(netip.MustParseAddr(ip)); got != want {
			t.Errorf("Country(%s) = %q, want %q", ip, got, want)
		}
	}
	if got := r.Country(netip.Addr{}); got != "" {
		t.Errorf("an invalid address: %q", got)
	}
	if _, err := geoip.Open(filepath.Join(t.TempDir(), "missing.mmdb")); err == nil {
		t.Error("a missing database opened")
	}
}
