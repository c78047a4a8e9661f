package hcapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// Store is what the package reads, plus the writes that come before a check's actor exists
// (creating a check) and the user's destinations and tag-badge key. persistence.Store
// implements it.
type Store interface {
	persistence.CheckReader
	persistence.DestinationStore
	UserBadgeKey(ctx context.Context, userID int64) (string, error)
	SetUserBadgeKey(ctx context.Context, userID int64, key string) error
	UserByAuthKeyHash(ctx context.Context, hash []byte) (messages.User, error)
}

// Checks reaches check actors; its errors are the edge's (see the http package's Checks).
type Checks interface {
	Edit(ctx context.Context, checkID int64, e *messages.CheckEdit) error
	Pause(ctx context.Context, userID, checkID int64, ifMatch []int64) error
	Resume(ctx context.Context, userID, checkID int64, ifMatch []int64) error
	Delete(ctx context.Context, userID, checkID int64, ifMatch []int64) error
	SetChannel(ctx context.Context, userID, checkID int64, channel messages.ChannelKind, enabled bool, configEnc []byte, keepConfig bool) error
}

// Credential is what an API key stands for: its user (healthchecks.io's project) and whether
// the key is read-only.
type Credential struct {
	User     messages.User
	ReadOnly bool
	// Via names the kind of key for rate limits and logs ("access_key", "token").
	Via string
}

// Resolver resolves an API key. An unknown key is ENotFound or EUnauthorized; any other
// error is internal.
type Resolver interface {
	ResolveAPIKey(ctx context.Context, key string, ip netip.Addr) (Credential, error)
}

// Config is the package's configuration.
type Config struct {
	// PublicURL is the base of every URL in an answer (healthchecks.io's SITE_ROOT), e.g.
	// "https://ttr.example.com".
	PublicURL string
	// BodyLimit caps request bodies (413 beyond).
	BodyLimit int64
	// Quotas bound what one user may own; a create over the checks quota is 403.
	Quotas limit.Quotas
	// PingLogLimit caps the pings listed (healthchecks.io: the plan's ping log limit, at most
	// 1,000).
	PingLogLimit int
}

// Deps are the package's collaborators.
type Deps struct {
	Store    Store
	Checks   Checks
	Ring     *keyring.Ring
	Resolver Resolver
	Limits   *limit.Limits // nil = no limits
	Logger   *slog.Logger  // nil = discard
	Now      func() time.Time
	// Status answers the status endpoint: nil = always OK.
	Status func(ctx context.Context) error
	// SetRoute records the route pattern serving a request (metric and log labels); nil =
	// none.
	SetRoute func(r *http.Request, pattern string)
}

// Handler serves the Management API and the Prometheus endpoint.
type Handler struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
	now  func() time.Time
	base string
}

// New builds the handler.
func New(cfg Config, deps Deps) *Handler {
	h := &Handler{cfg: cfg, deps: deps, log: deps.Logger, now: deps.Now, base: strings.TrimRight(cfg.PublicURL, "/")}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.deps.Resolver == nil {
		h.deps.Resolver = AccessKeys{Store: deps.Store}
	}
	if h.cfg.PingLogLimit <= 0 || h.cfg.PingLogLimit > maxPingLog {
		h.cfg.PingLogLimit = maxPingLog
	}
	if h.cfg.BodyLimit <= 0 {
		h.cfg.BodyLimit = 64 << 10
	}
	return h
}

// maxPingLog is healthchecks.io's cap on the pings one listing returns.
const maxPingLog = 1000

// Path prefixes the handler owns.
const (
	prefixV1       = "/api/v1/"
	prefixV2       = "/api/v2/"
	prefixV3       = "/api/v3/"
	prefixProjects = "/projects/"
)

// Owns reports whether r is the handler's: every request under /api/v2/, /api/v3/ and
// /projects/, and a request under /api/v1/ that is healthchecks.io's (IsHealthchecks). It may
// read a POST body to decide, and then puts it back.
func (h *Handler) Owns(r *http.Request) bool {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, prefixV2), strings.HasPrefix(p, prefixV3), strings.HasPrefix(p, prefixProjects):
		return true
	case strings.HasPrefix(p, prefixV1):
		return IsHealthchecks(r, h.cfg.BodyLimit)
	}
	return false
}

// ServeHTTP serves a request Owns claimed.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if strings.HasPrefix(p, prefixProjects) {
		h.serveMetrics(w, r)
		return
	}
	h.serveAPI(w, r)
}

func (h *Handler) setRoute(r *http.Request, pattern string) {
	if h.deps.SetRoute != nil {
		h.deps.SetRoute(r, pattern)
	}
}
