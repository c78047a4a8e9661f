package alert

import (
	"encoding/hex"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// Destination returns a channel's destination identity as configured: what two channels must
// share to share a notifier and its rate limit (SPEC §4: webhook/Slack/Discord = the URL).
func Destination(channel string, cfg messages.ChannelConfig) string {
	return channel + "\x00" + cfg.URL
}

// DestinationHash names a destination's notifier without revealing it: a keyed hash, so an
// outbox row or a log line does not leak the URL.
func DestinationHash(ring *keyring.Ring, channel string, cfg messages.ChannelConfig) string {
	return hex.EncodeToString(ring.Index("destination", []byte(Destination(channel, cfg)))[:16])
}
