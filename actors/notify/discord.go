package notify

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"time"
)

const (
	// discordMaxContent is Discord's limit on a message's content.
	discordMaxContent = 2000
	// discordReadLimit bounds the part of an answer kept to find a 429's retry_after.
	discordReadLimit = 4 << 10
	// maxRetryHint caps a retry hint read from a body before it becomes a Duration (the
	// notifier caps it further with MaxRateLimitWait).
	maxRetryHint = 24 * time.Hour
)

// Discord delivers to a Discord webhook: it POSTs {"content": message} to the configured URL
// through the SSRF-safe client (the webhook's HTTPConfig, AllowNets included) and classifies
// the answer like the webhook, except that a 429's body names the wait ("retry_after", in
// seconds as a float), which is preferred to the Retry-After header.
type Discord struct {
	poster httpPoster
}

var _ Sender = (*Discord)(nil)

// NewDiscord returns the Discord sender. now reads the clock for Retry-After dates; nil =
// time.Now.
func NewDiscord(cfg HTTPConfig, now func() time.Time) *Discord {
	return &Discord{poster: newHTTPPoster(cfg, now)}
}

// discordMessage is the webhook body. AllowedMentions is empty so a check named "@everyone"
// or "<@&role>" pings nobody.
type discordMessage struct {
	Content         string `json:"content"`
	AllowedMentions struct {
		Parse []string `json:"parse"`
	} `json:"allowed_mentions"`
}

// Send posts the payload's message to d.Dest.URL and classifies the answer.
func (s *Discord) Send(ctx context.Context, d Delivery) Result {
	p, res, ok := readPayload(d.Payload)
	if !ok {
		return res
	}
	u, res, ok := checkTarget(d.Dest.URL, "the Discord webhook")
	if !ok {
		return res
	}
	msg := discordMessage{Content: truncateRunes(p.Message, discordMaxContent)}
	msg.AllowedMentions.Parse = []string{}
	body, err := json.Marshal(msg)
	if err != nil { // strings only: always marshals
		return Result{Outcome: Permanent, Detail: "the alert could not be encoded"}
	}
	reply, err := s.poster.post(ctx, u, body, d.Row.IdempotencyKey, discordReadLimit)
	if err != nil {
		if res, ok := requestError(err, "the Discord webhook"); ok {
			return res
		}
		return classifyError(err, s.poster.cfg.Timeout)
	}
	r := classifyStatus(reply.status, reply.header.Get("Retry-After"), s.poster.now())
	if reply.status == http.StatusTooManyRequests {
		if wait := discordRetryAfter(reply.body); wait > 0 {
			r.RetryAfter = wait
		}
	}
	return r
}

// discordRetryAfter reads retry_after (seconds, fractional) from a 429's JSON body; 0 when
// there is none. Sub-second waits round up to the millisecond so they stay positive.
func discordRetryAfter(body []byte) time.Duration {
	var b struct {
		RetryAfter float64 `json:"retry_after"`
	}
	if json.Unmarshal(body, &b) != nil {
		return 0
	}
	return secondsHint(b.RetryAfter)
}

// secondsHint turns a retry hint in seconds into a Duration: 0 for none, negative or NaN,
// capped at maxRetryHint.
func secondsHint(s float64) time.Duration {
	if !(s > 0) {
		return 0
	}
	if s >= maxRetryHint.Seconds() {
		return maxRetryHint
	}
	return time.Duration(math.Ceil(s*1000)) * time.Millisecond
}
