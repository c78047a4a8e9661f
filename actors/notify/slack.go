package notify

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// slackMaxText bounds the text sent to Slack; alert messages are far shorter, the bound only
// keeps a pathological check name from being refused by Slack (it cuts at 40 000).
const slackMaxText = 4000

// Slack delivers to a Slack incoming webhook: it POSTs {"text": message} to the configured
// URL through the SSRF-safe client (the webhook's HTTPConfig, AllowNets included) and
// classifies the answer like the webhook.
type Slack struct {
	poster httpPoster
}

var _ Sender = (*Slack)(nil)

// NewSlack returns the Slack sender. now reads the clock for Retry-After dates; nil =
// time.Now.
func NewSlack(cfg HTTPConfig, now func() time.Time) *Slack {
	return &Slack{poster: newHTTPPoster(cfg, now)}
}

// slackEscaper escapes the three characters Slack reads as markup, so a check named
// "<!channel>" cannot notify a whole channel.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Send posts the payload's message to d.Dest.URL: 2xx delivered; 429 rate limited
// (Retry-After); 5xx and network errors transient; other 4xx, a forbidden address or a bad
// URL permanent.
func (s *Slack) Send(ctx context.Context, d Delivery) Result {
	p, res, ok := readPayload(d.Payload)
	if !ok {
		return res
	}
	body, err := json.Marshal(struct {
		Text string `json:"text"`
	}{slackEscaper.Replace(truncateRunes(p.Message, slackMaxText))})
	if err != nil { // a struct of one string always marshals
		return Result{Outcome: Permanent, Detail: "the alert could not be encoded"}
	}
	return s.poster.send(ctx, "the Slack webhook", d.Dest.URL, body, d.Row.IdempotencyKey)
}
