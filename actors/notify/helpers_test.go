package notify_test

import (
	"net/netip"
)

// loopback allows the test servers on 127.0.0.1.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
