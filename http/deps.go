package http

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/http/account"
	"github.com/ttr-rip/ttr/http/activity"
	"github.com/ttr-rip/ttr/http/hcapi"
	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/http/statuspage"
	"github.com/ttr-rip/ttr/http/transfer"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// Store is what the edge reads, plus the writes that come before a check's actor exists
// (creating users and checks). persistence.Store implements it.
type Store interface {
	persistence.UserStore
	persistence.AccountStore
	persistence.CheckReader
	persistence.BadgeStore
	persistence.ActivityStore
	persistence.DestinationStore
}

// Checks reaches check actors (through the router, on whichever node owns the check).
// Errors are *messages.Error: ENotFound (no such check for this user), EStale (the ping's
// lookup is out of date: evict and resolve again), EInvalid, EConflict (slug taken),
// EUnavailable (with RetryAfter: the store is down, the owner is unreachable, or it runs an
// older release that does not know the request), EPrecondition (If-Match did not match).
type Checks interface {
	// Ping records a ping. reason is why it counted as a failure ("" when it did not).
	Ping(ctx context.Context, checkID int64, p *messages.Ping) (reason string, err error)
	// Edit changes the fields e names (e carries the user and any If-Match); the owner
	// merges it into the configuration it holds. EPrecondition when If-Match does not match.
	Edit(ctx context.Context, checkID int64, e *messages.CheckEdit) error
	// Pause, Resume, TogglePause and Delete take an If-Match precondition on the check's
	// config_version: nil = none (EPrecondition when none of ifMatch matches).
	Pause(ctx context.Context, userID, checkID int64, ifMatch []int64) error
	Resume(ctx context.Context, userID, checkID int64, ifMatch []int64) error
	TogglePause(ctx context.Context, userID, checkID int64, ifMatch []int64) error
	Delete(ctx context.Context, userID, checkID int64, ifMatch []int64) error
	// SetChannel stores a channel's settings: configEnc is a messages.ChannelConfig in JSON
	// sealed under the key ring with keyring.ChannelAD; keepConfig only changes enabled.
	SetChannel(ctx context.Context, userID, checkID int64, channel messages.ChannelKind, enabled bool, configEnc []byte, keepConfig bool) error
	// Created tells the owner of a check the API just created that it exists (a hint that
	// cannot fail: the owner counts the check in its ttr_checks gauge).
	Created(checkID int64)
}

// Notifiers reaches notifier actors (one per destination identity, on whichever node owns
// it) through the router.
type Notifiers interface {
	// TestSend delivers row through the destination's notifier ahead of its backlog, under its
	// rate limit, and reports the outcome (a failed delivery is an outcome, not an error).
	TestSend(ctx context.Context, destHash string, row messages.OutboxRow) (*messages.SendResult, error)
	// Rate returns the destination's live rate-control snapshot.
	Rate(ctx context.Context, destHash string) (*messages.RateSnapshot, error)
	// Poke tells a destination's notifier that one new outbox row was written for it.
	Poke(destHash string)
}

// OutboxWriter queues alerts outside a check's write (test-queue sends).
type OutboxWriter interface {
	InsertOutbox(ctx context.Context, rows []messages.OutboxRow) error
}

// Config is the edge's configuration.
type Config struct {
	// PublicURL is the base of ping URLs shown to users, e.g. "https://ttr.example.com".
	PublicURL string
	// PingBodyLimit truncates stored ping bodies (bytes); the request body is never read
	// further than PingBodyLimit + 1.
	PingBodyLimit int64
	// APIBodyLimit caps API request bodies (413 beyond).
	APIBodyLimit int64
	// RequestTimeout bounds each request's work (actor round trips included).
	RequestTimeout time.Duration
	// EmailEnabled says the server has SMTP settings: without them an email channel is
	// refused when it is set or enabled, rather than accepted and failing every alert.
	EmailEnabled bool
	// WebhookAllowNets are the ranges alerts may reach although they are not public
	// (--webhook-allow-nets). A webhook, Slack or Discord URL whose host is an address or
	// localhost outside them is refused when it is saved; a name is checked when delivering.
	WebhookAllowNets []netip.Prefix
	// Quotas bound what one user may own (0 = unlimited); the zero value is unlimited.
	Quotas limit.Quotas
	// ImportBodyLimit caps an imported document (413 beyond; default 8 MiB).
	ImportBodyLimit int64
	// ImportHCServers are the healthchecks servers a user's import may fetch from, normalized
	// by transfer.NormalizeServer (--import-hc-servers; default https://healthchecks.io).
	ImportHCServers []string
	// HSTS sends Strict-Transport-Security on every response (only with an https PublicURL:
	// the daemon refuses the combination otherwise).
	HSTS bool
	// PingLogLimit is how many pings each check keeps (--ping-log-limit; 0 = all). The
	// dashboard's strip shows at most that many, so the background pruner never removes a
	// ping the strip shows (which would change the aggregate without changing its ETag).
	PingLogLimit int64
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		PublicURL:       "http://127.0.0.1:8080",
		PingBodyLimit:   10000,
		APIBodyLimit:    64 << 10,
		RequestTimeout:  10 * time.Second,
		ImportBodyLimit: 8 << 20,
		ImportHCServers: []string{transfer.DefaultHCServer},
	}
}

// Deps are the edge's collaborators.
type Deps struct {
	Store     Store
	Checks    Checks
	Notifiers Notifiers
	Outbox    OutboxWriter
	Ring      *keyring.Ring
	Logger    *slog.Logger
	// Registerer receives the edge's metrics; nil = none.
	Registerer prometheus.Registerer
	// Ready reports whether the node can serve (store reachable, deadlines armed); nil = ready.
	Ready func(ctx context.Context) error
	// OwnerOf names the node that owns a check (the check JSON's owner_node); nil outside a
	// cluster.
	OwnerOf func(checkID int64) string
	// Now is the clock (tests inject one); nil = time.Now.
	Now func() time.Time
	// Limits enforces the abuse limits and finds the client IP; nil = no limits, the socket's
	// address.
	Limits *limit.Limits
	// HCKeys resolves the API keys of healthchecks.io's clients (X-Api-Key, a body's api_key,
	// a metrics URL's key); nil = the user's access key, read-write.
	HCKeys hcapi.Resolver
	// KeyRecentlyRotated reports whether a key hash belonged to a key its user rotated away
	// recently: its failures are a client not yet updated, not a guess, and do not count
	// against the failed-authentication allowance. nil = no key counts as rotated.
	KeyRecentlyRotated func(ctx context.Context, keyHash []byte) bool
	// Admin is the operator side (admin sign-in, the admin API, /metrics on this listener);
	// nil = none of it is served.
	Admin *AdminDeps
	// Credentials holds API tokens, retired credentials, key networks and the activity log;
	// nil = no API tokens (a ttr_ bearer is refused), no networks, no retired keys.
	Credentials Credentials
	// Activity records the authentication activity log; nil = none.
	Activity *activity.Recorder
	// Sessions signs browsers in (the web UI's cookie also authenticates /api/v1); nil = no
	// cookie authentication.
	Sessions *session.Manager
	// Accounts is the account self-service; nil = one built from Store (when it is an
	// account.Store, as persistence.Store is), Checks and Ring.
	Accounts *account.Service
	// HCClient fetches from healthchecks servers for imports: the client alerts use, which
	// refuses private, loopback and metadata addresses after DNS resolution (SSRF); nil =
	// imports from healthchecks are unavailable.
	HCClient *http.Client
	// Transfer runs exports and imports (the web UI shares it); nil = one built from Store,
	// Checks, Ring and HCClient under the edge's Config.
	Transfer *Transfer
	// Pages serves the web UI's HTML routes; nil = none (every unknown path answers JSON).
	Pages Pages
	// StatusPages manages status pages and computes their public views (one per node, shared
	// with the web UI for its cache); nil = one built from Store when it is a
	// statuspage.Store, as persistence.Store is.
	StatusPages *statuspage.Service
}

// Pages is the web UI (package http/web), mounted on the edge's router.
type Pages interface {
	// Routes lists the UI's routes; the edge registers each under its pattern (also its
	// metric label).
	Routes() []PageRoute
	// NotFound answers an unknown browser path with the UI's HTML 404 page.
	NotFound(w http.ResponseWriter, r *http.Request)
}

// APIUser is a web UI that calls the edge's own routes in-process (the REST API, the ping
// routes) with the browser's credentials, so a page and a script see the same rules, errors
// and answers. NewServer hands it the routes without the outer middleware (the page's own
// request already went through it).
type APIUser interface {
	UseAPI(h http.Handler)
}

// PageRoute is one route of the web UI.
type PageRoute struct {
	Method  string
	Pattern string // httprouter syntax
	Handler http.Handler
}

// Credentials is what the edge keeps about credentials (persistence.Store implements it).
type Credentials interface {
	persistence.CredentialStore
	persistence.AuditStore
}
