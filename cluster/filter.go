package cluster

import (
	"log/slog"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/messages"
)

// wireTypes are the only message types a peer may send: the envelope and the reply
// (docs/architecture.md#engine-choices), and the dead-letter answer protoactor sends for a request whose target is
// gone (the router retries on it).
var wireTypes = map[string]bool{
	string(proto.MessageName((*messages.Envelope)(nil))):        true,
	string(proto.MessageName((*messages.Reply)(nil))):           true,
	string(proto.MessageName((*actor.DeadLetterResponse)(nil))): true,
}

// protoSerializerID is remote's id of its protobuf serializer (its JSON one is 1).
const protoSerializerID = 0

// filterPeerMessages drops, from every batch a peer sends, the messages that are not wire
// types: protoactor's remote would deliver a PoisonPill, a Stop or a Watch to any actor whose
// name the peer knows (a host: every ping and API change on the node would fail for good),
// and would crash on a type this binary does not know. Authenticated peers run the same code
// and never send them; this keeps a compromised or buggy one from stopping system actors.
func filterPeerMessages(logger *slog.Logger, dropped *atomic.Int64) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return handler(srv, &filteringStream{ServerStream: ss, log: logger, dropped: dropped})
	}
}

type filteringStream struct {
	grpc.ServerStream
	log     *slog.Logger
	dropped *atomic.Int64
}

// RecvMsg implements grpc.ServerStream.
func (s *filteringStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	rm, ok := m.(*remote.RemoteMessage)
	if !ok {
		return nil
	}
	if b := rm.GetMessageBatch(); b != nil {
		s.filter(b)
	}
	return nil
}

func (s *filteringStream) filter(b *remote.MessageBatch) {
	kept := b.Envelopes[:0]
	for _, e := range b.Envelopes {
		name := ""
		if e.TypeId >= 0 && int(e.TypeId) < len(b.TypeNames) {
			name = b.TypeNames[e.TypeId]
		}
		okTarget := e.Target >= 0 && int(e.Target) < len(b.Targets)
		okSender := e.Sender >= 0 && int(e.Sender) <= len(b.Senders)
		if wireTypes[name] && e.SerializerId == protoSerializerID && okTarget && okSender {
			kept = append(kept, e)
			continue
		}
		s.dropped.Add(1)
		s.log.Warn("remote: dropped a peer's message that is not a ttr wire type", slog.String("type", name))
	}
	clear(b.Envelopes[len(kept):])
	b.Envelopes = kept
}
