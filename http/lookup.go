package http

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/http/pingpath"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// ResolverConfig sizes the ping-URL resolver's cache.
type ResolverConfig struct {
	// PositiveTTL is how long a resolved check stays cached (default and maximum 1 h: docs/architecture.md#resolving-a-ping-url,
	// caches keyed by a user slug live at most an hour, and released user slugs are held for 24 h,
	// so a cached entry can never route one user's pings to another's check).
	PositiveTTL time.Duration
	// NegativeTTL is how long "no such check" stays cached (default and maximum 1 s, so a new
	// check is never a lasting 404).
	NegativeTTL time.Duration
	// MaxEntries bounds the cache (default 100,000). Beyond it, inserting into a full shard
	// drops its expired entries and then random ones until an eighth of the shard is free.
	MaxEntries int
	// Quotas bound the checks ?create=1 may make (only Checks is read; 0 = unlimited).
	Quotas limit.Quotas
}

// DefaultResolverConfig returns the defaults of ResolverConfig.
func DefaultResolverConfig() ResolverConfig {
	return ResolverConfig{PositiveTTL: time.Hour, NegativeTTL: time.Second, MaxEntries: 100_000}
}

// pingKeyPurpose names the ping key's HMAC lookup index (keyring.Ring.Index).
const pingKeyPurpose = keyring.PurposePingKey

// resolverShards is the number of independently locked parts of the cache: enough that
// concurrent pings rarely meet on one lock.
const resolverShards = 64

// Resolver turns ping URLs into check references (docs/architecture.md#resolving-a-ping-url): a read of
// the store, cached on this node, positive entries for at most an hour and negative ones for
// at most a second. When the check's actor answers Stale (or NotFound) for a cached
// reference, the caller Evicts the key and resolves again. It is safe for concurrent use.
type Resolver struct {
	store    Store
	ring     *keyring.Ring
	now      func() time.Time
	posTTL   int64 // ns
	negTTL   int64 // ns
	shardCap int
	seed     maphash.Seed
	shards   [resolverShards]resolverShard
	quotas   limit.Quotas
}

type resolverShard struct {
	mu sync.RWMutex
	m  map[LookupKey]cacheEntry
	_  [32]byte // keep neighbouring shards' locks off one cache line
}

type cacheEntry struct {
	ref     messages.CheckRef
	found   bool
	expires int64 // unix ns
}

// LookupKey names one lookup and keys the cache: the scheme, the user it goes through (the
// user slug; for a ping key its HMAC index, so the key itself is never held in the clear) and
// the check ref. Build one with Resolver.Key.
type LookupKey struct {
	scheme pingpath.Scheme
	owner  string
	ref    string
	// prev is the ping key's index under TTR_SECRET_KEY_PREVIOUS during a rotation: users
	// not yet re-indexed by `ttrd secrets rotate` are found by it.
	prev string
}

// NewResolver returns a resolver over store. ring computes ping-key indexes (without one, ping
// key URLs are internal errors); now is the clock (nil = time.Now). Zero fields of cfg take
// their defaults; TTLs above the maxima are lowered to them.
func NewResolver(store Store, ring *keyring.Ring, now func() time.Time, cfg ResolverConfig) *Resolver {
	def := DefaultResolverConfig()
	if cfg.PositiveTTL <= 0 || cfg.PositiveTTL > def.PositiveTTL {
		cfg.PositiveTTL = def.PositiveTTL
	}
	if cfg.NegativeTTL <= 0 || cfg.NegativeTTL > def.NegativeTTL {
		cfg.NegativeTTL = def.NegativeTTL
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = def.MaxEntries
	}
	if now == nil {
		now = time.Now
	}
	r := &Resolver{
		store:    store,
		ring:     ring,
		now:      now,
		posTTL:   int64(cfg.PositiveTTL),
		negTTL:   int64(cfg.NegativeTTL),
		shardCap: max(cfg.MaxEntries/resolverShards, 1),
		seed:     maphash.MakeSeed(),
		quotas:   cfg.Quotas,
	}
	for i := range r.shards {
		r.shards[i].m = make(map[LookupKey]cacheEntry)
	}
	return r
}

// Key returns the lookup key of a parsed ping path. For a ping key it computes the key's
// HMAC index, which needs the key ring.
func (r *Resolver) Key(t pingpath.Target) (LookupKey, error) {
	switch t.Scheme {
	case pingpath.UUID:
		return LookupKey{scheme: t.Scheme, ref: t.Ref}, nil
	case pingpath.UserSlug:
		return LookupKey{scheme: t.Scheme, owner: t.UserSlug, ref: t.Ref}, nil
	case pingpath.PingKey:
		if r.ring == nil {
			return LookupKey{}, errors.New("resolve ping key: no key ring configured")
		}
		idx := r.ring.Index(pingKeyPurpose, []byte(t.PingKey))
		prev := r.ring.PreviousIndex(pingKeyPurpose, []byte(t.PingKey))
		return LookupKey{scheme: t.Scheme, owner: string(idx), ref: t.Ref, prev: string(prev)}, nil
	}
	return LookupKey{}, fmt.Errorf("resolve: unknown scheme %d", t.Scheme)
}

// Resolve returns the check k names. create (honoured for ping-key URLs only; ignored
// otherwise) creates a missing check with k's slug and the defaults of docs/api.md#ping-api (1-day
// interval, 1-hour grace), race-safe across nodes; created says this call created it.
//
// Errors: messages.ErrNotFound (no such user or check, slug pings turned off, or the check
// belongs to another user); EInvalid (create with a slug that cannot be a new check's);
// EUnavailable (the store is unreachable or the request ran out of time); anything else is
// internal.
func (r *Resolver) Resolve(ctx context.Context, k LookupKey, create bool) (ref messages.CheckRef, created bool, err error) {
	create = create && k.scheme == pingpath.PingKey
	now := r.now().UnixNano()
	if e, ok := r.get(k, now); ok && (e.found || !create) {
		if !e.found {
			return messages.CheckRef{}, false, messages.ErrNotFound
		}
		return e.ref, false, nil
	}
	// A ref that no check can have is not worth a query.
	if !pingpath.IsUUID(k.ref) && !pingpath.IsSlug(k.ref) {
		if create {
			return messages.CheckRef{}, false, errBadNewSlug
		}
		return messages.CheckRef{}, false, messages.ErrNotFound
	}
	ref, userID, err := r.load(ctx, k)
	switch {
	case err == nil:
		r.put(k, cacheEntry{ref: ref, found: true, expires: now + r.posTTL})
		return ref, false, nil
	case messages.CodeOf(err) != messages.ENotFound:
		return messages.CheckRef{}, false, storeError(err)
	case create && userID != 0:
		return r.create(ctx, k, userID)
	}
	r.put(k, cacheEntry{expires: now + r.negTTL})
	return messages.CheckRef{}, false, messages.ErrNotFound
}

// Evict forgets k (the check's actor said the lookup is out of date).
func (r *Resolver) Evict(k LookupKey) {
	s := r.shard(k)
	s.mu.Lock()
	delete(s.m, k)
	s.mu.Unlock()
}

// Len returns the number of cached entries, expired ones included.
func (r *Resolver) Len() int {
	n := 0
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// load reads k from the store. userID is the user the lookup went through, also when the
// check was not found (for create).
func (r *Resolver) load(ctx context.Context, k LookupKey) (ref messages.CheckRef, userID int64, err error) {
	switch k.scheme {
	case pingpath.UUID:
		ref, err = r.store.ResolveUUID(ctx, k.ref)
		return ref, 0, err
	case pingpath.UserSlug:
		u, err := r.store.UserBySlug(ctx, k.owner)
		if err != nil {
			return ref, 0, err
		}
		if !u.SlugPings {
			return ref, 0, messages.ErrNotFound
		}
		if pingpath.IsUUID(k.ref) {
			// /p/{user_slug}/{uuid} names the check by uuid, but only this user's.
			ref, err = r.store.ResolveUUID(ctx, k.ref)
			if err == nil && ref.UserID != u.ID {
				return messages.CheckRef{}, u.ID, messages.ErrNotFound
			}
			return ref, u.ID, err
		}
		ref, err = r.store.ResolveSlug(ctx, u.ID, k.ref)
		return ref, u.ID, err
	case pingpath.PingKey:
		u, err := r.store.UserByPingKeyIndex(ctx, []byte(k.owner))
		if messages.CodeOf(err) == messages.ENotFound && k.prev != "" {
			u, err = r.store.UserByPingKeyIndex(ctx, []byte(k.prev))
		}
		if err != nil {
			return ref, 0, err
		}
		ref, err = r.store.ResolveSlug(ctx, u.ID, k.ref)
		return ref, u.ID, err
	}
	return ref, 0, messages.ErrNotFound
}

var errBadNewSlug = messages.Errorf(messages.EInvalid,
	"slug must be 1-64 characters of a-z, 0-9, _ and -, not all digits, not a UUID, and not start, fail, log or badge.svg")

// create makes the check of a ping-key URL with ?create=1 (docs/api.md#ping-api: 1-day period, 1-hour
// grace), or finds the one a concurrent request made.
func (r *Resolver) create(ctx context.Context, k LookupKey, userID int64) (messages.CheckRef, bool, error) {
	if !pingpath.IsSlug(k.ref) {
		return messages.CheckRef{}, false, errBadNewSlug
	}
	now := r.now()
	if r.quotas.Checks > 0 {
		// A check this user already has is found below, quota or not; only a new one counts.
		st, err := r.store.CheckStats(ctx, userID, now)
		if err != nil {
			return messages.CheckRef{}, false, storeError(err)
		}
		if err := r.quotas.AllowCheck(st.Total, 1); err != nil {
			if ref, err := r.store.ResolveSlug(ctx, userID, k.ref); err == nil {
				return ref, false, nil
			}
			return messages.CheckRef{}, false, err
		}
	}
	// The default configuration, named by the URL's slug.
	id := uuid.NewString()
	cfg := checkconfig.Default(id)
	cfg.Slug, cfg.Name = k.ref, k.ref
	nc := checklogic.NewCheck(userID, id, cfg, now)
	c := &nc
	ref, created, err := r.store.CreateCheckIfMissing(ctx, c)
	if err != nil {
		return messages.CheckRef{}, false, storeError(err)
	}
	r.put(k, cacheEntry{ref: ref, found: true, expires: now.UnixNano() + r.posTTL})
	return ref, created, nil
}

// storeError keeps the code of a store error the edge answers (EUnavailable, EInvalid,
// EConflict) and turns a request that ran out of time into EUnavailable; anything else stays
// internal, wrapped with context for the log.
func storeError(err error) error {
	switch {
	case persistence.IsUnavailable(err):
		return fmt.Errorf("resolve ping url: %w", err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &messages.Error{Code: messages.EUnavailable, Message: "timed out resolving the check", RetryAfter: time.Second}
	}
	var e *messages.Error
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("resolve ping url: %w", err)
}

func (r *Resolver) shard(k LookupKey) *resolverShard {
	h := maphash.String(r.seed, k.ref) ^ (maphash.String(r.seed, k.owner) * 31) ^ uint64(k.scheme)
	return &r.shards[h%resolverShards]
}

func (r *Resolver) get(k LookupKey, now int64) (cacheEntry, bool) {
	s := r.shard(k)
	s.mu.RLock()
	e, ok := s.m[k]
	s.mu.RUnlock()
	if !ok || e.expires <= now {
		return cacheEntry{}, false
	}
	return e, true
}

func (r *Resolver) put(k LookupKey, e cacheEntry) {
	// Copy the strings: k's usually point into the request's URL, which the cache must not pin.
	k.owner, k.ref = strings.Clone(k.owner), strings.Clone(k.ref)
	s := r.shard(k)
	s.mu.Lock()
	if _, ok := s.m[k]; !ok && len(s.m) >= r.shardCap {
		s.makeRoom(r.shardCap, r.now().UnixNano())
	}
	s.m[k] = e
	s.mu.Unlock()
}

// makeRoom drops expired entries and then, if the shard is still over seven eighths full,
// entries in map iteration order — which Go randomises, so this is random eviction. Freeing an
// eighth at a time keeps the cost per insert constant on average.
func (s *resolverShard) makeRoom(limit int, now int64) {
	for k, e := range s.m {
		if e.expires <= now {
			delete(s.m, k)
		}
	}
	target := limit - max(limit/8, 1)
	for k := range s.m {
		if len(s.m) <= target {
			break
		}
		delete(s.m, k)
	}
}
