package limit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/actors/ratelimit"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/promreg"
)

// Names of the allowances: limiter actor names ("limiter/<name>/<key>") and the values of
// the metric's limiter label.
const (
	NameSignUp        = "signup"
	NameAuthFail      = "auth_fail"
	NameAPICredential = "api_credential"
	NameAPIIP         = "api_ip"
	NamePingIP        = "ping_ip"
	NameTestSend      = "test_send"
	NameAdminSignIn   = "admin_signin"
)

// Config is every allowance the edge enforces. An off Limit (Rate 0) is not enforced.
type Config struct {
	// SignUp: POST /api/v1/users per client IP, cluster-wide (default 10 an hour).
	SignUp ratelimit.Limit
	// AuthFail: failed key, token and password checks per client IP, cluster-wide (default
	// 5 a minute); beyond it every credential from that IP is answered 429 until it refills.
	AuthFail ratelimit.Limit
	// APICredential: API requests per credential (default 50/s with bursts of 200). Each node
	// enforces its share, the allowance divided by the active members.
	APICredential ratelimit.Limit
	// APIIP: API requests per client IP (default 100/s with bursts of 200), per node share
	// like APICredential.
	APIIP ratelimit.Limit
	// PingIP: pings per client IP (default off: a NATed fleet shares one address), per node.
	PingIP ratelimit.Limit
	// TestSend: …/test and …/test-queue sends per user, cluster-wide (default 10 a minute).
	TestSend ratelimit.Limit
	// AdminSignIn: failed admin sign-ins per (username, client IP), cluster-wide (default 10
	// an hour), on top of AuthFail. Keyed by both, so guesses from elsewhere never lock the
	// real admin out.
	AdminSignIn ratelimit.Limit
	// TrustProxy lists the networks of reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (none by default).
	TrustProxy []netip.Prefix
}

// DefaultConfig returns the defaults of docs/operations.md "Abuse limits".
func DefaultConfig() Config {
	return Config{
		SignUp:        ratelimit.PerHour(10),
		AuthFail:      ratelimit.PerMinute(5),
		APICredential: ratelimit.PerSecond(50, 200),
		APIIP:         ratelimit.PerSecond(100, 200),
		TestSend:      ratelimit.PerMinute(10),
		AdminSignIn:   ratelimit.PerHour(10),
	}
}

// Validate names every allowance that cannot work.
func (c Config) Validate() error {
	var errs []error
	for name, l := range c.limits() {
		if err := l.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("limit %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func (c Config) limits() map[string]ratelimit.Limit {
	return map[string]ratelimit.Limit{
		NameSignUp: c.SignUp, NameAuthFail: c.AuthFail, NameAPICredential: c.APICredential,
		NameAPIIP: c.APIIP, NamePingIP: c.PingIP, NameTestSend: c.TestSend, NameAdminSignIn: c.AdminSignIn,
	}
}

// Shared takes from allowances that hold cluster-wide (actors/limiter.Client): it reports
// whether cost events of l were taken for key and, when not, how long until they would be.
type Shared interface {
	Take(ctx context.Context, name, key string, l ratelimit.Limit, cost int) (bool, time.Duration, error)
}

// Deps are what Limits works with.
type Deps struct {
	// Shared holds the cluster-wide allowances; nil = this node's own buckets.
	Shared Shared
	// Nodes is how many nodes share the per-node allowances (the active members); nil = 1.
	Nodes func() int
	// Now is the clock; nil = time.Now.
	Now func() time.Time
	// Registerer receives the refusal counters; nil = none.
	Registerer prometheus.Registerer
	// Logger; nil = discard.
	Logger *slog.Logger
}

// Limits enforces the edge's allowances. A nil *Limits allows everything. It is safe for
// concurrent use.
type Limits struct {
	cfg  Config
	deps Deps
	log  *slog.Logger

	// local holds the per-node allowances, and stands in for a shared one whose limiter
	// cannot be reached (the cluster is changing): then each node allows the whole allowance
	// rather than refusing everybody.
	local   map[string]*scaledSet
	refused map[string]prometheus.Counter

	mu      sync.Mutex
	blocked map[string]time.Time // client IP key (or admin sign-in key) → failed authentications refused until
}

// scaledSet is a Set of a per-node share, remade when the number of nodes changes.
type scaledSet struct {
	full ratelimit.Limit
	mu   sync.Mutex
	n    int
	set  *ratelimit.Set
}

func (s *scaledSet) get(n int) *ratelimit.Set {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set == nil || n != s.n {
		s.n = n
		s.set = ratelimit.NewSet(s.full.Scaled(1/float64(n)), 0)
	}
	return s.set
}

// maxBlocked bounds the blocked-IP cache; expired entries are dropped when it is reached.
const maxBlocked = 100_000

// New returns the limits of cfg.
func New(cfg Config, deps Deps) (*Limits, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Nodes == nil {
		deps.Nodes = func() int { return 1 }
	}
	l := &Limits{cfg: cfg, deps: deps, log: deps.Logger, local: map[string]*scaledSet{},
		refused: map[string]prometheus.Counter{}, blocked: map[string]time.Time{}}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	for name, lim := range cfg.limits() {
		l.local[name] = &scaledSet{full: lim}
		c := prometheus.NewCounter(prometheus.CounterOpts{
			Name: ratelimit.MetricName, Help: ratelimit.MetricHelp,
			ConstLabels: prometheus.Labels{"limiter": name},
		})
		if err := promreg.Register(deps.Registerer, c); err != nil {
			return nil, fmt.Errorf("%s counter: %w", name, err)
		}
		l.refused[name] = c
	}
	return l, nil
}

// Config is the configuration l enforces (the zero Config for a nil l).
func (l *Limits) Config() Config {
	if l == nil {
		return Config{}
	}
	return l.cfg
}

// ClientIP returns the client of r (see ClientIP).
func (l *Limits) ClientIP(r *http.Request) netip.Addr {
	var trusted []netip.Prefix
	if l != nil {
		trusted = l.cfg.TrustProxy
	}
	ip, _ := ClientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), trusted)
	return ip
}

// ForwardedProto is the scheme a trusted proxy says r came in with ("http" or "https"), or
// "" when r did not come through one.
func (l *Limits) ForwardedProto(r *http.Request) string {
	if l == nil || len(l.cfg.TrustProxy) == 0 {
		return ""
	}
	if socket := parseHost(r.RemoteAddr); !socket.IsValid() || !isTrusted(socket, l.cfg.TrustProxy) {
		return ""
	}
	return forwardedProto(r)
}

// AuthBlocked refuses, without a lookup anywhere, a client whose failed authentications this
// node saw go over the allowance and whose wait has not ended. Call it before checking a
// credential, so a blocked client cannot go on guessing.
func (l *Limits) AuthBlocked(ip netip.Addr) error {
	if l == nil || l.cfg.AuthFail.Off() {
		return nil
	}
	now := l.deps.Now()
	l.mu.Lock()
	until, ok := l.blocked[Key(ip)]
	l.mu.Unlock()
	if ok && now.Before(until) {
		l.refused[NameAuthFail].Inc()
		return errAuthFail(until.Sub(now))
	}
	return nil
}

// AuthFailed records a failed key, token or password check from ip and returns a
// rate-limited error when that was one too many: the caller answers it (429 with
// Retry-After) instead of its 401, and this node refuses the IP's credentials until the
// wait ends (AuthBlocked). A key rotated away recently is not a guess: callers do not report
// its failures.
func (l *Limits) AuthFailed(ctx context.Context, ip netip.Addr) error {
	if l == nil || l.cfg.AuthFail.Off() {
		return nil
	}
	key := Key(ip)
	ok, wait := l.take(ctx, NameAuthFail, key)
	if ok {
		return nil
	}
	l.block(key, wait)
	return errAuthFail(wait)
}

// adminKey is the allowance key of an admin sign-in: the client's key and a hash of the
// username (a username may hold any character; limiter identities must not).
func adminKey(username string, ip netip.Addr) string {
	h := sha256.Sum256([]byte(username))
	return Key(ip) + "~" + hex.EncodeToString(h[:8])
}

// AdminSignInBlocked refuses, before the password is checked, a sign-in as username from a
// client whose failures with that username this node saw go over the allowance.
func (l *Limits) AdminSignInBlocked(username string, ip netip.Addr) error {
	if l == nil || l.cfg.AdminSignIn.Off() {
		return nil
	}
	now := l.deps.Now()
	l.mu.Lock()
	until, ok := l.blocked[adminKey(username, ip)]
	l.mu.Unlock()
	if ok && now.Before(until) {
		l.refused[NameAdminSignIn].Inc()
		return errAdminSignIn(until.Sub(now))
	}
	return nil
}

// AdminSignInFailed records a failed admin sign-in as username from ip (cluster-wide) and
// returns a rate-limited error when that was one too many; then this node refuses that
// username from that client until the wait ends (AdminSignInBlocked). Callers report the
// failure to AuthFailed too.
func (l *Limits) AdminSignInFailed(ctx context.Context, username string, ip netip.Addr) error {
	if l == nil || l.cfg.AdminSignIn.Off() {
		return nil
	}
	key := adminKey(username, ip)
	ok, wait := l.take(ctx, NameAdminSignIn, key)
	if ok {
		return nil
	}
	l.block(key, wait)
	return errAdminSignIn(wait)
}

// block refuses key until wait has passed (bounded: expired entries go first).
func (l *Limits) block(key string, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.blocked) >= maxBlocked {
		now := l.deps.Now()
		for k, until := range l.blocked {
			if !now.Before(until) {
				delete(l.blocked, k)
			}
		}
	}
	if len(l.blocked) < maxBlocked {
		l.blocked[key] = l.deps.Now().Add(wait)
	}
}

func errAdminSignIn(wait time.Duration) error {
	return rateLimited("too many failed sign-ins with this username from your address, try again later", wait)
}

// SignUp takes one sign-up of ip's allowance, or returns a rate-limited error.
func (l *Limits) SignUp(ctx context.Context, ip netip.Addr) error {
	if l == nil {
		return nil
	}
	if ok, wait := l.take(ctx, NameSignUp, Key(ip)); !ok {
		return rateLimited("too many sign-ups from your address, try again later", wait)
	}
	return nil
}

// TestSend takes one test send of the user's allowance, or returns a rate-limited error.
func (l *Limits) TestSend(ctx context.Context, userID int64) error {
	if l == nil {
		return nil
	}
	if ok, wait := l.take(ctx, NameTestSend, strconv.FormatInt(userID, 10)); !ok {
		return rateLimited("too many test notifications, try again later", wait)
	}
	return nil
}

// APIClient takes one API request of ip's per-node share, or returns a rate-limited error.
func (l *Limits) APIClient(ip netip.Addr) error {
	if l == nil {
		return nil
	}
	if ok, wait := l.takeLocal(NameAPIIP, Key(ip)); !ok {
		return rateLimited("too many requests from your address, slow down", wait)
	}
	return nil
}

// APIRequest is APIClient for the address r comes from (ClientIP): the one way a route takes
// from the per-address API allowance.
func (l *Limits) APIRequest(r *http.Request) error {
	if l == nil {
		return nil
	}
	return l.APIClient(l.ClientIP(r))
}

// APICredential takes one API request of a credential's per-node share (credential names
// it, e.g. "key:<user id>"), or returns a rate-limited error.
func (l *Limits) APICredential(credential string) error {
	if l == nil {
		return nil
	}
	if ok, wait := l.takeLocal(NameAPICredential, credential); !ok {
		return rateLimited("too many requests with this credential, slow down", wait)
	}
	return nil
}

// Ping takes one ping of ip's per-node allowance (off by default), or returns a
// rate-limited error.
func (l *Limits) Ping(ip netip.Addr) error {
	if l == nil || l.cfg.PingIP.Off() {
		return nil
	}
	if ok, wait := l.takeLocal(NamePingIP, Key(ip)); !ok {
		return rateLimited("too many pings from your address", wait)
	}
	return nil
}

// take takes one event of a cluster-wide allowance, from this node's buckets when the
// shared limiter cannot answer.
func (l *Limits) take(ctx context.Context, name, key string) (bool, time.Duration) {
	lim := l.local[name].full
	if lim.Off() {
		return true, 0
	}
	if l.deps.Shared != nil {
		ok, wait, err := l.deps.Shared.Take(ctx, name, key, lim, 1)
		if err == nil {
			if !ok {
				l.refused[name].Inc()
			}
			return ok, wait
		}
		l.log.Warn("cluster-wide limiter unavailable, using this node's", "limiter", name, "err", err)
	}
	ok, wait := l.local[name].get(1).Take(key, l.deps.Now(), 1)
	if !ok {
		l.refused[name].Inc()
	}
	return ok, wait
}

// takeLocal takes one event of this node's share of an allowance.
func (l *Limits) takeLocal(name, key string) (bool, time.Duration) {
	s := l.local[name]
	if s.full.Off() {
		return true, 0
	}
	ok, wait := s.get(max(l.deps.Nodes(), 1)).Take(key, l.deps.Now(), 1)
	if !ok {
		l.refused[name].Inc()
	}
	return ok, wait
}

func errAuthFail(wait time.Duration) error {
	return rateLimited("too many failed authentications from your address, try again later", wait)
}

func rateLimited(msg string, wait time.Duration) error {
	return &messages.Error{Code: messages.ERateLimited, Message: msg, RetryAfter: max(wait, time.Second)}
}
