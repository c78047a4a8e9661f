package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/ttr-rip/ttr/actors/alert"
)

// httpPoster is the request half shared by the HTTP channels (webhook, Slack, Discord and
// Telegram): one POST of a JSON body with the row's idempotency key and a bounded read of
// the answer. Webhook, Slack and Discord post through the SSRF-safe client (NewHTTPClient);
// Telegram brings its own. send adds the outcome classification (docs/architecture.md#alerting-rules); a channel whose receiver
// says more (Discord's and Telegram's retry hints in the body, Telegram's description) calls
// post and classifies itself.
type httpPoster struct {
	client *http.Client
	cfg    HTTPConfig
	now    func() time.Time
}

// newHTTPPoster returns a poster that uses the SSRF-safe client of cfg (NewHTTPClient).
func newHTTPPoster(cfg HTTPConfig, now func() time.Time) httpPoster {
	cfg = cfg.withDefaults()
	if now == nil {
		now = time.Now
	}
	return httpPoster{client: NewHTTPClient(cfg), cfg: cfg, now: now}
}

// httpReply is what a receiver answered: never shown to the user as is.
type httpReply struct {
	status int
	header http.Header
	// body holds at most the readLimit bytes the caller asked for.
	body []byte
}

// checkTarget validates a receiver URL from a channel's configuration; what names it in the
// detail ("the Slack webhook"). It returns the parsed URL, or the permanent Result to report.
func checkTarget(raw, what string) (*url.URL, Result, bool) {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return nil, Result{Outcome: Permanent, Detail: what + " has no URL"}, false
	case err != nil || u.Host == "":
		return nil, Result{Outcome: Permanent, Detail: what + " URL is not valid"}, false
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, Result{Outcome: Permanent, Detail: what + " URL must be http or https"}, false
	}
	return u, Result{}, true
}

// errInvalidRequest is a request that could not be built from a URL that parsed: permanent.
var errInvalidRequest = errors.New("the request could not be built")

// requestError reports a request that could not be built (what names the receiver); ok is
// false for any other error, which classifyError maps.
func requestError(err error, what string) (Result, bool) {
	if errors.Is(err, errInvalidRequest) {
		return Result{Outcome: Permanent, Detail: what + " URL is not valid"}, true
	}
	return Result{}, false
}

// post sends body to u as JSON and keeps up to readLimit bytes of the answer's body; the rest
// is drained up to cfg.DrainLimit so the connection can be reused. An error is the client's
// (a *url.Error naming u: callers whose URL holds a secret must not let it escape).
func (p httpPoster) post(ctx context.Context, u *url.URL, body []byte, key string, readLimit int64) (httpReply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		// Not wrapped: the error quotes the URL, which may hold a secret (Telegram's token).
		return httpReply{}, errInvalidRequest
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", p.cfg.UserAgent)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		// On a refused redirect the client returns the last response too, its body closed.
		return httpReply{}, err
	}
	defer resp.Body.Close()
	r := httpReply{status: resp.StatusCode, header: resp.Header}
	if readLimit > 0 {
		// A body cut short by a read error is still a complete HTTP status: classify the
		// status and let the caller treat a truncated body as unreadable.
		r.body, _ = io.ReadAll(io.LimitReader(resp.Body, readLimit))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, p.cfg.DrainLimit))
	return r, nil
}

// send is the whole exchange of a plain HTTP channel: validate the URL, POST body, classify
// the status (2xx delivered; 429 rate limited with Retry-After; 5xx, network errors and
// timeouts transient; other 4xx, a 3xx that is not followed, a forbidden address or a bad
// URL permanent). Slack uses it as is; the webhook's Send does the same exchange and can be
// reduced to one call of send.
func (p httpPoster) send(ctx context.Context, what, rawURL string, body []byte, key string) Result {
	u, res, ok := checkTarget(rawURL, what)
	if !ok {
		return res
	}
	reply, err := p.post(ctx, u, body, key, 0)
	if err != nil {
		if res, ok := requestError(err, what); ok {
			return res
		}
		return classifyError(err, p.cfg.Timeout)
	}
	return classifyStatus(reply.status, reply.header.Get("Retry-After"), p.now())
}

// readPayload decodes the alert a chat or mail channel renders (actors/alert.Payload). A row
// whose payload cannot be read will never be sendable: the Result is permanent.
func readPayload(b []byte) (alert.Payload, Result, bool) {
	var p alert.Payload
	if err := json.Unmarshal(b, &p); err != nil || p.Message == "" {
		return alert.Payload{}, Result{Outcome: Permanent, Detail: "the alert could not be read"}, false
	}
	return p, Result{}, true
}

// truncateRunes cuts s to at most n runes, marking the cut with an ellipsis.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
