package notify

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// DefaultTelegramAPIURL is the public Bot API.
const DefaultTelegramAPIURL = "https://api.telegram.org"

const (
	// telegramMaxText is Telegram's limit on a message, in UTF-16 code units.
	telegramMaxText = 4096
	// telegramReadLimit bounds the answer read: a sendMessage answer echoes the message
	// (at most 4096 characters), so this never cuts a success short.
	telegramReadLimit = 128 << 10
	// telegramMaxDescription bounds the part of Telegram's error description shown.
	telegramMaxDescription = 200
)

// TelegramConfig configures the Telegram sender.
type TelegramConfig struct {
	// APIURL is the Bot API's base URL (default DefaultTelegramAPIURL;
	// TTR_TELEGRAM_API_URL). It may point at a local Bot API server or a forwarding proxy,
	// and tests point it at a fake. It is the operator's setting, never a user's, so the
	// SSRF allow-list does not apply to it: a private or loopback address is accepted.
	APIURL string
	// HTTP carries the timeouts, DrainLimit and UserAgent. Its AllowNets and MaxRedirects
	// are ignored: Telegram is reached with an ordinary client that takes a proxy from the
	// environment (HTTPS_PROXY, NO_PROXY), and never follows a redirect, so the bot token in
	// the request path cannot be forwarded to another host.
	HTTP HTTPConfig
}

// DefaultTelegramConfig returns the public Bot API with the default HTTP timeouts.
func DefaultTelegramConfig() TelegramConfig {
	return TelegramConfig{APIURL: DefaultTelegramAPIURL, HTTP: DefaultHTTPConfig()}
}

func (c TelegramConfig) withDefaults() TelegramConfig {
	if c.APIURL == "" {
		c.APIURL = DefaultTelegramAPIURL
	}
	c.HTTP = c.HTTP.withDefaults()
	return c
}

// Validate reports a configuration that cannot work: an API URL that is not an absolute
// http(s) URL without query or fragment, or bad HTTP timeouts.
func (c TelegramConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if _, err := parseTelegramBase(c.APIURL); err != nil {
		errs = append(errs, err)
	}
	if err := c.HTTP.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func parseTelegramBase(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("notify: the Telegram API URL must be an absolute http(s) URL without credentials, query or fragment")
	}
	return u, nil
}

// Telegram delivers to the telegram channel through the Bot API's sendMessage: a POST to
// {APIURL}/bot{token}/sendMessage of {"chat_id", "text"}, the text being the payload's
// message.
//
// The bot token is a secret that travels in the URL path: no Result, error or log line made
// here contains it (client errors quote the URL: it is replaced before they are looked at,
// and Telegram's own description is scrubbed of it).
type Telegram struct {
	poster httpPoster
	base   *url.URL
}

var _ Sender = (*Telegram)(nil)

// NewTelegram returns the Telegram sender, or the configuration's problems. now reads the
// clock for Retry-After dates; nil = time.Now.
func NewTelegram(cfg TelegramConfig, now func() time.Time) (*Telegram, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	base, _ := parseTelegramBase(cfg.APIURL) // validated above
	if now == nil {
		now = time.Now
	}
	return &Telegram{
		poster: httpPoster{client: newTelegramClient(cfg.HTTP), cfg: cfg.HTTP, now: now},
		base:   base,
	}, nil
}

// newTelegramClient is an ordinary client with the deliveries' timeouts: Telegram is a
// fixed, operator-chosen host, so there is no address filter, and redirects are not
// followed (a 3xx is reported as such).
func newTelegramClient(cfg HTTPConfig) *http.Client {
	dialer := &net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                  http.ProxyFromEnvironment,
			DialContext:            dialer.DialContext,
			ForceAttemptHTTP2:      true,
			TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:    cfg.DialTimeout + 2*time.Second,
			MaxIdleConns:           16,
			MaxIdleConnsPerHost:    8,
			IdleConnTimeout:        90 * time.Second,
			ExpectContinueTimeout:  time.Second,
			MaxResponseHeaderBytes: 64 << 10,
		},
		Timeout: cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// telegramToken is the shape of a bot token ("123456:ABC-DEF…"). Checking it keeps a stored
// value from steering the request to another Bot API method or path.
var telegramToken = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{1,200}$`)

// telegramReply is the part of a Bot API answer that classification reads.
type telegramReply struct {
	OK          bool   `json:"ok"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter      float64 `json:"retry_after"`
		MigrateToChatID int64   `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// Send posts the payload's message to the chat and classifies the answer: 2xx with ok:true
// delivered; 429 rate limited, waiting parameters.retry_after seconds or else the
// Retry-After header; 5xx, network errors, timeouts and an answer that cannot be read
// transient; other 4xx (chat not found, bot blocked, bad token…) and 3xx permanent, with
// Telegram's description.
func (t *Telegram) Send(ctx context.Context, d Delivery) Result {
	p, res, ok := readPayload(d.Payload)
	if !ok {
		return res
	}
	token := strings.TrimSpace(d.Dest.BotToken)
	chat := strings.TrimSpace(d.Dest.ChatID)
	switch {
	case token == "":
		return Result{Outcome: Permanent, Detail: "the Telegram bot token is not set"}
	case !telegramToken.MatchString(token):
		return Result{Outcome: Permanent, Detail: "the Telegram bot token is not valid"}
	case chat == "":
		return Result{Outcome: Permanent, Detail: "the Telegram chat id is not set"}
	}
	body, err := json.Marshal(struct {
		ChatID string `json:"chat_id"`
		Text   string `json:"text"`
	}{chat, truncateUTF16(p.Message, telegramMaxText)})
	if err != nil { // strings only: always marshals
		return Result{Outcome: Permanent, Detail: "the alert could not be encoded"}
	}
	reply, err := t.poster.post(ctx, t.base.JoinPath("bot"+token, "sendMessage"), body, d.Row.IdempotencyKey, telegramReadLimit)
	if err != nil {
		t.redact(err)
		if res, ok := requestError(err, "the Telegram API"); ok {
			return res
		}
		return classifyError(err, t.poster.cfg.Timeout)
	}
	return t.classify(reply, token)
}

// redact replaces the URL a client error quotes (it holds the token) in place.
func (t *Telegram) redact(err error) {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = t.base.JoinPath("bot<redacted>", "sendMessage").String()
	}
}

func (t *Telegram) classify(reply httpReply, token string) Result {
	var tr telegramReply
	parsed := json.Unmarshal(reply.body, &tr) == nil
	answered := fmt.Sprintf("Telegram answered %d", reply.status)
	if desc := telegramDescription(tr.Description, token); parsed && desc != "" {
		answered += ": " + desc
	}
	switch code := reply.status; {
	case code >= 200 && code < 300:
		if parsed && tr.OK {
			return Result{Outcome: Delivered}
		}
		return Result{Outcome: Transient, Detail: fmt.Sprintf("Telegram answered %d with a body that is not a Bot API success", code)}
	case code == http.StatusTooManyRequests:
		wait := secondsHint(tr.Parameters.RetryAfter)
		if wait == 0 {
			wait = ParseRetryAfter(reply.header.Get("Retry-After"), t.poster.now())
		}
		return Result{Outcome: RateLimited, RetryAfter: wait, Detail: answered}
	case code >= 500:
		return Result{Outcome: Transient, Detail: answered}
	default:
		if parsed && tr.Parameters.MigrateToChatID != 0 {
			answered += fmt.Sprintf(" (the group is now the chat %d: update the chat id)", tr.Parameters.MigrateToChatID)
		}
		return Result{Outcome: Permanent, Detail: answered}
	}
}

// telegramDescription makes Telegram's error text safe to show: one line, at most
// telegramMaxDescription characters, and never the token (whole or its secret half).
func telegramDescription(s, token string) string {
	if s == "" {
		return ""
	}
	s = strings.ReplaceAll(s, token, "<redacted>")
	if _, secret, ok := strings.Cut(token, ":"); ok && secret != "" {
		s = strings.ReplaceAll(s, secret, "<redacted>")
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return truncateRunes(strings.TrimSpace(s), telegramMaxDescription)
}

// truncateUTF16 cuts s to at most n UTF-16 code units (Telegram counts them), marking the cut
// with an ellipsis.
func truncateUTF16(s string, n int) string {
	units, keep := 0, 0 // keep: the prefix that leaves room for the ellipsis (one unit)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		u := utf16.RuneLen(r) // RuneError (invalid UTF-8) counts as one unit, like its U+FFFD
		if units+u > n {
			return s[:keep] + "…"
		}
		units += u
		i += size
		if units < n {
			keep = i
		}
	}
	return s
}
