// Package freeport hands tests loopback addresses to start servers on.
//
// An address is free when it is handed out, and no other call in the same process has handed
// out the same port: tests that pick several ports for one daemon (HTTP, internal, remote,
// gossip) used to get the same one twice now and then, since a port picked and released is
// free again for the next pick, and the daemon then failed with "address already in use".
package freeport

import (
	"net"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	given = map[int]bool{}
)

// Addr returns "127.0.0.1:port" for a port that was free a moment ago and that this process
// has not handed out before. Another process may still take it before the caller binds it.
func Addr(t testing.TB) string {
	t.Helper()
	for range 1000 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("pick a free port: %v", err)
		}
		addr := l.Addr().(*net.TCPAddr)
		l.Close()
		mu.Lock()
		seen := given[addr.Port]
		given[addr.Port] = true
		mu.Unlock()
		if !seen {
			return addr.String()
		}
	}
	t.Fatal("pick a free port: every port offered was handed out before")
	return ""
}
