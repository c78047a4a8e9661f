package selection

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/ttr-rip/ttr/actors/schedule"
	"github.com/ttr-rip/ttr/messages"
)

// Policy is what the operator configured.
type Policy struct {
	// InactiveFor is N days: nothing younger than it is ever removed. Must be positive.
	InactiveFor time.Duration
}

// periodSamples is how many due times a cron or OnCalendar schedule is sampled at: the
// period is the largest gap among them, so a weekday schedule counts its weekend and a
// monthly one its longest month.
const periodSamples = 8

// maxThreshold caps a check's threshold: beyond it a schedule is so sparse that the check
// is kept (and the arithmetic cannot overflow).
const maxThreshold = 100 * 365 * 24 * time.Hour

// CheckRemoval is a check the cleanup removes, with why.
type CheckRemoval struct {
	CheckID int64
	UserID  int64
	Slug    string
	// LastActivity is the last ping, or the creation when the check was never pinged.
	LastActivity time.Time
	// Threshold is how long the check had to be inactive: the larger of InactiveFor and
	// three periods plus the grace.
	Threshold time.Duration
}

// UserRemoval is a user the cleanup removes.
type UserRemoval struct {
	UserID int64
	Slug   string
	// LastSeen is the last sign-in or API use, or the creation when never seen.
	LastSeen time.Time
}

// User is what a user is decided by.
type User struct {
	ID             int64
	Slug           string
	CreatedAt      time.Time
	LastSeenAt     time.Time // zero: never seen
	DisabledAt     time.Time // zero: enabled
	Checks         int64     // checks the user has, before this cleanup
	TelegramLinked bool
}

// Period returns the gap a check's schedule keeps between due times, sampled from from: the
// interval, or for cron and OnCalendar the largest gap between consecutive due times among
// the first periodSamples after from. ok is false when the schedule cannot be read (the check
// is then kept). A schedule with fewer than two due times left has period 0.
func Period(c messages.CheckConfig, from time.Time) (time.Duration, bool) {
	spec := schedule.Spec{Type: c.ScheduleType, Expr: c.Schedule, TZ: c.TZ, IntervalSeconds: c.IntervalSeconds}
	if spec.Type == messages.ScheduleInterval {
		if c.IntervalSeconds <= 0 {
			return 0, false
		}
		return time.Duration(c.IntervalSeconds) * time.Second, true
	}
	// Parsed as of from: an expression that has fired since the last ping is valid here
	// even when it never fires again.
	s, err := schedule.ParseAt(spec, from)
	if err != nil {
		return 0, false
	}
	due := schedule.Preview(s, from, periodSamples)
	var period time.Duration
	for i := 1; i < len(due); i++ {
		period = max(period, due[i].Sub(due[i-1]))
	}
	return period, true
}

// CheckThreshold returns how long the check must have been inactive to be removed: the
// larger of p.InactiveFor and three periods plus the grace. ok is false when the check is
// kept whatever its age (its schedule cannot be read, or is sparser than a century).
func CheckThreshold(c messages.Check, p Policy, from time.Time) (time.Duration, bool) {
	period, ok := Period(c.CheckConfig, from)
	if !ok {
		return 0, false
	}
	grace := time.Duration(max(c.GraceSeconds, 0)) * time.Second
	if period > maxThreshold/3 || grace > maxThreshold {
		return 0, false
	}
	t := 3*period + grace
	if t > maxThreshold {
		return 0, false
	}
	return max(p.InactiveFor, t), true
}

// LastActivity is the check's last ping, or its creation when it was never pinged (zero
// when neither is known).
func LastActivity(c messages.Check) time.Time {
	if !c.LastPing.IsZero() {
		return c.LastPing
	}
	return c.CreatedAt
}

// Check decides one check at now: it is removed when it is not paused and its last activity
// is older than its threshold.
func Check(c messages.Check, p Policy, now time.Time) (CheckRemoval, bool) {
	last := LastActivity(c)
	if c.Status == messages.StatusPaused || last.IsZero() || p.InactiveFor <= 0 {
		return CheckRemoval{}, false
	}
	age := now.Sub(last)
	if age <= p.InactiveFor {
		return CheckRemoval{}, false // the common case, decided before any schedule maths
	}
	threshold, ok := CheckThreshold(c, p, last)
	if !ok || age <= threshold {
		return CheckRemoval{}, false
	}
	return CheckRemoval{CheckID: c.ID, UserID: c.UserID, Slug: c.Slug, LastActivity: last, Threshold: threshold}, true
}

// UserDecision decides one user at now, given how many checks the user has left after the
// checks this cleanup removes: it is removed when none are left, it has no Telegram link, it
// is enabled (an account an admin disabled is the admin's to delete), and it was created
// and last seen more than p.InactiveFor before now.
func UserDecision(u User, checksLeft int64, p Policy, now time.Time) (UserRemoval, bool) {
	if checksLeft > 0 || u.TelegramLinked || !u.DisabledAt.IsZero() || u.CreatedAt.IsZero() || p.InactiveFor <= 0 {
		return UserRemoval{}, false
	}
	seen := u.LastSeenAt
	if seen.IsZero() || seen.Before(u.CreatedAt) {
		seen = u.CreatedAt
	}
	if now.Sub(u.CreatedAt) <= p.InactiveFor || now.Sub(seen) <= p.InactiveFor {
		return UserRemoval{}, false
	}
	return UserRemoval{UserID: u.ID, Slug: u.Slug, LastSeen: seen}, true
}

// Plan is what one cleanup run removes.
type Plan struct {
	Now         time.Time
	Policy      Policy
	TotalChecks int64 // every check in the store when the plan was made
	Checks      []CheckRemoval
	Users       []UserRemoval
}

// Planner builds a Plan from pages of candidate rows: every check page first, then every
// user page (a user's checks removed by the plan count as gone).
type Planner struct {
	plan    Plan
	removed map[int64]int64 // user id → checks of the user in the plan
}

// NewPlanner starts a plan at now over a store holding totalChecks checks.
func NewPlanner(p Policy, now time.Time, totalChecks int64) *Planner {
	return &Planner{plan: Plan{Now: now, Policy: p, TotalChecks: totalChecks}, removed: map[int64]int64{}}
}

// AddChecks decides a page of candidate checks.
func (pl *Planner) AddChecks(cs []messages.Check) {
	for _, c := range cs {
		if r, ok := Check(c, pl.plan.Policy, pl.plan.Now); ok {
			pl.plan.Checks = append(pl.plan.Checks, r)
			pl.removed[c.UserID]++
		}
	}
}

// AddUsers decides a page of candidate users; call it after every AddChecks.
func (pl *Planner) AddUsers(us []User) {
	for _, u := range us {
		if r, ok := UserDecision(u, u.Checks-pl.removed[u.ID], pl.plan.Policy, pl.plan.Now); ok {
			pl.plan.Users = append(pl.plan.Users, r)
		}
	}
}

// Plan returns the plan built so far.
func (pl *Planner) Plan() Plan { return pl.plan }

// ErrTooMany says a plan would remove a larger share of all checks than allowed: something
// is more likely wrong with the data than that many checks were abandoned at once.
var ErrTooMany = errors.New("cleanup would remove too large a share of all checks")

// Share is the share of all checks the plan removes (1 when it removes any of none).
func (p Plan) Share() float64 {
	if len(p.Checks) == 0 {
		return 0
	}
	if p.TotalChecks <= 0 {
		return 1
	}
	return float64(len(p.Checks)) / float64(p.TotalChecks)
}

// Guard refuses a plan that removes more than maxShare of all checks, unless force. The
// plan of a whole run is judged, so no batch of it can remove more than its share either.
func (p Plan) Guard(maxShare float64, force bool) error {
	if force || len(p.Checks) == 0 {
		return nil
	}
	if share := p.Share(); share > maxShare || math.IsNaN(share) {
		return fmt.Errorf("%w: %d of %d checks (%.1f %%, more than %.1f %%)", ErrTooMany,
			len(p.Checks), p.TotalChecks, 100*share, 100*maxShare)
	}
	return nil
}
