package cluster_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/messages"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		identity, kind string
		ok             bool
	}{
		{"check/123", "check", true},
		{"notifier/ab/cd", "notifier", true},
		{"check/", "", false},
		{"/123", "", false},
		{"check", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.identity, func(t *testing.T) {
			kind, err := cluster.KindOf(tt.identity)
			if (err == nil) != tt.ok || kind != tt.kind {
				t.Fatalf("KindOf = %q, %v", kind, err)
			}
			if err != nil && messages.CodeOf(err) != messages.EInvalid {
				t.Fatalf("error code %q", messages.CodeOf(err))
			}
		})
	}
}

func TestReplyConstructors(t *testing.T) {
	tests := []struct {
		name  string
		reply *messages.Reply
		want  *messages.Reply
	}{
		{"ok", cluster.OK(), &messages.Reply{Code: messages.Code_CODE_OK}},
		{"invalid", cluster.Invalid("bad"), &messages.Reply{Code: messages.Code_CODE_INVALID, Detail: "bad"}},
		{"not owner", cluster.NotOwner("n2"), &messages.Reply{Code: messages.Code_CODE_NOT_OWNER, Hint: "n2"}},
		{"unavailable", cluster.Unavailable(1500 * time.Millisecond),
			&messages.Reply{Code: messages.Code_CODE_UNAVAILABLE, Detail: "temporarily unavailable", RetryAfterMs: 1500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.reply; got.GetCode() != tt.want.GetCode() || got.GetDetail() != tt.want.GetDetail() ||
				got.GetHint() != tt.want.GetHint() || got.GetRetryAfterMs() != tt.want.GetRetryAfterMs() {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	r, err := cluster.OKWith("count", wrapperspb.Int64(7))
	if err != nil {
		t.Fatal(err)
	}
	var n wrapperspb.Int64Value
	if err := cluster.UnmarshalReply(r, &n); err != nil || n.GetValue() != 7 || r.GetType() != "count" {
		t.Fatalf("payload %v %v %v", r, n.GetValue(), err)
	}
}

func TestUnmarshal(t *testing.T) {
	var n wrapperspb.Int64Value
	err := cluster.Unmarshal(&messages.Envelope{Type: "count", Body: []byte{0xff}}, &n)
	if messages.CodeOf(err) != messages.EInvalid {
		t.Fatalf("err %v, want EInvalid", err)
	}
	if r := cluster.ReplyOf(err); r.GetCode() != messages.Code_CODE_INVALID {
		t.Fatalf("reply %v", r)
	}
}

func TestErrorsCrossNodes(t *testing.T) {
	tests := []struct {
		err      error
		code     messages.Code
		back     messages.ErrCode
		sameText bool
	}{
		{nil, messages.Code_CODE_OK, "", false},
		{messages.ErrNotFound, messages.Code_CODE_NOT_FOUND, messages.ENotFound, true},
		{messages.Errorf(messages.EInvalid, "bad schedule"), messages.Code_CODE_INVALID, messages.EInvalid, true},
		{messages.Errorf(messages.EConflict, "slug taken"), messages.Code_CODE_CONFLICT, messages.EConflict, true},
		{messages.Errorf(messages.EStale, "renamed"), messages.Code_CODE_STALE, messages.EStale, true},
		{messages.Errorf(messages.EPrecondition, "changed"), messages.Code_CODE_PRECONDITION_FAILED, messages.EPrecondition, true},
		{&messages.Error{Code: messages.EUnavailable, Message: "store down", RetryAfter: 2 * time.Second},
			messages.Code_CODE_UNAVAILABLE, messages.EUnavailable, true},
		{fmt.Errorf("load: %w", messages.ErrNotFound), messages.Code_CODE_NOT_FOUND, messages.ENotFound, true},
		{&messages.Error{Code: messages.ERateLimited, Message: "too many pings", RetryAfter: 50 * time.Millisecond},
			messages.Code_CODE_RATE_LIMITED, messages.ERateLimited, true},
		{errors.New("pq: connection refused"), messages.Code_CODE_INTERNAL, messages.EInternal, false},
		{messages.Errorf(messages.EForbidden, "no"), messages.Code_CODE_INTERNAL, messages.EInternal, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.err), func(t *testing.T) {
			r := cluster.ReplyOf(tt.err)
			if r.GetCode() != tt.code {
				t.Fatalf("code %v, want %v", r.GetCode(), tt.code)
			}
			back := cluster.ErrorOf(r)
			if messages.CodeOf(back) != tt.back {
				t.Fatalf("back %v (%q), want %q", back, messages.CodeOf(back), tt.back)
			}
			if tt.sameText && messages.MessageOf(back) != messages.MessageOf(tt.err) {
				t.Errorf("message %q, want %q", messages.MessageOf(back), messages.MessageOf(tt.err))
			}
			if !tt.sameText && tt.err != nil && r.GetDetail() != "internal error" {
				t.Errorf("internal detail %q leaked", r.GetDetail())
			}
			var e *messages.Error
			if errors.As(back, &e) && tt.back == messages.EUnavailable && e.RetryAfter != 2*time.Second {
				t.Errorf("retry after %v", e.RetryAfter)
			}
		})
	}
}

// TestUnknownTypeIsAnUpgradePause: an actor's answer to a message type it does not know (an
// older release's, during a rolling upgrade) reaches the caller as Unavailable with the
// upgrade's retry-after, not as an internal error or a user's mistake.
func TestUnknownTypeIsAnUpgradePause(t *testing.T) {
	r := cluster.UnknownType("edit-v2\xff")
	if r.GetCode() != messages.Code_CODE_UNKNOWN_TYPE || r.GetDetail() != `unknown message type "edit-v2?"` {
		t.Fatalf("reply %v", r)
	}
	var e *messages.Error
	if err := cluster.ErrorOf(r); !errors.As(err, &e) || e.Code != messages.EUnavailable || e.RetryAfter != cluster.UpgradeRetryAfter {
		t.Fatalf("ErrorOf: %v", err)
	}
}
