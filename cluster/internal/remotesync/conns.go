package remotesync

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc/stats"
)

// ConnTracker counts a remote's live outbound gRPC transports (give it to the remote as
// grpc.WithStatsHandler), so that stopping the remote can wait until every one of them has
// finished, goroutines included.
//
// A transport closed by its peer (the other node stopped) is closed on its own goroutines,
// not through the ClientConn.Close that remote calls when its endpoint writer stops, and
// nothing else waits for them. gRPC calls the stats handler's ConnEnd at the very end of a
// transport's Close, after its reader and writer goroutines have exited.
type ConnTracker struct {
	mu    sync.Mutex
	idle  *sync.Cond
	count int
}

var _ stats.Handler = (*ConnTracker)(nil)

// NewConnTracker returns a tracker of no transport.
func NewConnTracker() *ConnTracker {
	t := &ConnTracker{}
	t.idle = sync.NewCond(&t.mu)
	return t
}

// TagRPC implements stats.Handler.
func (t *ConnTracker) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }

// HandleRPC implements stats.Handler.
func (t *ConnTracker) HandleRPC(context.Context, stats.RPCStats) {}

// TagConn implements stats.Handler.
func (t *ConnTracker) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

// HandleConn implements stats.Handler.
func (t *ConnTracker) HandleConn(_ context.Context, s stats.ConnStats) {
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

// Wait waits until no transport is live, or timeout; it reports whether none is.
func (t *ConnTracker) Wait(timeout time.Duration) bool {
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
