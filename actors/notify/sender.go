package notify

import (
	"context"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// Outcome classifies one delivery attempt (docs/architecture.md#alerting-rules).
type Outcome int

// The outcomes of a send.
const (
	// Delivered: the receiver accepted the alert (2xx).
	Delivered Outcome = iota + 1
	// Transient: 5xx, a network error or a timeout; retried with back-off until RetryFor.
	Transient
	// Permanent: the receiver refused the alert (other 4xx), or it cannot be sent at all
	// (forbidden address, undecryptable destination); never retried.
	Permanent
	// RateLimited: 429; retried after Result.RetryAfter without counting as an attempt.
	RateLimited
)

// String returns the outcome's metric label, its messages.SendOutcome.
func (o Outcome) String() string {
	switch o {
	case Delivered:
		return string(messages.SendDelivered)
	case Transient:
		return string(messages.SendTransient)
	case Permanent:
		return string(messages.SendPermanent)
	case RateLimited:
		return string(messages.SendRateLimited)
	default:
		return "unknown"
	}
}

// Delivery is one outbox row ready to send: the row, its destination as configured when the
// row was written (opened from Row.DestEnc), and the payload to send.
type Delivery struct {
	Row  messages.OutboxRow
	Dest messages.ChannelConfig
	// Payload is the alert's canonical JSON (actors/alert.Payload); Row.Payload as stored.
	Payload []byte
}

// Result is what a Sender reports about one attempt.
type Result struct {
	Outcome Outcome
	// RetryAfter is the receiver's requested wait (RateLimited); 0 = none given.
	RetryAfter time.Duration
	// Detail is shown to the user on the check ("receiver answered 400"). It never contains
	// the receiver's response body or anything about the server's own network.
	Detail string
}

// Sender delivers to one kind of channel. Send must honour ctx, must not panic, and reports
// every failure in the Result (there is no error return: the classification is the error).
// Implementations are safe for concurrent use: many notifiers share one Sender.
type Sender interface {
	Send(ctx context.Context, d Delivery) Result
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, d Delivery) Result

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, d Delivery) Result { return f(ctx, d) }
