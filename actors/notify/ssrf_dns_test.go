package notify_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/ttr-rip/ttr/actors/notify"
)

// fakeDNS answers A queries from a table, on a local UDP port.
func fakeDNS(t *testing.T, records map[string]string) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		for _, question := range q.Question {
			ip, ok := records[strings.TrimSuffix(question.Name, ".")]
			if !ok {
				m.Rcode = dns.RcodeNameError // NXDOMAIN, as a real server answers
			}
			if ok && question.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: question.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 1}, A: net.ParseIP(ip)})
			}
		}
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	addr := pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

// TestForbiddenTargetsAfterResolution: a public-looking name that resolves to a private
// address is refused, and so is a redirect from an allowed receiver to loopback.
func TestForbiddenTargetsAfterResolution(t *testing.T) {
	var hits atomic.Int32
	loopback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(loopback.Close)

	// The first hop listens on 127.0.0.2, the only address the allow-list admits; it
	// redirects to the loopback receiver on 127.0.0.1.
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("127.0.0.2 not available: %v", err)
	}
	hop := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, loopback.URL+"/", http.StatusTemporaryRedirect)
	})}}
	hop.Start()
	t.Cleanup(hop.Close)
	_, hopPort, _ := net.SplitHostPort(ln.Addr().String())

	cfg := notify.DefaultHTTPConfig()
	cfg.Timeout = 3 * time.Second
	cfg.AllowNets = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}
	cfg.Resolver = fakeDNS(t, map[string]string{"hooks.example.com": "10.0.0.1", "hop.example.com": "127.0.0.2"})
	w := notify.NewWebhook(cfg, nil)

	tests := []struct{ name, url string }{
		{"a name resolving to 10.0.0.1", "http://hooks.example.com:" + hopPort + "/"},
		{"a redirect to loopback", "http://hop.example.com:" + hopPort + "/"},
		{"loopback outside the allow-list", loopback.URL},
		// A name that does not exist reads exactly like a refused address, so test sends
		// cannot tell a tenant which internal names resolve.
		{"an unknown name", "http://nope.example.com:" + hopPort + "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := w.Send(context.Background(), delivery(tt.url))
			if got.Outcome != notify.Permanent || got.Detail != notify.DetailNoSuchDestination {
				t.Fatalf("Send(%s) = %+v, want a permanent refusal", tt.url, got)
			}
		})
	}
	if hits.Load() != 0 {
		t.Fatalf("the loopback receiver was reached %d times", hits.Load())
	}
}
