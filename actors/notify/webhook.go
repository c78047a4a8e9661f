package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Webhook delivers to the webhook channel: it POSTs the alert's JSON payload as is to the
// configured URL (docs/architecture.md#alerting-rules), with the row's idempotency key.
type Webhook struct {
	client *http.Client
	cfg    HTTPConfig
	now    func() time.Time
}

var _ Sender = (*Webhook)(nil)

// NewWebhook returns the webhook sender. now reads the clock for Retry-After dates; nil =
// time.Now.
func NewWebhook(cfg HTTPConfig, now func() time.Time) *Webhook {
	cfg = cfg.withDefaults()
	if now == nil {
		now = time.Now
	}
	return &Webhook{client: NewHTTPClient(cfg), cfg: cfg, now: now}
}

// Send POSTs d.Payload to d.Dest.URL and classifies the answer: 2xx delivered; 429 rate
// limited (Retry-After in seconds or as an HTTP date); 5xx, network errors and timeouts
// transient; other 4xx, a 3xx that is not followed, a forbidden address or a bad URL
// permanent.
func (w *Webhook) Send(ctx context.Context, d Delivery) Result {
	u, err := url.Parse(d.Dest.URL)
	switch {
	case d.Dest.URL == "":
		return Result{Outcome: Permanent, Detail: "the webhook has no URL"}
	case err != nil || u.Host == "":
		return Result{Outcome: Permanent, Detail: "the webhook URL is not valid"}
	case u.Scheme != "http" && u.Scheme != "https":
		return Result{Outcome: Permanent, Detail: "the webhook URL must be http or https"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(d.Payload))
	if err != nil {
		return Result{Outcome: Permanent, Detail: "the webhook URL is not valid"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", w.cfg.UserAgent)
	if d.Row.IdempotencyKey != "" {
		req.Header.Set("Idempotency-Key", d.Row.IdempotencyKey)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		// On a refused redirect the client returns the last response too, its body closed.
		return classifyError(err, w.cfg.Timeout)
	}
	// Read a little so the connection can be reused, never keep or echo it.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, w.cfg.DrainLimit))
	_ = resp.Body.Close()
	return classifyStatus(resp.StatusCode, resp.Header.Get("Retry-After"), w.now())
}

// classifyStatus maps an HTTP status to a Result.
func classifyStatus(code int, retryAfter string, now time.Time) Result {
	switch {
	case code >= 200 && code < 300:
		return Result{Outcome: Delivered}
	case code == http.StatusTooManyRequests:
		return Result{Outcome: RateLimited, RetryAfter: ParseRetryAfter(retryAfter, now),
			Detail: "receiver answered 429 (rate limited)"}
	case code >= 500:
		return Result{Outcome: Transient, Detail: fmt.Sprintf("receiver answered %d", code)}
	default: // other 4xx, a 3xx without Location or after the redirect limit, 1xx
		return Result{Outcome: Permanent, Detail: fmt.Sprintf("receiver answered %d", code)}
	}
}

// DetailNoSuchDestination is what a user learns of a destination whose host name does not
// exist and of one whose address is refused (SSRF protection): the same words and the same
// outcome, so that sending tests cannot map internal DNS.
const DetailNoSuchDestination = "the host name is unknown or its address is not allowed"

// classifyError maps a client error to a Result. The detail names the kind of failure only:
// resolver addresses, local ports and forbidden addresses stay out of what the user sees.
func classifyError(err error, timeout time.Duration) Result {
	var (
		redirect  *redirectError
		dnsErr    *net.DNSError
		certErr   *tls.CertificateVerificationError
		netErr    net.Error
		alertErr  tls.AlertError
		recordErr tls.RecordHeaderError
	)
	switch {
	case errors.Is(err, ErrAddressNotAllowed):
		return Result{Outcome: Permanent, Detail: DetailNoSuchDestination}
	case errors.As(err, &redirect):
		return Result{Outcome: Permanent, Detail: redirect.detail}
	case errors.Is(err, errTooManyRedirects):
		return Result{Outcome: Permanent, Detail: "receiver redirected too many times"}
	case errors.Is(err, context.Canceled):
		return Result{Outcome: Transient, Detail: "the delivery was interrupted"}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return Result{Outcome: Transient, Detail: fmt.Sprintf("receiver did not answer within %s", shortDuration(timeout))}
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			// Read exactly like a refused address: otherwise a test send would tell a tenant
			// which internal names exist.
			return Result{Outcome: Permanent, Detail: DetailNoSuchDestination}
		}
		return Result{Outcome: Transient, Detail: "the host name could not be resolved"}
	case errors.As(err, &certErr):
		return Result{Outcome: Transient, Detail: "the receiver's TLS certificate was not accepted"}
	case errors.Is(err, syscall.ECONNREFUSED):
		return Result{Outcome: Transient, Detail: "connection refused"}
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Result{Outcome: Transient, Detail: "the receiver closed the connection"}
	case errors.As(err, &alertErr):
		return Result{Outcome: Transient, Detail: "TLS handshake failed"}
	case errors.As(err, &recordErr):
		return Result{Outcome: Transient, Detail: "the receiver did not answer with TLS"}
	default:
		return Result{Outcome: Transient, Detail: "connection failed"}
	}
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date, relative to now.
// It returns 0 when the header is absent, malformed or in the past.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > math.MaxInt64/int64(time.Second) {
			return time.Duration(math.MaxInt64)
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// shortDuration renders whole minutes and hours without trailing zero units ("10s", "10m",
// "24h").
func shortDuration(d time.Duration) string {
	s := d.String()
	if d >= time.Minute && d%time.Minute == 0 {
		s = strings.TrimSuffix(s, "0s")
		if d%time.Hour == 0 {
			s = strings.TrimSuffix(s, "0m")
		}
	}
	return s
}
