package activity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// LabelIPHash is the key-ring label (keyring.Ring.Derive) of the key that hashes client
// addresses in the log.
const LabelIPHash = "ttr activity ip v1"

// Events and outcomes of the log.
const (
	EventAuth        = "auth"         // a credential was checked
	EventTokenCreate = "token_create" // an API token was made
	EventTokenUpdate = "token_update" // its name, expiry or networks changed
	EventTokenRevoke = "token_revoke" // an API token was revoked
	EventKeyCreate   = "key_create"   // a new user and its access key were made
	EventKeyRotate   = "key_rotate"   // the access key was replaced
	EventKeyNetworks = "key_networks" // the access key's allowed networks changed
	EventSignIn      = "sign_in"
	EventSignOut     = "sign_out"
	EventAdmin       = "admin"                    // an administrator's action
	EventLink        = "telegram_link"            // a Telegram account was linked or unlinked
	EventCleanup     = messages.AuditEventCleanup // the cleanup removed an inactive check or user

	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// Config bounds what the recorder writes.
type Config struct {
	// SuccessEvery: a credential's successful use from one address is recorded once per
	// SuccessEvery (default an hour).
	SuccessEvery time.Duration
	// FailuresPerWindow failed authentications per client address are recorded per Window
	// (default 20 an hour); the rest are dropped, so a flood cannot fill the store.
	FailuresPerWindow int
	Window            time.Duration
	// MaxTracked bounds each of the recorder's memories (default 100,000 entries): when full,
	// expired entries are dropped; failures are then no longer recorded until room frees up.
	MaxTracked int
}

// DefaultConfig returns the defaults of docs/operations.md "Activity log".
func DefaultConfig() Config {
	return Config{SuccessEvery: time.Hour, FailuresPerWindow: 20, Window: time.Hour, MaxTracked: 100_000}
}

// Validate reports every setting New refuses.
func (c Config) Validate() error {
	if c.SuccessEvery < 0 || c.FailuresPerWindow < 0 || c.Window < 0 || c.MaxTracked < 0 {
		return errors.New("activity: settings must not be negative")
	}
	return nil
}

// Deps are the recorder's collaborators.
type Deps struct {
	Store persistence.AuditStore // required
	// IPKey keys the hash of client addresses (keyring Derive(LabelIPHash)).
	IPKey  []byte
	Now    func() time.Time // nil = time.Now
	Logger *slog.Logger     // nil = discard
}

// Recorder writes the activity log. Its memories (which successes and how many failures
// were recorded lately) are per node: in a cluster each node records at most its own share,
// so a success may be recorded once per node and hour. A nil *Recorder records nothing.
type Recorder struct {
	cfg  Config
	deps Deps
	log  *slog.Logger

	mu        sync.Mutex
	successes map[string]time.Time // credential + address hash → last recorded
	failures  map[string]*window   // address hash → failures recorded in its window
}

type window struct {
	start time.Time
	n     int
}

// New returns a recorder; a zero Config field takes its default. It runs nothing of its
// own (it writes on the caller's goroutine), so it has no Start or Stop.
func New(cfg Config, deps Deps) (*Recorder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil {
		return nil, errors.New("activity: Store is required")
	}
	def := DefaultConfig()
	if cfg.SuccessEvery == 0 {
		cfg.SuccessEvery = def.SuccessEvery
	}
	if cfg.FailuresPerWindow == 0 {
		cfg.FailuresPerWindow = def.FailuresPerWindow
	}
	if cfg.Window == 0 {
		cfg.Window = def.Window
	}
	if cfg.MaxTracked == 0 {
		cfg.MaxTracked = def.MaxTracked
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Recorder{cfg: cfg, deps: deps, log: log, successes: map[string]time.Time{}, failures: map[string]*window{}}, nil
}

// IPHash is the keyed hash of a client address as the log keeps it (16 bytes). It is
// stable for one server secret, so rows of one address can be told apart from another's
// without revealing either.
func (r *Recorder) IPHash(ip netip.Addr) []byte {
	if r == nil || !ip.IsValid() {
		return nil
	}
	m := hmac.New(sha256.New, r.deps.IPKey)
	b := ip.Unmap().AsSlice()
	m.Write(b)
	return m.Sum(nil)[:16]
}

// Attempt is one credential check.
type Attempt struct {
	UserID     int64  // 0 when no user is known
	Method     string // "key", "token", "session", "admin"
	Credential string // "token:12" ("" for the key)
	Reason     string // why it failed ("" on success)
	IP         netip.Addr
	UserAgent  string
}

// Succeeded records a successful authentication unless this credential's use from this
// address was recorded within SuccessEvery.
func (r *Recorder) Succeeded(ctx context.Context, a Attempt) {
	if r == nil {
		return
	}
	now := r.deps.Now()
	h := r.IPHash(a.IP)
	k := a.Method + "|" + strconv.FormatInt(a.UserID, 10) + "|" + a.Credential + "|" + string(h)
	r.mu.Lock()
	last, seen := r.successes[k]
	fresh := seen && now.Sub(last) < r.cfg.SuccessEvery
	if !fresh {
		if len(r.successes) >= r.cfg.MaxTracked {
			for key, t := range r.successes {
				if now.Sub(t) >= r.cfg.SuccessEvery {
					delete(r.successes, key)
				}
			}
		}
		if len(r.successes) < r.cfg.MaxTracked {
			r.successes[k] = now
		}
	}
	r.mu.Unlock()
	if fresh {
		return
	}
	r.write(ctx, a, h, now, EventAuth, OutcomeSuccess)
}

// Failed records a failed authentication unless FailuresPerWindow were recorded for its
// address in the current window. It reports whether it recorded it.
func (r *Recorder) Failed(ctx context.Context, a Attempt) bool {
	if r == nil {
		return false
	}
	now := r.deps.Now()
	h := r.IPHash(a.IP)
	k := string(h)
	r.mu.Lock()
	w := r.failures[k]
	if w == nil || now.Sub(w.start) >= r.cfg.Window {
		if w == nil && len(r.failures) >= r.cfg.MaxTracked {
			for key, old := range r.failures {
				if now.Sub(old.start) >= r.cfg.Window {
					delete(r.failures, key)
				}
			}
		}
		if len(r.failures) >= r.cfg.MaxTracked {
			r.mu.Unlock()
			return false
		}
		w = &window{start: now}
		r.failures[k] = w
	}
	record := w.n < r.cfg.FailuresPerWindow
	if record {
		w.n++
	}
	r.mu.Unlock()
	if record {
		r.write(ctx, a, h, now, EventAuth, OutcomeFailure)
	}
	return record
}

// Event records an account event (token made or revoked, key rotated, sign-in, an admin's
// action …) always.
func (r *Recorder) Event(ctx context.Context, event string, a Attempt) {
	if r == nil {
		return
	}
	outcome := OutcomeSuccess
	if a.Reason != "" && event == EventSignIn {
		outcome = OutcomeFailure
	}
	r.write(ctx, a, r.IPHash(a.IP), r.deps.Now(), event, outcome)
}

// write inserts a row. The log must never make a request fail: an error is logged only.
func (r *Recorder) write(ctx context.Context, a Attempt, ipHash []byte, now time.Time, event, outcome string) {
	e := messages.AuditEvent{UserID: a.UserID, At: now.UTC().Truncate(time.Millisecond), Event: event, Method: a.Method,
		Credential: a.Credential, Outcome: outcome, Reason: a.Reason, IPHash: ipHash, UAFamily: Family(a.UserAgent)}
	if err := r.deps.Store.InsertAudit(context.WithoutCancel(ctx), &e); err != nil {
		r.log.WarnContext(ctx, "activity log write failed", "event", event, "err", err)
	}
}
