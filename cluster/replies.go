package cluster

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/messages"
)

// KindOf returns the kind of identity, the part before the first "/" ("check" for
// "check/123"). An identity without a kind or without a key is EInvalid.
func KindOf(identity string) (string, error) {
	kind, key, ok := strings.Cut(identity, "/")
	if !ok || kind == "" || key == "" {
		return "", messages.Errorf(messages.EInvalid, "invalid identity %q: want kind/key", identity)
	}
	return kind, nil
}

// Unmarshal decodes the body of env into msg. A body that does not decode is EInvalid: the
// child answers it with Invalid rather than failing.
func Unmarshal(env *messages.Envelope, msg proto.Message) error {
	if err := proto.Unmarshal(env.GetBody(), msg); err != nil {
		return &messages.Error{Code: messages.EInvalid,
			Message: fmt.Sprintf("undecodable %s v%d body: %v", env.GetType(), env.GetVersion(), err)}
	}
	return nil
}

// UnmarshalReply decodes the payload of r into msg.
func UnmarshalReply(r *messages.Reply, msg proto.Message) error {
	if err := proto.Unmarshal(r.GetBody(), msg); err != nil {
		return fmt.Errorf("decode %s reply: %w", r.GetType(), err)
	}
	return nil
}

// OK is the reply to a request that succeeded.
func OK() *messages.Reply { return &messages.Reply{Code: messages.Code_CODE_OK} }

// OKWith is OK carrying a payload of type typ.
func OKWith(typ string, body proto.Message) (*messages.Reply, error) {
	b, err := proto.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("marshal %s reply: %w", typ, err)
	}
	return &messages.Reply{Code: messages.Code_CODE_OK, Type: typ, Body: b}, nil
}

// Invalid is the reply to a message that cannot be understood; detail is safe to show a user.
func Invalid(detail string) *messages.Reply {
	return &messages.Reply{Code: messages.Code_CODE_INVALID, Detail: detail}
}

// UpgradeRetryAfter is how long a caller is asked to wait when its request reached an actor
// of an older release that does not know it (during a rolling upgrade).
const UpgradeRetryAfter = 5 * time.Second

// errUpgrading is what a caller makes of an UnknownType reply.
const errUpgrading = "the receiver runs an older release that cannot apply this request; it was not applied: try again when the upgrade is done"

// UnknownType is the reply of an actor to a message type it does not know: a newer release's,
// during a rolling upgrade. The sender learns the request was not applied and may try again
// once the receiver is upgraded; the receiver never guesses at what it cannot read.
func UnknownType(typ string) *messages.Reply {
	return &messages.Reply{Code: messages.Code_CODE_UNKNOWN_TYPE,
		Detail: "unknown message type " + strconv.Quote(strings.ToValidUTF8(typ, "?"))}
}

// NotOwner is the reply of a node that does not own the identity; hint is the ID of the member
// it believes does.
func NotOwner(hint string) *messages.Reply {
	return &messages.Reply{Code: messages.Code_CODE_NOT_OWNER, Hint: hint}
}

// RateLimited is the reply to a request over an allowance (a check's pings per second):
// the caller may try again after retryAfter.
func RateLimited(detail string, retryAfter time.Duration) *messages.Reply {
	return &messages.Reply{Code: messages.Code_CODE_RATE_LIMITED, Detail: detail, RetryAfterMs: retryAfter.Milliseconds()}
}

// Unavailable asks the caller to try again after retryAfter (the store is down, a batch
// failed).
func Unavailable(retryAfter time.Duration) *messages.Reply {
	return &messages.Reply{Code: messages.Code_CODE_UNAVAILABLE, Detail: "temporarily unavailable",
		RetryAfterMs: retryAfter.Milliseconds()}
}

// ReplyOf turns an application error into the reply that carries it to another node: nil is
// OK, an *messages.Error keeps its code and message, anything else is Internal with a generic
// detail (internal details never leave the node). Codes the wire has no room for (the edge's
// own unauthorized, forbidden, too_large) travel as Internal.
func ReplyOf(err error) *messages.Reply {
	if err == nil {
		return OK()
	}
	var e *messages.Error
	if !errors.As(err, &e) {
		return &messages.Reply{Code: messages.Code_CODE_INTERNAL, Detail: "internal error"}
	}
	r := &messages.Reply{Detail: e.Message}
	switch e.Code {
	case messages.ENotFound:
		r.Code = messages.Code_CODE_NOT_FOUND
	case messages.EInvalid:
		r.Code = messages.Code_CODE_INVALID
	case messages.EConflict:
		r.Code = messages.Code_CODE_CONFLICT
	case messages.EStale:
		r.Code = messages.Code_CODE_STALE
	case messages.EPrecondition:
		r.Code = messages.Code_CODE_PRECONDITION_FAILED
	case messages.EUnavailable:
		r.Code = messages.Code_CODE_UNAVAILABLE
		r.RetryAfterMs = e.RetryAfter.Milliseconds()
	case messages.ERateLimited:
		r.Code = messages.Code_CODE_RATE_LIMITED
		r.RetryAfterMs = e.RetryAfter.Milliseconds()
	default:
		r.Code = messages.Code_CODE_INTERNAL
		r.Detail = "internal error"
	}
	return r
}

// ErrorOf is the inverse of ReplyOf: nil for OK, an *messages.Error for every other code.
// NotOwner (which the router never returns) is EUnavailable.
func ErrorOf(r *messages.Reply) error {
	code := r.GetCode()
	if code == messages.Code_CODE_OK {
		return nil
	}
	e := &messages.Error{Message: r.GetDetail()}
	switch code {
	case messages.Code_CODE_NOT_FOUND:
		e.Code = messages.ENotFound
	case messages.Code_CODE_INVALID:
		e.Code = messages.EInvalid
	case messages.Code_CODE_CONFLICT:
		e.Code = messages.EConflict
	case messages.Code_CODE_STALE:
		e.Code = messages.EStale
	case messages.Code_CODE_PRECONDITION_FAILED:
		e.Code = messages.EPrecondition
	case messages.Code_CODE_UNAVAILABLE, messages.Code_CODE_NOT_OWNER:
		e.Code = messages.EUnavailable
		e.RetryAfter = time.Duration(r.GetRetryAfterMs()) * time.Millisecond
	case messages.Code_CODE_RATE_LIMITED:
		e.Code = messages.ERateLimited
		e.RetryAfter = time.Duration(r.GetRetryAfterMs()) * time.Millisecond
	case messages.Code_CODE_UNKNOWN_TYPE:
		// Not applied, and it will be once the receiver runs this release: a pause, not a fault.
		e.Code, e.RetryAfter, e.Message = messages.EUnavailable, UpgradeRetryAfter, errUpgrading
	default:
		e.Code = messages.EInternal
	}
	if e.Message == "" {
		e.Message = string(e.Code)
	}
	return e
}
