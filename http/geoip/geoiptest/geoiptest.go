// Package geoiptest makes MaxMind databases for tests.
package geoiptest

import (
	"encoding/binary"
	"net/netip"
)

// Database builds a minimal IPv4 MaxMind database (format 2.0, 24-bit records) mapping one
// /24 network to {"country": {"iso_code": code}}: the format is public, and a database
// made here keeps MaxMind's files out of the repository.
func Database(network netip.Prefix, code string) []byte {
	str := func(s string) []byte { return append([]byte{0x40 | byte(len(s))}, s...) }
	u16 := func(v uint16) []byte { return []byte{0xa0 | 2, byte(v >> 8), byte(v)} }
	u32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32([]byte{0xc0 | 4}, v) }
	u64 := func(v uint64) []byte { return binary.BigEndian.AppendUint64([]byte{0x08, 2}, v) }
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	bits := network.Bits()
	nodes := uint32(bits)
	data := cat([]byte{0xe0 | 1}, str("country"), []byte{0xe0 | 1}, str("iso_code"), str(code))
	addr := network.Addr().As4()
	var tree []byte
	rec := func(v uint32) []byte { return []byte{byte(v >> 16), byte(v >> 8), byte(v)} }
	for d := range bits {
		next := uint32(d + 1)
		if d == bits-1 {
			next = nodes + 16 // the data section's first record
		}
		left, right := nodes, nodes // nodes = "no data"
		if addr[d/8]>>(7-d%8)&1 == 1 {
			right = next
		} else {
			left = next
		}
		tree = append(tree, cat(rec(left), rec(right))...)
	}
	meta := cat([]byte{0xe0 | 9},
		str("node_count"), u32(nodes),
		str("record_size"), u16(24),
		str("ip_version"), u16(4),
		str("database_type"), str("ttr-test"),
		str("languages"), []byte{0x01, 4}, str("en"),
		str("binary_format_major_version"), u16(2),
		str("binary_format_minor_version"), u16(0),
		str("build_epoch"), u64(1),
		str("description"), []byte{0xe0 | 1}, str("en"), str("test"))
	return cat(tree, make([]byte, 16), data, []byte("\xab\xcd\xefMaxMind.com"), meta)
}
