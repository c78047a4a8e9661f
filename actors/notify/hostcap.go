package notify

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/actors/ratelimit"
	"github.com/ttr-rip/ttr/messages"
)

// HostCapName names the per-(user, host) alert allowance: its limiter actors are
// "limiter/alert_host/<user id>/<host>".
const HostCapName = "alert_host"

// DefaultHostCap is the default cap on one user's alerts to one destination host: 20 a
// second, with bursts of 20.
var DefaultHostCap = ratelimit.PerSecond(20, 20)

// DefaultExemptHosts are the chat providers' hosts, which take many webhooks from every
// user by design (the Telegram API host is added from its configuration).
var DefaultExemptHosts = []string{"hooks.slack.com", "discord.com", "discordapp.com"}

// HostLimiter holds the per-(user, host) allowances cluster-wide (actors/limiter.Client).
type HostLimiter interface {
	Take(ctx context.Context, name, key string, l ratelimit.Limit, cost int) (bool, time.Duration, error)
}

// HostCap caps one user's alerts to one destination host, whatever the URLs: the per-URL
// notifiers each pace their own destination (docs/architecture.md#alerting-rules), so without it varying a URL's query
// string would multiply what ttr sends to one host (a reflector). For email the "host" is the
// recipient's domain. Chat providers' hosts are exempt.
type HostCap struct {
	// Limiter holds the allowances; nil = no cap.
	Limiter HostLimiter
	// Limit is the allowance per (user, host) (DefaultHostCap; off = no cap).
	Limit ratelimit.Limit
	// Exempt hosts are never capped (lower case).
	Exempt []string
}

// key returns the allowance key of a delivery to dest on channel, "" when it is not capped.
func (c *HostCap) key(userID int64, channel messages.ChannelKind, dest messages.ChannelConfig) string {
	if c == nil || c.Limiter == nil || c.Limit.Off() {
		return ""
	}
	host := DestinationHost(channel, dest)
	if host == "" {
		return ""
	}
	for _, e := range c.Exempt {
		if host == e {
			return ""
		}
	}
	return strconv.FormatInt(userID, 10) + "/" + host
}

// DestinationHost is the host a delivery goes to, in lower case: the URL's host name for the
// HTTP channels, the recipient's domain for email, "" for Telegram (its API host is fixed by
// the server) and for a destination it cannot tell.
func DestinationHost(channel messages.ChannelKind, dest messages.ChannelConfig) string {
	switch channel {
	case messages.ChannelWebhook, messages.ChannelSlack, messages.ChannelDiscord:
		u, err := url.Parse(dest.URL)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	case messages.ChannelEmail:
		i := strings.LastIndexByte(dest.EmailTo, '@')
		if i < 0 {
			return ""
		}
		return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(dest.EmailTo[i+1:])), ">")
	}
	return ""
}
