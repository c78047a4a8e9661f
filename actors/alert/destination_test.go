package alert_test

import (
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/actors/alert"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

func mustRing(tb testing.TB, secret string) *keyring.Ring {
	tb.Helper()
	ring, err := keyring.Parse("k1:"+keyring.NewKey(), strings.Repeat(secret, 32))
	if err != nil {
		tb.Fatal(err)
	}
	return ring
}

func TestDestinationHash(t *testing.T) {
	ring := mustRing(t, "s")
	tg := func(token, chat string) messages.ChannelConfig {
		return messages.ChannelConfig{BotToken: token, ChatID: chat}
	}
	url := func(u string) messages.ChannelConfig { return messages.ChannelConfig{URL: u} }
	email := func(to string) messages.ChannelConfig { return messages.ChannelConfig{EmailTo: to} }
	type side struct {
		channel messages.ChannelKind
		cfg     messages.ChannelConfig
	}
	tests := []struct {
		name string
		a, b side
		same bool
	}{
		{"telegram same bot and chat", side{"telegram", tg("1:abc", "42")}, side{"telegram", tg("1:abc", "42")}, true},
		{"telegram different chat ids", side{"telegram", tg("1:abc", "42")}, side{"telegram", tg("1:abc", "43")}, false},
		{"telegram different bots", side{"telegram", tg("1:abc", "42")}, side{"telegram", tg("2:abc", "42")}, false},
		{"telegram token and chat cannot shift", side{"telegram", tg("1:ab", "c42")}, side{"telegram", tg("1:abc", "42")}, false},
		{"telegram ignores a stale URL", side{"telegram", messages.ChannelConfig{BotToken: "1:a", ChatID: "5", URL: "https://x"}}, side{"telegram", tg("1:a", "5")}, true},
		{"webhook same URL", side{"webhook", url("https://h.example/a")}, side{"webhook", url("https://h.example/a")}, true},
		{"webhook different URLs", side{"webhook", url("https://h.example/a")}, side{"webhook", url("https://h.example/b")}, false},
		{"same URL on webhook and slack", side{"webhook", url("https://h.example/a")}, side{"slack", url("https://h.example/a")}, false},
		{"same URL on slack and discord", side{"slack", url("https://h.example/a")}, side{"discord", url("https://h.example/a")}, false},
		{"email same recipient", side{"email", email("ops@example.com")}, side{"email", email("ops@example.com")}, true},
		{"email display name and domain case", side{"email", email("Ops <ops@Example.COM>")}, side{"email", email(" ops@example.com ")}, true},
		{"email local part case matters", side{"email", email("Ops@example.com")}, side{"email", email("ops@example.com")}, false},
		{"email different recipients", side{"email", email("a@example.com")}, side{"email", email("b@example.com")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ha := alert.DestinationHash(ring, tt.a.channel, tt.a.cfg)
			hb := alert.DestinationHash(ring, tt.b.channel, tt.b.cfg)
			if (ha == hb) != tt.same {
				t.Fatalf("hash(%q) == hash(%q) is %v, want %v", alert.Destination(tt.a.channel, tt.a.cfg), alert.Destination(tt.b.channel, tt.b.cfg), ha == hb, tt.same)
			}
			if len(ha) != 32 {
				t.Fatalf("hash %q: want 32 hex characters", ha)
			}
		})
	}
}

func TestDestinationHashHidesTheSecret(t *testing.T) {
	ring := mustRing(t, "s")
	cfg := messages.ChannelConfig{BotToken: "123:secret-token", ChatID: "42"}
	h := alert.DestinationHash(ring, messages.ChannelTelegram, cfg)
	if strings.Contains(h, "secret") {
		t.Fatalf("hash %q reveals the destination", h)
	}
	// Keyed by the server secret: without it the hash cannot be recomputed from a guess.
	if other := alert.DestinationHash(mustRing(t, "t"), messages.ChannelTelegram, cfg); other == h {
		t.Fatal("two rings give the same hash")
	}
}

func TestDestinationWebhookUnchanged(t *testing.T) {
	// Rows written before this change name their notifier by this identity.
	got := alert.Destination(messages.ChannelWebhook, messages.ChannelConfig{URL: "https://h.example/a"})
	if want := "webhook\x00https://h.example/a"; got != want {
		t.Fatalf("Destination = %q, want %q", got, want)
	}
}
