package cluster

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc/stats"
)

// connTracker counts the node's live outbound gRPC transports, so that Stop can wait until
// every one of them has finished, goroutines included.
//
// A transport closed by its peer (the other node stopped) is closed on its own goroutines,
// not through the ClientConn.Close that remote calls when its endpoint writer stops, and
// nothing else waits for them. gRPC calls the stats handler's ConnEnd at the very end of a
// transport's Close, after its reader and writer goroutines have exited.
type connTracker struct {
	mu    sync.Mutex
	idle  *sync.Cond
	count int
}

var _ stats.Handler = (*connTracker)(nil)

func newConnTracker() *connTracker {
	t := &connTracker{}
	t.idle = sync.NewCond(&t.mu)
	return t
}

// TagRPC implements stats.Handler.
func (t *connTracker) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }

// HandleRPC implements stats.Handler.
func (t *connTracker) HandleRPC(context.Context, stats.RPCStats) {}

// TagConn implements stats.Handler.
func (t *connTracker) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

// HandleConn implements stats.Handler.
func (t *connTracker) HandleConn(_ context.Context, s stats.ConnStats) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch s.(type) {
	case *stats.ConnBegin:
		t.count++
	case *stats.ConnEnd:
		t.count--
		if t.count == 0 {
			t.idle.Broadcast()
		}
	}
}

// wait waits until no transport is live, or timeout; it reports whether none is.
func (t *connTracker) wait(timeout time.Duration) bool {
	timer := time.AfterFunc(timeout, func() {
		t.mu.Lock()
		t.idle.Broadcast()
		t.mu.Unlock()
	})
	defer timer.Stop()
	deadline := time.Now().Add(timeout)
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.count > 0 && time.Now().Before(deadline) {
		t.idle.Wait()
	}
	return t.count == 0
}
