package limiter

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/actors/ratelimit"
	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/messages"
)

// Router sends a request to the owner of an identity (cluster.Router).
type Router interface {
	Request(ctx context.Context, identity, typ string, version uint32, body proto.Message, requestID string) (*messages.Reply, error)
}

// Client asks limiter actors, wherever they live.
type Client struct {
	router Router
}

// NewClient returns a client over router.
func NewClient(r Router) *Client { return &Client{router: r} }

// Take asks the limiter of allowance name for key for cost events of l. It reports whether
// they were taken and, when not, how long until they would be. An off limit allows
// everything without a request.
func (c *Client) Take(ctx context.Context, name, key string, l ratelimit.Limit, cost int) (bool, time.Duration, error) {
	if l.Off() {
		return true, 0, nil
	}
	rep, err := c.router.Request(ctx, Identity(name, key), messages.TypeLimitTake, 1,
		&messages.LimitTake{Rate: l.Rate, Burst: int32(l.Burst), Cost: int32(cost)}, "")
	if err != nil {
		return false, 0, fmt.Errorf("limiter %s: %w", name, err)
	}
	if err := cluster.ErrorOf(rep); err != nil {
		return false, 0, fmt.Errorf("limiter %s: %w", name, err)
	}
	var res messages.LimitResult
	if err := cluster.UnmarshalReply(rep, &res); err != nil {
		return false, 0, fmt.Errorf("limiter %s: %w", name, err)
	}
	return res.GetAllowed(), time.Duration(res.GetRetryAfterMs()) * time.Millisecond, nil
}
