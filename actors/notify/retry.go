package notify

import (
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/backoff"
	"github.com/ttr-rip/ttr/persistence"
)

// retryBackoff is the alert retry policy: the wait after the attempt-th transient failure
// (1-based) is base doubling with each failure, spread by ± jitter (a fraction) using r in
// [0, 1), capped at limit.
func retryBackoff(attempt int32, base, limit time.Duration, jitter, r float64) time.Duration {
	return min(backoff.Jitter(backoff.Exp(base, limit, int(attempt)-1), jitter, r), limit)
}

// decide turns the result of one attempt on row at now into the row's next state (docs/architecture.md#alerting-rules):
// delivered; permanent → failed; rate limited → pending after Retry-After, not counted as an
// attempt and never failing the row; transient → pending after a back-off, or failed once the
// row has been retried for RetryFor since it was created. r is a uniform random number in
// [0, 1) for the jitter.
func decide(cfg Config, row messages.OutboxRow, node string, res Result, now time.Time, r float64) persistence.OutboxResult {
	out := persistence.OutboxResult{
		ID:       row.ID,
		Node:     node,
		Attempts: row.Attempts,
		At:       now,
	}
	switch res.Outcome {
	case Delivered:
		out.Status = messages.OutboxDelivered
		out.Attempts++
		out.DeliveredAt = now
		out.ChannelStatus = messages.DeliveryOK
	case RateLimited:
		wait := res.RetryAfter
		if wait <= 0 {
			wait = cfg.RateLimitWait
		}
		if wait > cfg.MaxRateLimitWait {
			wait = cfg.MaxRateLimitWait
		}
		out.Status = messages.OutboxPending
		out.NextAttemptAt = now.Add(wait)
		out.LastError = res.Detail
	case Permanent:
		out.Status = messages.OutboxFailed
		out.Attempts++
		out.LastError = res.Detail
		out.ChannelStatus = messages.DeliveryError
		out.ChannelMessage = res.Detail
	default: // Transient, or a Sender that returned no outcome
		detail := res.Detail
		if detail == "" {
			detail = "delivery failed"
		}
		out.Attempts++
		out.LastError = detail
		out.ChannelStatus = messages.DeliveryError
		out.ChannelMessage = detail
		giveUp := row.CreatedAt.Add(cfg.RetryFor)
		if !row.CreatedAt.IsZero() && !now.Before(giveUp) {
			out.Status = messages.OutboxFailed
			out.LastError = detail + " (gave up after " + shortDuration(cfg.RetryFor) + ")"
			out.ChannelMessage = out.LastError
			break
		}
		out.Status = messages.OutboxPending
		out.NextAttemptAt = now.Add(retryBackoff(out.Attempts, cfg.BackoffBase, cfg.BackoffMax, cfg.Jitter, r))
		// The last retry happens when the retry period ends, not a back-off after it.
		if !row.CreatedAt.IsZero() && out.NextAttemptAt.After(giveUp) {
			out.NextAttemptAt = giveUp
		}
	}
	return out
}
