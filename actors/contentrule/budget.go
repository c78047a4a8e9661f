package contentrule

import (
	"strconv"
	"time"

	"github.com/ttr-rip/ttr/actors/ratelimit"
)

// DefaultBudget is the matching time each user may spend per second on one node.
const DefaultBudget = 200 * time.Millisecond

// Budget bounds the time each user's content rules may spend matching on one node: per
// second, at most the configured time, with one second's worth at once. A user beyond it has
// their pings recorded without the rule evaluated (ReasonBudget) until the budget refills,
// so one account cannot slow every other account's pings down with costly patterns.
//
// The time charged is what a match took on the calling goroutine, read from the injected
// clock: a match does no I/O, so that is its CPU time unless the machine is overloaded (when
// charging a little more is harmless). It is safe for concurrent use.
type Budget struct {
	users *ratelimit.Set // tokens are microseconds of matching
	now   func() time.Time
}

// NewBudget returns a budget of perSecond matching time per user and second; perSecond <= 0
// means no budget (For returns nil). now nil means time.Now.
func NewBudget(perSecond time.Duration, now func() time.Time) *Budget {
	if perSecond <= 0 {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	us := perSecond.Microseconds()
	return &Budget{users: ratelimit.NewSet(ratelimit.PerSecond(float64(us), int(us)), 0), now: now}
}

// For returns the meter of a user's matches, nil (unmetered) when b is nil.
func (b *Budget) For(userID int64) Meter {
	if b == nil {
		return nil
	}
	return userMeter{b: b, key: strconv.FormatInt(userID, 10)}
}

type userMeter struct {
	b   *Budget
	key string
}

// Run runs match while the user's budget is not spent (a match may overspend it: the debt
// is paid before the next one runs).
func (m userMeter) Run(match func()) bool {
	start := m.b.now()
	if m.b.users.Tokens(m.key, start) <= 0 {
		return false
	}
	match()
	end := m.b.now()
	m.b.users.Charge(m.key, end, float64(end.Sub(start).Microseconds()))
	return true
}
