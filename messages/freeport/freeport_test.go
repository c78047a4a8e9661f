package freeport

import (
	"net"
	"testing"
)

// TestAddrNeverRepeats: many picks in a row are all distinct and each can be bound.
func TestAddrNeverRepeats(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		a := Addr(t)
		if seen[a] {
			t.Fatalf("%s handed out twice", a)
		}
		seen[a] = true
	}
	l, err := net.Listen("tcp", Addr(t))
	if err != nil {
		t.Fatalf("bind a handed-out address: %v", err)
	}
	l.Close()
}
