package main

import (
	"bytes"
	"testing"

	"github.com/ttr-rip/ttr/actors/alert"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

func TestResealMovesEverySecretToTheFirstKey(t *testing.T) {
	oldK, newK := keyring.NewKey(), keyring.NewKey()
	const secret = "0123456789abcdef0123456789abcdef"
	before, _ := keyring.Parse("k1:"+oldK, secret)
	during0, _ := keyring.Parse("k2:"+newK+",k1:"+oldK, secret+"-new")
	during, err := during0.WithPrevious(secret)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := keyring.Parse("k2:"+newK, secret+"-new")

	pingKey := []byte("the-ping-key")
	oldIndex := before.Index(keyring.PurposePingKey, pingKey)
	seal := func(pt, ad []byte) []byte {
		v, err := before.Seal(pt, ad)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		in   persistence.Sealed
		ad   func(s persistence.Sealed) []byte
		want string
	}{
		{persistence.Sealed{Table: "users", Key: "1", Index: oldIndex, Value: seal(pingKey, keyring.PingKeyAD(oldIndex))},
			func(s persistence.Sealed) []byte { return keyring.PingKeyAD(s.Index) }, string(pingKey)},
		{persistence.Sealed{Table: "channels", UserID: 7, Key: "42:webhook", Value: seal([]byte(`{"url":"u"}`), keyring.ChannelAD(7, 42, "webhook"))},
			func(persistence.Sealed) []byte { return keyring.ChannelAD(7, 42, "webhook") }, `{"url":"u"}`},
		{persistence.Sealed{Table: "outbox", UserID: 7, Key: "down:42.2:webhook", Value: seal([]byte(`{"url":"u"}`), keyring.OutboxAD("down:42.2:webhook", 7))},
			func(persistence.Sealed) []byte { return keyring.OutboxAD("down:42.2:webhook", 7) }, `{"url":"u"}`},
	}
	for _, tc := range cases {
		t.Run(tc.in.Table, func(t *testing.T) {
			renames := map[string]string{}
			out, err := reseal(during, tc.in, renames)
			if err != nil {
				t.Fatal(err)
			}
			if keyring.KeyID(out.Value) != "k2" || out.Table != tc.in.Table || out.Key != tc.in.Key || out.UserID != tc.in.UserID {
				t.Fatalf("resealed %+v", out)
			}
			pt, err := after.Open(out.Value, tc.ad(out))
			if err != nil || string(pt) != tc.want {
				t.Fatalf("open with only the new key: %q %v", pt, err)
			}
			if tc.in.Table == "users" && !bytes.Equal(out.Index, after.Index(keyring.PurposePingKey, pingKey)) {
				t.Fatal("ping key index not recomputed under the new secret")
			}
			if tc.in.Table != "users" {
				cfg := messages.ChannelConfig{URL: "u"}
				oldHash, newHash := alert.DestinationHash(before, "webhook", cfg), alert.DestinationHash(after, "webhook", cfg)
				if len(renames) != 1 || renames[oldHash] != newHash || oldHash == newHash {
					t.Fatalf("destination renames %v, want %s → %s", renames, oldHash, newHash)
				}
			}
		})
	}
	if _, err := reseal(after, cases[1].in, nil); err == nil {
		t.Fatal("a value sealed under a key missing from the ring was resealed")
	}
	if _, err := reseal(during, persistence.Sealed{Table: "bogus"}, nil); err == nil {
		t.Fatal("unknown table accepted")
	}
}
