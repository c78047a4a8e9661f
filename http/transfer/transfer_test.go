package transfer_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/http/transfer"
	"github.com/ttr-rip/ttr/messages"
)

func TestSealRoundTrip(t *testing.T) {
	s, err := transfer.NewSealer("a long enough passphrase")
	if err != nil {
		t.Fatal(err)
	}
	cfg := messages.ChannelConfig{URL: "https://hooks.example.com/secret"}
	sealed, err := s.SealChannel("backup", "webhook", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "hooks") {
		t.Fatal("sealed value holds the plaintext")
	}
	h := *s.Header()
	if _, err := transfer.OpenSealer(h, "another passphrase!"); err != transfer.ErrPassphrase {
		t.Fatalf("wrong passphrase: %v", err)
	}
	o, err := transfer.OpenSealer(h, "a long enough passphrase")
	if err != nil {
		t.Fatal(err)
	}
	got, err := o.OpenChannel("backup", "webhook", sealed)
	if err != nil || got != cfg {
		t.Fatalf("open: %v %v", got, err)
	}
	// Bound to its check and channel: moved elsewhere it does not open.
	if _, err := o.OpenChannel("other", "webhook", sealed); err == nil {
		t.Error("settings moved to another check opened")
	}
	if _, err := o.OpenChannel("backup", "slack", sealed); err == nil {
		t.Error("settings moved to another channel opened")
	}
	if _, err := transfer.NewSealer("short"); messages.CodeOf(err) != messages.EInvalid {
		t.Errorf("a short passphrase: %v", err)
	}
}

func TestParseRefusesCostlyOrMalformedDocuments(t *testing.T) {
	s, _ := transfer.NewSealer("a long enough passphrase")
	good := *s.Header()
	costly := good
	costly.MemoryKiB = 4 << 20 // 4 GiB: a document must not make the server spend that
	tests := []struct {
		name string
		doc  any
		ok   bool
	}{
		{"minimal", map[string]any{"version": 1, "user_slug": "x", "checks": []any{}, "status_pages": []any{}}, true},
		{"sealed", map[string]any{"version": 1, "checks": []any{}, "secrets": good}, true},
		{"no version", map[string]any{"checks": []any{}}, false},
		{"future version", map[string]any{"version": 2, "checks": []any{}}, false},
		{"no checks", map[string]any{"version": 1}, false},
		{"unknown field", map[string]any{"version": 1, "checks": []any{}, "extra": 1}, false},
		{"costly kdf", map[string]any{"version": 1, "checks": []any{}, "secrets": costly}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := json.Marshal(tt.doc)
			_, err := transfer.Parse(b)
			if (err == nil) != tt.ok {
				t.Fatalf("Parse = %v, want ok %v", err, tt.ok)
			}
			if err != nil && messages.CodeOf(err) != messages.EInvalid {
				t.Errorf("code %v, want EInvalid", messages.CodeOf(err))
			}
		})
	}
	if _, err := transfer.Parse([]byte("not json")); err == nil {
		t.Error("not JSON parsed")
	}
}

func TestNormalizeServer(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://healthchecks.io", "https://healthchecks.io"},
		{"https://HealthChecks.io/", "https://healthchecks.io"},
		{"http://127.0.0.1:8000/hc/", "http://127.0.0.1:8000/hc"},
		{"ftp://healthchecks.io", ""},
		{"https://user:pw@healthchecks.io", ""},
		{"https://healthchecks.io/?x=1", ""},
		{"healthchecks.io", ""},
	}
	for _, tt := range tests {
		got, err := transfer.NormalizeServer(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("NormalizeServer(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if !transfer.ServerAllowed("https://healthchecks.io", []string{transfer.DefaultHCServer}) ||
		transfer.ServerAllowed("https://healthchecks.io.evil.example", []string{transfer.DefaultHCServer}) {
		t.Error("ServerAllowed")
	}
}

func TestParseHCChecksFindsUUIDs(t *testing.T) {
	b := []byte(`{"checks":[
		{"name":"a","slug":"a","uuid":"31365BCE-8DA9-4729-8FF3-AAA71D56B712"},
		{"name":"b","ping_url":"https://hc-ping.com/803f680d-e89b-492b-82ef-2be7b774a92d","channels":"x, y"},
		{"name":"c","unique_key":"124f983e0e3dcaeba921cfcef46efd084576e783"}]}`)
	got, err := transfer.ParseHCChecks(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"31365bce-8da9-4729-8ff3-aaa71d56b712", "803f680d-e89b-492b-82ef-2be7b774a92d", ""}
	for i, c := range got {
		if c.UUID != want[i] {
			t.Errorf("check %d: uuid %q, want %q", i, c.UUID, want[i])
		}
	}
	if len(got[1].Channels) != 2 || got[1].Channels[1] != "y" {
		t.Errorf("channels: %v", got[1].Channels)
	}
	if _, err := transfer.ParseHCChecks([]byte(`{"detail":"nope"}`)); err == nil {
		t.Error("an answer without checks parsed")
	}
}

func TestParseStatusPage(t *testing.T) {
	p, err := transfer.ParseStatusPage(json.RawMessage(`{"slug":"public","name":"Public","description":"","layout":"grid","show_activity":true,"checks":["nightly","db"]}`))
	if err != nil || p.Slug != "public" || p.Layout != "grid" || !p.ShowActivity || len(p.Checks) != 2 || p.Checks[1] != "db" {
		t.Fatalf("%+v %v", p, err)
	}
	for _, bad := range []string{`[]`, `"x"`, `{"slug":"a","checks":[1]}`, `{"slug":"a","check_ids":[1]}`, ``} {
		if _, err := transfer.ParseStatusPage(json.RawMessage(bad)); messages.CodeOf(err) != messages.EInvalid {
			t.Errorf("%s: %v", bad, err)
		}
	}
	many := `{"version":1,"user_slug":"u","checks":[],"status_pages":[` + strings.Repeat(`{},`, transfer.MaxStatusPages) + `{}]}`
	if _, err := transfer.Parse([]byte(many)); err == nil || !strings.Contains(err.Error(), "status pages") {
		t.Errorf("too many status pages: %v", err)
	}
}
