package http

import (
	"slices"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/messages"
)

// Every channel of the check JSON has a PUT body, and no other.
func TestChannelSpecsMatchAPIChannels(t *testing.T) {
	var names []messages.ChannelKind
	for _, sp := range channelSpecs {
		names = append(names, sp.name)
		if sp.enabled != string(sp.name)+"_enabled" {
			t.Errorf("%s: enabled flag %q", sp.name, sp.enabled)
		}
		if len(sp.fields) == 0 {
			t.Errorf("%s: no fields", sp.name)
		}
		for _, f := range sp.fields {
			if f.ptr == nil || f.parse == nil || f.name == "" {
				t.Errorf("%s: incomplete field %+v", sp.name, f)
			}
		}
	}
	if !slices.Equal(names, apiChannels) {
		t.Errorf("channelSpecs %v, apiChannels %v", names, apiChannels)
	}
}

func TestChannelValueParsers(t *testing.T) {
	token := "123456789:" + strings.Repeat("A", 35)
	tests := []struct {
		name  string
		parse func(name, v string) (string, error)
		in    string
		want  string // "" = rejected
	}{
		{"token", parseBotToken, token, token},
		{"token min", parseBotToken, "123:" + strings.Repeat("a", 20), "123:" + strings.Repeat("a", 20)},
		{"token chars", parseBotToken, "123456:AAE_x-" + strings.Repeat("9", 20), "123456:AAE_x-" + strings.Repeat("9", 20)},
		{"token short id", parseBotToken, "12:" + strings.Repeat("a", 20), ""},
		{"token long id", parseBotToken, strings.Repeat("1", 21) + ":" + strings.Repeat("a", 20), ""},
		{"token short secret", parseBotToken, "123:" + strings.Repeat("a", 19), ""},
		{"token long secret", parseBotToken, "123:" + strings.Repeat("a", 101), ""},
		{"token no colon", parseBotToken, "123" + strings.Repeat("a", 30), ""},
		{"token bad char", parseBotToken, "123:" + strings.Repeat("a", 20) + "/", ""},
		{"token newline", parseBotToken, token + "\n", ""},
		{"token space", parseBotToken, " " + token, ""},

		{"chat positive", parseChatID, "123456789", "123456789"},
		{"chat negative", parseChatID, "-1001234567890", "-1001234567890"},
		{"chat username", parseChatID, "@my_channel", "@my_channel"},
		{"chat username max", parseChatID, "@a" + strings.Repeat("b", 31), "@a" + strings.Repeat("b", 31)},
		{"chat username short", parseChatID, "@abcd", ""},
		{"chat username long", parseChatID, "@a" + strings.Repeat("b", 32), ""},
		{"chat username digit first", parseChatID, "@1channel", ""},
		{"chat username dash", parseChatID, "@my-channel", ""},
		{"chat zero", parseChatID, "0", ""},
		{"chat minus zero", parseChatID, "-0", ""},
		{"chat leading zero", parseChatID, "0123", ""},
		{"chat plus", parseChatID, "+123", ""},
		{"chat minus only", parseChatID, "-", ""},
		{"chat overflow", parseChatID, "99999999999999999999", ""},
		{"chat float", parseChatID, "1.5", ""},
		{"chat word", parseChatID, "mychat", ""},

		{"email", parseEmail, "ops@example.com", "ops@example.com"},
		{"email named", parseEmail, "Ops <ops@example.com>", "ops@example.com"},
		{"email two", parseEmail, "a@example.com, b@example.com", ""},
		{"email no at", parseEmail, "example.com", ""},
		{"email header injection", parseEmail, "a@example.com\r\nBcc: x@example.com", ""},
		{"email long", parseEmail, strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", ""},
		{"email max", parseEmail, strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com"},

		{"url", parseChannelURL, "https://hooks.slack.com/services/T/B/x", "https://hooks.slack.com/services/T/B/x"},
		{"url http", parseChannelURL, "http://example.com", "http://example.com"},
		{"url ftp", parseChannelURL, "ftp://example.com", ""},
		{"url no host", parseChannelURL, "https:///x", ""},
		{"url relative", parseChannelURL, "example.com/x", ""},
		{"url space", parseChannelURL, "https://exa mple.com", ""},
		{"url long", parseChannelURL, "https://example.com/" + strings.Repeat("a", 1981), ""},
		{"url max", parseChannelURL, "https://example.com/" + strings.Repeat("a", 1980), "https://example.com/" + strings.Repeat("a", 1980)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse("f", tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("accepted %q as %q", tt.in, got)
				}
				if strings.Contains(err.Error(), tt.in) {
					t.Errorf("the error quotes the value: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
