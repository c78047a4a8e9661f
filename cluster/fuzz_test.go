package cluster_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/messages"
)

// FuzzDecodeEnvelope feeds arbitrary bytes to what a node does with a message from the
// network: decode the envelope, find the identity's kind, decode the inner message its type
// names. Whatever arrives is a decoded message or an EInvalid error, never a panic.
func FuzzDecodeEnvelope(f *testing.F) {
	seed := func(typ, identity string, body proto.Message) {
		b, _ := proto.Marshal(body)
		env, _ := proto.Marshal(&messages.Envelope{Type: typ, Version: 1, Body: b, Identity: identity, RequestId: "r1"})
		f.Add(env)
	}
	seed(messages.TypePing, "check/1", &messages.Ping{Kind: messages.PingKind_PING_KIND_FAIL, Body: []byte("x"), Query: "a=1"})
	seed(messages.TypeLimitTake, "limiter/signup/192.0.2.1", &messages.LimitTake{Rate: 1, Burst: 2, Cost: 1})
	seed(messages.TypeTestSend, "notifier/abc", &messages.TestSend{RowJson: []byte("{}")})
	seed(messages.TypeUpdate, "check/2", &messages.Update{UserId: 1, ConfigJson: []byte(`{"name":"x"}`)})
	f.Add([]byte{0x0a, 0xff, 0xff})
	inner := map[string]func() proto.Message{
		messages.TypePing:       func() proto.Message { return &messages.Ping{} },
		messages.TypeTick:       func() proto.Message { return &messages.Tick{} },
		messages.TypeUpdate:     func() proto.Message { return &messages.Update{} },
		messages.TypePause:      func() proto.Message { return &messages.Pause{} },
		messages.TypeSetChannel: func() proto.Message { return &messages.SetChannel{} },
		messages.TypeTestSend:   func() proto.Message { return &messages.TestSend{} },
		messages.TypeLimitTake:  func() proto.Message { return &messages.LimitTake{} },
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var env messages.Envelope
		if err := proto.Unmarshal(b, &env); err != nil {
			return
		}
		if _, err := cluster.KindOf(env.GetIdentity()); err != nil && messages.CodeOf(err) != messages.EInvalid {
			t.Fatalf("KindOf(%q): %v is not EInvalid", env.GetIdentity(), err)
		}
		for _, mk := range inner {
			if err := cluster.Unmarshal(&env, mk()); err != nil && messages.CodeOf(err) != messages.EInvalid {
				t.Fatalf("Unmarshal: %v is not EInvalid", err)
			}
		}
		_ = cluster.ErrorOf(&messages.Reply{Code: messages.Code(env.GetVersion()), Detail: env.GetType()})
	})
}
