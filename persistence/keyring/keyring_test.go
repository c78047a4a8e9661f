package keyring_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/persistence/keyring"
)

const secret = "0123456789abcdef0123456789abcdef"

func mustRing(t *testing.T, keys string) *keyring.Ring {
	t.Helper()
	r, err := keyring.Parse(keys, secret)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParseErrors(t *testing.T) {
	k := keyring.NewKey()
	tests := []struct {
		name, keys, secret, want string
	}{
		{"empty ring", "", secret, "TTR_ENCRYPTION_KEYS is empty"},
		{"short secret", "k1:" + k, "short", "at least 32 bytes"},
		{"no id", ":" + k, secret, "want id:base64"},
		{"no colon", k, secret, "want id:base64"},
		{"bad base64", "k1:***", secret, "32 bytes in base64"},
		{"short key", "k1:c2hvcnQ=", secret, "32 bytes in base64"},
		{"duplicate id", "k1:" + k + ",k1:" + k, secret, "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := keyring.Parse(tt.keys, tt.secret)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), k) {
				t.Fatal("error echoes key material")
			}
		})
	}
}

func TestSealOpenAndRotation(t *testing.T) {
	old, fresh := keyring.NewKey(), keyring.NewKey()
	r1 := mustRing(t, "k1:"+old)
	ad := keyring.ChannelAD(7, 42, "webhook")
	sealed, err := r1.Seal([]byte("https://hooks.example/x"), ad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("hooks.example")) {
		t.Fatal("plaintext visible in the sealed value")
	}
	if keyring.KeyID(sealed) != "k1" {
		t.Fatalf("key id %q", keyring.KeyID(sealed))
	}
	// A ring whose first key is new still opens values sealed under the old one, and seals
	// new values under the new one.
	r2 := mustRing(t, "k2:"+fresh+",k1:"+old)
	pt, err := r2.Open(sealed, ad)
	if err != nil || string(pt) != "https://hooks.example/x" {
		t.Fatalf("open under the rotated ring: %q %v", pt, err)
	}
	again, _ := r2.Seal(pt, ad)
	if keyring.KeyID(again) != "k2" {
		t.Fatalf("rotated ring sealed under %q", keyring.KeyID(again))
	}
	// Wrong additional data (a value copied to another row), a missing key, damage: refused.
	if _, err := r2.Open(sealed, keyring.ChannelAD(8, 42, "webhook")); !errors.Is(err, keyring.ErrUndecryptable) {
		t.Fatalf("open with another row's AD: %v", err)
	}
	if _, err := mustRing(t, "k2:"+fresh).Open(sealed, ad); !errors.Is(err, keyring.ErrUndecryptable) {
		t.Fatalf("open without the key: %v", err)
	}
	damaged := append([]byte(nil), sealed...)
	damaged[len(damaged)-1] ^= 1
	for _, v := range [][]byte{nil, {1}, {2, 0}, damaged, sealed[:10]} {
		if _, err := r2.Open(v, ad); !errors.Is(err, keyring.ErrUndecryptable) {
			t.Fatalf("open(%x) = %v", v, err)
		}
	}
}

func TestIndexIsKeyed(t *testing.T) {
	a := mustRing(t, "k1:"+keyring.NewKey())
	b, _ := keyring.Parse("k1:"+keyring.NewKey(), secret+"-other")
	v := []byte("ping-key")
	if !bytes.Equal(a.Index("ping_key", v), a.Index("ping_key", v)) {
		t.Fatal("index not deterministic")
	}
	if bytes.Equal(a.Index("ping_key", v), b.Index("ping_key", v)) {
		t.Fatal("index does not depend on the secret")
	}
	if bytes.Equal(a.Index("ping_key", v), a.Index("destination", v)) {
		t.Fatal("index does not depend on the purpose")
	}
}

func TestLoadOrGenerate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s1, generated, err := keyring.LoadOrGenerate(dir)
	if err != nil || !generated {
		t.Fatalf("first start: %v generated=%v", err, generated)
	}
	if _, err := keyring.Parse(s1.EncryptionKeys, s1.SecretKey); err != nil {
		t.Fatalf("generated secrets do not parse: %v", err)
	}
	st, _ := os.Stat(filepath.Join(dir, "secrets.env"))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("secrets.env mode %v, want 0600", st.Mode().Perm())
	}
	s2, generated, err := keyring.LoadOrGenerate(dir)
	if err != nil || generated || s2 != s1 {
		t.Fatalf("second start: %v generated=%v same=%v", err, generated, s2 == s1)
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets.env"), []byte("TTR_SECRET_KEY=x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := keyring.LoadOrGenerate(dir); err == nil {
		t.Fatal("a damaged secrets.env was accepted")
	}
}
