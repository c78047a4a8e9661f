package persistence

import (
	"context"
	"math"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// Store is the durable state of ttr.
//
// Error contract: a missing record, or one that belongs to another user, is
// messages.ErrNotFound (an *messages.Error with code ENotFound); a unique violation visible
// to a user (duplicate user slug, duplicate check slug) is a *messages.Error with code
// EConflict; a store that cannot be reached returns an error for which IsUnavailable is true.
// Anything else is an internal error. Times are stored with millisecond precision in UTC; a
// zero time.Time is NULL.
type Store interface {
	UserStore
	AccountStore
	CheckReader
	SystemStore
	RateStore
	SecretStore
	BadgeStore
	ActivityStore
	CredentialStore
	AuditStore
	LeaseStore
	AdminStore
	SiteStore
	CleanupStore
	TelegramStore
	DestinationStore
	StatusPageStore
	RetentionStore
	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	// Dialect names the implementation ("sqlite", "postgres") and its durability settings,
	// for logs and benchmarks.
	Describe() string
	Close() error
}

// UserStore holds accounts.
type UserStore interface {
	// CreateUser inserts u and sets u.ID. A taken slug is EConflict.
	CreateUser(ctx context.Context, u *messages.User) error
	UserByAuthKeyHash(ctx context.Context, hash []byte) (messages.User, error)
	UserBySlug(ctx context.Context, slug string) (messages.User, error)
	UserByPingKeyIndex(ctx context.Context, index []byte) (messages.User, error)
	// TouchUser records that the user was seen at at: last_seen_at becomes at unless it is
	// already later than at - SeenResolution (no write then). ENotFound is not reported.
	TouchUser(ctx context.Context, userID int64, at time.Time) error
}

// CheckReader is what the API reads, always scoped to a user, plus the two writes that come
// before a check's actor exists.
type CheckReader interface {
	// CreateCheck inserts c (config, state, UUID, CreatedAt set by the caller; Version and
	// ConfigVersion 1) and sets c.ID. A slug or UUID already used by the user is EConflict.
	CreateCheck(ctx context.Context, c *messages.Check) error
	// CreateCheckIfMissing inserts c unless the user already has a check with c.Slug (race-safe:
	// INSERT … ON CONFLICT DO NOTHING), and returns the reference of the check that exists
	// afterwards and whether this call created it.
	CreateCheckIfMissing(ctx context.Context, c *messages.Check) (messages.CheckRef, bool, error)
	GetCheck(ctx context.Context, userID, checkID int64) (messages.Check, error)
	// ListChecks returns up to q.Limit checks of the user in keyset order (see ListQuery).
	ListChecks(ctx context.Context, userID int64, q ListQuery) ([]messages.Check, error)
	// CheckStats counts the user's checks by status; Late counts up checks whose NextDue has
	// passed at now but whose NextDeadline has not.
	CheckStats(ctx context.Context, userID int64, now time.Time) (Stats, error)
	// CheckTags returns every tag of the user's checks with the number of checks carrying it,
	// sorted by tag.
	CheckTags(ctx context.Context, userID int64) ([]TagCount, error)
	// SlugTaken reports whether another check (ID != exceptID) of the user has slug.
	SlugTaken(ctx context.Context, userID int64, slug string, exceptID int64) (bool, error)
	// ResolveSlug finds the user's check by slug (pings by user slug or ping key).
	ResolveSlug(ctx context.Context, userID int64, slug string) (messages.CheckRef, error)
	// ResolveUUID finds a check by its public UUID (any user).
	ResolveUUID(ctx context.Context, uuid string) (messages.CheckRef, error)
	// ListPings returns the newest pings first, at most limit, with Body left nil and BodySize set.
	ListPings(ctx context.Context, userID, checkID int64, limit int) ([]messages.PingRecord, error)
	// PingLogStart returns the n of the oldest ping the check still holds (0 when its log is
	// empty): the pings below it were pruned (docs/operations.md, "Retention").
	PingLogStart(ctx context.Context, userID, checkID int64) (int64, error)
	// GetPing returns one ping with its body.
	GetPing(ctx context.Context, userID, checkID, n int64) (messages.PingRecord, error)
	// ListFlips returns the newest flips first, at most limit.
	ListFlips(ctx context.Context, userID, checkID int64, limit int) ([]messages.Flip, error)
	// Channels returns the check's channels (any order).
	Channels(ctx context.Context, userID, checkID int64) ([]messages.Channel, error)
	// PageChannels returns the channels of the user's checks among checkIDs (any order), in
	// one query: a page of the check list without a query per row. Ids of other users'
	// checks, or of none, are left out.
	PageChannels(ctx context.Context, userID int64, checkIDs []int64) ([]messages.Channel, error)
	// RecentPings returns the newest perCheck pings of each of the user's checks among
	// checkIDs, in one query, ordered by check id and then newest first, with CheckID, N,
	// At, Kind, ExitStatus, Reason and RemoteIP set (the rest left zero: a strip needs no
	// more; a status page looks up the address's country, never showing it). Ids
	// of other users' checks are left out.
	RecentPings(ctx context.Context, userID int64, checkIDs []int64, perCheck int) ([]messages.PingRecord, error)
	// ListDeliveries returns the check's outbox rows, newest first, at most limit.
	ListDeliveries(ctx context.Context, userID, checkID int64, limit int) ([]messages.OutboxRow, error)
	// ChangeStamp summarises, in one query, everything of the user's checks and channels that
	// a dashboard shows, at now: two reads return equal stamps only if no check was created,
	// deleted or written, no delivery outcome was recorded and no check turned late or
	// overdue with time in between (see ChangeStamp). Read it before the data it validates.
	ChangeStamp(ctx context.Context, userID int64, now time.Time) (ChangeStamp, error)
}

// ChangeStamp is a validator of a user's checks and channels, cheap enough to compute on every
// poll of a dashboard (a cached answer is still good while it is equal).
type ChangeStamp struct {
	// Checks counts the user's checks and IDSum adds their ids: a check deleted and another
	// created between two reads change IDSum, since ids are never reused.
	Checks, IDSum int64
	// VersionSum adds the checks' row versions. Every write to a check row (a ping, a flip,
	// an edit, pause and resume, a channel's settings, a deadline moved) increments its
	// version, so any of them raises the sum.
	VersionSum int64
	// Passed counts, among the up checks, the boundaries now has passed: next_due < now,
	// next_deadline < now and next_deadline <= now (in ms). For unchanged rows each count
	// only grows with time, so the sum tells exactly which checks are late (and counted late)
	// at now: it changes when time alone makes a check late or overdue.
	Passed int64
	// Channels counts the user's channel rows, DeliveryTimes adds their last delivery times
	// (ms, modulo 2^32) and DeliveryTexts the lengths of their last status and message. A
	// delivery outcome is written without touching the check row: it moves last_at to a
	// later time (unless two outcomes of one channel fall in one millisecond, when the
	// status or message usually differs).
	Channels, DeliveryTimes, DeliveryTexts int64
}

// SystemStore holds the queries that do not name a user: activation by id, wheel loads, the
// sweeper, the write batcher and the outbox. Implementations keep them in one file.
type SystemStore interface {
	// LoadCheck loads a check for its actor with its channels and the request ids of its
	// newest pings (at most recent, newest first). ErrNotFound when deleted.
	LoadCheck(ctx context.Context, checkID int64, recent int) (messages.Check, []messages.Channel, []string, error)
	// Commit applies the writes of many actors together (group commit) and returns one
	// outcome per write, in order. Each write keeps its own conditional outcome: a write
	// whose version condition fails is OutcomeFenced and changes nothing, while its
	// neighbours commit. An error return means the batch as a whole failed (nothing of it
	// is committed) and every write must be answered Unavailable.
	Commit(ctx context.Context, writes []Write) ([]Outcome, error)
	// ForEachCheck calls fn for every check (its id, status and wake-up), in id order, read
	// in chunks so that no connection is held while fn runs: a node's pass over what it owns
	// when it arms its deadlines and counts its checks.
	ForEachCheck(ctx context.Context, fn func(CheckEntry) error) error
	// DueChecks returns up to limit checks whose wake-up is at or before t, earliest first.
	DueChecks(ctx context.Context, t time.Time, limit int) ([]Wake, error)
	// ExtendDeadlines moves every deadline and wake-up that falls within [from, to] later by
	// by, and bumps those checks' versions (their actors must reload). It returns how many
	// checks changed.
	ExtendDeadlines(ctx context.Context, from, to time.Time, by time.Duration) (int64, error)

	// DueDestinations returns destination hashes with pending outbox rows whose next attempt
	// is at or before now and that no live claim holds (see ClaimOutbox for when a claim is
	// live).
	DueDestinations(ctx context.Context, now time.Time, limit int) ([]string, error)
	// PendingOutbox returns a destination's pending rows in FIFO (ID) order.
	PendingOutbox(ctx context.Context, destHash string, limit int) ([]messages.OutboxRow, error)
	// ClaimOutbox claims a pending row for node until the given time: it succeeds when the
	// row is pending and unclaimed, claimed by node, its claim expired before now, or its
	// claimer's node lease ended more than LeaseSkew before now. A claimer without a lease
	// row (a single node writes none) keeps its claim until claim_until.
	ClaimOutbox(ctx context.Context, id int64, node string, now, until time.Time) (bool, error)
	// FinishOutbox records the outcome of a send by node (conditional on node still holding
	// the claim; false when it does not) and, when status is set, the channel's last
	// notification status.
	FinishOutbox(ctx context.Context, r OutboxResult) (bool, error)
	// CountPendingOutbox returns how many pending rows a destination has.
	CountPendingOutbox(ctx context.Context, destHash string) (int, error)
	// InsertOutbox adds rows outside a check write (test sends).
	InsertOutbox(ctx context.Context, rows []messages.OutboxRow) error
}

// LeaseStore holds node leases (docs/architecture.md#fencing).
type LeaseStore interface {
	// RenewLease upserts the node's lease: lease_until = until (overwrite, not GREATEST — a
	// release writes an earlier time). An empty nodeID or a zero until is EInvalid.
	RenewLease(ctx context.Context, nodeID string, until time.Time) error
	// LiveNodes returns the ids of nodes whose lease_until is after now, sorted.
	LiveNodes(ctx context.Context, now time.Time) ([]string, error)
	// PruneNodes deletes node rows whose lease ended before `before` and that hold no outbox
	// claim (on a pending row), and returns how many it deleted. A claimer's row must stay:
	// without it, its claims would wait for claim_until instead of being taken over at once.
	PruneNodes(ctx context.Context, before time.Time) (int64, error)
}

// LeaseSkew is how long after a node's lease_until another node may take over its outbox
// claims. lease_until is written by the holder's wall clock and compared with the claimer's:
// as long as their clocks are less than LeaseSkew apart, a claim is never taken over while
// its holder still believes its lease valid. The holder
// stops acting when its lease lapses by its local monotonic clock; only a send already in
// flight then may be repeated (docs/architecture.md#fencing).
const LeaseSkew = time.Second

// Write is one check actor's state change: committed whole or not at all.
type Write struct {
	CheckID       int64
	ExpectVersion int64 // the check row must have this version; it becomes ExpectVersion+1
	// Config, when set, replaces the check's configuration (slug, schedule …) and sets its
	// config_version to ConfigVersion: edits, pause and resume write both, pings neither.
	Config        *messages.CheckConfig
	ConfigVersion int64
	// State is always written (the check row's state columns).
	State messages.CheckState
	// Ping, when set, is appended to the ping log; pings with N <= PruneBelow are deleted.
	Ping       *messages.PingRecord
	PruneBelow int64
	Flip       *messages.Flip
	Outbox     []messages.OutboxRow
	Channel    *messages.Channel // upsert of one channel's settings (not its delivery status)
	Delete     bool              // delete the check and everything of it
}

// Outcome is the result of one Write in a batch.
type Outcome struct {
	Kind OutcomeKind
	Err  error // OutcomeConflict, OutcomeFailed
}

// OutcomeKind classifies a write's result.
type OutcomeKind int

// Outcome kinds.
const (
	OutcomeCommitted OutcomeKind = iota + 1
	OutcomeFenced                // version condition failed (or the check is gone): nothing written
	OutcomeConflict              // a unique constraint visible to the user (slug taken)
	OutcomeFailed                // this write alone failed; nothing of it written
)

// CheckEntry is one check as ForEachCheck reads it.
type CheckEntry struct {
	CheckID int64
	Status  messages.CheckStatus
	WakeAt  time.Time // zero = no wake-up (new, paused)
}

// Wake is a wheel entry.
type Wake struct {
	CheckID int64
	At      time.Time
}

// OutboxResult is the outcome of one delivery attempt.
type OutboxResult struct {
	ID            int64
	Node          string
	Status        messages.OutboxStatus // pending (retry later), delivered or failed
	Attempts      int32
	NextAttemptAt time.Time
	LastError     string
	DeliveredAt   time.Time
	// Channel status to show on the check (DeliveryNone leaves it alone).
	ChannelStatus  messages.DeliveryStatus
	ChannelMessage string
	At             time.Time
}

// ListQuery is a keyset page request. Rows are ordered by (sort column, id) in the given
// direction; NULL times sort after every time in ascending order. After, when set, is the
// key of the last row of the previous page.
type ListQuery struct {
	SortBy string // id | name | created_at | next_deadline | last_ping | status
	Desc   bool
	Tags   []string // every tag must be present
	// Search, when set, keeps the checks whose name contains it (ASCII letters compared
	// case-insensitively).
	Search string
	// Status, when set, keeps the checks in one status: new, up, down or paused (stored), or
	// late (up, past the expected time at Now but within grace; up includes late).
	Status messages.CheckStatus
	Now    time.Time // the time late is judged at
	After  *Key
	Limit  int
}

// Statuses a ListQuery can filter on.
var ListStatuses = []messages.CheckStatus{messages.StatusNew, messages.StatusUp, messages.StatusDown, messages.StatusPaused, StatusLate}

// StatusLate is the derived status of an up check past its expected time, within its grace.
const StatusLate messages.CheckStatus = "late"

// Key is a position in a keyset order: the sort column's value and the id.
type Key struct {
	Int int64  // for id, time and status columns (unix ms; NULL time = math.MaxInt64; see StatusKey)
	Str string // for name
	ID  int64
}

// StatusRank orders stored statuses failing first: down, up, new, paused. Unknown statuses
// sort last.
func StatusRank(status messages.CheckStatus) int64 {
	switch status {
	case messages.StatusDown:
		return 0
	case messages.StatusUp:
		return 1
	case messages.StatusNew:
		return 2
	case messages.StatusPaused:
		return 3
	}
	return 4
}

// statusDeadlineBits is how many low bits of a status key hold the deadline (unix ms below
// 2^50: the year 37648).
const statusDeadlineBits = 50

// StatusKey is a check's position in the status order as one integer: the status rank in
// the high bits, then the next deadline (NULL after every time), so that one keyset column
// orders by rank, then deadline, then id. The stores compute the same value in SQL.
func StatusKey(status messages.CheckStatus, nextDeadline time.Time) int64 {
	d := int64(1)<<statusDeadlineBits - 1
	if !nextDeadline.IsZero() {
		d = min(max(nextDeadline.UnixMilli(), 0), d)
	}
	return StatusRank(status)<<statusDeadlineBits | d
}

// Stats counts a user's checks.
type Stats struct {
	Total, New, Up, Down, Paused, Late int64
}

// TagCount is a tag and how many checks carry it.
type TagCount struct {
	Tag   string `json:"tag"`
	Count int64  `json:"count"`
}

// RateStore persists each destination's adaptive rate control (docs/architecture.md#alerting-rules).
type RateStore interface {
	// LoadRateState returns a destination's persisted rate state; false when it has none.
	LoadRateState(ctx context.Context, destHash string) (messages.RateState, bool, error)
	// SaveRateState writes (upserts) a destination's rate state.
	SaveRateState(ctx context.Context, destHash string, st messages.RateState) error
}

// SecretStore lets `ttrd secrets rotate` re-seal every secret at rest under the first key of
// the ring and recompute the lookup indexes. It is a system operation (no user scope).
type SecretStore interface {
	// Reseal calls f for every sealed value in the store (users' ping keys, channels'
	// settings, outbox destinations) and writes back what f returns, in batches. f must keep
	// Table, Key and UserID; it returns an error to abort. Reseal returns how many values it
	// rewrote.
	Reseal(ctx context.Context, f func(Sealed) (Sealed, error)) (int, error)
	// RenameDestinations moves outbox rows and rate state from each old destination hash to
	// its new one (renames: old → new), after TTR_SECRET_KEY changed. Rate state already kept
	// under a new hash wins over the old one's. It returns how many outbox rows moved.
	RenameDestinations(ctx context.Context, renames map[string]string) (int, error)
}

// Sealed is one secret at rest, with what its additional data binds it to.
type Sealed struct {
	Table  string // "users" | "channels" | "outbox" | "destinations"
	UserID int64  // the owner (0 for users, whose sealing predates their id)
	// Key is the stable key of the row: users: the user id (decimal); channels:
	// "<check id>:<channel>"; outbox: the idempotency key; destinations: the code.
	Key   string
	Value []byte // the sealed value
	Index []byte // users only: the ping key's lookup index (recomputed under a new secret)
}

// ValidateRateState refuses what one of the stores could not keep as given (SQLite turns NaN
// into NULL), so that both stores answer SaveRateState alike.
func ValidateRateState(destHash string, st messages.RateState) error {
	if destHash == "" {
		return messages.Errorf(messages.EInvalid, "save rate state: empty destination")
	}
	for _, v := range []float64{st.RPS, st.Burst, st.Tokens} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return messages.Errorf(messages.EInvalid, "save rate state: %v is not a finite number", v)
		}
	}
	return nil
}
