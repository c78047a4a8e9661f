package check

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/messages"
)

// Router sends a request to the node that owns an identity and returns its reply
// (cluster.Router).
type Router interface {
	Request(ctx context.Context, identity, typ string, version uint32, body proto.Message, requestID string) (*messages.Reply, error)
}

// Client is the typed API of check actors, used by the edge (it implements http.Checks).
type Client struct {
	router Router
}

// NewClient returns a client over router.
func NewClient(r Router) *Client { return &Client{router: r} }

// Ping delivers a ping; it returns the failure reason when the ping counted as a failure.
func (c *Client) Ping(ctx context.Context, checkID int64, p *messages.Ping) (string, error) {
	rep, err := c.router.Request(ctx, Identity(checkID), messages.TypePing, 1, p, NewRequestID())
	if err := replyErr(rep, err); err != nil {
		return "", err
	}
	return rep.Detail, nil
}

// Update replaces a check's configuration.
func (c *Client) Update(ctx context.Context, userID, checkID int64, cfg messages.CheckConfig) error {
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	return c.call(ctx, checkID, messages.TypeUpdate, &messages.Update{UserId: userID, ConfigJson: b})
}

// Pause pauses a check.
func (c *Client) Pause(ctx context.Context, userID, checkID int64) error {
	return c.call(ctx, checkID, messages.TypePause, &messages.Pause{UserId: userID})
}

// Resume resumes a paused check.
func (c *Client) Resume(ctx context.Context, userID, checkID int64) error {
	return c.call(ctx, checkID, messages.TypeResume, &messages.Resume{UserId: userID})
}

// Delete deletes a check.
func (c *Client) Delete(ctx context.Context, userID, checkID int64) error {
	return c.call(ctx, checkID, messages.TypeDelete, &messages.Delete{UserId: userID})
}

// SetChannel stores one channel's settings.
func (c *Client) SetChannel(ctx context.Context, userID, checkID int64, channel string, enabled bool, configEnc []byte, keep bool) error {
	return c.call(ctx, checkID, messages.TypeSetChannel, &messages.SetChannel{
		UserId: userID, Channel: channel, Enabled: enabled, ConfigEnc: configEnc, KeepConfig: keep,
	})
}

func (c *Client) call(ctx context.Context, checkID int64, typ string, body proto.Message) error {
	rep, err := c.router.Request(ctx, Identity(checkID), typ, 1, body, NewRequestID())
	return replyErr(rep, err)
}

// NewRequestID returns a random request id. Ids need to be unique, not secret.
func NewRequestID() string {
	var b [16]byte
	v1, v2 := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		b[i], b[8+i] = byte(v1>>(8*i)), byte(v2>>(8*i))
	}
	return hex.EncodeToString(b[:])
}

// replyErr maps the reply contract to application errors (cluster.ErrorOf); a router that
// gave up means the owner could not be reached in time: try again shortly.
func replyErr(rep *messages.Reply, err error) error {
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return &messages.Error{Code: messages.EUnavailable, Message: "the check's owner did not answer in time", RetryAfter: time.Second}
	}
	err = cluster.ErrorOf(rep)
	var e *messages.Error
	if errors.As(err, &e) && e.Code == messages.EUnavailable && e.RetryAfter <= 0 {
		e.RetryAfter = time.Second
	}
	return err
}
