// Package freeport hands out loopback addresses to start servers on, for tests and the
// benchmark harness.
//
// An address is free when it is handed out, and no other call in the same process has handed
// out the same port: a caller that picks several ports for one daemon (HTTP, internal, remote,
// gossip) used to get the same one twice now and then, since a port picked and released is
// free again for the next pick, and the daemon then failed with "address already in use".
package freeport

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	given = map[int]bool{}
)

// Pick returns "127.0.0.1:port" for a port that was free a moment ago and that this process
// has not handed out before. Another process may still take it before the caller binds it.
func Pick() (string, error) {
	for range 1000 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", fmt.Errorf("pick a free port: %w", err)
		}
		addr := l.Addr().(*net.TCPAddr)
		l.Close()
		mu.Lock()
		seen := given[addr.Port]
		given[addr.Port] = true
		mu.Unlock()
		if !seen {
			return addr.String(), nil
		}
	}
	return "", errors.New("pick a free port: every port offered was handed out before")
}

// Addr is Pick for a test, which fails when no port can be had.
func Addr(t testing.TB) string {
	t.Helper()
	a, err := Pick()
	if err != nil {
		t.Fatal(err)
	}
	return a
}
