package alert

import (
	"encoding/hex"
	"net/mail"
	"strconv"
	"strings"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// Destination returns a channel's destination identity as configured: what two channels must
// share to share a notifier and its rate limit (docs/architecture.md#alerting-rules). The channel is part of it, so one
// URL used as a webhook and as a Slack webhook is two destinations.
//
//   - telegram: the bot token and the chat id (Telegram limits per bot and per chat);
//   - webhook, slack, discord: the URL as configured;
//   - email: the recipient's address (one SMTP server per deployment), without its display
//     name and with the domain in lower case, so "Ops <ops@Example.com>" and
//     "ops@example.com" are one destination.
func Destination(channel messages.ChannelKind, cfg messages.ChannelConfig) string {
	switch channel {
	case messages.ChannelTelegram:
		// Length-prefixed: no token and chat id pair can read as another.
		return string(channel) + "\x00" + strconv.Itoa(len(cfg.BotToken)) + ":" + cfg.BotToken + "\x00" + cfg.ChatID
	case messages.ChannelEmail:
		return string(channel) + "\x00" + emailIdentity(cfg.EmailTo)
	default:
		return string(channel) + "\x00" + cfg.URL
	}
}

// emailIdentity normalises an address for Destination; an address that does not parse is
// kept as written (its deliveries fail permanently anyway).
func emailIdentity(to string) string {
	to = strings.TrimSpace(to)
	a, err := mail.ParseAddress(to)
	if err != nil {
		return to
	}
	// The domain is case-insensitive; the local part may not be (RFC 5321 §2.4), and a
	// quoted one may hold an "@".
	i := strings.LastIndexByte(a.Address, '@')
	if i < 0 {
		return a.Address
	}
	return a.Address[:i+1] + strings.ToLower(a.Address[i+1:])
}

// DestinationHash names a destination's notifier without revealing it: a keyed hash, so an
// outbox row or a log line does not leak the URL, token or address.
func DestinationHash(ring *keyring.Ring, channel messages.ChannelKind, cfg messages.ChannelConfig) string {
	return hex.EncodeToString(ring.Index("destination", []byte(Destination(channel, cfg)))[:16])
}

// PreviousDestinationHash is DestinationHash under the previous TTR_SECRET_KEY, "" when none
// is configured: `ttrd secrets rotate` moves outbox rows and rate state from it to the new one.
func PreviousDestinationHash(ring *keyring.Ring, channel messages.ChannelKind, cfg messages.ChannelConfig) string {
	idx := ring.PreviousIndex("destination", []byte(Destination(channel, cfg)))
	if idx == nil {
		return ""
	}
	return hex.EncodeToString(idx[:16])
}
