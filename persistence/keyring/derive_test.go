package keyring_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/ttr-rip/ttr/persistence/keyring"
)

// TestIndexUnchangedByDerive pins the lookup index to what it was before Derive existed:
// HMAC-SHA256 keyed by the secret itself. A change here would orphan every stored ping-key
// index and destination hash on upgrade.
func TestIndexUnchangedByDerive(t *testing.T) {
	r := mustRing(t, "k1:"+keyring.NewKey())
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("ping_key\x00abc"))
	if got, want := r.Index(keyring.PurposePingKey, []byte("abc")), m.Sum(nil); !bytes.Equal(got, want) {
		t.Fatalf("Index = %x, want the pre-Derive value %x", got, want)
	}
	// Golden value, so that a change to both sides of the check above is noticed too.
	const golden = "03fb5c1ffe08c50be1f4ba095f34465c35efacb00bcb9e7a098acdb62d1f8529"
	if got := hex.EncodeToString(r.Index(keyring.PurposePingKey, []byte("abc"))); got != golden {
		t.Fatalf("Index = %s, want %s", got, golden)
	}
}

func TestDeriveLabels(t *testing.T) {
	r := mustRing(t, "k1:"+keyring.NewKey())
	seen := map[string]string{}
	for _, label := range []string{keyring.LabelIndex, keyring.LabelClusterCA, keyring.LabelGossip} {
		k := r.Derive(label)
		if len(k) < 32 {
			t.Fatalf("Derive(%q) is %d bytes, want at least 32", label, len(k))
		}
		if other, dup := seen[string(k)]; dup {
			t.Fatalf("Derive(%q) == Derive(%q)", label, other)
		}
		seen[string(k)] = label
		if !bytes.Equal(k, r.Derive(label)) {
			t.Fatalf("Derive(%q) is not deterministic", label)
		}
	}
	other, err := keyring.Parse("k1:"+keyring.NewKey(), "another secret of thirty-two bytes or more!")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(r.Derive(keyring.LabelGossip), other.Derive(keyring.LabelGossip)) {
		t.Fatal("two secrets derive the same gossip key")
	}
}

func TestPreviousSecret(t *testing.T) {
	const prev = "the previous secret, also thirty-two bytes long"
	cur := mustRing(t, "k1:"+keyring.NewKey())
	old, err := keyring.Parse("k1:"+keyring.NewKey(), prev)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Rotating() || cur.PreviousIndex("p", []byte("v")) != nil || len(cur.DeriveAll(keyring.LabelGossip)) != 1 {
		t.Fatal("a ring without a previous secret offers previous keys")
	}
	rot, err := cur.WithPrevious(prev)
	if err != nil {
		t.Fatal(err)
	}
	if !rot.Rotating() {
		t.Fatal("Rotating() = false with a previous secret")
	}
	if !bytes.Equal(rot.Index("p", []byte("v")), cur.Index("p", []byte("v"))) {
		t.Fatal("Index changed by adding a previous secret")
	}
	if !bytes.Equal(rot.PreviousIndex("p", []byte("v")), old.Index("p", []byte("v"))) {
		t.Fatal("PreviousIndex is not the index under the previous secret")
	}
	all := rot.DeriveAll(keyring.LabelClusterCA)
	if len(all) != 2 || !bytes.Equal(all[0], cur.Derive(keyring.LabelClusterCA)) || !bytes.Equal(all[1], old.Derive(keyring.LabelClusterCA)) {
		t.Fatal("DeriveAll is not [current, previous]")
	}
	if _, err := cur.WithPrevious("short"); err == nil {
		t.Fatal("a short previous secret was accepted")
	}
}
