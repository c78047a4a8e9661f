package notify

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/ttr-rip/ttr/actors/ssrf"
)

// HTTPConfig configures the outbound HTTP client that every HTTP-based channel shares.
type HTTPConfig struct {
	// DialTimeout bounds connecting to one address (default 3 s).
	DialTimeout time.Duration
	// Timeout bounds a whole request, redirects and reading the response included
	// (default 10 s).
	Timeout time.Duration
	// MaxRedirects is how many redirects are followed (default 3); each target is checked
	// like the first.
	MaxRedirects int
	// AllowNets are address ranges that may be reached although they are loopback, private,
	// link-local … (e.g. 10.0.0.0/8 for an internal receiver, 127.0.0.0/8 in tests).
	// Empty = only public addresses.
	AllowNets []netip.Prefix
	// DrainLimit is how much of a response body is read (and discarded) so the connection can
	// be reused (default 64 KiB).
	DrainLimit int64
	// UserAgent is sent with every request (default "ttr").
	UserAgent string
	// Resolver resolves host names (nil = the system's). Tests point it at a local DNS
	// server to show that the address check applies to what a name resolves to.
	Resolver *net.Resolver
}

// DefaultHTTPConfig returns the documented defaults: dial 3 s, total 10 s, 3 redirects, no
// private address allowed.
func DefaultHTTPConfig() HTTPConfig {
	return HTTPConfig{
		DialTimeout:  3 * time.Second,
		Timeout:      10 * time.Second,
		MaxRedirects: 3,
		DrainLimit:   64 << 10,
		UserAgent:    "ttr",
	}
}

func (c HTTPConfig) withDefaults() HTTPConfig {
	d := DefaultHTTPConfig()
	if c.DialTimeout <= 0 {
		c.DialTimeout = d.DialTimeout
	}
	if c.Timeout <= 0 {
		c.Timeout = d.Timeout
	}
	if c.MaxRedirects == 0 {
		c.MaxRedirects = d.MaxRedirects
	}
	if c.MaxRedirects < 0 {
		c.MaxRedirects = 0
	}
	if c.DrainLimit <= 0 {
		c.DrainLimit = d.DrainLimit
	}
	if c.UserAgent == "" {
		c.UserAgent = d.UserAgent
	}
	return c
}

// Validate reports a configuration that cannot work.
func (c HTTPConfig) Validate() error {
	var errs []error
	for _, p := range c.AllowNets {
		if !p.IsValid() {
			errs = append(errs, errors.New("notify: an allowed network is not a valid CIDR prefix"))
		}
	}
	if c.DialTimeout > 0 && c.Timeout > 0 && c.DialTimeout > c.Timeout {
		errs = append(errs, fmt.Errorf("notify: DialTimeout (%s) exceeds Timeout (%s)", c.DialTimeout, c.Timeout))
	}
	return errors.Join(errs...)
}

// ErrAddressNotAllowed is returned (wrapped) when a destination resolves to an address that
// deliveries may not reach (docs/operations.md#outbound-webhooks).
var ErrAddressNotAllowed = errors.New("destination address is not allowed")

// errTooManyRedirects ends a redirect chain longer than HTTPConfig.MaxRedirects.
var errTooManyRedirects = errors.New("too many redirects")

// redirectError is a redirect the client refuses to follow; detail is shown to the user.
type redirectError struct{ detail string }

func (e *redirectError) Error() string { return e.detail }

// NewHTTPClient returns the client for deliveries: no proxy (never taken from the
// environment), at most cfg.MaxRedirects redirects that keep the method and body, and a dialer
// that refuses forbidden addresses after DNS resolution. The check runs on the address the
// socket is about to connect to, so a name that resolves differently the second time (DNS
// rebinding), a redirect, or a name with several addresses cannot get around it.
func NewHTTPClient(cfg HTTPConfig) *http.Client {
	cfg = cfg.withDefaults()
	allow := append([]netip.Prefix(nil), cfg.AllowNets...)
	dialer := &net.Dialer{
		Resolver:  cfg.Resolver,
		Timeout:   cfg.DialTimeout,
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %q is not an IP address", ErrAddressNotAllowed, address)
			}
			if !AddressAllowed(ap.Addr(), allow) {
				return fmt.Errorf("%w: %s", ErrAddressNotAllowed, ap.Addr())
			}
			return nil
		},
	}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    cfg.DialTimeout + 2*time.Second,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        90 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > cfg.MaxRedirects {
				return errTooManyRedirects
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return &redirectError{detail: "receiver redirected to a URL that is not http or https"}
			}
			// net/http turns a POST into a GET without body on 301, 302 and 303: the alert
			// would be lost while the receiver answers 2xx.
			if req.Method != via[0].Method {
				code := 0
				if req.Response != nil {
					code = req.Response.StatusCode
				}
				return &redirectError{detail: fmt.Sprintf("receiver answered %d: only 307 and 308 redirects keep the alert", code)}
			}
			return nil
		},
	}
}

// AddressAllowed reports whether a delivery may connect to ip (ssrf.Allowed: the one home of
// the rule, which the edge also applies to literal addresses when a URL is saved).
func AddressAllowed(ip netip.Addr, allow []netip.Prefix) bool { return ssrf.Allowed(ip, allow) }
