package check

import (
	"context"
	"encoding/hex"
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
	Send(identity, typ string, version uint32, body proto.Message) error
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

// Edit changes the fields of a check that e names (see messages.CheckEdit); the check's
// owner merges it into the configuration it holds. An If-Match that no longer matches is
// EPrecondition.
func (c *Client) Edit(ctx context.Context, checkID int64, e *messages.CheckEdit) error {
	return c.callNew(ctx, checkID, messages.TypeEdit, e)
}

// Pause pauses a check. ifMatch, when not empty, is an If-Match precondition on its
// config_version (EPrecondition when none matches).
func (c *Client) Pause(ctx context.Context, userID, checkID int64, ifMatch []int64) error {
	if len(ifMatch) == 0 {
		return c.call(ctx, checkID, messages.TypePause, &messages.Pause{UserId: userID})
	}
	return c.command(ctx, userID, checkID, messages.CommandOp_COMMAND_OP_PAUSE, ifMatch)
}

// Resume resumes a paused check (ifMatch as for Pause).
func (c *Client) Resume(ctx context.Context, userID, checkID int64, ifMatch []int64) error {
	if len(ifMatch) == 0 {
		return c.call(ctx, checkID, messages.TypeResume, &messages.Resume{UserId: userID})
	}
	return c.command(ctx, userID, checkID, messages.CommandOp_COMMAND_OP_RESUME, ifMatch)
}

// TogglePause pauses an active check and resumes a paused one (ifMatch as for Pause).
func (c *Client) TogglePause(ctx context.Context, userID, checkID int64, ifMatch []int64) error {
	return c.command(ctx, userID, checkID, messages.CommandOp_COMMAND_OP_TOGGLE_PAUSE, ifMatch)
}

// Delete deletes a check (ifMatch as for Pause).
func (c *Client) Delete(ctx context.Context, userID, checkID int64, ifMatch []int64) error {
	if len(ifMatch) == 0 {
		return c.call(ctx, checkID, messages.TypeDelete, &messages.Delete{UserId: userID})
	}
	return c.command(ctx, userID, checkID, messages.CommandOp_COMMAND_OP_DELETE, ifMatch)
}

// Created tells the owner of a check the API just created that it exists, so that the node
// counts it (ttr_checks) now rather than at its first ping or the next topology change. The
// owner activates it briefly, as for a wake-up. A hint: a lost message only delays the count.
func (c *Client) Created(checkID int64) {
	_ = c.router.Send(Identity(checkID), messages.TypeReload, 1, &messages.Reload{})
}

// command sends a Command: a type the previous release does not know, so that it refuses a
// toggle or a precondition instead of running the command without it.
func (c *Client) command(ctx context.Context, userID, checkID int64, op messages.CommandOp, ifMatch []int64) error {
	return c.callNew(ctx, checkID, messages.TypeCommand, &messages.Command{UserId: userID, Op: op, IfConfigVersions: ifMatch})
}

// SetChannel stores one channel's settings.
func (c *Client) SetChannel(ctx context.Context, userID, checkID int64, channel messages.ChannelKind, enabled bool, configEnc []byte, keep bool) error {
	return c.call(ctx, checkID, messages.TypeSetChannel, &messages.SetChannel{
		UserId: userID, Channel: string(channel), Enabled: enabled, ConfigEnc: configEnc, KeepConfig: keep,
	})
}

func (c *Client) call(ctx context.Context, checkID int64, typ string, body proto.Message) error {
	rep, err := c.router.Request(ctx, Identity(checkID), typ, 1, body, NewRequestID())
	return replyErr(rep, err)
}

// callNew sends a message of a type that an owner of an older release may not know. Such an
// owner answers CODE_UNKNOWN_TYPE (cluster.ErrorOf makes it Unavailable: the request was not
// applied, and will be once the check's owner runs this release), or — the release before
// that code existed — Invalid with the detail below, which is taken the same way.
func (c *Client) callNew(ctx context.Context, checkID int64, typ string, body proto.Message) error {
	rep, err := c.router.Request(ctx, Identity(checkID), typ, 1, body, NewRequestID())
	// The previous release answered with this release's words under INVALID.
	if err == nil && rep.GetCode() == messages.Code_CODE_INVALID {
		if unknown := cluster.UnknownType(typ); rep.GetDetail() == unknown.GetDetail() {
			rep = unknown
		}
	}
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
