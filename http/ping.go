package http

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/julienschmidt/httprouter"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/http/pingpath"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/promreg"
)

// HeaderPingBodyLimit tells a pinging client how many body bytes are kept (docs/api.md#ping-api).
const HeaderPingBodyLimit = "Ping-Body-Limit"

// maxUserAgent is the most user-agent characters a ping keeps (docs/api.md#ping-api).
const maxUserAgent = 200

// The prefixes of the ping API's paths (docs/api.md#ping-api).
const (
	pingPrefixNative = "/p/"
	pingPrefixHC     = "/ping/"
)

// pingRoutes registers the ping API (docs/api.md#ping-api): /p/{user_slug}/{check}[/action] for GET,
// POST and HEAD, and the healthchecks.io-compatible /ping/{uuid}[/action] and
// /ping/{ping_key}/{slug}[/action] for every method. It returns the ping handler for
// pingsFirst.
func (s *Server) pingRoutes(r *httprouter.Router) *pingHandler {
	h := newPingHandler(s.cfg, s.deps, s.log, s.now)
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodHead} {
		r.Handle(m, pingPrefixNative+"*path", h.serve)
	}
	for _, m := range hcPingMethods {
		r.Handle(m, pingPrefixHC+"*path", h.serve)
	}
	return h
}

// pingsFirst serves pings with ping, straight, and every other request with router. It
// sends to ping exactly the requests the router would (its catch-all routes own /p/ for
// GET, POST and HEAD, other methods there go on to the router's 405, and /ping/ for every
// method), but spares each
// ping the router's tree walk and the parameter slice it allocates for a catch-all match,
// which the ping handler does not read.
func pingsFirst(ping *pingHandler, router http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.HasPrefix(p, pingPrefixHC) {
			ping.serve(w, r, nil) // every method, as healthchecks.io's ping view takes them
			return
		}
		switch r.Method {
		case http.MethodGet, http.MethodPost, http.MethodHead:
			if strings.HasPrefix(p, pingPrefixNative) {
				ping.serve(w, r, nil)
				return
			}
		}
		router.ServeHTTP(w, r)
	})
}

// pingHandler serves pings: parse the path, resolve it (cached), hand one Ping to the check's
// actor, answer what the actor said. It never answers 200 without the actor's OK.
type pingHandler struct {
	log      *slog.Logger
	checks   Checks
	resolver *Resolver
	limit    int64
	timeout  time.Duration
	bufs     sync.Pool // *[]byte of len limit+1, for reading bodies
	metrics  pingMetrics
	limits   *limit.Limits // nil: no per-IP limit, the socket's address
	now      func() time.Time
	expires  atomic.Pointer[expiresValue] // the Expires header of this second (/ping/)

	// Header values built once: assigning them skips an allocation per response.
	textPlain []string
	limitHdr  []string
	okLen     []string // Content-Length of "OK", for HEAD
	okBody    []byte   // "OK": writers that lack WriteString would convert a string each time
}

func newPingHandler(cfg Config, deps Deps, log *slog.Logger, now func() time.Time) *pingHandler {
	limit := max(cfg.PingBodyLimit, 0)
	rcfg := DefaultResolverConfig()
	rcfg.Quotas = cfg.Quotas
	h := &pingHandler{
		log:       log,
		checks:    deps.Checks,
		limits:    deps.Limits,
		now:       now,
		resolver:  NewResolver(deps.Store, deps.Ring, now, rcfg),
		limit:     limit,
		timeout:   cfg.RequestTimeout,
		metrics:   newPingMetrics(deps.Registerer),
		textPlain: []string{"text/plain; charset=utf-8"},
		limitHdr:  []string{strconv.FormatInt(limit, 10)},
		okLen:     []string{"2"},
		okBody:    []byte("OK"),
	}
	h.bufs.New = func() any {
		b := make([]byte, limit+1)
		return &b
	}
	return h
}

// Ping results, the values of the "result" label.
const (
	resultOK = iota
	resultCreated
	resultNotFound
	resultBadRequest
	resultUnavailable
	resultError
	nResults
)

var resultNames = [nResults]string{"ok", "created", "not_found", "bad_request", "unavailable", "error"}

// schemeNames labels pings by scheme; index 0 is a path that did not parse.
var schemeNames = [...]string{"none", pingpath.UUID.String(), pingpath.PingKey.String(), pingpath.UserSlug.String()}

// routePatterns name the ping routes for the HTTP metrics and access log (never the raw
// path: a ping key is a secret), by scheme; index 0 is a path that did not parse.
var routePatterns = [...]string{"/ping/*", "/ping/{uuid}", "/ping/{ping_key}/{slug}", "/p/{user_slug}/{check}"}

// routeUnparsedP names a /p/ path that did not parse.
const routeUnparsedP = "/p/*"

type pingMetrics struct {
	pings    [len(schemeNames)][nResults]prometheus.Counter
	duration prometheus.Histogram
}

// newPingMetrics builds the ping collectors and registers them on reg (nil = nowhere). The
// counters are looked up once here so that counting a ping costs no label hashing.
func newPingMetrics(reg prometheus.Registerer) pingMetrics {
	total := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "ttr",
		Name:      "pings_total",
		Help:      "Pings received, by URL scheme and result.",
	}, []string{"scheme", "result"})
	duration := prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "ttr",
		Name:      "ping_duration_seconds",
		Help:      "Time to answer a ping, from parsing its URL to the check's reply.",
		Buckets:   []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})
	total, err1 := promreg.Reuse(reg, total)
	duration, err2 := promreg.Reuse(reg, duration)
	if err := errors.Join(err1, err2); err != nil {
		panic(err) // a name clash with other labels: a programming error
	}
	var m pingMetrics
	m.duration = duration
	for s := range schemeNames {
		for r := range resultNames {
			m.pings[s][r] = total.WithLabelValues(schemeNames[s], resultNames[r])
		}
	}
	return m
}

// pingQuery is what a ping reads from its query string.
type pingQuery struct {
	rid    string
	create bool
}

func (h *pingHandler) serve(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	start := time.Now()
	scheme, result := h.handle(w, r, start)
	h.metrics.pings[scheme][result].Inc()
	h.metrics.duration.Observe(time.Since(start).Seconds())
}

// handle serves one ping, which began at start, and returns its scheme and result for the
// metrics. /p/ pings follow ttr's rules (docs/api.md#ping-api); /ping/ pings follow healthchecks.io's
// (handleHC).
func (h *pingHandler) handle(w http.ResponseWriter, r *http.Request, start time.Time) (pingpath.Scheme, int) {
	if strings.HasPrefix(r.URL.Path, pingPrefixHC) {
		return h.handleHC(w, r, start)
	}
	t, err := pingpath.Parse(r.URL.Path)
	if err == nil && r.URL.RawPath != "" {
		// The path was percent-encoded beyond what it needs (e.g. %2F): not a ping URL.
		err = pingpath.ErrNotFound
	}
	if err != nil {
		setRoute(r, routeUnparsedP)
		if errors.Is(err, pingpath.ErrBadExitCode) {
			h.text(w, r, http.StatusBadRequest, err.Error())
			return 0, resultBadRequest
		}
		h.text(w, r, http.StatusNotFound, "not found")
		return 0, resultNotFound
	}
	setRoute(r, routePatterns[t.Scheme])
	q, err := parsePingQuery(r.URL.RawQuery)
	if err != nil {
		h.text(w, r, http.StatusBadRequest, err.Error())
		return t.Scheme, resultBadRequest
	}
	ip, key, result, ok := h.admit(w, r, t)
	if !ok {
		return t.Scheme, result
	}
	ctx, cancel := h.deadline(r.Context(), start)
	defer cancel()

	p := newPing(r, t, q.rid)
	h.stampClient(p, r, ip)
	if r.Method == http.MethodPost {
		if p.Body, err = h.readBody(r.Body); err != nil {
			h.text(w, r, http.StatusBadRequest, "the request body could not be read")
			return t.Scheme, resultBadRequest
		}
	}
	ref, reason, created, err := h.deliver(ctx, key, q.create, p, nil)
	if err != nil {
		return t.Scheme, h.fail(w, r, err, ref.ID)
	}
	h.logPing(ctx, ref.ID, p)
	w.Header()[HeaderPingBodyLimit] = h.limitHdr
	if created {
		h.text(w, r, http.StatusCreated, "Created")
		return t.Scheme, resultCreated
	}
	if reason != "" && p.Kind == messages.PingKind_PING_KIND_SUCCESS {
		// A success ping that counts as a failure broke the content rule or had a failure
		// keyword (docs/api.md#ping-api: answered 200, with the reason).
		h.text(w, r, http.StatusOK, "OK ("+reason+")")
		return t.Scheme, resultOK
	}
	h.text(w, r, http.StatusOK, "OK")
	return t.Scheme, resultOK
}

// admit applies the per-IP ping limit and computes the lookup key; when it answers the
// request itself it returns ok false with the metrics result.
func (h *pingHandler) admit(w http.ResponseWriter, r *http.Request, t pingpath.Target) (ip netip.Addr, key LookupKey, result int, ok bool) {
	ip = h.limits.ClientIP(r)
	if err := h.limits.Ping(ip); err != nil {
		return ip, key, h.fail(w, r, err, 0), false
	}
	key, err := h.resolver.Key(t)
	if err != nil {
		return ip, key, h.fail(w, r, err, 0), false
	}
	return ip, key, 0, true
}

// deadline bounds a ping's context by the handler's timeout, measured from start.
func (h *pingHandler) deadline(ctx context.Context, start time.Time) (context.Context, context.CancelFunc) {
	if h.timeout > 0 {
		// The Timeout middleware usually set this deadline already; add one only if not.
		// Measured from start, not now, to spare a clock read: the existing deadline is
		// judged a little more strictly, which can only add a deadline, never drop one.
		if dl, ok := ctx.Deadline(); !ok || dl.Sub(start) > h.timeout {
			return context.WithTimeout(ctx, h.timeout)
		}
	}
	return ctx, func() {}
}

// stampClient records the client's address (through trusted proxies) and scheme on p.
func (h *pingHandler) stampClient(p *messages.Ping, r *http.Request, ip netip.Addr) {
	if ip.IsValid() {
		p.RemoteIp = ip.String()
	}
	p.ForwardedProto = h.limits.ForwardedProto(r)
}

func (h *pingHandler) logPing(ctx context.Context, checkID int64, p *messages.Ping) {
	if h.log.Enabled(ctx, slog.LevelDebug) {
		h.log.LogAttrs(ctx, slog.LevelDebug, "ping",
			slog.Int64("check_id", checkID), slog.String("kind", p.Kind.String()),
			slog.String("request_id", RequestIDFrom(ctx)))
	}
}

// newPing builds the actor's message for a parsed ping (all but the body and the user).
func newPing(r *http.Request, t pingpath.Target, rid string) *messages.Ping {
	p := &messages.Ping{
		ExitStatus: t.ExitStatus,
		Rid:        rid,
		Method:     r.Method,
		RemoteIp:   remoteIP(r.RemoteAddr),
		UserAgent:  clip(r.UserAgent(), maxUserAgent),
		Query:      validUTF8(r.URL.RawQuery),
		LookupRef:  t.Ref,
	}
	switch t.Action {
	case pingpath.Start:
		p.Kind = messages.PingKind_PING_KIND_START
	case pingpath.Fail:
		p.Kind = messages.PingKind_PING_KIND_FAIL
	case pingpath.Log:
		p.Kind = messages.PingKind_PING_KIND_LOG
	case pingpath.Exit:
		p.Kind = messages.PingKind_PING_KIND_SUCCESS
		if t.ExitStatus != 0 {
			p.Kind = messages.PingKind_PING_KIND_FAIL
		}
	default:
		p.Kind = messages.PingKind_PING_KIND_SUCCESS
	}
	switch t.Scheme {
	case pingpath.UUID:
		p.LookupKind = messages.LookupKind_LOOKUP_KIND_UUID
	case pingpath.PingKey:
		p.LookupKind = messages.LookupKind_LOOKUP_KIND_PING_KEY
	case pingpath.UserSlug:
		p.LookupKind = messages.LookupKind_LOOKUP_KIND_USER_SLUG
	}
	return p
}

// deliver resolves key (creating the check if asked and allowed) and hands p to the check's
// actor. When the actor says the lookup is out of date (Stale, or NotFound for a check that
// was deleted), the cache entry is evicted and the ping resolved and sent once more; a second
// Stale is answered Unavailable. first, when not nil, is the caller's resolution of key,
// used for the first attempt.
func (h *pingHandler) deliver(ctx context.Context, key LookupKey, create bool, p *messages.Ping, first *resolved) (ref messages.CheckRef, reason string, created bool, err error) {
	for attempt := 0; ; attempt++ {
		var made bool
		if attempt == 0 && first != nil {
			ref, made = first.ref, first.created
		} else if ref, made, err = h.resolver.Resolve(ctx, key, create); err != nil {
			return ref, "", false, err
		}
		created = created || made
		p.UserId = ref.UserID
		reason, err = h.checks.Ping(ctx, ref.ID, p)
		code := messages.CodeOf(err)
		if code != messages.EStale && code != messages.ENotFound {
			return ref, reason, created, err
		}
		h.resolver.Evict(key)
		if attempt > 0 {
			if code == messages.EStale {
				err = &messages.Error{Code: messages.EUnavailable, Message: "the check is being updated, try again", RetryAfter: time.Second}
			}
			return ref, "", false, err
		}
	}
}

// pingResultOf names the error codes a ping is answered with (their status from StatusOf, the
// one table the API uses too) and the metrics result of each; any other code is internal.
var pingResultOf = map[messages.ErrCode]int{
	messages.ENotFound:    resultNotFound,
	messages.EInvalid:     resultBadRequest,
	messages.EForbidden:   resultBadRequest, // a quota (?create=1)
	messages.EUnavailable: resultUnavailable,
	messages.ERateLimited: resultUnavailable,
}

// fail answers an error of the resolver or the actor and returns its metrics result.
func (h *pingHandler) fail(w http.ResponseWriter, r *http.Request, err error, checkID int64) int {
	code := messages.CodeOf(err)
	result, answered := pingResultOf[code]
	if !answered && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		err = &messages.Error{Code: messages.EUnavailable, Message: "timed out, try again", RetryAfter: time.Second}
		code, result, answered = messages.EUnavailable, resultUnavailable, true
	}
	if !answered {
		h.log.LogAttrs(r.Context(), slog.LevelError, "ping failed",
			slog.Int64("check_id", checkID), slog.String("request_id", RequestIDFrom(r.Context())),
			slog.Any("err", err))
		h.text(w, r, http.StatusInternalServerError, "internal error")
		return resultError
	}
	msg := messages.MessageOf(err)
	switch code {
	case messages.ENotFound:
		msg = "not found" // the same for every ping URL that resolves to nothing
	case messages.EUnavailable, messages.ERateLimited:
		w.Header().Set("Retry-After", strconv.FormatInt(RetryAfterSeconds(err), 10))
	}
	h.text(w, r, StatusOf(err), msg)
	return result
}

// RetryAfterSeconds is the error's RetryAfter in whole seconds, rounded up, at least 1.
func RetryAfterSeconds(err error) int64 {
	var e *messages.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return max(int64((e.RetryAfter+time.Second-1)/time.Second), 1)
	}
	return 1
}

// text writes a text/plain reply (headers only for HEAD).
func (h *pingHandler) text(w http.ResponseWriter, r *http.Request, status int, body string) {
	hdr := w.Header()
	hdr["Content-Type"] = h.textPlain
	if r.Method == http.MethodHead {
		if body == "OK" {
			hdr["Content-Length"] = h.okLen
		} else {
			hdr.Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.WriteHeader(status)
		return
	}
	w.WriteHeader(status)
	if body == "OK" {
		_, _ = w.Write(h.okBody)
		return
	}
	_, _ = io.WriteString(w, body)
}

// readBody reads at most limit+1 bytes of body, whatever its size (it never reads further),
// and returns the first limit of them: an over-limit body is truncated, never refused. The
// read goes through a pooled buffer; the result is a copy the actor may keep.
func (h *pingHandler) readBody(body io.Reader) ([]byte, error) {
	if body == nil || body == http.NoBody || h.limit == 0 {
		return nil, nil
	}
	bp := h.bufs.Get().(*[]byte)
	defer h.bufs.Put(bp)
	// ReadFull into a buffer of limit+1 bytes reads no more than that: the bound of
	// io.LimitReader(body, limit+1) without its allocation.
	n, err := io.ReadFull(body, *bp)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	n = min(n, int(h.limit))
	if n == 0 {
		return nil, nil
	}
	return append([]byte(nil), (*bp)[:n]...), nil
}

// parsePingQuery reads rid (a UUID, else EInvalid) and create=1 from a raw query string
// without building a url.Values. The first occurrence of each wins.
func parsePingQuery(raw string) (pingQuery, error) {
	var q pingQuery
	var seenRid, seenCreate bool
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == "rid" && !seenRid:
			seenRid = true
			if strings.ContainsAny(v, "%+") {
				var err error
				if v, err = url.QueryUnescape(v); err != nil {
					return q, errBadRid
				}
			}
			if !pingpath.IsUUID(v) {
				return q, errBadRid
			}
			q.rid = pingpath.LowerUUID(v)
		case k == "create" && !seenCreate:
			seenCreate = true
			q.create = v == "1"
		}
	}
	return q, nil
}

var errBadRid = errors.New("rid must be a UUID")

// remoteIP is the host of a RemoteAddr ("ip:port"). Proxy headers are not trusted here.
func remoteIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// validUTF8 returns s with invalid UTF-8 replaced (protobuf strings must be valid), allocating
// only when there is something to replace.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// clip returns s as valid UTF-8, at most n runes long.
func clip(s string, n int) string {
	s = validUTF8(s)
	if len(s) <= n {
		return s
	}
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
