package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/messages"
)

// Requester is the part of the cluster router a Client uses; *cluster.Router implements it.
type Requester interface {
	Request(ctx context.Context, identity, typ string, version uint32, body proto.Message, requestID string) (*messages.Reply, error)
}

// DefaultClientTimeout bounds a Client request whose context has no deadline: up to
// Config.TestWait (10 s) waiting for the destination's rate limit, then the send itself.
const DefaultClientTimeout = 25 * time.Second

// Client asks a destination's notifier, wherever it lives, for a test send or its rate
// control, and pokes it. It is safe for concurrent use.
type Client struct {
	r Requester
	p Poker
}

// NewClient returns a client over the router r; p pokes notifiers (NewRouterPoker over the
// same router; nil = Poke does nothing, the dispatcher's sweep finds the rows).
func NewClient(r Requester, p Poker) *Client { return &Client{r: r, p: p} }

// Poke tells the notifier of destHash that one new outbox row was written for it (a hint:
// see Poker).
func (c *Client) Poke(destHash string) {
	switch p := c.p.(type) {
	case nil:
	case RowPoker:
		p.PokeRows(destHash, 1)
	default:
		p.Poke(destHash)
	}
}

// TestSend delivers row through the notifier of destHash ahead of its backlog, under its
// rate limit, and returns the outcome (delivered, transient, permanent or rate_limited with
// RetryAfterMs). row is not written to the outbox; its DestEnc is sealed under
// keyring.OutboxAD(row.IdempotencyKey, row.UserID) like an outbox row's.
//
// The notifier waits for a token at most Config.TestWait and never so long that the send
// could not end before ctx's deadline (DefaultClientTimeout when ctx has none); give ctx at
// least TestWait + the channel's send timeout to wait the full TestWait. A failed delivery
// is a result, not an error: errors are those of the router (the *messages.Error of
// cluster.ErrorOf, or a deadline).
func (c *Client) TestSend(ctx context.Context, destHash string, row messages.OutboxRow) (*messages.SendResult, error) {
	if destHash == "" {
		return nil, messages.Errorf(messages.EInvalid, "test send: no destination")
	}
	if row.DestHash == "" {
		row.DestHash = destHash
	}
	b, err := json.Marshal(row)
	if err != nil {
		return nil, fmt.Errorf("test send: encode row: %w", err)
	}
	var res messages.SendResult
	if err := c.request(ctx, destHash, messages.TypeTestSend, &messages.TestSend{RowJson: b}, messages.ReplySendResult, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Rate returns the live rate control of destHash.
func (c *Client) Rate(ctx context.Context, destHash string) (*messages.RateSnapshot, error) {
	if destHash == "" {
		return nil, messages.Errorf(messages.EInvalid, "rate: no destination")
	}
	var snap messages.RateSnapshot
	if err := c.request(ctx, destHash, messages.TypeRate, &messages.RateQuery{}, messages.ReplyRateSnapshot, &snap); err != nil {
		return nil, err
	}
	return &snap, nil
}

func (c *Client) request(ctx context.Context, destHash, typ string, body proto.Message, replyType string, out proto.Message) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultClientTimeout)
		defer cancel()
	}
	reply, err := c.r.Request(ctx, Identity(destHash), typ, 1, body, "")
	if err != nil {
		return err
	}
	if err := cluster.ErrorOf(reply); err != nil {
		return err
	}
	if reply.GetType() != replyType {
		return fmt.Errorf("%s: unexpected reply type %q", typ, reply.GetType())
	}
	return cluster.UnmarshalReply(reply, out)
}
