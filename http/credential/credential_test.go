package credential_test

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/http/credential"
)

func TestParseScopes(t *testing.T) {
	tests := []struct {
		in      []string
		want    string
		kind    string
		wantErr string
	}{
		{[]string{"read"}, "read", "ro", ""},
		{[]string{"write"}, "read,write", "rw", ""}, // write implies read
		{[]string{"delete"}, "delete", "rw", ""},
		{[]string{"channels", "read"}, "channels,read", "rw", ""},
		{[]string{"write", "delete", "channels", "read", "read"}, "channels,delete,read,write", "rw", ""},
		{nil, "", "", "at least one"},
		{[]string{"admin"}, "", "", `unknown scope "admin"`},
		{[]string{"READ"}, "", "", "unknown scope"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.in, "+"), func(t *testing.T) {
			got, err := credential.ParseScopes(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got.String() != tc.want || got.Kind() != tc.kind {
				t.Fatalf("= %q (%s), %v; want %q (%s)", got, got.Kind(), err, tc.want, tc.kind)
			}
			if back := credential.ScopesFromStored(got.String()); back != got {
				t.Errorf("stored form does not round-trip: %q → %q", got, back)
			}
		})
	}
}

func TestScopesHas(t *testing.T) {
	ro := credential.ScopesFromStored("read")
	for _, tc := range []struct {
		set  credential.Scopes
		s    credential.Scope
		want bool
	}{
		{ro, credential.Read, true}, {ro, credential.Write, false}, {ro, credential.Delete, false}, {ro, credential.Channels, false},
		{credential.All, credential.Channels, true}, {credential.ScopesFromStored("channels,gone"), credential.Channels, true},
		{credential.ScopesFromStored("gone"), credential.Read, false},
	} {
		if got := tc.set.Has(tc.s); got != tc.want {
			t.Errorf("%q.Has(%s) = %v, want %v", tc.set, tc.s, got, tc.want)
		}
	}
}

func TestMintAndParse(t *testing.T) {
	ro, _ := credential.ParseScopes([]string{"read"})
	seen := map[string]bool{}
	for range 100 {
		m, err := credential.Mint(ro)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(m.Token, "ttr_ro_") || len(m.Token) != credential.Len || seen[m.Token] {
			t.Fatalf("token %q: wrong shape or repeated", m.Token)
		}
		seen[m.Token] = true
		prefix, ok := credential.Parse(m.Token)
		if !ok || prefix != m.Prefix || !strings.HasPrefix(m.Token, prefix) || len(prefix) != len("ttr_ro_")+8 {
			t.Fatalf("parse %q = %q, %v; minted prefix %q", m.Token, prefix, ok, m.Prefix)
		}
		if !credential.SameDigest(credential.Digest(m.Token), m.Digest) {
			t.Fatal("digest differs")
		}
	}
	rw, _ := credential.Mint(credential.All)
	if !strings.HasPrefix(rw.Token, "ttr_rw_") {
		t.Errorf("all scopes minted %q", rw.Token)
	}
	good := rw.Token
	for _, bad := range []string{"", "ttr_", good[:len(good)-1], good + "A", "ttr_xx_" + good[7:], "ttr_rw-" + good[7:],
		good[:20] + "!" + good[21:], "xtr_rw_" + good[7:]} {
		if _, ok := credential.Parse(bad); ok {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if !credential.LooksLikeToken("ttr_ro_whatever") || credential.LooksLikeToken("ttr_mx_metrics") || credential.LooksLikeToken("eyJhbGciOi.x.y") {
		t.Error("LooksLikeToken classifies wrongly")
	}
}

func TestNetworks(t *testing.T) {
	stored, err := credential.ParseNetworks([]string{"10.1.2.3/8", " 192.0.2.7 ", "2001:db8::1/32"})
	if err != nil || stored != "10.0.0.0/8,192.0.2.7/32,2001:db8::/32" {
		t.Fatalf("= %q, %v", stored, err)
	}
	if got := credential.Networks(stored); !reflect.DeepEqual(got, []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"}) {
		t.Errorf("Networks = %q", got)
	}
	for _, bad := range [][]string{{"10.0.0.0/33"}, {"example.com"}, {"fe80::1%eth0"}, {""}, make([]string, credential.MaxNetworks+1)} {
		if _, err := credential.ParseNetworks(bad); err == nil {
			t.Errorf("ParseNetworks(%q) accepted", bad)
		}
	}
	tests := []struct {
		stored, ip string
		want       bool
	}{
		{"", "203.0.113.7", true},
		{stored, "10.200.0.1", true},
		{stored, "::ffff:10.200.0.1", true},
		{stored, "192.0.2.7", true},
		{stored, "192.0.2.8", false},
		{stored, "2001:db8:ffff::1", true},
		{stored, "2001:db9::1", false},
		{stored, "203.0.113.7", false},
		{"garbage", "10.0.0.1", false},
	}
	for _, tc := range tests {
		if got := credential.Allowed(tc.stored, netip.MustParseAddr(tc.ip)); got != tc.want {
			t.Errorf("Allowed(%q, %s) = %v, want %v", tc.stored, tc.ip, got, tc.want)
		}
	}
}
